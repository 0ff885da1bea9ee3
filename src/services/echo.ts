/**
 * Echo (RFC 862): every byte received is sent back. Half-close is honoured: after the client's
 * FIN the rest of the data still goes back, and only then does the server send its own FIN.
 */
import type { ServiceDef } from './types.js';
import { trackedServer } from './tracked.js';

export const echo: ServiceDef = {
  name: 'echo',
  port: 7,
  describe: 'RFC 862: sends back what it receives; after the client FIN, the rest, then FIN',
  start(net, port, host) {
    // allowHalfOpen: the client's FIN ends only the readable side; pipe() ends ours once the
    // last byte is written back, which sends the FIN after the data
    return trackedServer(net, 'echo', port, host, (s) => s.pipe(s), { allowHalfOpen: true });
  },
};
