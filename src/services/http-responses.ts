/**
 * The bytes of the http service's responses: a status line, Server, Date, Content-Type,
 * Content-Length and, when needed, Connection (RFC 9112 §9.3, §9.6), then the body. `GET /`'s
 * whole responses are made once per second (the Date changes) and then written as they are.
 */
import { httpDate } from './http-date.js';
import { HOME_PAGE, HOME_TYPE } from './http-content.js';

/** The Connection field a response carries. */
export const CONN_NONE = 0; // HTTP/1.1, persistent: nothing to say (RFC 9112 §9.3)
export const CONN_KEEP_ALIVE = 1; // HTTP/1.0 that asked for keep-alive (RFC 9112 §C.2.2)
export const CONN_CLOSE = 2; // the server closes after this response (RFC 9112 §9.6)
export type ConnField = typeof CONN_NONE | typeof CONN_KEEP_ALIVE | typeof CONN_CLOSE;

const CONN_LINES = ['', 'Connection: keep-alive\r\n', 'Connection: close\r\n'] as const;

const REASONS: Record<number, string> = {
  200: 'OK',
  400: 'Bad Request',
  404: 'Not Found',
  405: 'Method Not Allowed',
  408: 'Request Timeout',
  431: 'Request Header Fields Too Large',
  501: 'Not Implemented',
  505: 'HTTP Version Not Supported',
};

/** The interim response sent before reading a body the client holds back (RFC 9110 §10.1.1, §15.2.1). */
export const CONTINUE = Buffer.from('HTTP/1.1 100 Continue\r\n\r\n', 'latin1');

/** A response head (status line and fields, through the empty line). `extra` is more field lines, each ending in CRLF. */
export function responseHead(status: number, type: string, length: number, conn: ConnField, now: number, extra = ''): string {
  return (
    `HTTP/1.1 ${status} ${REASONS[status] ?? ''}\r\nServer: synack\r\nDate: ${httpDate(now)}\r\n${extra}` +
    `Content-Type: ${type}\r\nContent-Length: ${length}\r\n${CONN_LINES[conn]}\r\n`
  );
}

/** A whole response with a short text/plain body (left out for HEAD, its length kept, RFC 9110 §9.3.2). */
export function textResponse(status: number, body: string, head: boolean, conn: ConnField, now: number, extra = ''): Buffer {
  const h = responseHead(status, 'text/plain', Buffer.byteLength(body), conn, now, extra);
  return Buffer.from(head ? h : h + body, 'latin1');
}

const PAGE = Buffer.from(HOME_PAGE);

/**
 * `GET /` and `HEAD /`, whole, for each Connection field: remade when the second changes (new
 * buffers: one already handed to a socket may not have been sent yet, so none is ever rewritten).
 */
export class HomeResponses {
  private from = Number.NaN;
  private readonly full: Buffer[] = [];
  private readonly heads: Buffer[] = [];

  /** The response for `conn`, at time `now` (ms); without the body for HEAD. */
  get(conn: ConnField, head: boolean, now: number): Buffer {
    if (!(now >= this.from && now < this.from + 1000)) this.remake(now);
    return head ? this.heads[conn]! : this.full[conn]!;
  }

  private remake(now: number): void {
    this.from = now - (now % 1000);
    for (const conn of [CONN_NONE, CONN_KEEP_ALIVE, CONN_CLOSE] as const) {
      const h = Buffer.from(responseHead(200, HOME_TYPE, PAGE.length, conn, now), 'latin1');
      const full = Buffer.concat([h, PAGE]);
      this.full[conn] = full;
      this.heads[conn] = full.subarray(0, h.length);
    }
  }
}
