/**
 * The classic services over two synack stacks on the simulator (virtual time): echo honours
 * half-close, discard, daytime closes first (the server holds TIME_WAIT), chargen's RFC 864
 * rotation, and http's routes with keep-alive and Connection: close (the same through node-http);
 * http-server.test.ts holds the http service's own server to RFC 9112 rule by rule.
 */
import http from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { SimNetwork, Stack, type Socket } from '../../src/index.js';
import { chargenPattern } from '../../src/services/chargen.js';
import { daytimeLine } from '../../src/services/daytime.js';
import { HOME_PAGE } from '../../src/services/http.js';
import { startNodeHttp } from '../../src/services/node-http.js';
import { pairStacks } from '../../src/link/pair.js';
import { SERVICES, parseServiceList, type RunningService } from '../../src/services/index.js';

let sim: SimNetwork;
afterEach(() => sim?.close());

function setup(): { client: Stack; server: Stack; running: RunningService[] } {
  sim = new SimNetwork({ seed: 5 });
  const client = sim.host('10.0.0.1');
  const server = sim.host('10.0.0.2');
  const running = parseServiceList('echo,discard,daytime,chargen,http').map(({ def, port }) => def.start(server.net, port));
  return { client, server, running };
}

/** Connect, send `data`, half-close, and collect everything until the server's FIN. */
async function exchange(client: Stack, port: number, data: Buffer | null, maxBytes = Infinity): Promise<{ got: Buffer; socket: Socket }> {
  const s = client.net.connect({ host: '10.0.0.2', port, allowHalfOpen: true });
  const chunks: Buffer[] = [];
  let n = 0;
  let ended = false;
  s.on('data', (d: Buffer) => {
    chunks.push(d);
    n += d.length;
    if (n >= maxBytes) s.end();
  });
  s.on('end', () => {
    ended = true;
    s.end();
  });
  if (data) s.end(data);
  await sim.runUntil(() => ended || s.destroyed, 120_000);
  return { got: Buffer.concat(chunks), socket: s };
}

describe('services', () => {
  it('parseServiceList: names, NAME:PORT, and errors that list the choices', () => {
    expect(parseServiceList('echo, http:8080').map((x) => [x.def.name, x.port])).toEqual([
      ['echo', 7],
      ['http', 8080],
    ]);
    expect(() => parseServiceList('echo,gopher')).toThrow(/unknown service "gopher"; choose from echo, discard, daytime, chargen, http, node-http/);
    expect(() => parseServiceList('echo:0')).toThrow(/bad port/);
    expect(SERVICES.map((s) => [s.name, s.port])).toEqual([
      ['echo', 7],
      ['discard', 9],
      ['daytime', 13],
      ['chargen', 19],
      ['http', 80],
      ['node-http', 8080],
    ]);
  });

  it('echo (RFC 862) sends everything back after the client half-closes, then closes', async () => {
    const { client, server } = setup();
    const data = Buffer.alloc(300_000);
    for (let i = 0; i < data.length; i++) data[i] = (i * 13) & 0xff;
    const { got } = await exchange(client, 7, data);
    expect(got.equals(data)).toBe(true);
    await sim.run(1000);
    // the client's FIN came first: the client holds TIME_WAIT, the server does not
    expect(client.stateCounts()).toEqual({ TIME_WAIT: 1 });
    expect(server.stateCounts()).toEqual({ LISTEN: 5 });
  });

  it('discard (RFC 863) reads everything and sends nothing', async () => {
    const { client } = setup();
    const { got } = await exchange(client, 9, Buffer.alloc(100_000, 7));
    expect(got.length).toBe(0);
  });

  it('daytime (RFC 867): one line, and the server closes first and holds TIME_WAIT', async () => {
    const { client, server } = setup();
    const { got } = await exchange(client, 13, null);
    expect(got.toString()).toMatch(/^\w+day, \w+ \d{1,2}, \d{4} \d\d:\d\d:\d\d-UTC\r\n$/);
    await sim.run(1000);
    expect(server.stateCounts()).toEqual({ LISTEN: 5, TIME_WAIT: 1 });
    expect(client.stateCounts()).toEqual({});
    expect(daytimeLine(new Date(Date.UTC(2026, 0, 2, 3, 4, 5)))).toBe('Friday, January 2, 2026 03:04:05-UTC\r\n');
  });

  it('chargen (RFC 864): 72-character lines, each starting one character later, until the client closes', async () => {
    const { client } = setup();
    const { got } = await exchange(client, 19, null, 20_000);
    expect(got.length).toBeGreaterThanOrEqual(20_000);
    const lines = got.toString('latin1').split('\r\n');
    for (let i = 0; i < 100; i++) {
      expect(lines[i]!.length).toBe(72);
      expect(lines[i]!.charCodeAt(0)).toBe(32 + (i % 95));
    }
    expect(chargenPattern().length).toBe(95 * 74);
  });

  it.each([
    ['http', 80],
    ['node-http', 8080],
  ])('%s: GET /, GET /bytes/N, 404, 405; keep-alive reuses one connection; Connection: close makes the server close first', async (name, port) => {
    const { client, server, running } = setup();
    if (name === 'node-http') running.push(...parseServiceList('node-http').map(({ def, port }) => def.start(server.net, port)));
    // accepted as node:http's own server accepts: Nagle off (its noDelay default)
    const noDelay: boolean[] = [];
    running
      .find((r) => r.name === name)!
      .server.on('connection', (s: Socket) => noDelay.push(Boolean((s as unknown as { conn?: { tcb: { noDelay: boolean } } }).conn?.tcb.noDelay)));
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    // the agent's sockets are synack's
    (agent as unknown as { createConnection: unknown }).createConnection = () => client.net.connect(port, '10.0.0.2');
    const get = (path: string, headers: Record<string, string> = {}, method = 'GET') =>
      new Promise<{ status: number; body: Buffer; headers: http.IncomingHttpHeaders }>((resolve, reject) => {
        const req = http.request(
          { host: '10.0.0.2', port, path, method, headers, agent },
          (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (c: Buffer) => chunks.push(c));
            res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks), headers: res.headers }));
          },
        );
        req.on('error', reject);
        req.end();
      });
    const run = async <T>(p: Promise<T>): Promise<T> => {
      let v: T | undefined;
      let done = false;
      void p.then((x) => {
        v = x;
        done = true;
      });
      await sim.runUntil(() => done, 60_000);
      return v as T;
    };
    const page = await run(get('/'));
    expect(page.status).toBe(200);
    expect(page.body.toString()).toBe(HOME_PAGE);
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(page.headers['content-length']).toBe(String(Buffer.byteLength(HOME_PAGE)));
    const head = await run(get('/', {}, 'HEAD'));
    expect(head.status).toBe(200);
    expect(head.headers['content-length']).toBe(String(Buffer.byteLength(HOME_PAGE)));
    expect(head.body.length).toBe(0);
    const bytes = await run(get('/bytes/123456'));
    expect(bytes.body.length).toBe(123_456);
    expect(bytes.headers['content-length']).toBe('123456');
    expect((await run(get('/nope'))).status).toBe(404);
    expect((await run(get('/', {}, 'POST'))).status).toBe(405);
    expect((await run(get('/bytes/99999999999999'))).status).toBe(404);
    expect(server.counters.passiveOpens).toBe(1);
    const closing = await run(get('/', { connection: 'close' }));
    expect(closing.headers.connection).toBe('close');
    await sim.run(1000);
    expect(server.stateCounts().TIME_WAIT).toBe(1);
    expect(noDelay).toEqual([true]); // one connection, kept alive throughout
    agent.destroy();
  });

  it("node-http: node:http tracks the service's connections — a client too slow to send its request headers gets 408 and is closed; shutdown ends idle keep-alive connections", async () => {
    // real time (node:http's checks run on its own interval): two stacks joined in-process
    const a = new Stack({ addresses: ['10.0.0.1'] });
    const b = new Stack({ addresses: ['10.0.0.2'] });
    const link = pairStacks(a, b);
    const svc = startNodeHttp(b.net, 80, undefined, { keepAliveTimeout: 5000, headersTimeout: 200, requestTimeout: 400, connectionsCheckingInterval: 50 });
    try {
      await new Promise((r) => svc.server.once('listening', r));
      const slow = a.net.connect(80, '10.0.0.2');
      slow.write('GET / HTTP/1.1\r\nHost: synack\r\n'); // the headers never end
      let reply = '';
      slow.on('data', (d: Buffer) => (reply += d.toString('latin1')));
      const t0 = performance.now();
      await new Promise((r) => slow.once('close', r));
      const waited = performance.now() - t0;
      expect(reply).toMatch(/^HTTP\/1\.1 408 Request Timeout\r\n/);
      expect(waited).toBeGreaterThanOrEqual(150);
      expect(waited).toBeLessThan(5000);

      // an idle keep-alive connection: shutdown ends it with a FIN (the client reads its end)
      const idle = a.net.connect(80, '10.0.0.2');
      let got = '';
      idle.on('data', (d: Buffer) => (got += d.toString('latin1')));
      idle.write('GET / HTTP/1.1\r\nHost: synack\r\n\r\n');
      await new Promise<void>((resolve) => {
        const check = (): void => {
          if (got.includes('</html>')) resolve();
          else idle.once('data', check);
        };
        idle.once('data', check);
      });
      const ended = new Promise((r) => idle.once('end', r));
      svc.shutdown();
      await ended;
      expect(idle.destroyed || idle.readableEnded).toBe(true);
    } finally {
      svc.shutdown();
      link.close();
    }
  });
});
