/**
 * The http service's own HTTP/1.1 server (services/http-server.ts) over two synack stacks on the
 * simulator (virtual time), one rule per test: raw sockets for what a client library hides
 * (pipelining, segments, who closes first, malformed requests), node:http's client for what a
 * real client does with the answers.
 */
import http from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { SimNetwork, type Socket, type Stack } from '../../src/index.js';
import { BYTES_CHUNK, HOME_PAGE, MAX_BYTES } from '../../src/services/http-content.js';
import { startHttpServer } from '../../src/services/http-server.js';

let sim: SimNetwork;
afterEach(() => sim?.close());

const PAGE_LENGTH = Buffer.byteLength(HOME_PAGE);
const GET = 'GET / HTTP/1.1\r\nHost: synack\r\n\r\n';

function setup(opts: { keepAliveTimeout?: number } = {}): { client: Stack; server: Stack; svc: ReturnType<typeof startHttpServer> } {
  sim = new SimNetwork({ seed: 7 });
  const client = sim.host('10.0.0.1');
  const server = sim.host('10.0.0.2');
  const svc = startHttpServer(server.net, 80, undefined, opts);
  return { client, server, svc };
}

/** A raw client: what it received, chunk by chunk, and whether the server's FIN (or a reset) came. */
interface Raw {
  s: Socket;
  chunks: Buffer[];
  text(): string;
  ended: boolean;
  closed: boolean;
  error: Error | null;
}

function raw(client: Stack): Raw {
  const s = client.net.connect({ host: '10.0.0.2', port: 80, allowHalfOpen: true });
  const r: Raw = {
    s,
    chunks: [],
    text: () => Buffer.concat(r.chunks).toString('latin1'),
    ended: false,
    closed: false,
    error: null,
  };
  s.on('data', (d: Buffer) => r.chunks.push(d));
  s.on('end', () => (r.ended = true));
  s.on('close', () => (r.closed = true));
  s.on('error', (e) => (r.error = e));
  return r;
}

/** Responses in a byte stream: status, header fields (lower-case names), body (by Content-Length; none for HEAD). */
interface Resp {
  status: number;
  headers: Record<string, string>;
  body: string;
}

function responses(text: string, heads: boolean[] = []): Resp[] {
  const out: Resp[] = [];
  let at = 0;
  while (at < text.length) {
    const end = text.indexOf('\r\n\r\n', at);
    if (end < 0) break;
    const [statusLine, ...lines] = text.slice(at, end).split('\r\n');
    const status = Number(/^HTTP\/1\.1 (\d{3}) /.exec(statusLine!)?.[1]);
    const headers: Record<string, string> = {};
    for (const l of lines) {
      const c = l.indexOf(':');
      headers[l.slice(0, c).toLowerCase()] = l.slice(c + 1).trim();
    }
    at = end + 4;
    if (status === 100) continue;
    const n = heads[out.length] ? 0 : Number(headers['content-length'] ?? 0);
    out.push({ status, headers, body: text.slice(at, at + n) });
    at += n;
  }
  return out;
}

/** Data segments the server sent to the client (TCP payload lengths), as the simulator carried them; `fins` the FIN flags of those. */
function serverSegments(fins: boolean[] = []): number[] {
  const sizes: number[] = [];
  sim.onPacket((ev) => {
    if (ev.from !== '10.0.0.2' || ev.dropped) return;
    const p = ev.packet;
    const ihl = (p[0]! & 0x0f) * 4;
    const total = (p[2]! << 8) | p[3]!;
    const doff = (p[ihl + 12]! >> 4) * 4;
    const payload = total - ihl - doff;
    const fin = (p[ihl + 13]! & 1) !== 0;
    if (payload > 0) {
      sizes.push(payload);
      fins.push(fin);
    } else if (fin) {
      fins.push(true);
    }
  });
  return sizes;
}

async function until(pred: () => boolean, ms = 60_000): Promise<void> {
  expect(await sim.runUntil(pred, ms)).toBe(true);
}

/** Send `request` on a new connection and wait for the server's FIN; the responses and the raw client. */
async function exchange(client: Stack, request: string | Buffer, heads: boolean[] = []): Promise<{ r: Raw; resps: Resp[] }> {
  const r = raw(client);
  r.s.write(request);
  await until(() => r.ended || r.closed);
  return { r, resps: responses(r.text(), heads) };
}

/** node:http's client over a synack socket; resolves when the response has ended. */
function get(client: Stack, path: string, opts: { method?: string; headers?: Record<string, string>; agent?: http.Agent } = {}) {
  return new Promise<{ status: number; body: Buffer; headers: http.IncomingHttpHeaders; socket: unknown }>((resolve, reject) => {
    const req = http.request(
      {
        host: '10.0.0.2',
        port: 80,
        path,
        method: opts.method ?? 'GET',
        headers: opts.headers ?? {},
        ...(opts.agent ? { agent: opts.agent } : { createConnection: () => client.net.connect(80, '10.0.0.2') as never }),
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks), headers: res.headers, socket: req.socket }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

async function settle<T>(p: Promise<T>): Promise<T> {
  let v: T | undefined;
  let err: unknown;
  let done = false;
  p.then(
    (x) => {
      v = x;
      done = true;
    },
    (e) => {
      err = e;
      done = true;
    },
  );
  await until(() => done);
  if (err) throw err;
  return v as T;
}

describe('http server: routes', () => {
  it('GET / answers the home page, with Server, Date, Content-Type and Content-Length', async () => {
    const { client } = setup();
    const res = await settle(get(client, '/'));
    expect(res.status).toBe(200);
    expect(res.body.toString()).toBe(HOME_PAGE);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(res.headers['content-length']).toBe(String(PAGE_LENGTH));
    expect(res.headers.server).toBe('synack');
  });

  it('Date is an IMF-fixdate of now (RFC 9110 §6.6.1, §5.6.7)', async () => {
    const { client } = setup();
    const before = Math.floor(Date.now() / 1000) * 1000;
    const res = await settle(get(client, '/'));
    const date = res.headers.date!;
    expect(date).toMatch(/^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d\d (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d\d:\d\d:\d\d GMT$/);
    const t = Date.parse(date);
    expect(t).toBeGreaterThanOrEqual(before);
    expect(t).toBeLessThanOrEqual(Date.now());
  });

  it('HEAD / answers the same header fields and no body', async () => {
    const { client } = setup();
    const { r, resps } = await exchange(client, 'HEAD / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n', [true]);
    expect(resps).toHaveLength(1);
    expect(resps[0]!.status).toBe(200);
    expect(resps[0]!.headers['content-length']).toBe(String(PAGE_LENGTH));
    expect(r.text().endsWith('\r\n\r\n')).toBe(true);
  });

  it('GET /bytes/N sends N bytes of the pattern, streamed', async () => {
    const { client } = setup();
    const res = await settle(get(client, '/bytes/200000'));
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('application/octet-stream');
    expect(res.headers['content-length']).toBe('200000');
    const expected = Buffer.concat([BYTES_CHUNK, BYTES_CHUNK, BYTES_CHUNK, BYTES_CHUNK]).subarray(0, 200_000);
    expect(res.body.equals(expected)).toBe(true);
    const zero = await settle(get(client, '/bytes/0'));
    expect([zero.status, zero.body.length]).toEqual([200, 0]);
  });

  it('HEAD /bytes/N answers its length and no body', async () => {
    const { client } = setup();
    const { resps, r } = await exchange(client, 'HEAD /bytes/1000000 HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n', [true]);
    expect(resps[0]!.headers['content-length']).toBe('1000000');
    expect(r.text().endsWith('\r\n\r\n')).toBe(true);
  });

  it(`/bytes/N beyond MAX_BYTES (${MAX_BYTES}) is 400; more than 13 digits is 404`, async () => {
    const { client } = setup();
    expect((await settle(get(client, `/bytes/${MAX_BYTES + 1}`))).status).toBe(400);
    expect((await settle(get(client, '/bytes/99999999999999'))).status).toBe(404);
  });

  it('an unknown path is 404', async () => {
    const { client } = setup();
    const res = await settle(get(client, '/nope'));
    expect(res.status).toBe(404);
    expect(res.body.toString()).toMatch(/not found/);
  });

  it('a method other than GET or HEAD is 405 with Allow: GET, HEAD (RFC 9110 §15.5.6)', async () => {
    const { client } = setup();
    const res = await settle(get(client, '/', { method: 'DELETE' }));
    expect(res.status).toBe(405);
    expect(res.headers.allow).toBe('GET, HEAD');
  });

  it('the query is not part of the path, and the absolute-form is accepted (RFC 9112 §3.2.2)', async () => {
    const { client } = setup();
    const { resps } = await exchange(client, 'GET /?x=1 HTTP/1.1\r\nHost: a\r\n\r\nGET http://a/bytes/3 HTTP/1.1\r\nHost: a\r\n\r\nGET * HTTP/1.1\r\nHost: a\r\n\r\n');
    expect(resps.map((x) => [x.status, x.body.length])).toEqual([
      [200, PAGE_LENGTH],
      [200, 3],
      [400, resps[2]!.body.length],
    ]);
  });
});

describe('http server: persistence (RFC 9112 §9.3)', () => {
  it('HTTP/1.1 keeps the connection: node:http\'s keep-alive agent sends every request on one', async () => {
    const { client, server } = setup();
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    (agent as unknown as { createConnection: unknown }).createConnection = () => client.net.connect(80, '10.0.0.2');
    for (const path of ['/', '/bytes/100000', '/nope', '/']) {
      const res = await settle(get(client, path, { agent }));
      expect(res.headers.connection).toBeUndefined();
    }
    expect(server.counters.passiveOpens).toBe(1);
    agent.destroy();
  });

  it('Connection: close is answered with it, and the server sends its FIN after the response and holds TIME_WAIT', async () => {
    const { client, server } = setup();
    const { r, resps } = await exchange(client, 'GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n');
    expect(resps).toHaveLength(1);
    expect(resps[0]!.headers.connection).toBe('close');
    expect(resps[0]!.body).toBe(HOME_PAGE);
    expect(r.ended).toBe(true); // the server's FIN, after the whole response
    r.s.end();
    await sim.run(1000);
    expect(server.stateCounts()).toEqual({ LISTEN: 1, TIME_WAIT: 1 });
  });

  it('Connection: close: the response and the FIN leave in one segment (one write, then end)', async () => {
    const { client } = setup();
    const fins: boolean[] = [];
    const segments = serverSegments(fins);
    const { r } = await exchange(client, 'GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n');
    expect(segments).toEqual([Buffer.byteLength(r.text())]);
    expect(fins).toEqual([true]);
  });

  it('requests after a Connection: close request are not answered', async () => {
    const { client } = setup();
    const { resps } = await exchange(client, `GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n${GET}`);
    expect(resps).toHaveLength(1);
  });

  it('HTTP/1.0 closes by default (answered without Connection: keep-alive)', async () => {
    const { client } = setup();
    const { r, resps } = await exchange(client, 'GET / HTTP/1.0\r\n\r\n');
    expect(resps).toHaveLength(1);
    expect(resps[0]!.status).toBe(200);
    expect(resps[0]!.headers.connection).toBe('close');
    expect(r.ended).toBe(true);
  });

  it('HTTP/1.0 with Connection: keep-alive stays open and is answered with Connection: keep-alive', async () => {
    const { client } = setup();
    const r = raw(client);
    r.s.write('GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n');
    await until(() => responses(r.text()).length === 1);
    expect(responses(r.text())[0]!.headers.connection).toBe('keep-alive');
    r.s.write('GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n');
    await until(() => responses(r.text()).length === 2);
    await sim.run(100);
    expect(r.ended).toBe(false);
  });

  it('the client\'s FIN after its requests still gets their answers, then the server closes', async () => {
    const { client } = setup();
    const r = raw(client);
    r.s.end(`${GET}GET /bytes/300000 HTTP/1.1\r\nHost: a\r\n\r\n${GET}`);
    await until(() => r.ended);
    expect(responses(r.text()).map((x) => [x.status, x.body.length])).toEqual([
      [200, PAGE_LENGTH],
      [200, 300_000],
      [200, PAGE_LENGTH],
    ]);
  });

  it('an idle keep-alive connection is closed after 5 s (node:http\'s keepAliveTimeout)', async () => {
    const { client } = setup();
    const r = raw(client);
    r.s.write(GET);
    await until(() => responses(r.text()).length === 1);
    const t0 = sim.now();
    await until(() => r.ended, 10_000);
    const idle = sim.now() - t0;
    expect(idle).toBeGreaterThanOrEqual(4_900);
    expect(idle).toBeLessThan(5_500);
  });

  it('shutdown ends idle connections at once (FIN) and lets a streaming one finish its response', async () => {
    const { client, svc } = setup();
    const idle = raw(client);
    idle.s.write(GET);
    const busy = raw(client);
    busy.s.write('GET /bytes/2000000 HTTP/1.1\r\nHost: a\r\n\r\n');
    await until(() => responses(idle.text()).length === 1 && busy.chunks.length > 0);
    svc.shutdown();
    await until(() => idle.ended && busy.ended);
    expect(responses(busy.text())[0]!.body.length).toBe(2_000_000);
  });
});

describe('http server: pipelining and framing', () => {
  it('three pipelined requests in one write get three responses, in order, in one segment', async () => {
    const { client } = setup();
    const segments = serverSegments();
    const r = raw(client);
    r.s.write(`${GET}GET /nope HTTP/1.1\r\nHost: a\r\n\r\nHEAD / HTTP/1.1\r\nHost: a\r\n\r\n`);
    await until(() => responses(r.text(), [false, false, true]).length === 3);
    await sim.run(100);
    const resps = responses(r.text(), [false, false, true]);
    expect(resps.map((x) => x.status)).toEqual([200, 404, 200]);
    expect(segments).toEqual([Buffer.byteLength(r.text())]);
    expect(r.chunks).toHaveLength(1);
  });

  it('a request sent one byte per segment is answered once, whole', async () => {
    const { client } = setup();
    const r = raw(client);
    r.s.setNoDelay(true);
    const req = 'GET /bytes/10 HTTP/1.1\r\nHost: a\r\nUser-Agent: slow\r\n\r\n';
    for (const c of req) {
      r.s.write(c);
      await sim.run(1);
    }
    await until(() => responses(r.text()).length === 1);
    expect(responses(r.text())[0]!.body.length).toBe(10);
  });

  it('a Content-Length body is skipped, and the request after it answered', async () => {
    const { client } = setup();
    const r = raw(client);
    const body = 'GET /nope HTTP/1.1\r\nHost: a\r\n\r\n'; // looks like a request: must not be taken for one
    r.s.write(`GET /bytes/5 HTTP/1.1\r\nHost: a\r\nContent-Length: ${body.length}\r\n\r\n${body.slice(0, 10)}`);
    await sim.run(10);
    r.s.write(body.slice(10) + GET);
    await until(() => responses(r.text()).length === 2);
    expect(responses(r.text()).map((x) => x.status)).toEqual([200, 200]);
  });

  it('a chunked body is decoded and discarded, and the request after it answered', async () => {
    const { client } = setup();
    const { resps } = await exchange(
      client,
      'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nGET \r\n1b;x=y\r\n/nope HTTP/1.1\r\nHost: a\r\n\r\n\r\n0\r\n\r\n' +
        'GET /bytes/7 HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n',
    );
    expect(resps.map((x) => [x.status, x.body.length])).toEqual([
      [405, resps[0]!.body.length],
      [200, 7],
    ]);
  });

  it('Expect: 100-continue gets 100 Continue before the final response (RFC 9110 §10.1.1)', async () => {
    const { client } = setup();
    const { r } = await exchange(client, 'POST / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 3\r\nConnection: close\r\n\r\nabc');
    expect(r.text()).toMatch(/^HTTP\/1\.1 100 Continue\r\n\r\nHTTP\/1\.1 405 /);
  });

  it('a pipelined flood from a client that does not read is held back (reading stops), not buffered without bound', async () => {
    const { client, svc } = setup();
    const r = raw(client);
    r.s.pause(); // never reads: the server's writes back up
    const flood = Buffer.from(GET.repeat(2000));
    for (let i = 0; i < 20; i++) r.s.write(flood);
    await sim.run(2000);
    const [c] = [...svc.http.connections];
    // the server stopped reading requests: most of the flood waits in the client's own send buffer
    expect(c!.socket.writableLength).toBeLessThan(4 * 1024 * 1024);
    expect(r.s.writableLength).toBeGreaterThan(0);
    r.s.resume();
    await until(() => responses(r.text()).length === 40_000, 600_000);
  });
});

describe('http server: errors answer and close (RFC 9112 §9.6)', () => {
  const cases: [string, string, number][] = [
    ['malformed request line', 'GET  / HTTP/1.1\r\nHost: a\r\n\r\n', 400],
    ['malformed header field', 'GET / HTTP/1.1\r\nHost: a\r\nBad Field: x\r\n\r\n', 400],
    ['HTTP/1.1 without Host (RFC 9112 §3.2)', 'GET / HTTP/1.1\r\nAccept: */*\r\n\r\n', 400],
    ['two Host fields', 'GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n', 400],
    ['a version other than 1.x', 'GET / HTTP/2.0\r\nHost: a\r\n\r\n', 505],
    ['Content-Length with Transfer-Encoding (request smuggling)', 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n', 400],
    ['differing Content-Lengths', 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab', 400],
    ['a transfer coding other than chunked', 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n', 501],
    ['a head over 16 KiB', `GET / HTTP/1.1\r\nHost: a\r\nX: ${'x'.repeat(17_000)}\r\n\r\n`, 431],
  ];
  for (const [what, request, status] of cases) {
    it(`${what}: ${status}, Connection: close, FIN; what follows is not answered`, async () => {
      const { client, server } = setup();
      const { r, resps } = await exchange(client, request + GET);
      expect(resps.map((x) => x.status)).toEqual([status]);
      expect(resps[0]!.headers.connection).toBe('close');
      expect(r.ended).toBe(true);
      r.s.end();
      await sim.run(1000);
      expect(server.stateCounts()).toEqual({ LISTEN: 1, TIME_WAIT: 1 });
    });
  }

  it('a head over 16 KiB that never ends is refused once past the limit', async () => {
    const { client } = setup();
    const r = raw(client);
    r.s.write(`GET / HTTP/1.1\r\nHost: a\r\nX: ${'x'.repeat(20_000)}`);
    await until(() => r.ended);
    expect(responses(r.text()).map((x) => x.status)).toEqual([431]);
  });

  it('a bad chunk after an answered request closes without a second response', async () => {
    const { client } = setup();
    const { r, resps } = await exchange(client, 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n');
    expect(resps.map((x) => x.status)).toEqual([405]);
    expect(r.ended).toBe(true);
  });

  it('an error to a HEAD request carries no body', async () => {
    const { client } = setup();
    const { r } = await exchange(client, 'HEAD / HTTP/1.1\r\n\r\n');
    expect(r.text()).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n[\s\S]*\r\n\r\n$/);
  });

  it('a client that resets mid-response does not crash the server, which goes on serving', async () => {
    const { client } = setup();
    const r = raw(client);
    r.s.write('GET /bytes/5000000 HTTP/1.1\r\nHost: a\r\n\r\n');
    await until(() => r.chunks.length > 3);
    r.s.resetAndDestroy();
    await sim.run(1000);
    const res = await settle(get(client, '/'));
    expect(res.status).toBe(200);
  });
});

/** Wait on the real clock (bounded) until `pred` holds. */
async function untilReal(pred: () => boolean, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!pred() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  expect(pred()).toBe(true);
}

describe('http server: a request head that never finishes (slowloris)', () => {
  it('a head trickled in byte by byte past headersTimeout gets 408 and a close, though every byte reset the idle timer', async () => {
    sim = new SimNetwork({ clock: 'real' });
    const client = sim.host('10.0.0.1');
    const server = sim.host('10.0.0.2');
    startHttpServer(server.net, 80, undefined, { headersTimeout: 300, keepAliveTimeout: 200 });
    const r = raw(client);
    const head = `GET / HTTP/1.1\r\nHost: synack\r\nX-Slow: ${'y'.repeat(60)}\r\n\r\n`;
    let sent = 0;
    const started = Date.now();
    // a byte every 50 ms: never 200 ms idle, and the whole head would take 4 s
    await new Promise<void>((resolve) => {
      const tick = setInterval(() => {
        if (r.ended || r.closed || sent >= head.length) {
          clearInterval(tick);
          resolve();
          return;
        }
        r.s.write(head[sent++]!);
      }, 50);
    });
    await untilReal(() => r.ended || r.closed, 2_000);
    expect(responses(r.text()).map((x) => [x.status, x.headers['connection']])).toEqual([[408, 'close']]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(300);
    expect(sent).toBeLessThan(head.length);
  });

  it('a head that arrives in pieces within headersTimeout is answered as usual', async () => {
    sim = new SimNetwork({ clock: 'real' });
    const client = sim.host('10.0.0.1');
    const server = sim.host('10.0.0.2');
    startHttpServer(server.net, 80, undefined, { headersTimeout: 1_000 });
    const r = raw(client);
    r.s.write('GET / HTTP/1.1\r\n');
    await new Promise((res) => setTimeout(res, 100));
    r.s.write('Host: synack\r\n\r\n');
    await untilReal(() => responses(r.text()).length === 1, 2_000);
    expect(responses(r.text())[0]!.status).toBe(200);
    expect(r.ended).toBe(false);
  });
});
