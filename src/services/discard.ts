/** Discard (RFC 863): everything received is thrown away; the server closes when the client does. */
import type { ServiceDef } from './types.js';
import { trackedServer } from './tracked.js';

export const discard: ServiceDef = {
  name: 'discard',
  port: 9,
  describe: 'RFC 863: reads and throws away',
  start(net, port, host) {
    return trackedServer(net, 'discard', port, host, (s) => {
      s.on('data', () => {});
    });
  },
};
