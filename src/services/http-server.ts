/**
 * A small HTTP/1.1 origin server (RFC 9110, RFC 9112) written directly on synack's net-compatible
 * sockets, serving http-content.ts's routes:
 *   GET|HEAD /          HOME_PAGE (the whole response made once per second, then written as is)
 *   GET|HEAD /bytes/N   N bytes, streamed with backpressure (400 beyond MAX_BYTES)
 *   other paths 404; other methods 405 with Allow: GET, HEAD
 *
 * Per connection: requests are parsed as they arrive (http-request-parser.ts) and answered in
 * order; the responses to every request complete in one chunk (pipelining) go out in ONE write.
 * Persistence (RFC 9112 §9.3): HTTP/1.1 stays open unless `Connection: close`; HTTP/1.0 closes
 * unless `Connection: keep-alive` (then answered with it). After a response that closes (asked
 * for, or an error: the framing is lost), the server ends its side first, as nginx and node:http
 * do, and holds TIME_WAIT. An idle connection is closed after `keepAliveTimeout` ms (5 s, node:http's
 * default). Request bodies (Content-Length or chunked) are read and discarded; a client that sent
 * `Expect: 100-continue` gets `100 Continue` first (RFC 9110 §10.1.1), as nginx does when it
 * discards a body.
 */
import type { NetApi } from '../api/net.js';
import type { Server } from '../api/server.js';
import type { Socket } from '../api/socket.js';
import { LiveList, type LiveNode } from '../stack/live-list.js';
import { BYTES_CHUNK, CHUNKS_PER_TURN, MAX_BYTES, bytesPathLength } from './http-content.js';
import { HttpRequestParser, NEED_MORE, PARSE_ERROR } from './http-request-parser.js';
import { CONN_CLOSE, CONN_KEEP_ALIVE, CONN_NONE, CONTINUE, HomeResponses, responseHead, textResponse, type ConnField } from './http-responses.js';
import type { RunningService } from './types.js';

export interface HttpServerOptions {
  /** close a connection idle this long (ms) between requests; node:http's keepAliveTimeout default */
  keepAliveTimeout?: number;
  /**
   * the most a request head may take to arrive (ms), however slowly its bytes trickle in (each
   * one resets the idle timer): then 408 and a close. node:http's headersTimeout default
   */
  headersTimeout?: number;
}

export const KEEP_ALIVE_TIMEOUT = 5000;
export const HEADERS_TIMEOUT = 60_000;

const ALLOW = 'Allow: GET, HEAD\r\n';

/** The bodies of the parser's refusals. */
const ERROR_TEXT: Record<number, string> = {
  400: 'bad request\n',
  431: 'request head too large\n',
  501: 'transfer coding not implemented\n',
  505: 'HTTP/1.x only\n',
};

const ABSOLUTE_FORM = /^https?:\/\/[^/?#]*/i;

/**
 * The path a request-target names, its query left out (RFC 9112 §3.2): origin-form as is, and the
 * absolute-form a server MUST accept (§3.2.2) without its scheme and authority; null for the
 * asterisk and authority forms, which only OPTIONS and CONNECT use.
 */
function targetPath(target: string): string | null {
  let path = target;
  if (target.charCodeAt(0) !== 47 /* / */) {
    const m = ABSOLUTE_FORM.exec(target);
    if (m === null) return null;
    path = target.length === m[0].length ? '/' : target.slice(m[0].length);
    if (path.charCodeAt(0) !== 47) path = '/' + path; // "http://h?q"
  }
  const q = path.indexOf('?');
  return q < 0 ? path : path.slice(0, q);
}

/** One accepted connection's state. */
class HttpConnection {
  readonly parser = new HttpRequestParser();
  /** bytes that came after a request whose response streams (parsed once it is done) */
  private held: Buffer | null = null;
  /** /bytes/N bytes left to stream, -1 when no response streams */
  private streamLeft = -1;
  /** the streaming response keeps the connection open after it */
  private streamKeepAlive = false;
  private waitingDrain = false;
  private pumpScheduled = false;
  /** reading stopped until the socket drains (responses written faster than the client reads) */
  private pausedForDrain = false;
  /** our side is ended (or ending): nothing more is read into responses */
  ended = false;
  /** the client's FIN came */
  private peerEnded = false;
  /** when the request head being gathered began to arrive (Date.now()), 0 between heads */
  private headStart = 0;
  // the responses of one chunk, joined into one write
  private out: Buffer | null = null;
  private outMore: Buffer[] | null = null;

  /** its entry in the server's list of connections */
  node: LiveNode<HttpConnection> | null = null;

  constructor(
    readonly socket: Socket,
    readonly owner: HttpServer,
  ) {}

  /** Nothing in progress: no partial request, no response streaming. */
  get idle(): boolean {
    return this.streamLeft < 0 && this.parser.idle;
  }

  onData(chunk: Buffer): void {
    if (this.ended) return; // after the last response: read and dropped (the client's FIN ends it)
    if (this.streamLeft >= 0) {
      // paused while streaming; a chunk already on its way is kept for afterwards
      this.held = this.held === null ? chunk : Buffer.concat([this.held, chunk]);
      return;
    }
    this.consume(chunk, 0);
  }

  onEnd(): void {
    this.peerEnded = true;
    // requests complete in what came were answered; a partial one never will be
    if (!this.ended && this.streamLeft < 0) this.end();
  }

  onDrain(): void {
    if (this.waitingDrain) {
      this.waitingDrain = false;
      this.pump();
    } else if (this.pausedForDrain) {
      this.pausedForDrain = false;
      if (!this.ended && this.streamLeft < 0) this.socket.resume();
    }
  }

  onTimeout(): void {
    // only an idle connection (RFC 9112 §9.5: a server may close an idle connection at any time);
    // a response still being written, or one the client reads slowly, goes on
    if (this.streamLeft >= 0 || this.socket.writableLength > 0) return;
    this.socket.destroy();
  }

  /** Parse `chunk` from `at`, answer every request complete in it, and write the answers at once. */
  private consume(chunk: Buffer, at: number): void {
    const p = this.parser;
    const now = Date.now();
    for (;;) {
      const r = p.execute(chunk, at);
      if (r === NEED_MORE) break;
      at = p.offset;
      this.headStart = 0;
      if (r === PARSE_ERROR) {
        // the framing is lost: answer (unless this request was answered already) and close (RFC 9112 §9.6)
        if (!p.errorInBody) this.queue(textResponse(p.error, ERROR_TEXT[p.error] ?? 'bad request\n', p.method === 'HEAD', CONN_CLOSE, now));
        this.end();
        return;
      }
      if (this.answer(now)) {
        // a streamed response: what follows waits for it
        if (at < chunk.length) this.held = chunk.subarray(at);
        this.socket.pause();
        this.pump();
        return;
      }
      if (this.ended) return;
    }
    if (p.inHead) {
      // a head sent a byte at a time never lets the idle timer fire (slowloris): it is given
      // headersTimeout from its first byte, checked as its bytes come (the idle timer covers a
      // client that stops sending altogether)
      if (this.headStart === 0) {
        this.headStart = now;
      } else if (now - this.headStart >= this.owner.headersTimeout) {
        this.queue(textResponse(408, 'request head took too long\n', false, CONN_CLOSE, now));
        this.end();
        return;
      }
    }
    this.flush();
  }

  /** Queue the response to the parser's request; true if it streams (the caller keeps what follows, then pumps). */
  private answer(now: number): boolean {
    const p = this.parser;
    const keepAlive = !p.close && (p.minor === 1 || p.keepAliveToken) && !this.owner.closing;
    const conn: ConnField = !keepAlive ? CONN_CLOSE : p.minor === 0 ? CONN_KEEP_ALIVE : CONN_NONE;
    if (p.expectContinue) this.queue(CONTINUE);
    const method = p.method;
    const head = method === 'HEAD';
    const path = targetPath(p.target);
    if (method !== 'GET' && !head) {
      this.queue(textResponse(405, 'method not allowed\n', false, conn, now, ALLOW));
    } else if (path === '/') {
      this.queue(this.owner.home.get(conn, head, now));
    } else if (path === null) {
      this.queue(textResponse(400, 'bad request target\n', head, conn, now));
    } else {
      const n = bytesPathLength(path);
      if (n < 0) {
        this.queue(textResponse(404, 'not found: try / or /bytes/N\n', head, conn, now));
      } else if (n > MAX_BYTES) {
        this.queue(textResponse(400, `at most ${MAX_BYTES} bytes\n`, head, conn, now));
      } else {
        this.queue(Buffer.from(responseHead(200, 'application/octet-stream', n, conn, now), 'latin1'));
        if (!head && n > 0) {
          this.flush();
          this.streamLeft = n;
          this.streamKeepAlive = keepAlive;
          return true;
        }
      }
    }
    if (!keepAlive) this.end();
    return false;
  }

  private queue(b: Buffer): void {
    if (this.out === null) this.out = b;
    else if (this.outMore === null) this.outMore = [this.out, b];
    else this.outMore.push(b);
  }

  /** What is queued, in one write. */
  private takeOut(): Buffer | null {
    const data = this.outMore !== null ? Buffer.concat(this.outMore) : this.out;
    this.out = null;
    this.outMore = null;
    return data;
  }

  private flush(): void {
    const data = this.takeOut();
    if (data === null) return;
    if (!this.socket.write(data) && !this.pausedForDrain && this.streamLeft < 0) {
      // the client does not read as fast as it asks: stop reading its requests until it does
      this.pausedForDrain = true;
      this.socket.pause();
    }
  }

  /** Write what is queued and end our side (FIN after it). */
  end(): void {
    this.ended = true;
    this.held = null;
    const data = this.takeOut();
    if (data !== null) this.socket.end(data);
    else this.socket.end();
    // what the client still sends is read and dropped until its FIN
    this.socket.resume();
  }

  /** Write /bytes/N's body: CHUNKS_PER_TURN chunks a turn, waiting for 'drain' when the socket is full. */
  pump(): void {
    this.pumpScheduled = false;
    const s = this.socket;
    for (let i = 0; i < CHUNKS_PER_TURN && this.streamLeft > 0; i++) {
      if (s.destroyed) return;
      const piece = this.streamLeft >= BYTES_CHUNK.length ? BYTES_CHUNK : BYTES_CHUNK.subarray(0, this.streamLeft);
      this.streamLeft -= piece.length;
      if (!s.write(piece)) {
        if (this.streamLeft > 0) this.waitingDrain = true;
        else this.streamDone();
        return;
      }
    }
    if (s.destroyed) return;
    if (this.streamLeft > 0) {
      if (!this.pumpScheduled) {
        this.pumpScheduled = true;
        setImmediate(pumpLater, this);
      }
    } else {
      this.streamDone();
    }
  }

  private streamDone(): void {
    this.streamLeft = -1;
    if (!this.streamKeepAlive || this.owner.closing) {
      this.end();
      return;
    }
    const h = this.held;
    this.held = null;
    if (h !== null) this.consume(h, 0);
    if (this.streamLeft >= 0 || this.ended) return;
    if (this.peerEnded) this.end();
    else this.socket.resume();
  }
}

function pumpLater(c: HttpConnection): void {
  c.pump();
}

function onData(this: Socket, chunk: Buffer): void {
  (this as SocketWithConn)[CONN]!.onData(chunk);
}
function onEnd(this: Socket): void {
  (this as SocketWithConn)[CONN]!.onEnd();
}
function onDrain(this: Socket): void {
  (this as SocketWithConn)[CONN]!.onDrain();
}
function onTimeout(this: Socket): void {
  (this as SocketWithConn)[CONN]!.onTimeout();
}
function onClose(this: Socket): void {
  const c = (this as SocketWithConn)[CONN]!;
  if (c.node) c.owner.connections.remove(c.node);
}
/** A peer's reset is the peer's business: the server never crashes over it. */
function onError(this: Socket): void {
  this.destroy();
}

const CONN = Symbol('httpConnection');
type SocketWithConn = Socket & { [CONN]?: HttpConnection };

/** The server: the listening socket, its connections, the shared `GET /` responses. */
export class HttpServer {
  readonly home = new HomeResponses();
  readonly connections = new LiveList<HttpConnection>();
  /** shutdown() was called: every response from now on closes its connection */
  closing = false;
  readonly server: Server;
  private readonly keepAliveTimeout: number;
  readonly headersTimeout: number;

  constructor(net: NetApi, options: HttpServerOptions = {}) {
    this.keepAliveTimeout = options.keepAliveTimeout ?? KEEP_ALIVE_TIMEOUT;
    this.headersTimeout = options.headersTimeout ?? HEADERS_TIMEOUT;
    // half-open allowed (a client's FIN after its requests still gets their answers, as node:http);
    // Nagle off, as node:http's noDelay default and nginx's tcp_nodelay
    this.server = net.createServer({ allowHalfOpen: true, noDelay: true }, (s) => this.accept(s));
  }

  private accept(s: Socket): void {
    const c = new HttpConnection(s, this);
    (s as SocketWithConn)[CONN] = c;
    c.node = this.connections.add(c);
    s.on('data', onData);
    s.on('end', onEnd);
    s.on('drain', onDrain);
    s.on('error', onError);
    s.on('close', onClose);
    if (this.keepAliveTimeout > 0) {
      s.setTimeout(this.keepAliveTimeout);
      s.on('timeout', onTimeout);
    }
  }

  /** Stop accepting; end idle connections now (FIN), busy ones after their response. */
  shutdown(): void {
    this.closing = true;
    if (this.server.listening) this.server.close();
    for (const c of this.connections.items()) if (c.idle && !c.ended) c.end();
  }
}

/** The http service on `net`: listening on `port` (and `host`), as `httpService.start` runs it. */
export function startHttpServer(net: NetApi, port: number, host?: string, options: HttpServerOptions = {}): RunningService & { http: HttpServer } {
  const http = new HttpServer(net, options);
  http.server.listen(host === undefined ? { port } : { port, host });
  return {
    name: 'http',
    port,
    server: http.server,
    http,
    shutdown: () => http.shutdown(),
  };
}
