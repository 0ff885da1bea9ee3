/**
 * The `http` service (port 80): synack's own HTTP/1.1 server (http-server.ts) over synack sockets.
 *   GET /          a small HTML page
 *   GET /bytes/N   N bytes (application/octet-stream), streamed with backpressure
 * Keep-alive by default (HTTP/1.1), pipelining answered in order; `Connection: close` is honoured
 * (the server answers with it and closes first, holding TIME_WAIT). node:http itself, with the same
 * routes, is the `node-http` service (node-http.ts).
 */
import { startHttpServer } from './http-server.js';
import type { RunningService, ServiceDef } from './types.js';

export { HOME_PAGE, MAX_BYTES } from './http-content.js';
export { startHttpServer } from './http-server.js';

export const httpService: ServiceDef = {
  name: 'http',
  port: 80,
  describe: "GET / (a page), GET /bytes/N (N bytes); synack's own HTTP/1.1 server: keep-alive, pipelining, or Connection: close (server closes first)",
  start(net, port, host): RunningService {
    return startHttpServer(net, port, host);
  },
};
