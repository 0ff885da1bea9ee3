/**
 * Node's surface, exactly: the members and behaviours of node:net's Socket and Server that
 * programs lean on, grouped as Node's documentation is. Where an error is involved, the same
 * scenario runs on real node:net over loopback and the errors are compared field by field.
 */
import { execFileSync } from 'node:child_process';
import { EventEmitter, once } from 'node:events';
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { SimNetwork, type Server, type Socket, type Stack } from '../../src/index.js';

interface NodeError extends Error {
  code?: string;
  errno?: number;
  syscall?: string;
  address?: string;
  port?: number;
}

function world(): { sim: SimNetwork; a: Stack; b: Stack } {
  const sim = new SimNetwork({ seed: 3 });
  return { sim, a: sim.host('10.0.0.1'), b: sim.host('10.0.0.2') };
}

/** The parts of an error that a program can see and test. */
function fields(e: unknown): Record<string, unknown> {
  const err = e as NodeError;
  return { ctor: err.constructor.name, name: err.name, code: err.code, message: err.message, errno: err.errno, syscall: err.syscall };
}

/** A node:net server on loopback for comparisons. */
async function nodeServer(onConnection: (s: net.Socket) => void = () => {}): Promise<{ server: net.Server; port: number }> {
  const server = net.createServer(onConnection);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { server, port: (server.address() as net.AddressInfo).port };
}

/** Listen on b:80 and connect from a; both ends once up. */
async function pair(sim: SimNetwork, a: Stack, b: Stack, clientOpts: object = {}): Promise<{ server: Server; client: Socket; peer: Socket }> {
  const server = b.net.createServer();
  server.listen(80);
  let peer: Socket | null = null;
  server.on('connection', (s: Socket) => (peer = s));
  const client = a.net.connect({ port: 80, host: '10.0.0.2', ...clientOpts });
  expect(await sim.runUntil(() => peer !== null && !client.connecting, 10_000)).toBe(true);
  return { server, client, peer: peer! };
}

describe('net module', () => {
  it('net.Socket(), net.Server() and net.Stream() construct without new, as node:net', () => {
    const { a } = world();
    const s = (a.net.Socket as unknown as () => Socket)();
    const st = (a.net.Stream as unknown as () => Socket)();
    const sv = (a.net.Server as unknown as () => Server)();
    expect(s).toBeInstanceOf(a.net.Socket);
    expect(st).toBeInstanceOf(a.net.Socket);
    expect(sv).toBeInstanceOf(a.net.Server);
    expect(a.net.Stream).toBe(a.net.Socket);
    expect(s.constructor).toBe(a.net.Socket);
    // as node:net's own
    expect((net.Socket as unknown as () => net.Socket)()).toBeInstanceOf(net.Socket);
    expect(new a.net.Socket()).toBeInstanceOf(a.net.Socket);
    class Mine extends a.net.Socket {}
    expect(new Mine()).toBeInstanceOf(a.net.Socket);
    s.destroy();
    st.destroy();
  });

  it('BlockList and SocketAddress are node:net’s own (pure data)', () => {
    const { a } = world();
    expect(a.net.BlockList).toBe(net.BlockList);
    expect(a.net.SocketAddress).toBe(net.SocketAddress);
    const list = new a.net.BlockList();
    list.addSubnet('10.0.0.0', 8);
    expect(list.check('10.0.0.2')).toBe(true);
  });
});

describe('net.Server', () => {
  it("'listening' is not emitted when close() follows listen() in the same tick, as node:net", async () => {
    const { sim, b } = world();
    const ours = b.net.createServer();
    const theirs = net.createServer();
    const seen: string[] = [];
    ours.on('listening', () => seen.push('synack listening'));
    theirs.on('listening', () => seen.push('node listening'));
    ours.listen(80);
    ours.close();
    theirs.listen(0, '127.0.0.1');
    theirs.close();
    await Promise.all([once(theirs, 'close'), sim.run(10)]);
    expect(seen).toEqual([]);
    expect(ours.listening).toBe(false);
  });

  it('close() on a server that is not listening calls back with ERR_SERVER_NOT_RUNNING, as node:net', async () => {
    const { sim, b } = world();
    const errs: unknown[] = [];
    b.net.createServer().close((e) => errs.push(e));
    net.createServer().close((e) => errs.push(e));
    await sim.run(1);
    await new Promise((r) => setImmediate(r));
    expect(errs).toHaveLength(2);
    expect(fields(errs[0])).toEqual(fields(errs[1]));
    expect((errs[0] as NodeError).code).toBe('ERR_SERVER_NOT_RUNNING');
  });

  it('server[Symbol.asyncDispose]() closes it (await using)', async () => {
    const { sim, b } = world();
    const server = b.net.createServer().listen(80);
    await sim.run(1);
    expect(server.listening).toBe(true);
    let closed = false;
    server.on('close', () => (closed = true));
    const done = server[Symbol.asyncDispose]();
    await sim.run(1);
    await done;
    expect(closed).toBe(true);
    expect(server.listening).toBe(false);
    // a second dispose of a closed server resolves without error, as Node's
    await expect(server[Symbol.asyncDispose]()).resolves.toBeUndefined();
  });

  it('listen({ signal }): aborting the signal closes the server', async () => {
    const { sim, b } = world();
    const ac = new AbortController();
    const server = b.net.createServer().listen({ port: 80, signal: ac.signal });
    await sim.run(1);
    expect(server.listening).toBe(true);
    let closed = false;
    server.on('close', () => (closed = true));
    ac.abort();
    await sim.run(1);
    expect(server.listening).toBe(false);
    expect(closed).toBe(true);
  });

  it('captureRejections: a rejected async connection listener destroys that socket with the error', async () => {
    const { sim, a, b } = world();
    const before = EventEmitter.captureRejections;
    EventEmitter.captureRejections = true;
    let server: Server;
    try {
      server = b.net.createServer();
    } finally {
      EventEmitter.captureRejections = before;
    }
    const boom = new Error('boom');
    let socketError: unknown = null;
    server.on('connection', async (s: Socket) => {
      s.on('error', (e) => (socketError = e));
      throw boom;
    });
    server.listen(80);
    const c = a.net.connect(80, '10.0.0.2');
    c.on('error', () => {});
    expect(await sim.runUntil(() => socketError !== null, 10_000)).toBe(true);
    expect(socketError).toBe(boom);
  });

  it('socket.server is the server that accepted the socket (null on the connecting side)', async () => {
    const { sim, a, b } = world();
    const { server, client, peer } = await pair(sim, a, b);
    expect(peer.server).toBe(server);
    expect(client.server).toBe(null);
  });

  it('the highWaterMark option applies to accepted sockets', async () => {
    const { sim, a, b } = world();
    const server = b.net.createServer({ highWaterMark: 1024 });
    server.listen(80);
    let peer: Socket | null = null;
    server.on('connection', (s: Socket) => (peer = s));
    a.net.connect(80, '10.0.0.2');
    expect(await sim.runUntil(() => peer !== null, 10_000)).toBe(true);
    expect(peer!.readableHighWaterMark).toBe(1024);
    expect(peer!.writableHighWaterMark).toBe(1024);
  });
});

describe('net.Socket: connecting', () => {
  it("writes made while connecting are queued and their callbacks run after 'connect'", async () => {
    const { sim, a, b } = world();
    const server = b.net.createServer((s) => s.resume());
    server.listen(80);
    const order: string[] = [];
    const c = a.net.connect(80, '10.0.0.2');
    c.on('connect', () => order.push('connect'));
    c.write('early', (e) => order.push(`write callback ${e ?? 'ok'}`));
    expect(c.bufferSize).toBe(5);
    expect(c.bytesWritten).toBe(5); // counting queued data, as node:net
    expect(await sim.runUntil(() => order.length === 2, 10_000)).toBe(true);
    expect(order).toEqual(['connect', 'write callback ok']);
    expect(c.bytesWritten).toBe(5);
  });

  it('remoteAddress, remotePort and remoteFamily are undefined until connected', async () => {
    const { sim, a, b } = world();
    b.net.createServer().listen(80);
    const c = new a.net.Socket();
    expect([c.remoteAddress, c.remotePort, c.remoteFamily, c.localAddress, c.localPort]).toEqual([undefined, undefined, undefined, undefined, undefined]);
    expect(c.bufferSize).toBeUndefined();
    expect(c.bytesWritten).toBe(0);
    c.connect(80, '10.0.0.2');
    expect([c.remoteAddress, c.remotePort, c.remoteFamily]).toEqual([undefined, undefined, undefined]);
    expect(await sim.runUntil(() => !c.connecting, 10_000)).toBe(true);
    expect([c.remoteAddress, c.remotePort, c.remoteFamily]).toEqual(['10.0.0.2', 80, 'IPv4']);
  });

  it('write() on a socket that never connected fails with ERR_SOCKET_CLOSED, as node:net', async () => {
    const { sim, a } = world();
    const results: { cb: unknown; event: unknown }[] = [];
    for (const s of [new a.net.Socket(), new net.Socket()] as net.Socket[]) {
      const r: { cb: unknown; event: unknown } = { cb: null, event: null };
      s.on('error', (e) => (r.event = e));
      s.write('x', (e) => (r.cb = e));
      results.push(r);
    }
    await sim.run(1);
    await new Promise((r) => setImmediate(r));
    const [ours, theirs] = results;
    expect((theirs!.cb as NodeError).code).toBe('ERR_SOCKET_CLOSED');
    expect(fields(ours!.cb)).toEqual(fields(theirs!.cb));
    expect(fields(ours!.event)).toEqual(fields(theirs!.event));
  });

  it('a write queued while connecting fails with ERR_SOCKET_CLOSED_BEFORE_CONNECTION when the socket is destroyed first', async () => {
    const { sim, a } = world();
    const { server, port } = await nodeServer();
    const errs: unknown[] = [];
    const sockets = [a.net.connect(80, '10.0.0.2'), net.connect(port, '127.0.0.1')] as net.Socket[];
    for (const s of sockets) {
      s.write('x', (e) => errs.push(e));
      s.destroy();
    }
    await sim.run(1);
    for (let i = 0; i < 10 && errs.length < 2; i++) await new Promise((r) => setImmediate(r));
    server.close();
    expect((errs[1] as NodeError).code).toBe('ERR_SOCKET_CLOSED_BEFORE_CONNECTION');
    expect(fields(errs[0])).toEqual(fields(errs[1]));
  });

  it("connect({ signal }): aborting destroys the socket with node:net's AbortError", async () => {
    const { sim, a, b } = world();
    b.net.createServer().listen(80);
    const { server, port } = await nodeServer();
    const errs: unknown[] = [];
    const acs = [new AbortController(), new AbortController()];
    const sockets = [a.net.connect({ port: 80, host: '10.0.0.2', signal: acs[0]!.signal }), net.connect({ port, host: '127.0.0.1', signal: acs[1]!.signal })] as net.Socket[];
    for (const s of sockets) s.on('error', (e) => errs.push(e));
    for (const ac of acs) ac.abort();
    await sim.run(1);
    for (let i = 0; i < 10 && errs.length < 2; i++) await new Promise((r) => setImmediate(r));
    server.close();
    expect((errs[1] as NodeError).code).toBe('ABORT_ERR');
    expect(fields(errs[0])).toEqual(fields(errs[1]));
    expect(sockets[0]!.destroyed).toBe(true);
  });

  it("a Socket connects again after 'close', with fresh counters, as node:net", async () => {
    const { sim, a, b } = world();
    const server = b.net.createServer((s) => s.end('hello'));
    server.listen(80);
    const c = new a.net.Socket();
    const got: string[] = [];
    c.on('data', (d: Buffer) => got.push(String(d)));
    let closes = 0;
    c.on('close', () => closes++);
    c.connect(80, '10.0.0.2');
    expect(await sim.runUntil(() => closes === 1, 10_000)).toBe(true);
    expect(c.bytesRead).toBe(5);
    let reconnected = false;
    c.connect(80, '10.0.0.2', () => (reconnected = true));
    expect(c.bytesRead).toBe(0);
    expect(await sim.runUntil(() => closes === 2, 10_000)).toBe(true);
    expect(reconnected).toBe(true);
    expect(got).toEqual(['hello', 'hello']);
  });
});

describe('net.Socket: events', () => {
  it("'close' carries hadError: false after a clean close, true after an error", async () => {
    const { sim, a, b } = world();
    const { client, peer } = await pair(sim, a, b);
    const had: boolean[] = [];
    client.on('close', (h: boolean) => had.push(h));
    client.resume();
    peer.end();
    expect(await sim.runUntil(() => had.length === 1, 10_000)).toBe(true);
    const refused = a.net.connect(81, '10.0.0.2');
    refused.on('error', () => {});
    refused.on('close', (h: boolean) => had.push(h));
    expect(await sim.runUntil(() => had.length === 2, 10_000)).toBe(true);
    expect(had).toEqual([false, true]);
  });

  it("'timeout' is emitted once per idle period", async () => {
    const { sim, a, b } = world();
    const { client } = await pair(sim, a, b);
    let timeouts = 0;
    client.setTimeout(100, () => timeouts++);
    client.on('timeout', () => {});
    await sim.run(1000);
    expect(timeouts).toBe(1);
    client.write('activity starts a new idle period');
    await sim.run(1000);
    expect(client.listenerCount('timeout')).toBe(1);
    let again = 0;
    client.on('timeout', () => again++);
    client.write('more');
    await sim.run(1000);
    expect(again).toBe(1);
  });

  it('socket.timeout is the last setTimeout() value and can be assigned, as node:net', () => {
    const { a } = world();
    for (const s of [new a.net.Socket(), new net.Socket()] as net.Socket[]) {
      expect(s.timeout).toBeUndefined();
      s.setTimeout(250);
      expect(s.timeout).toBe(250);
      s.setTimeout(0);
      expect(s.timeout).toBe(0);
      s.timeout = 1234;
      expect(s.timeout).toBe(1234);
      s.destroy();
    }
  });
});

describe('net.Socket: state kept off the socket object', () => {
  it("assigning socket.timeout starts no timer, as node:net's: no 'timeout' follows", async () => {
    const { sim, a, b } = world();
    b.net.createServer(() => {}).listen(80);
    const s = a.net.connect(80, '10.0.0.2');
    s.timeout = undefined;
    expect(s.timeout).toBeUndefined();
    s.timeout = 50;
    expect(s.timeout).toBe(50);
    let timeouts = 0;
    s.on('timeout', () => timeouts++);
    await sim.run(500);
    expect(timeouts).toBe(0);
    expect(s.timeout).toBe(50);
    s.setTimeout(100);
    await sim.run(500);
    expect(timeouts).toBe(1);
    s.destroy();
  });

  it("every stack's sockets are of one class: one prototype, each socket knowing its stack, constructor the stack's own", () => {
    const sim = new SimNetwork();
    const stacks = Array.from({ length: 6 }, (_, i) => sim.host(`10.0.0.${i + 1}`));
    const sockets = stacks.map((st) => new st.net.Socket());
    const proto = Object.getPrototypeOf(sockets[0]);
    sockets.forEach((s, i) => {
      expect(Object.getPrototypeOf(s)).toBe(proto);
      expect(s.stack).toBe(stacks[i]);
      expect(s.constructor).toBe(stacks[i]!.net.Socket);
      expect(s).toBeInstanceOf(stacks[i]!.net.Socket);
    });
    const servers = stacks.map((st) => st.net.createServer());
    servers.forEach((sv, i) => {
      expect(Object.getPrototypeOf(sv)).toBe(Object.getPrototypeOf(servers[0]));
      expect(sv.constructor).toBe(stacks[i]!.net.Server);
    });
    for (const s of sockets) s.destroy();
  });

  it("sockets of six stacks share V8's hidden class (with a class per stack, code past the fourth went megamorphic)", () => {
    // a child with --allow-natives-syntax: %HaveSameMap compares the hidden classes themselves
    const script = `
      const { SimNetwork } = await import(${JSON.stringify(new URL('../../dist/src/index.js', import.meta.url).href)});
      const sim = new SimNetwork({ clock: 'real' });
      const stacks = Array.from({ length: 6 }, (_, i) => sim.host('10.0.0.' + (i + 1)));
      const made = stacks.map((st) => new st.net.Socket());
      const connected = stacks.map((st) => st.net.connect(80, '10.0.0.1'));
      connected.forEach((s) => s.on('error', () => {}));
      console.log(JSON.stringify({
        made: made.every((s) => %HaveSameMap(s, made[0])),
        connected: connected.every((s) => %HaveSameMap(s, connected[0])),
      }));
      for (const s of [...made, ...connected]) s.destroy();
      sim.close();
    `;
    const out = execFileSync(process.execPath, ['--allow-natives-syntax', '--input-type=module', '-e', script], { encoding: 'utf8', timeout: 30_000 });
    expect(JSON.parse(out.trim().split('\n').pop()!)).toEqual({ made: true, connected: true });
  });
});

describe('net.Socket: errors from the peer', () => {
  it("a write after both sides' FINs fails with EPIPE 'This socket has been ended by the other party', as node:net", async () => {
    const { sim, a, b } = world();
    // the client half-closes at once; the server ends when it sees that; the client then writes
    const serve = (s: net.Socket): void => {
      s.resume();
      s.on('end', () => s.end());
    };
    const { server, port } = await nodeServer(serve);
    b.net.createServer(serve as (s: Socket) => void).listen(80);
    const errs: { cb: unknown; event: unknown; closeHadError: unknown }[] = [];
    const sockets = [a.net.connect(80, '10.0.0.2'), net.connect(port, '127.0.0.1')] as net.Socket[];
    for (const s of sockets) {
      const r: { cb: unknown; event: unknown; closeHadError: unknown } = { cb: null, event: null, closeHadError: null };
      errs.push(r);
      s.on('connect', () => s.end());
      s.on('error', (e) => (r.event = e));
      s.on('end', () => s.write('too late', (e) => (r.cb = e)));
      s.on('close', (h) => (r.closeHadError = h));
      s.resume();
    }
    const done = (): boolean => errs.every((r) => r.cb !== null && r.event !== null && r.closeHadError !== null);
    for (let i = 0; i < 200 && !done(); i++) {
      await sim.run(10);
      await new Promise((r) => setTimeout(r, 1));
    }
    server.close();
    expect((errs[1]!.event as NodeError).message).toBe('This socket has been ended by the other party');
    expect(fields(errs[0]!.event)).toEqual(fields(errs[1]!.event));
    expect(fields(errs[0]!.cb)).toEqual(fields(errs[1]!.cb));
    expect(errs[0]!.closeHadError).toBe(errs[1]!.closeHadError);
  });

  it("a reset while established is 'read ECONNRESET' (no address in the message), as node:net", async () => {
    const { sim, a, b } = world();
    // the server resets once it has data, so the client is surely established
    const { server, port } = await nodeServer((s) => s.once('data', () => s.resetAndDestroy()));
    b.net.createServer((s) => s.once('data', () => s.resetAndDestroy())).listen(80);
    const errs: unknown[] = [null, null];
    const sockets = [a.net.connect(80, '10.0.0.2'), net.connect(port, '127.0.0.1')] as net.Socket[];
    sockets.forEach((s, i) => {
      s.on('error', (e) => (errs[i] = e));
      s.on('connect', () => s.write('x'));
    });
    for (let i = 0; i < 200 && errs.includes(null); i++) {
      await sim.run(10);
      await new Promise((r) => setTimeout(r, 1));
    }
    server.close();
    expect((errs[1] as NodeError).message).toBe('read ECONNRESET');
    expect(fields(errs[0])).toEqual(fields(errs[1]));
  });
});

describe("net.Socket: 'connectionAttempt' events (Node 20.12+)", () => {
  /** The connection-attempt events a socket emits, as [name, ip, port, family, error code]. */
  function attempts(s: net.Socket): unknown[][] {
    const seen: unknown[][] = [];
    for (const name of ['connectionAttempt', 'connectionAttemptFailed', 'connectionAttemptTimeout']) {
      s.on(name, (ip: string, port: number, family: number, err?: NodeError) => seen.push([name, ip, family, err?.code]));
    }
    return seen;
  }

  it("a connect to an IP address announces 'connectionAttempt', and 'connectionAttemptFailed' when refused, as node:net", async () => {
    const { sim, a } = world();
    // a port nobody listens on: node:net's own refusal on loopback
    const probe = net.createServer().listen(0, '127.0.0.1');
    await once(probe, 'listening');
    const freePort = (probe.address() as net.AddressInfo).port;
    await new Promise((r) => probe.close(r));
    const ours = a.net.connect(81, '10.0.0.2');
    const theirs = net.connect(freePort, '127.0.0.1');
    const seen = [attempts(ours as unknown as net.Socket), attempts(theirs)];
    let closed = 0;
    for (const s of [ours as unknown as net.Socket, theirs]) {
      s.on('error', () => {});
      s.on('close', () => closed++);
    }
    for (let i = 0; i < 200 && closed < 2; i++) {
      await sim.run(10);
      await new Promise((r) => setTimeout(r, 1));
    }
    expect(seen[1]).toEqual([
      ['connectionAttempt', '127.0.0.1', 4, undefined],
      ['connectionAttemptFailed', '127.0.0.1', 4, 'ECONNREFUSED'],
    ]);
    expect(seen[0]).toEqual([
      ['connectionAttempt', '10.0.0.2', 4, undefined],
      ['connectionAttemptFailed', '10.0.0.2', 4, 'ECONNREFUSED'],
    ]);
  });
});
