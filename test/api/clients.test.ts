/**
 * Real clients, unchanged, over synack sockets: undici (its `connect` hook; fetch), ws (WebSocket
 * client and server), node:tls (tls.connect({ socket }) and a TLS server over a synack server, with
 * a certificate made by the test) and node:http2. Two stacks on one SimNetwork with the real
 * clock, so the libraries' own timers run as they would in production.
 */
import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import http2 from 'node:http2';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import { Agent, Client, fetch, type buildConnector } from 'undici';
import { WebSocket, WebSocketServer } from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SimNetwork, type Socket, type Stack } from '../../src/index.js';

let sim: SimNetwork;
let client: Stack;
let server: Stack;

beforeAll(() => {
  sim = new SimNetwork({ clock: 'real', seed: 9 });
  client = sim.host('10.0.0.1');
  server = sim.host('10.0.0.2');
});
afterAll(() => sim.close());

/** undici's connector: open the TCP connection on the client stack. */
const connector: buildConnector.connector = (opts, cb) => {
  const s = client.net.connect({ host: opts.hostname, port: Number(opts.port) || 80 });
  const onError = (e: Error): void => cb(e, null);
  s.once('error', onError);
  s.once('connect', () => {
    s.off('error', onError);
    cb(null, s as unknown as Parameters<typeof cb>[1]);
  });
};

/** An http server whose connections come from a synack listener. */
function httpOverSynack(port: number, handler: http.RequestListener): { http: http.Server; close: () => void } {
  const httpServer = http.createServer(handler);
  const tcp = server.net.createServer((s) => httpServer.emit('connection', s));
  tcp.listen(port);
  return {
    http: httpServer,
    close: () => {
      tcp.close();
      httpServer.close();
      httpServer.closeAllConnections();
    },
  };
}

/** A self-signed certificate for the test, from the openssl CLI; null when it is missing. */
function makeCertificate(): { key: string; cert: string } | null {
  let dir: string | null = null;
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    dir = mkdtempSync(join(tmpdir(), 'synack-tls-'));
    const key = join(dir, 'key.pem');
    const cert = join(dir, 'cert.pem');
    execFileSync(
      'openssl',
      ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=synack.test', '-addext', 'subjectAltName=DNS:synack.test,IP:10.0.0.2'],
      { stdio: 'ignore', timeout: 20_000 },
    );
    return { key: readFileSync(key, 'utf8'), cert: readFileSync(cert, 'utf8') };
  } catch {
    return null;
  } finally {
    if (dir) rmSync(dir, { recursive: true, force: true });
  }
}
const certificate = makeCertificate();

describe('undici over synack', () => {
  it("undici's Client with a `connect` hook on stack.net makes keep-alive requests", async () => {
    const srv = httpOverSynack(8080, (req, res) => res.end(`hello ${req.url}`));
    const c = new Client('http://10.0.0.2:8080', { connect: connector });
    try {
      for (let i = 0; i < 3; i++) {
        const r = await c.request({ path: `/r${i}`, method: 'GET' });
        expect(r.statusCode).toBe(200);
        expect(await r.body.text()).toBe(`hello /r${i}`);
      }
    } finally {
      await c.close();
      srv.close();
    }
  });

  it('fetch() through an undici Agent whose connections are synack sockets: a 1 MiB body arrives whole', async () => {
    const big = Buffer.alloc(1 << 20, 7);
    const srv = httpOverSynack(8081, (req, res) => {
      if (req.method === 'POST') {
        let n = 0;
        req.on('data', (d: Buffer) => (n += d.length));
        req.on('end', () => res.end(String(n)));
      } else res.end(big);
    });
    const agent = new Agent({ connect: connector });
    try {
      const down = await fetch('http://10.0.0.2:8081/big', { dispatcher: agent });
      expect(down.status).toBe(200);
      expect(Buffer.from(await down.arrayBuffer()).equals(big)).toBe(true);
      const up = await fetch('http://10.0.0.2:8081/up', { method: 'POST', body: big, dispatcher: agent });
      expect(await up.text()).toBe(String(big.length));
    } finally {
      await agent.close();
      srv.close();
    }
  });
});

describe('ws over synack', () => {
  it('a WebSocket client and server exchange text and binary messages and close cleanly', async () => {
    const wss = new WebSocketServer({ noServer: true });
    const srv = httpOverSynack(8082, (_req, res) => res.end());
    srv.http.on('upgrade', (req, socket, head) => wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req)));
    wss.on('connection', (ws) => ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary })));
    const ws = new WebSocket('ws://10.0.0.2:8082/chat', {
      createConnection: () => client.net.connect(8082, '10.0.0.2') as unknown as import('node:net').Socket,
    });
    try {
      await once(ws, 'open');
      const replies: (string | Buffer)[] = [];
      ws.on('message', (data, isBinary) => replies.push(isBinary ? (data as Buffer) : String(data)));
      ws.send('hello over synack');
      const blob = Buffer.alloc(200_000, 3);
      ws.send(blob);
      for (let i = 0; i < 500 && replies.length < 2; i++) await new Promise((r) => setTimeout(r, 10));
      expect(replies[0]).toBe('hello over synack');
      expect(Buffer.isBuffer(replies[1]) && (replies[1] as Buffer).equals(blob)).toBe(true);
      ws.close(1000, 'done');
      const [code] = (await once(ws, 'close')) as [number];
      expect(code).toBe(1000);
    } finally {
      wss.close();
      srv.close();
    }
  });
});

describe.skipIf(!certificate)('node:tls over synack (certificate from the openssl CLI)', () => {
  it('tls.connect({ socket }) over a synack socket to a TLS server on a synack server', async () => {
    const { key, cert } = certificate!;
    // node:tls's own server, fed the connections a synack listener accepts
    const tlsServer = tls.createServer({ key, cert }, (secure) => secure.on('data', (d: Buffer) => secure.write(`echo:${d}`)));
    const tcp = server.net.createServer((raw) => tlsServer.emit('connection', raw));
    tcp.listen(8443);
    const raw = client.net.connect(8443, '10.0.0.2');
    const secure = tls.connect({ socket: raw as unknown as import('node:net').Socket, ca: cert, servername: 'synack.test' });
    try {
      await once(secure, 'secureConnect');
      expect(secure.authorized).toBe(true);
      expect(secure.getPeerCertificate().subject.CN).toBe('synack.test');
      secure.write('ping');
      const [reply] = (await once(secure, 'data')) as [Buffer];
      expect(String(reply)).toBe('echo:ping');
    } finally {
      secure.destroy();
      tcp.close();
      tlsServer.close();
    }
  });

  it('a certificate for another name is refused: ERR_TLS_CERT_ALTNAME_INVALID, as over a kernel socket', async () => {
    const { key, cert } = certificate!;
    const tcp = server.net.createServer((raw) => {
      const secure = new tls.TLSSocket(raw as unknown as import('node:net').Socket, { isServer: true, key, cert });
      secure.on('error', () => {});
    });
    tcp.listen(8444);
    const raw = client.net.connect(8444, '10.0.0.2');
    const secure = tls.connect({ socket: raw as unknown as import('node:net').Socket, ca: cert, servername: 'other.test' });
    try {
      const [err] = (await once(secure, 'error')) as [NodeJS.ErrnoException];
      expect(err.code).toBe('ERR_TLS_CERT_ALTNAME_INVALID');
    } finally {
      secure.destroy();
      tcp.close();
    }
  });
});

describe('node:http2 over synack', () => {
  it('an http2 client session and server exchange several streams over one synack connection', async () => {
    const h2 = http2.createServer();
    h2.on('stream', (stream, headers) => {
      stream.respond({ ':status': 200, 'content-type': 'text/plain' });
      stream.end(`h2 ${headers[':path']}`);
    });
    let connections = 0;
    const tcp = server.net.createServer((s: Socket) => {
      connections++;
      h2.emit('connection', s);
    });
    tcp.listen(8083);
    const session = http2.connect('http://10.0.0.2:8083', {
      createConnection: () => client.net.connect(8083, '10.0.0.2') as unknown as import('node:net').Socket,
    });
    try {
      const get = (path: string): Promise<string> =>
        new Promise((resolve, reject) => {
          const req = session.request({ ':path': path });
          let body = '';
          req.setEncoding('utf8');
          req.on('data', (d: string) => (body += d));
          req.on('end', () => resolve(body));
          req.on('error', reject);
          req.end();
        });
      const bodies = await Promise.all([get('/a'), get('/b'), get('/c')]);
      expect(bodies).toEqual(['h2 /a', 'h2 /b', 'h2 /c']);
      expect(connections).toBe(1);
    } finally {
      session.close();
      h2.close();
      tcp.close();
    }
  });
});
