/**
 * The http service's request parser (RFC 9112) on its own: request lines, header fields, the limits,
 * the body framing (Content-Length, chunked) and request smuggling's ambiguities, and, as a
 * property, that how the bytes are split never changes what is parsed.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HttpRequestParser, MAX_HEAD, NEED_MORE, PARSE_ERROR, REQUEST } from '../../src/services/http-request-parser.js';

interface Parsed {
  method: string;
  target: string;
  minor: number;
  close: boolean;
  keepAliveToken: boolean;
  hasHost: boolean;
  expectContinue: boolean;
  bodyLength: number;
}

type Outcome = { requests: Parsed[]; error: number; errorInBody: boolean; idle: boolean };

/** Feed `chunks` in order; every request reported, and the error that stopped it if one did. */
function parse(chunks: (string | Buffer)[], parser = new HttpRequestParser()): Outcome {
  const requests: Parsed[] = [];
  for (const c of chunks) {
    const buf = typeof c === 'string' ? Buffer.from(c, 'latin1') : c;
    let at = 0;
    for (;;) {
      const r = parser.execute(buf, at);
      if (r === NEED_MORE) {
        expect(parser.offset).toBe(buf.length);
        break;
      }
      if (r === PARSE_ERROR) return { requests, error: parser.error, errorInBody: parser.errorInBody, idle: parser.idle };
      expect(r).toBe(REQUEST);
      const { method, target, minor, close, keepAliveToken, hasHost, expectContinue, bodyLength } = parser;
      requests.push({ method, target, minor, close, keepAliveToken, hasHost, expectContinue, bodyLength });
      at = parser.offset;
    }
  }
  return { requests, error: 0, errorInBody: false, idle: parser.idle };
}

const one = (text: string): Outcome => parse([text]);
const GET = 'GET / HTTP/1.1\r\nHost: a\r\n\r\n';

describe('request line (RFC 9112 §3)', () => {
  it('parses method, target and version, and reports the fields a server acts on', () => {
    const r = one('GET /x?y HTTP/1.1\r\nHost: example.com\r\nAccept: */*\r\n\r\n');
    expect(r.error).toBe(0);
    expect(r.requests).toEqual([{ method: 'GET', target: '/x?y', minor: 1, close: false, keepAliveToken: false, hasHost: true, expectContinue: false, bodyLength: 0 }]);
    expect(r.idle).toBe(true);
  });

  it('accepts bare LF as a line terminator (§2.2)', () => {
    const r = one('GET / HTTP/1.1\nHost: a\n\nHEAD /b HTTP/1.1\r\nHost: a\n\r\n');
    expect(r.requests.map((q) => [q.method, q.target])).toEqual([
      ['GET', '/'],
      ['HEAD', '/b'],
    ]);
  });

  it('ignores empty lines before a request-line (§2.2)', () => {
    expect(one(`\r\n\r\n\n${GET}`).requests).toHaveLength(1);
  });

  it('keeps the method case-sensitive and accepts any token as a method (RFC 9110 §9.1)', () => {
    expect(one('get / HTTP/1.1\r\nHost: a\r\n\r\n').requests[0]!.method).toBe('get');
    expect(one('M-SEARCH * HTTP/1.1\r\nHost: a\r\n\r\n').requests[0]!.method).toBe('M-SEARCH');
  });

  it('answers 400 to a malformed request line', () => {
    for (const bad of [
      'GET  / HTTP/1.1\r\nHost: a\r\n\r\n', // two spaces
      'GET /\r\nHost: a\r\n\r\n', // HTTP/0.9's form
      'GET / HTTP/1.10\r\nHost: a\r\n\r\n',
      'GET / http/1.1\r\nHost: a\r\n\r\n',
      'G(T / HTTP/1.1\r\nHost: a\r\n\r\n', // not a token
      'GET /a\x01b HTTP/1.1\r\nHost: a\r\n\r\n', // a control in the target
      'GET / HTTP/1.1\rHost: a\r\n\r\n', // a bare CR (§2.2)
      'GET / HTTP/1.1 \r\nHost: a\r\n\r\n',
    ]) {
      expect(one(bad).error, JSON.stringify(bad)).toBe(400);
    }
  });

  it('answers 505 to a major version other than 1 (RFC 9110 §15.6.6)', () => {
    expect(one('GET / HTTP/2.0\r\nHost: a\r\n\r\n').error).toBe(505);
    expect(one('GET / HTTP/0.9\r\nHost: a\r\n\r\n').error).toBe(505);
  });

  it('takes HTTP/1.0 as minor 0, and a higher 1.x as 1.1 (RFC 9110 §2.5)', () => {
    expect(one('GET / HTTP/1.0\r\n\r\n').requests[0]!.minor).toBe(0);
    expect(one('GET / HTTP/1.2\r\nHost: a\r\n\r\n').requests[0]!.minor).toBe(1);
  });

  it('keeps the method of a request it refuses, so a HEAD is answered without a body', () => {
    const p = new HttpRequestParser();
    expect(p.execute(Buffer.from('HEAD / HTTP/3.0\r\n\r\n'), 0)).toBe(PARSE_ERROR);
    expect(p.method).toBe('HEAD');
  });
});

describe('header fields (RFC 9112 §5)', () => {
  it('answers 400 to whitespace between field name and colon (§5.1)', () => {
    expect(one('GET / HTTP/1.1\r\nHost : a\r\n\r\n').error).toBe(400);
  });

  it('answers 400 to obs-fold (§5.2)', () => {
    expect(one('GET / HTTP/1.1\r\nHost: a\r\nX-A: b\r\n  c\r\n\r\n').error).toBe(400);
  });

  it('answers 400 to a field line without a colon, or a control in a value (RFC 9110 §5.5)', () => {
    expect(one('GET / HTTP/1.1\r\nHost: a\r\nnonsense\r\n\r\n').error).toBe(400);
    expect(one('GET / HTTP/1.1\r\nHost: a\r\nX: a\x00b\r\n\r\n').error).toBe(400);
    expect(one('GET / HTTP/1.1\r\nHost: a\r\nX: a\rb\r\n\r\n').error).toBe(400);
  });

  it('accepts HTAB and obs-text in values and empty values', () => {
    expect(one('GET / HTTP/1.1\r\nHost: a\r\nX: \tz\xe9\xff\t\r\nY:\r\n\r\n').requests).toHaveLength(1);
  });

  it('matches field names case-insensitively (RFC 9110 §5.1)', () => {
    const q = one('GET / HTTP/1.1\r\nhOsT: a\r\nCONNECTION: Close\r\n\r\n').requests[0]!;
    expect(q.hasHost).toBe(true);
    expect(q.close).toBe(true);
  });

  it('reads Connection as a list, over several lines (RFC 9110 §7.6.1)', () => {
    expect(one('GET / HTTP/1.1\r\nHost: a\r\nConnection: Upgrade, close\r\n\r\n').requests[0]!.close).toBe(true);
    const q = one('GET / HTTP/1.0\r\nConnection: foo\r\nConnection: , Keep-Alive ,\r\n\r\n').requests[0]!;
    expect(q.keepAliveToken).toBe(true);
    expect(q.close).toBe(false);
    expect(one('GET / HTTP/1.1\r\nHost: a\r\nConnection: closed\r\n\r\n').requests[0]!.close).toBe(false);
  });
});

describe('Host (RFC 9112 §3.2)', () => {
  it('answers 400 to an HTTP/1.1 request without Host', () => {
    expect(one('GET / HTTP/1.1\r\n\r\n').error).toBe(400);
  });

  it('accepts HTTP/1.0 without Host', () => {
    expect(one('GET / HTTP/1.0\r\n\r\n').requests[0]!.hasHost).toBe(false);
  });

  it('answers 400 to two Host lines, or an invalid Host value', () => {
    expect(one('GET / HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n').error).toBe(400);
    expect(one('GET / HTTP/1.1\r\nHost: a b\r\n\r\n').error).toBe(400);
    expect(one('GET / HTTP/1.1\r\nHost: a/b\r\n\r\n').error).toBe(400);
  });

  it('accepts host:port, an IP literal and an empty Host', () => {
    for (const h of ['example.com:8080', '10.0.0.2', '[::1]:80', '']) expect(one(`GET / HTTP/1.1\r\nHost: ${h}\r\n\r\n`).error, h).toBe(0);
  });
});

describe('limits', () => {
  it('answers 431 to a head larger than 16 KiB, in one chunk or many', () => {
    const big = `GET / HTTP/1.1\r\nHost: a\r\nX: ${'a'.repeat(MAX_HEAD)}\r\n\r\n`;
    expect(one(big).error).toBe(431);
    expect(parse(big.match(/[\s\S]{1,1000}/g)!).error).toBe(431);
    // a head that never ends is refused once it passes the limit, not held forever
    const p = new HttpRequestParser();
    const endless = Buffer.from(`GET / HTTP/1.1\r\nX: ${'a'.repeat(1000)}`);
    let r: number = NEED_MORE;
    for (let i = 0; i < 20 && r === NEED_MORE; i++) r = p.execute(i === 0 ? endless : Buffer.alloc(1000, 'a'), 0);
    expect(r).toBe(PARSE_ERROR);
    expect(p.error).toBe(431);
  });

  it('accepts a head of exactly 16 KiB, split anywhere', () => {
    const prefix = 'GET / HTTP/1.1\r\nHost: a\r\nX: ';
    const head = prefix + 'a'.repeat(MAX_HEAD - prefix.length - 4) + '\r\n\r\n';
    expect(head.length).toBe(MAX_HEAD);
    expect(one(head).requests).toHaveLength(1);
    expect(parse([head.slice(0, 5000), head.slice(5000)]).requests).toHaveLength(1);
    expect(one(head.replace('X: a', 'X: aa')).error).toBe(431);
  });
});

describe('bodies and request smuggling (RFC 9112 §6)', () => {
  it('skips a Content-Length body, then parses the next request', () => {
    const r = one(`POST /a HTTP/1.1\r\nHost: a\r\nContent-Length: 14\r\n\r\nGET / HTTP/1.1${GET}`);
    expect(r.requests.map((q) => [q.method, q.target, q.bodyLength])).toEqual([
      ['POST', '/a', 14],
      ['GET', '/', 0],
    ]);
  });

  it('skips a body that arrives in pieces, reporting the request at its head', () => {
    const r = parse(['POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\n12345', '678', `90${GET}`]);
    expect(r.requests.map((q) => q.method)).toEqual(['POST', 'GET']);
  });

  it('accepts a repeated Content-Length of one value, refuses differing ones or a bad one (400)', () => {
    expect(one(`POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\nabc${GET}`).requests).toHaveLength(2);
    expect(one(`POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3, 3\r\n\r\nabc${GET}`).requests).toHaveLength(2);
    expect(one('POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd').error).toBe(400);
    expect(one('POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3, 4\r\n\r\nabcd').error).toBe(400);
    for (const v of ['-1', '+3', '0x3', '3 3', '', '1234567890123456']) {
      expect(one(`POST / HTTP/1.1\r\nHost: a\r\nContent-Length: ${v}\r\n\r\n`).error, v).toBe(400);
    }
  });

  it('decodes a chunked body (extensions, trailers, bare LF) and discards it', () => {
    const body = '5\r\nhello\r\n3;ext=1;b="q"\r\nabc\r\nA\r\n0123456789\r\n0\r\nX-Trailer: 1\r\n\r\n';
    const r = one(`POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n${body}${GET}`);
    expect(r.error).toBe(0);
    expect(r.requests.map((q) => [q.method, q.bodyLength])).toEqual([
      ['POST', -1],
      ['GET', 0],
    ]);
    expect(one(`POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: Chunked\r\n\r\n1\nx\n0\n\n${GET}`).requests).toHaveLength(2);
    // byte by byte
    const whole = `POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n${body}${GET}`;
    expect(parse([...whole]).requests).toHaveLength(2);
  });

  it('refuses bad chunk framing (400, the request already reported: errorInBody)', () => {
    for (const body of ['x\r\n', '5\r\nhelloX\r\n', '5 x\r\nhello\r\n', '1234567890abcdef0\r\n', '5\rX', '0\r\nX: a\rb\r\n\r\n']) {
      const r = one(`POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n${body}`);
      expect([r.error, r.errorInBody, r.requests.length], JSON.stringify(body)).toEqual([400, true, 1]);
    }
  });

  it('refuses Content-Length together with Transfer-Encoding (400: smuggling, §6.1, §11.2)', () => {
    expect(one('POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n').error).toBe(400);
    expect(one('POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n').error).toBe(400);
  });

  it('refuses Transfer-Encoding in HTTP/1.0 (400, §6.1)', () => {
    expect(one('POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n').error).toBe(400);
  });

  it('refuses chunked that is not the final coding (400, §6.3) or applied twice (§7), and other codings (501, §6.1)', () => {
    expect(one('POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\n').error).toBe(400);
    expect(one('POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, gzip\r\n\r\n').error).toBe(400);
    expect(one('POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n').error).toBe(400);
    expect(one('POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: \r\n\r\n').error).toBe(400);
    expect(one('POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n').error).toBe(501);
  });

  it('reports Expect: 100-continue only for an HTTP/1.1 request with a body (RFC 9110 §10.1.1)', () => {
    expect(one('POST / HTTP/1.1\r\nHost: a\r\nExpect: 100-Continue\r\nContent-Length: 1\r\n\r\nx').requests[0]!.expectContinue).toBe(true);
    expect(one('GET / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\n\r\n').requests[0]!.expectContinue).toBe(false);
    expect(one('POST / HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 1\r\n\r\nx').requests[0]!.expectContinue).toBe(false);
  });

  it('stays dead after an error', () => {
    const p = new HttpRequestParser();
    expect(p.execute(Buffer.from('BAD\r\n\r\n'), 0)).toBe(PARSE_ERROR);
    expect(p.dead).toBe(true);
    expect(p.execute(Buffer.from(GET), 0)).toBe(PARSE_ERROR);
  });
});

describe('pipelining, as a property', () => {
  // requests of every shape the parser accepts: line ends, bodies, Connection tokens
  const token = fc.stringMatching(/^[A-Za-z][A-Za-z0-9-]{0,8}$/);
  const value = fc.stringMatching(/^[!-~]([ -~]{0,20}[!-~])?$/);
  const request = fc
    .record({
      method: fc.constantFrom('GET', 'HEAD', 'POST', 'PUT', 'x-Y'),
      target: fc.stringMatching(/^\/[!-~]{0,30}$/),
      minor: fc.constantFrom(0, 1),
      eol: fc.constantFrom('\r\n', '\n'),
      fields: fc.array(fc.tuple(token, value), { maxLength: 5 }),
      connection: fc.constantFrom(null, 'close', 'keep-alive', 'Keep-Alive, foo'),
      body: fc.oneof(fc.constant(null), fc.tuple(fc.constant('cl' as const), fc.string({ maxLength: 40 })), fc.tuple(fc.constant('chunked' as const), fc.array(fc.string({ minLength: 1, maxLength: 20 }), { maxLength: 4 }))),
    })
    .filter((r) => r.fields.every(([n]) => !/^(host|connection|content-length|transfer-encoding|expect)$/i.test(n)))
    .filter((r) => !(r.minor === 0 && r.body?.[0] === 'chunked'));

  type Req = typeof request extends fc.Arbitrary<infer T> ? T : never;

  function encode(r: Req): { text: string; expected: Parsed } {
    const lines = [`${r.method} ${r.target} HTTP/1.${r.minor}`, 'Host: example'];
    for (const [n, v] of r.fields) lines.push(`${n}: ${v}`);
    if (r.connection) lines.push(`Connection: ${r.connection}`);
    let body = '';
    let bodyLength = 0;
    if (r.body?.[0] === 'cl') {
      body = r.body[1];
      bodyLength = Buffer.byteLength(body, 'latin1');
      lines.push(`Content-Length: ${bodyLength}`);
    } else if (r.body?.[0] === 'chunked') {
      lines.push('Transfer-Encoding: chunked');
      for (const c of r.body[1]) body += `${Buffer.byteLength(c, 'latin1').toString(16)}${r.eol}${c}${r.eol}`;
      body += `0${r.eol}${r.eol}`;
      bodyLength = -1;
    }
    const tokens = (r.connection ?? '').toLowerCase().split(',').map((t) => t.trim());
    return {
      text: lines.join(r.eol) + r.eol + r.eol + body,
      expected: {
        method: r.method,
        target: r.target,
        minor: r.minor,
        close: tokens.includes('close'),
        keepAliveToken: tokens.includes('keep-alive'),
        hasHost: true,
        expectContinue: false,
        bodyLength,
      },
    };
  }

  it('any split of a valid pipelined byte stream parses to the same requests', () => {
    fc.assert(
      fc.property(fc.array(request, { minLength: 1, maxLength: 5 }), fc.array(fc.nat(), { maxLength: 12 }), (reqs, cuts) => {
        const encoded = reqs.map(encode);
        const bytes = Buffer.from(encoded.map((e) => e.text).join(''), 'latin1');
        const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
        const chunks: Buffer[] = [];
        let prev = 0;
        for (const p of [...points, bytes.length]) {
          chunks.push(bytes.subarray(prev, p));
          prev = p;
        }
        const whole = parse([bytes]);
        const split = parse(chunks);
        expect(whole.error).toBe(0);
        expect(whole.requests).toEqual(encoded.map((e) => e.expected));
        expect(split).toEqual(whole);
        expect(split.idle).toBe(true);
      }),
      { numRuns: 500 },
    );
  });
});

/**
 * A model of the head's grammar written as RFC 9112's ABNF reads, with regular expressions over the
 * head as a latin1 string (the parser reads bytes): its verdict on any head of known and broken
 * pieces is the parser's.
 */
describe("a request head's grammar, against a model in regular expressions", () => {
  const TOKEN = "[!#$%&'*+\\-.^_`|~0-9A-Za-z]+";
  const REQUEST_LINE = new RegExp(`(${TOKEN}) ([^\\x00-\\x20\\x7f]+) HTTP\\/(\\d)\\.(\\d)\\r?\\n`, 'y');
  const FIELD_LINE = new RegExp(`(${TOKEN}):([^\\x00-\\x08\\x0a-\\x1f\\x7f]*)\\r?\\n`, 'y');
  const HOST_VALUE = /^(?:\[[0-9A-Za-z:.]+\]|[-0-9A-Za-z._~!$&'()*+,;=%]*)(?::\d*)?$/;
  const ows = (s: string): string => s.replace(/^[ \t]+|[ \t]+$/g, '');
  const list = (v: string): string[] => v.split(',').map((x) => ows(x).toLowerCase()).filter((x) => x !== '');

  /** what the parser must report for one complete head: the request, or the status it fails with */
  function model(h: string): Parsed | number {
    REQUEST_LINE.lastIndex = 0;
    const rl = REQUEST_LINE.exec(h);
    if (rl === null) return 400;
    if (rl[3] !== '1') return 505;
    const minor = rl[4] === '0' ? 0 : 1;
    let pos = REQUEST_LINE.lastIndex;
    const last = h.length - (h.charCodeAt(h.length - 2) === 13 ? 2 : 1);
    const hosts: string[] = [];
    let close = false;
    let keepAliveToken = false;
    let expect = false;
    let contentLength = -1;
    let codings: string[] | null = null;
    while (pos < last) {
      FIELD_LINE.lastIndex = pos;
      const f = FIELD_LINE.exec(h);
      if (f === null) return 400;
      pos = FIELD_LINE.lastIndex;
      const name = f[1]!.toLowerCase();
      const value = ows(f[2]!);
      if (name === 'host') hosts.push(value);
      else if (name === 'expect' && value.toLowerCase() === '100-continue') expect = true;
      else if (name === 'connection') {
        for (const t of list(value)) {
          if (t === 'close') close = true;
          if (t === 'keep-alive') keepAliveToken = true;
        }
      } else if (name === 'content-length') {
        for (const part of value.split(',')) {
          if (!/^\d{1,15}$/.test(ows(part))) return 400;
          const n = Number(ows(part));
          if (contentLength >= 0 && n !== contentLength) return 400;
          contentLength = n;
        }
      } else if (name === 'transfer-encoding') (codings ??= []).push(...list(value));
    }
    if (hosts.length > 1 || (hosts.length === 0 && minor === 1) || (hosts.length === 1 && !HOST_VALUE.test(hosts[0]!))) return 400;
    let bodyLength = contentLength > 0 ? contentLength : 0;
    if (codings !== null) {
      if (minor === 0 || contentLength >= 0) return 400;
      if (codings.length === 0 || codings[codings.length - 1] !== 'chunked' || codings.slice(0, -1).includes('chunked')) return 400;
      if (codings.length > 1) return 501;
      bodyLength = -1;
    }
    return { method: rl[1]!, target: rl[2]!, minor, close, keepAliveToken, hasHost: hosts.length === 1, expectContinue: expect && minor === 1 && bodyLength !== 0, bodyLength };
  }

  const pick = <T,>(xs: T[]): fc.Arbitrary<T> => fc.constantFrom(...xs);
  /** mostly a well-formed piece, now and then a broken one: a head then breaks in one place at a time */
  const mostly = (good: string[], bad: string[]): fc.Arbitrary<string> => fc.oneof({ arbitrary: pick(good), weight: 9 }, { arbitrary: pick(bad), weight: 1 });
  const eol = pick(['\r\n', '\n']);
  const requestLine = fc.tuple(
    mostly(['GET', 'HEAD', 'POST', 'get', 'M-SEARCH'], ['', 'G(T', 'GET\x00', 'G\x80T']),
    mostly([' '], ['  ', '\t', '']),
    mostly(['/', '/x', '/bytes/10', '*', 'http://h/', '/%20', '/\x80'], ['', '/a b', '/\x7f']),
    mostly([' HTTP/1.1', ' HTTP/1.0', ' HTTP/1.9', ' HTTP/2.0'], [' HTTP/1.', ' http/1.1', ' HTTP/1.1 ', 'HTTP/1.1', ' HTTP/11.1']),
    eol,
  ).map((p) => p.join(''));
  const field = fc.tuple(
    mostly(['Host', 'host', 'HOST', 'Connection', 'connection', 'Expect', 'Content-Length', 'Transfer-Encoding', 'X-A'], ['Ho st', ' Host', 'Host ', '', 'Hos\x80']),
    mostly([':', ': ', ':\t', ':  '], [' :', '']),
    mostly(
      ['10.0.0.1', '[::1]:80', 'h:8080', 'a b', 'close', 'Close', ' close ', 'keep-alive', 'Keep-Alive, Upgrade', 'close,keep-alive', '100-continue', '100-Continue', '5', ' 5 ', '5, 5', '0', 'chunked', '', 'v\x80\xff', 'v\t '],
      ['5,6', 'x', 'gzip, chunked', 'chunked, chunked', 'v\x00', 'v\x01', 'v\x7f', 'a\rb'],
    ),
    eol,
  )
    .map((p) => p.join(''))
    .filter((line) => !/^\r?\n$/.test(line)); // an empty line would end the head there
  const host = fc.oneof({ arbitrary: fc.constant('Host: h\r\n'), weight: 4 }, { arbitrary: fc.constant(''), weight: 1 });
  const head = fc.tuple(requestLine, host, fc.array(field, { maxLength: 4 }), eol).map(([l, hst, fs, e]) => l + hst + fs.join('') + e);

  it("reports what the grammar's model reports, for any head of known and broken pieces", () => {
    fc.assert(
      fc.property(head, (h) => {
        const want = model(h);
        // the head alone, with nothing after it: a body or chunk size would need more bytes
        const got = parse([h]);
        if (typeof want === 'number') {
          expect(got.error).toBe(want);
          expect(got.requests).toEqual([]);
        } else {
          expect(got.error).toBe(0);
          expect(got.requests).toEqual([want]);
        }
      }),
      { numRuns: 10_000 },
    );
  });
});
