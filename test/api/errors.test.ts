/**
 * Errors as node:net reports them: the same `code`, `errno`, `syscall`, and messages that name the
 * address and port (`connect ECONNREFUSED 10.0.0.2:81`). Virtual time throughout, so timeouts are
 * checked to the millisecond.
 */
import { describe, expect, it } from 'vitest';
import { SimNetwork, Stack, type HostOptions, type Server, type Socket } from '../../src/index.js';

interface NodeError extends Error {
  code?: string;
  errno?: number;
  syscall?: string;
  address?: string;
  port?: number;
  hostname?: string;
}

function world(opts: HostOptions = {}): { net: SimNetwork; a: Stack; b: Stack } {
  const net = new SimNetwork({ seed: 1 });
  const a = net.host('10.0.0.1', opts);
  const b = net.host('10.0.0.2', opts);
  return { net, a, b };
}

/** Remember the first 'error' an emitter reports, and when (virtual ms). */
function firstError(em: Socket | Server, net: SimNetwork): { err: NodeError | null; at: number } {
  const r: { err: NodeError | null; at: number } = { err: null, at: -1 };
  em.on('error', (e: NodeError) => {
    if (r.err) return;
    r.err = e;
    r.at = net.now();
  });
  return r;
}

/** Connect a to b:port and wait for both ends. */
async function connectedPair(net: SimNetwork, a: Stack, server: Server, port: number): Promise<[Socket, Socket]> {
  let accepted: Socket | null = null;
  server.once('connection', (s: Socket) => (accepted = s));
  const client = a.net.connect(port, '10.0.0.2');
  let up = false;
  client.once('connect', () => (up = true));
  expect(await net.runUntil(() => up && accepted !== null, 10_000)).toBe(true);
  return [client, accepted!];
}

describe('node:net errors', () => {
  it('connect to a port with no listener fails with ECONNREFUSED naming address and port', async () => {
    const { net, a } = world();
    const c = a.net.connect(81, '10.0.0.2');
    const r = firstError(c, net);
    expect(await net.runUntil(() => r.err !== null, 10_000)).toBe(true);
    const err = r.err!;
    expect(err.code).toBe('ECONNREFUSED');
    expect(err.message).toBe('connect ECONNREFUSED 10.0.0.2:81');
    expect(err.errno).toBe(-111);
    expect(err.syscall).toBe('connect');
    expect(err.address).toBe('10.0.0.2');
    expect(err.port).toBe(81);
    await net.runUntil(() => c.destroyed, 1000);
    expect(c.destroyed).toBe(true);
  });

  it('connect to a host that drops everything fails with ETIMEDOUT after tcp_syn_retries (1+2+4 = 7 s)', async () => {
    const { net, a } = world({ sysctl: { tcp_syn_retries: 2 } });
    net.impair('10.0.0.1', '10.0.0.2', { loss: 1 });
    const t0 = net.now();
    const c = a.net.connect(80, '10.0.0.2');
    const r = firstError(c, net);
    expect(await net.runUntil(() => r.err !== null, 60_000)).toBe(true);
    expect(r.err!.code).toBe('ETIMEDOUT');
    expect(r.err!.message).toBe('connect ETIMEDOUT 10.0.0.2:80');
    expect(r.err!.syscall).toBe('connect');
    expect(r.err!.errno).toBe(-110);
    expect(r.at - t0).toBe(7000);
    expect(a.stateCounts()).toEqual({});
  });

  it('a peer RST mid-connection gives ECONNRESET on read', async () => {
    const { net, a, b } = world();
    const server = b.net.createServer();
    server.listen(80);
    const [client, accepted] = await connectedPair(net, a, server, 80);
    const r = firstError(client, net);
    accepted.resetAndDestroy();
    expect(await net.runUntil(() => r.err !== null, 10_000)).toBe(true);
    expect(r.err!.code).toBe('ECONNRESET');
    expect(r.err!.syscall).toBe('read');
    expect(r.err!.errno).toBe(-104);
    expect(r.err!.message.startsWith('read ECONNRESET')).toBe(true);
    await net.runUntil(() => client.destroyed, 1000);
    expect(a.stateCounts()).toEqual({});
  });

  it('listen on a port in use emits EADDRINUSE', async () => {
    const { net, b } = world();
    const first = b.net.createServer().listen(80);
    const second = b.net.createServer();
    const r = firstError(second, net);
    let listening = false;
    second.on('listening', () => (listening = true));
    second.listen(80);
    expect(await net.runUntil(() => r.err !== null, 1000)).toBe(true);
    expect(listening).toBe(false);
    expect(second.listening).toBe(false);
    expect(r.err!.code).toBe('EADDRINUSE');
    expect(r.err!.errno).toBe(-98);
    expect(r.err!.syscall).toBe('listen');
    expect(r.err!.message).toBe('listen EADDRINUSE: address already in use 0.0.0.0:80');
    expect(r.err!.port).toBe(80);
    expect(first.listening).toBe(true);
  });

  it('listen on an address the stack does not own emits EADDRNOTAVAIL', async () => {
    const { net, b } = world();
    const s = b.net.createServer();
    const r = firstError(s, net);
    s.listen(80, '10.9.9.9');
    expect(await net.runUntil(() => r.err !== null, 1000)).toBe(true);
    expect(r.err!.code).toBe('EADDRNOTAVAIL');
    expect(r.err!.errno).toBe(-99);
    expect(r.err!.message).toBe('listen EADDRNOTAVAIL: address not available 10.9.9.9:80');
    expect(r.err!.address).toBe('10.9.9.9');
    expect(r.err!.port).toBe(80);
    expect(b.stateCounts()).toEqual({});
  });

  it('connect with a bad port throws ERR_SOCKET_BAD_PORT synchronously', () => {
    const { a } = world();
    for (const port of [-1, 65536, 1.5]) {
      expect(() => a.net.connect(port, '10.0.0.2')).toThrow(
        expect.objectContaining({
          code: 'ERR_SOCKET_BAD_PORT',
          message: `Port should be >= 0 and < 65536. Received type number (${port}).`,
        }),
      );
    }
    expect(() => a.net.connect({ port: 'x' as unknown as number, host: '10.0.0.2' })).toThrow(
      expect.objectContaining({
        code: 'ERR_SOCKET_BAD_PORT',
        message: "Port should be >= 0 and < 65536. Received type string ('x').",
      }),
    );
    expect(a.stateCounts()).toEqual({});
  });

  it('connect to a name the lookup cannot resolve fails with its ENOTFOUND', async () => {
    const { net, a } = world();
    const lookup = (hostname: string, _o: unknown, cb: (e: Error | null, a?: unknown) => void): void => {
      const err = Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND', syscall: 'getaddrinfo', hostname });
      process.nextTick(() => cb(err));
    };
    const c = a.net.connect({ port: 80, host: 'example.invalid', lookup });
    const r = firstError(c, net);
    expect(await net.runUntil(() => r.err !== null, 1000)).toBe(true);
    expect(r.err!.code).toBe('ENOTFOUND');
    expect(r.err!.syscall).toBe('getaddrinfo');
    expect(r.err!.hostname).toBe('example.invalid');
    expect(r.err!.message.startsWith('getaddrinfo ENOTFOUND example.invalid')).toBe(true);
    expect(a.stateCounts()).toEqual({});
  });

  it('write after end fails with ERR_STREAM_WRITE_AFTER_END', async () => {
    const { net, a, b } = world();
    const server = b.net.createServer((s) => s.resume());
    server.listen(80);
    const [client] = await connectedPair(net, a, server, 80);
    client.end();
    const r = firstError(client, net);
    let cbErr: NodeError | null | undefined;
    client.write('late', (e) => (cbErr = e as NodeError | null));
    expect(await net.runUntil(() => r.err !== null && cbErr !== undefined, 1000)).toBe(true);
    expect(r.err!.code).toBe('ERR_STREAM_WRITE_AFTER_END');
    expect(cbErr?.code).toBe('ERR_STREAM_WRITE_AFTER_END');
  });

  it('writing to a connection the peer has reset fails with EPIPE or ECONNRESET', async () => {
    const { net, a, b } = world();
    const server = b.net.createServer();
    server.listen(80);
    const client = a.net.connect({ port: 80, host: '10.0.0.2', allowHalfOpen: true });
    let accepted: Socket | null = null;
    server.once('connection', (s: Socket) => (accepted = s));
    expect(await net.runUntil(() => accepted !== null && !client.connecting, 10_000)).toBe(true);
    const r = firstError(client, net);
    let ended = false;
    client.on('end', () => (ended = true));
    client.resume();
    accepted!.destroy(); // the peer's application closes: FIN, then RST for anything more we send
    expect(await net.runUntil(() => ended, 10_000)).toBe(true);
    const cbErrors: NodeError[] = [];
    // keep writing, as a client that has not noticed would; the first refusal must say why
    for (let i = 0; i < 5 && r.err === null; i++) {
      if (!client.destroyed) client.write(`more ${i}`, (e) => e && cbErrors.push(e as NodeError));
      await net.run(100);
    }
    expect(r.err).not.toBeNull();
    expect(['EPIPE', 'ECONNRESET']).toContain(r.err!.code);
    expect(b.stateCounts()).toEqual({ LISTEN: 1 });
  });

  it('ephemeral port exhaustion makes connect fail with EADDRNOTAVAIL', async () => {
    const { net, a, b } = world({ sysctl: { ip_local_port_range: [40000, 40002] } });
    const server = b.net.createServer((s) => s.resume());
    server.listen(80);
    const clients: Socket[] = [];
    for (let i = 0; i < 3; i++) clients.push(a.net.connect(80, '10.0.0.2'));
    expect(await net.runUntil(() => clients.every((c) => !c.connecting), 10_000)).toBe(true);
    expect(clients.map((c) => c.localPort).sort()).toEqual([40000, 40001, 40002]);
    const fourth = a.net.connect(80, '10.0.0.2');
    const r = firstError(fourth, net);
    expect(await net.runUntil(() => r.err !== null, 1000)).toBe(true);
    expect(r.err!.code).toBe('EADDRNOTAVAIL');
    expect(r.err!.message).toBe('connect EADDRNOTAVAIL 10.0.0.2:80');
    expect(a.stateCounts()).toEqual({ ESTABLISHED: 3 });
  });

  it('a bad sysctl at Stack creation throws an error naming the key', () => {
    expect(() => new Stack({ addresses: ['10.0.0.1'], sysctl: { tcp_syn_retries: 0 } })).toThrow(
      expect.objectContaining({ code: 'ERR_OUT_OF_RANGE', message: expect.stringContaining('tcp_syn_retries') }),
    );
    expect(() => new Stack({ addresses: ['10.0.0.1'], sysctl: { tcp_syn_retires: 3 } })).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE', message: expect.stringContaining('did you mean tcp_syn_retries') }),
    );
    expect(() => new Stack({ addresses: ['10.0.0.1'], sysctl: { ip_local_port_range: [5000, 4000] } })).toThrow(
      /ip_local_port_range/,
    );
  });

  it('an invalid address at Stack creation throws ERR_INVALID_IP_ADDRESS naming it', () => {
    expect(() => new Stack({ addresses: ['999.1.1.1'] })).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_IP_ADDRESS', message: expect.stringContaining('999.1.1.1') }),
    );
    expect(() => new Stack({ addresses: [] })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }));
  });
});
