/**
 * The `node-http` service (port 8080): node:http, unchanged, over synack sockets, with the same
 * routes as the `http` service (http-content.ts), for comparing the two servers on one stack:
 *   GET /          a small HTML page
 *   GET /bytes/N   N bytes (application/octet-stream), streamed with backpressure
 * `Connection: close` is honoured (node:http answers with it and ends the connection after the
 * response: the server closes first and holds TIME_WAIT); otherwise connections are kept alive.
 */
import http from 'node:http';
import type { Socket } from '../api/socket.js';
import type { NetApi } from '../api/net.js';
import { LiveList, type LiveNode } from '../stack/live-list.js';
import { BYTES_CHUNK as CHUNK, CHUNKS_PER_TURN, HOME_PAGE, MAX_BYTES, bytesPathLength } from './http-content.js';
import type { RunningService, ServiceDef } from './types.js';

/** `GET /`'s header fields, built once: a flat [name, value, ...] list, which writeHead takes as is. */
const HOME_HEADERS: readonly string[] = ['content-type', 'text/html; charset=utf-8', 'content-length', String(Buffer.byteLength(HOME_PAGE))];

/**
 * node:http's own server options (its defaults, kept by name): the bench's node:http-over-the-kernel
 * row uses the same ones.
 */
export const HTTP_SERVER_OPTIONS: Readonly<http.ServerOptions> = Object.freeze({ keepAliveTimeout: 5000 });

function sendBytes(res: http.ServerResponse, n: number): void {
  res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(n) });
  let left = n;
  const pump = (): void => {
    for (let i = 0; i < CHUNKS_PER_TURN && left > 0; i++) {
      if (res.destroyed) return;
      const piece = left >= CHUNK.length ? CHUNK : CHUNK.subarray(0, left);
      left -= piece.length;
      if (!res.write(piece)) {
        res.once('drain', pump);
        return;
      }
    }
    if (left > 0) setImmediate(pump);
    else res.end();
  };
  pump();
}

export function handle(req: http.IncomingMessage, res: http.ServerResponse): void {
  const url = req.url ?? '/';
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' });
    res.end('method not allowed\n');
    return;
  }
  if (url === '/') {
    // the page as a string: node:http joins it to the header block and writes both at once
    res.writeHead(200, HOME_HEADERS as string[]);
    res.end(req.method === 'HEAD' ? undefined : HOME_PAGE);
    return;
  }
  const n = bytesPathLength(url);
  if (n >= 0) {
    if (n > MAX_BYTES) {
      res.writeHead(400, { 'content-type': 'text/plain' });
      res.end(`at most ${MAX_BYTES} bytes\n`);
      return;
    }
    if (req.method === 'HEAD') {
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(n) });
      res.end();
      return;
    }
    sendBytes(res, n);
    return;
  }
  res.writeHead(404, { 'content-type': 'text/plain' });
  res.end('not found: try / or /bytes/N\n');
}

const LIVE = Symbol('liveNode');
type Tracked = Socket & { [LIVE]?: LiveNode<Socket> };

/**
 * The http service on `net`, with node:http's server options (its timeouts, for one): what
 * `nodeHttpService.start` runs with HTTP_SERVER_OPTIONS. `http` is the node:http server behind it.
 */
export function startNodeHttp(net: NetApi, port: number, host?: string, options: http.ServerOptions = HTTP_SERVER_OPTIONS): RunningService & { http: http.Server } {
  const httpServer = http.createServer(options, handle);
  const sockets = new LiveList<Socket>();
  // one listener shared by every socket (no closure, no once() wrapper per connection)
  function untrack(this: Socket): void {
    const node = (this as Tracked)[LIVE];
    if (node) sockets.remove(node);
  }
  // as node:http's own net.Server: half-open allowed, Nagle off (node:http's noDelay default,
  // and nginx's tcp_nodelay on)
  const server = net.createServer({ allowHalfOpen: true, noDelay: true }, (s) => {
    (s as Tracked)[LIVE] = sockets.add(s);
    s.on('close', untrack);
    httpServer.emit('connection', s);
  });
  // node:http starts tracking its connections when it hears 'listening' (the list behind
  // headersTimeout and requestTimeout, which answer a client too slow to send its request with 408,
  // and behind closeIdleConnections); it never listens itself here, so it hears ours
  server.once('listening', () => httpServer.emit('listening'));
  server.listen(host === undefined ? { port } : { port, host });
  return {
    name: 'node-http',
    port,
    server,
    http: httpServer,
    shutdown() {
      if (server.listening) server.close();
      // stops node:http's connection checks and ends idle keep-alive connections at once (FIN);
      // busy ones end after their response
      httpServer.close();
      for (const s of sockets.items()) s.end();
    },
  };
}

export const nodeHttpService: ServiceDef = {
  name: 'node-http',
  port: 8080,
  describe: "the http service's routes served by node:http itself (for comparison); keep-alive, or Connection: close",
  start(net, port, host): RunningService {
    return startNodeHttp(net, port, host);
  },
};
