/**
 * What both HTTP services serve (the `http` service's own server and node:http behind `node-http`):
 *   GET /          a small HTML page (HOME_PAGE)
 *   GET /bytes/N   N bytes (application/octet-stream) of a 64 KiB pattern, streamed with backpressure
 */

/** Largest /bytes/N served (1 TiB): beyond it the request is refused with 400. */
export const MAX_BYTES = 2 ** 40;

/** The body of /bytes/N: this 64 KiB pattern, repeated and cut at N. */
export const BYTES_CHUNK = Buffer.alloc(64 * 1024, 'synack ');

/** Chunks written per turn of the event loop, so one big response never starves the others. */
export const CHUNKS_PER_TURN = 16;

/** The page `GET /` returns (the bench serves the same bytes from nginx for a like-for-like run). */
export const HOME_PAGE = `<!doctype html>
<html><head><title>synack</title></head>
<body><h1>synack</h1><p>This page came over a TCP/IP stack written in TypeScript.</p>
<p><a href="/bytes/1048576">/bytes/1048576</a> sends 1 MiB.</p></body></html>
`;

export const HOME_TYPE = 'text/html; charset=utf-8';

const BYTES_PATH = /^\/bytes\/(\d{1,13})$/;

/** N for a `/bytes/N` path (at most 13 digits, so N may exceed MAX_BYTES), or -1 for any other path. */
export function bytesPathLength(path: string): number {
  const m = BYTES_PATH.exec(path);
  return m ? Number(m[1]) : -1;
}
