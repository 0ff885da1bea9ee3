/**
 * Daytime (RFC 867): on connection the server sends the date and time as one line, then closes:
 * the server's close comes first (an active close), so the server holds TIME_WAIT.
 */
import type { ServiceDef } from './types.js';
import { trackedServer } from './tracked.js';

/** RFC 867 fixes no format; this is the "weekday, month day, year time-zone" example's spirit in UTC. */
export function daytimeLine(d: Date = new Date()): string {
  const day = d.toLocaleDateString('en-US', { weekday: 'long', year: 'numeric', month: 'long', day: 'numeric', timeZone: 'UTC' });
  const time = d.toISOString().slice(11, 19);
  return `${day} ${time}-UTC\r\n`;
}

export const daytime: ServiceDef = {
  name: 'daytime',
  port: 13,
  describe: 'RFC 867: one line with the date and time, then the server closes first',
  start(net, port, host) {
    return trackedServer(net, 'daytime', port, host, (s) => {
      s.on('data', () => {}); // RFC 867: any data received is thrown away
      s.end(daytimeLine());
    });
  },
};
