/**
 * The proof of node:net compatibility: Node's own http module, unchanged, over synack sockets,
 * between two stacks joined only by `input` and the 'packet' event (asynchronous delivery, the
 * real clock) — the way users wire a stack to a VM, a WebSocket or a worker.
 */
import { createHash, randomBytes } from 'node:crypto';
import http from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { Stack } from '../../src/index.js';

function joinedPair(): [Stack, Stack] {
  const a = new Stack({ addresses: ['10.0.0.1'] });
  const b = new Stack({ addresses: ['10.0.0.2'] });
  a.on('packet', (p: Uint8Array) => {
    const copy = p.slice();
    setImmediate(() => b.input(copy));
  });
  b.on('packet', (p: Uint8Array) => {
    const copy = p.slice();
    setImmediate(() => a.input(copy));
  });
  return [a, b];
}

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

function request(agent: http.Agent, opts: http.RequestOptions, body?: Buffer): Promise<{ status: number; body: Buffer; headers: http.IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '10.0.0.2', port: 80, agent, ...opts }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks), headers: res.headers }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('node:http over synack', () => {
  it('serves many keep-alive requests over one connection and a 1 MiB body byte-exact both ways', async () => {
    const [client, server] = joinedPair();
    const big = randomBytes(1 << 20);
    let connections = 0;
    const httpServer = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks);
        if (req.url === '/big') {
          res.setHeader('content-length', big.length);
          res.end(big);
        } else if (req.url === '/echo-hash') {
          res.end(createHash('sha256').update(body).digest('hex'));
        } else {
          res.end(`hello ${req.url}`);
        }
      });
    });
    const tcpServer = server.net.createServer((s) => {
      connections++;
      httpServer.emit('connection', s);
    });
    tcpServer.listen(80, '10.0.0.2');
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    (agent as unknown as { createConnection: unknown }).createConnection = (_o: unknown, cb: (e: Error | null, s: unknown) => void) => {
      const s = client.net.connect(80, '10.0.0.2');
      return s;
    };
    cleanups.push(() => {
      agent.destroy();
      tcpServer.close();
      client.destroy();
      server.destroy();
    });

    for (let i = 0; i < 20; i++) {
      const r = await request(agent, { path: `/r${i}` });
      expect(r.status).toBe(200);
      expect(r.body.toString()).toBe(`hello /r${i}`);
    }
    const down = await request(agent, { path: '/big' });
    expect(down.body.length).toBe(big.length);
    expect(down.body.equals(big)).toBe(true);
    const up = await request(agent, { path: '/echo-hash', method: 'POST' }, big);
    expect(up.body.toString()).toBe(createHash('sha256').update(big).digest('hex'));
    expect(connections).toBe(1);
  }, 60_000);
});
