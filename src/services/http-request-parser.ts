/**
 * An incremental HTTP/1.1 request parser (RFC 9112) for a server that answers from the request
 * head alone: fed the bytes of a connection as they arrive (a request may be split at any byte,
 * several may come in one chunk: pipelining), it reports each request head in order, with only
 * what such a server needs (method, target, version, the Connection tokens, Host's presence,
 * Expect: 100-continue), and then reads past the request's body (Content-Length N bytes, or the
 * chunked framing, RFC 9112 §7.1) without keeping it, so the next request starts where it must.
 *
 *   const p = new HttpRequestParser();
 *   for (let at = 0, r; (r = p.execute(chunk, at)) !== NEED_MORE; at = p.offset) {
 *     if (r === PARSE_ERROR) { answer p.error (unless p.errorInBody), then close; break }
 *     answer the request in p.method, p.target, ...
 *   }
 *
 * An error leaves the parser dead: the connection's framing is no longer known, so the server
 * answers (400, 431, 501, 505) and closes (RFC 9112 §6.3, §9.6).
 */

/** execute(): every byte given was consumed; more are needed. */
export const NEED_MORE = 0;
/** execute(): a request head was parsed (its fields are on the parser); go on from `offset`. */
export const REQUEST = 1;
/** execute(): the request cannot be parsed; `error` holds the status to answer with; the parser is dead. */
export const PARSE_ERROR = 2;

export type ParseResult = typeof NEED_MORE | typeof REQUEST | typeof PARSE_ERROR;

/**
 * Largest request head (request line, header fields and the empty line), as node:http's default
 * maxHeaderSize (16 KiB); larger: 431 (RFC 6585 §5). Trailer sections are held to the same.
 */
export const MAX_HEAD = 16 * 1024;

/** Longest chunk-size line (the size, its extensions and CRLF); longer: 400. */
export const MAX_CHUNK_LINE = 4096;

const CR = 13;
const LF = 10;

// states
const S_HEAD = 0;
const S_BODY = 1; // Content-Length bytes left in `left`
const S_CHUNK_SIZE = 2; // the hex digits of a chunk-size
const S_CHUNK_EXT = 3; // after the size: BWS, chunk extensions, up to the line's end
const S_CHUNK_DATA = 4; // `left` bytes of chunk data
const S_CHUNK_DATA_END = 5; // the CRLF after chunk data
const S_TRAILER = 6; // the trailer section's lines, up to an empty line
const S_DEAD = 7;

/**
 * tchar (RFC 9110 §5.6.2): the bytes of a token (a method, a field name), as a table by byte.
 * request-line = method SP request-target SP HTTP-version CRLF (RFC 9112 §3), the line end CRLF
 * or a bare LF (§2.2): the method is a token (RFC 9110 §9.1); the target is taken as any run of
 * visible bytes (TARGET: its form is checked by whoever routes it); HTTP-version = "HTTP/" DIGIT
 * "." DIGIT.
 * field-line = field-name ":" OWS field-value OWS (RFC 9112 §5): no whitespace before the colon
 * (§5.1: 400), no obs-fold (a line starting with SP/HTAB, §5.2: 400), and a field value of VCHAR,
 * obs-text, SP and HTAB only (FIELD_VALUE; RFC 9110 §5.5: NUL, a bare CR and other controls are
 * refused). The head is read as bytes: strings are made only of what the server uses.
 */
const TCHAR = byteClass((c) => (c >= 48 && c <= 57) || ((c | 0x20) >= 97 && (c | 0x20) <= 122) || "!#$%&'*+-.^_`|~".includes(String.fromCharCode(c)));
const TARGET = byteClass((c) => c > 0x20 && c !== 0x7f);
const FIELD_VALUE = byteClass((c) => c === 9 || (c >= 0x20 && c !== 0x7f));

function byteClass(has: (c: number) => boolean): Uint8Array {
  const t = new Uint8Array(256);
  for (let c = 0; c < 256; c++) t[c] = has(c) ? 1 : 0;
  return t;
}

/** Whether buf[at, at + lower.length) is `lower` (ASCII letters, digits and '-') in any case. */
function sameName(buf: Buffer, at: number, lower: string): boolean {
  for (let k = 0; k < lower.length; k++) {
    if ((buf[at + k]! | 0x20) !== lower.charCodeAt(k)) return false;
  }
  return true;
}

/** uri-host [ ":" port ] (RFC 9110 §7.2, RFC 3986 §3.2.2): reg-name, IPv4 or an IP literal in []. */
const HOST_VALUE = /^(?:\[[0-9A-Za-z:.]+\]|[-0-9A-Za-z._~!$&'()*+,;=%]*)(?::\d*)?$/;

/** OWS (SP / HTAB) trimmed from both ends; String#trim would also take obs-text's NBSP (0xA0). */
function trimOws(s: string): string {
  let a = 0;
  let b = s.length;
  while (a < b && (s.charCodeAt(a) === 32 || s.charCodeAt(a) === 9)) a++;
  while (b > a && (s.charCodeAt(b - 1) === 32 || s.charCodeAt(b - 1) === 9)) b--;
  return a === 0 && b === s.length ? s : s.slice(a, b);
}

/** The method's name: GET and HEAD without a new string. */
function methodName(buf: Buffer, from: number, to: number): string {
  if (to - from === 3 && buf[from] === 71 && buf[from + 1] === 69 && buf[from + 2] === 84) return 'GET';
  if (to - from === 4 && buf[from] === 72 && buf[from + 1] === 69 && buf[from + 2] === 65 && buf[from + 3] === 68) return 'HEAD';
  return buf.toString('latin1', from, to);
}

/** The elements of a comma-separated list (RFC 9110 §5.6.1), OWS trimmed, lower-cased, empty ones left out. */
function listElements(value: string, into: string[]): void {
  for (const part of value.split(',')) {
    const t = trimOws(part);
    if (t !== '') into.push(t.toLowerCase());
  }
}

function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  const l = c | 0x20;
  if (l >= 97 && l <= 102) return l - 87;
  return -1;
}

/**
 * Where the head that starts at `from` ends in buf[from, end): the index just past its empty line
 * (a line end is LF or CRLF, so the head ends at LF LF or LF CR LF), or -1 if not in these bytes.
 * `scanFrom` (≥ from) skips the line ends already looked at.
 */
function headEnd(buf: Buffer, scanFrom: number, end: number): number {
  for (let i = scanFrom; i < end; i++) {
    if (buf[i] !== LF) continue;
    const a = i + 1 < end ? buf[i + 1] : -1;
    if (a === LF) return i + 2;
    if (a === CR) {
      if (i + 2 >= end) return -1;
      if (buf[i + 2] === LF) return i + 3;
    }
  }
  return -1;
}

export class HttpRequestParser {
  // ---- the last request head (valid after REQUEST, and after PARSE_ERROR as far as it got) ----
  /** the method as sent (case-sensitive, RFC 9110 §9.1); '' if the request line was not understood */
  method = '';
  /** the request-target as sent */
  target = '';
  /** HTTP/1.minor: 0 or 1 (a higher 1.x is taken as 1.1, RFC 9110 §2.5) */
  minor = 1;
  /** a Connection: close token (RFC 9112 §9.6) */
  close = false;
  /** a Connection: keep-alive token (HTTP/1.0's persistent connections, RFC 9112 §C.2.2) */
  keepAliveToken = false;
  /** whether the request has a Host field (exactly one: more are an error) */
  hasHost = false;
  /** Expect: 100-continue with a body to come (RFC 9110 §10.1.1) */
  expectContinue = false;
  /** the body's framing: its length, -1 for chunked, 0 for none */
  bodyLength = 0;

  // ---- after execute() ----
  /** where in the chunk given to execute() parsing stopped (after REQUEST: the byte after the head) */
  offset = 0;
  /** after PARSE_ERROR: the status to answer with (400, 431, 501, 505) */
  error = 0;
  /** after PARSE_ERROR: the fault is in a body whose request head was already reported (no answer is due, only the close) */
  errorInBody = false;

  private state = S_HEAD;
  /** a request head split across chunks, gathered here (allocated when first needed, MAX_HEAD long) */
  private pending: Buffer | null = null;
  private pendingLen = 0;
  /** body or chunk bytes left to skip */
  private left = 0;
  /** bytes of the current chunk-size line, or of the trailer section, so far */
  private lineLen = 0;
  /** the previous byte was a CR in a chunk line or trailer line (an LF must follow) */
  private sawCR = false;
  /** no byte of the current trailer line yet; in a chunk-size line: no ";" yet */
  private lineStart = true;

  /** True while nothing of a next request has arrived (between requests: an idle connection). */
  get idle(): boolean {
    return this.state === S_HEAD && this.pendingLen === 0;
  }

  /** True while part of a request head has arrived and the rest has not. */
  get inHead(): boolean {
    return this.state === S_HEAD && this.pendingLen > 0;
  }

  /** Whether the parser gave up (a PARSE_ERROR was returned). */
  get dead(): boolean {
    return this.state === S_DEAD;
  }

  /**
   * Parse `buf` from `start` on. Returns REQUEST when a request head is complete (its fields are on
   * the parser, `offset` is where to go on), NEED_MORE when every byte was used, PARSE_ERROR when
   * the bytes are not HTTP/1.x (the parser is dead from then on).
   */
  execute(buf: Buffer, start: number): ParseResult {
    const end = buf.length;
    let i = start;
    for (;;) {
      switch (this.state) {
        case S_HEAD: {
          if (this.pendingLen === 0) {
            // RFC 9112 §2.2: a server SHOULD ignore at least one empty line before the request-line;
            // CR and LF bytes are skipped there, as nginx does
            while (i < end && (buf[i] === CR || buf[i] === LF)) i++;
            if (i === end) return this.need(end);
            const e = headEnd(buf, i, end);
            if (e < 0) {
              if (end - i >= MAX_HEAD) return this.fail(431, false);
              this.hold(buf, i, end);
              return this.need(end);
            }
            if (e - i > MAX_HEAD) return this.fail(431, false);
            const r = this.parseHead(buf, i, e);
            if (r !== REQUEST) return r;
            i = e;
            this.offset = i;
            return REQUEST;
          }
          // a head split across chunks: gather into `pending` (at most MAX_HEAD bytes in all)
          const p = this.pending!;
          const had = this.pendingLen;
          const n = Math.min(MAX_HEAD - had, end - i);
          buf.copy(p, had, i, i + n);
          this.pendingLen = had + n;
          const e = headEnd(p, had >= 2 ? had - 2 : 0, had + n);
          if (e < 0) {
            if (this.pendingLen >= MAX_HEAD) return this.fail(431, false);
            return this.need(end);
          }
          this.pendingLen = 0;
          const r = this.parseHead(p, 0, e);
          if (r !== REQUEST) return r;
          i += e - had;
          this.offset = i;
          return REQUEST;
        }
        case S_BODY: {
          const n = Math.min(this.left, end - i);
          i += n;
          this.left -= n;
          if (this.left > 0) return this.need(end);
          this.state = S_HEAD;
          break;
        }
        case S_CHUNK_SIZE: {
          // chunk-size = 1*HEXDIG (RFC 9112 §7.1)
          for (; i < end; i++) {
            const v = hexValue(buf[i]!);
            if (v < 0) break;
            if (++this.lineLen > 15) return this.fail(400, true); // beyond 2^60: not a length we can count
            this.left = this.left * 16 + v;
          }
          if (i === end) return this.need(end);
          if (this.lineLen === 0) return this.fail(400, true);
          this.state = S_CHUNK_EXT;
          this.sawCR = false;
          this.lineStart = true; // no ";" yet
          break;
        }
        case S_CHUNK_EXT: {
          // *( BWS ";" BWS ext-name [ BWS "=" BWS ext-val ] ) CRLF (§7.1.1): its content is
          // ignored (a recipient MUST ignore extensions it does not understand), but not its
          // bytes: no controls but HTAB, CR only before LF, the line bounded
          for (; i < end; i++) {
            const c = buf[i]!;
            if (++this.lineLen > MAX_CHUNK_LINE) return this.fail(400, true);
            if (c === LF) break;
            if (this.sawCR || (c < 32 && c !== 9 && c !== CR) || c === 127) return this.fail(400, true);
            if (c === CR) this.sawCR = true;
            else if (this.lineStart) {
              // before the first ";": only BWS may follow the size
              if (c === 59) this.lineStart = false;
              else if (c !== 32 && c !== 9) return this.fail(400, true);
            }
          }
          if (i === end) return this.need(end);
          i++; // the LF
          if (this.left === 0) {
            // last-chunk: the trailer section follows
            this.state = S_TRAILER;
            this.lineLen = 0;
            this.lineStart = true;
            this.sawCR = false;
          } else {
            this.state = S_CHUNK_DATA;
          }
          break;
        }
        case S_CHUNK_DATA: {
          const n = Math.min(this.left, end - i);
          i += n;
          this.left -= n;
          if (this.left > 0) return this.need(end);
          this.state = S_CHUNK_DATA_END;
          this.sawCR = false;
          break;
        }
        case S_CHUNK_DATA_END: {
          // chunk-data CRLF (or LF)
          if (i === end) return this.need(end);
          const c = buf[i++];
          if (c === CR && !this.sawCR) {
            this.sawCR = true;
            break;
          }
          if (c !== LF) return this.fail(400, true);
          this.state = S_CHUNK_SIZE;
          this.left = 0;
          this.lineLen = 0;
          break;
        }
        case S_TRAILER: {
          // trailer-section = *( field-line CRLF ) CRLF: skipped line by line (fields a server
          // that discards the body does not use), to the empty line that ends the message
          for (; i < end; i++) {
            const c = buf[i]!;
            if (++this.lineLen > MAX_HEAD) return this.fail(431, true);
            if (c === LF) {
              if (this.lineStart) break;
              this.lineStart = true;
              this.sawCR = false;
              continue;
            }
            if (this.sawCR || c === 0 || c === 127) return this.fail(400, true);
            if (c === CR) this.sawCR = true;
            else this.lineStart = false;
          }
          if (i === end) return this.need(end);
          i++; // the empty line's LF: the message is complete
          this.state = S_HEAD;
          break;
        }
        default:
          return PARSE_ERROR;
      }
    }
  }

  private need(end: number): ParseResult {
    this.offset = end;
    return NEED_MORE;
  }

  private fail(status: number, inBody: boolean): ParseResult {
    this.state = S_DEAD;
    this.error = status;
    this.errorInBody = inBody;
    this.pending = null;
    this.pendingLen = 0;
    return PARSE_ERROR;
  }

  private hold(buf: Buffer, from: number, to: number): void {
    this.pending ??= Buffer.allocUnsafe(MAX_HEAD);
    buf.copy(this.pending, 0, from, to);
    this.pendingLen = to - from;
  }

  /** One complete head, buf[from, end) ending with its empty line: its fields, and the body's framing. */
  private parseHead(buf: Buffer, from: number, end: number): ParseResult {
    this.method = '';
    this.target = '';
    this.minor = 1;
    this.close = false;
    this.keepAliveToken = false;
    this.hasHost = false;
    this.expectContinue = false;
    this.bodyLength = 0;
    // the request-line: method SP target SP HTTP/D.D (CR) LF
    let i = from;
    while (TCHAR[buf[i]!] === 1) i++;
    const methodEnd = i;
    if (methodEnd === from || buf[i++] !== 32) return this.fail(400, false);
    while (TARGET[buf[i]!] === 1) i++;
    const targetEnd = i;
    if (targetEnd === methodEnd + 1 || buf[i] !== 32) return this.fail(400, false);
    const major = buf[i + 6]! - 48;
    const minor = buf[i + 8]! - 48;
    if (
      buf[i + 1] !== 72 || buf[i + 2] !== 84 || buf[i + 3] !== 84 || buf[i + 4] !== 80 || buf[i + 5] !== 47 ||
      !(major >= 0 && major <= 9) || buf[i + 7] !== 46 || !(minor >= 0 && minor <= 9)
    ) {
      return this.fail(400, false);
    }
    i += 9;
    if (buf[i] === CR) i++;
    if (buf[i++] !== LF) return this.fail(400, false);
    this.method = methodName(buf, from, methodEnd);
    this.target = targetEnd - methodEnd === 2 && buf[methodEnd + 1] === 47 ? '/' : buf.toString('latin1', methodEnd + 1, targetEnd);
    // HTTP-version (RFC 9112 §2.3): another major version is not ours to serve (505, RFC 9110
    // §15.6.6); a higher minor of 1 is answered as 1.1 (RFC 9110 §2.5)
    if (major !== 1) return this.fail(505, false);
    this.minor = minor === 0 ? 0 : 1;

    const last = end - (buf[end - 2] === CR ? 2 : 1); // the empty line
    let hosts = 0;
    let host = '';
    let contentLength = -1;
    let codings: string[] | null = null;
    let expect = false;
    while (i < last) {
      // field-name ":" field-value (CR) LF; the value's OWS is trimmed here
      const nameAt = i;
      while (TCHAR[buf[i]!] === 1) i++;
      const nameLen = i - nameAt;
      if (nameLen === 0 || buf[i++] !== 58) return this.fail(400, false);
      while (buf[i] === 32 || buf[i] === 9) i++;
      const valueAt = i;
      while (FIELD_VALUE[buf[i]!] === 1) i++;
      let valueEnd = i;
      if (buf[i] === CR) i++;
      if (buf[i++] !== LF) return this.fail(400, false);
      while (valueEnd > valueAt && (buf[valueEnd - 1] === 32 || buf[valueEnd - 1] === 9)) valueEnd--;
      // only the fields the server acts on are looked at; names are case-insensitive (RFC 9110 §5.1)
      switch (nameLen) {
        case 4:
          if (sameName(buf, nameAt, 'host')) {
            hosts++;
            host = buf.toString('latin1', valueAt, valueEnd);
          }
          break;
        case 6:
          if (sameName(buf, nameAt, 'expect') && valueEnd - valueAt === 12 && sameName(buf, valueAt, '100-continue')) expect = true;
          break;
        case 10:
          if (sameName(buf, nameAt, 'connection')) this.connectionTokens(buf, valueAt, valueEnd);
          break;
        case 14:
          if (sameName(buf, nameAt, 'content-length')) {
            // Content-Length = 1*DIGIT (RFC 9110 §8.6); a list or repeated field of one value
            // may stand for it, differing values are an unrecoverable framing error (RFC 9112 §6.3)
            for (const part of buf.toString('latin1', valueAt, valueEnd).split(',')) {
              const v = trimOws(part);
              if (!/^\d{1,15}$/.test(v)) return this.fail(400, false);
              const n = Number(v);
              if (contentLength >= 0 && n !== contentLength) return this.fail(400, false);
              contentLength = n;
            }
          }
          break;
        case 17:
          if (sameName(buf, nameAt, 'transfer-encoding')) listElements(buf.toString('latin1', valueAt, valueEnd), (codings ??= []));
          break;
      }
    }

    // Host (RFC 9112 §3.2): a server MUST answer 400 to an HTTP/1.1 request without one, and to
    // any request with more than one or with an invalid value
    if (hosts > 1 || (hosts === 0 && this.minor === 1) || (hosts === 1 && !HOST_VALUE.test(host))) return this.fail(400, false);
    this.hasHost = hosts === 1;

    // the body's framing (RFC 9112 §6)
    if (codings !== null) {
      // HTTP/1.0 has no Transfer-Encoding: its framing is faulty (§6.1); with a Content-Length
      // too, the request may be smuggled (§6.1, §11.2): both refused, as nginx does
      if (this.minor === 0 || contentLength >= 0) return this.fail(400, false);
      // chunked must be the final coding (§6.3: else 400), and applied once (§7)
      if (codings.length === 0 || codings[codings.length - 1] !== 'chunked') return this.fail(400, false);
      for (let k = 0; k < codings.length - 1; k++) {
        if (codings[k] === 'chunked') return this.fail(400, false);
      }
      // a transfer coding other than chunked is one we do not implement (§6.1: 501)
      if (codings.length > 1) return this.fail(501, false);
      this.bodyLength = -1;
      this.state = S_CHUNK_SIZE;
      this.left = 0;
      this.lineLen = 0;
    } else if (contentLength > 0) {
      this.bodyLength = contentLength;
      this.state = S_BODY;
      this.left = contentLength;
    } else {
      this.state = S_HEAD;
    }
    this.expectContinue = expect && this.minor === 1 && this.bodyLength !== 0;
    return REQUEST;
  }

  /** Connection = #connection-option (RFC 9110 §7.6.1), buf[from, to) trimmed: only close and keep-alive matter here. */
  private connectionTokens(buf: Buffer, from: number, to: number): void {
    if (to - from === 5 && sameName(buf, from, 'close')) {
      this.close = true;
      return;
    }
    if (to - from === 10 && sameName(buf, from, 'keep-alive')) {
      this.keepAliveToken = true;
      return;
    }
    const v = buf.toString('latin1', from, to);
    const tokens: string[] = [];
    listElements(v, tokens);
    for (const t of tokens) {
      if (t === 'close') this.close = true;
      else if (t === 'keep-alive') this.keepAliveToken = true;
    }
  }
}
