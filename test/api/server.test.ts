/**
 * net.Server over synack behaves as node:net's: listening, address(), 'connection', getConnections,
 * maxConnections and 'drop', close() semantics, listen()'s argument forms, the accept queue as the
 * socket table shows it, IPv6, dual stack, and connections to the host's own address.
 */
import { describe, expect, it } from 'vitest';
import { SimNetwork, type HostOptions, type Socket, type Stack } from '../../src/index.js';

interface NodeError extends Error {
  code?: string;
}

function world(opts: HostOptions = {}): { net: SimNetwork; a: Stack; b: Stack } {
  const net = new SimNetwork({ seed: 1 });
  const a = net.host('10.0.0.1', opts);
  const b = net.host('10.0.0.2', opts);
  return { net, a, b };
}

function listenRow(stack: Stack, port: number) {
  return stack.sockets().find((r) => r.state === 'LISTEN' && r.localPort === port);
}

/** Echo server body: every byte back, and end when the client ends. */
function echo(s: Socket): void {
  s.on('data', (d: Buffer) => s.write(d));
}

async function roundTrip(net: SimNetwork, c: Socket, text: string): Promise<string> {
  let got = '';
  c.on('data', (d: Buffer) => (got += d.toString()));
  c.write(text);
  await net.runUntil(() => got.length >= text.length, 10_000);
  return got;
}

describe('net.Server over synack', () => {
  it("emits 'listening' asynchronously and runs listen's callback", async () => {
    const { net, b } = world();
    const server = b.net.createServer();
    const events: string[] = [];
    server.on('listening', () => events.push('listening'));
    server.listen(80, () => events.push('callback'));
    expect(server.listening).toBe(true);
    expect(events).toEqual([]); // not synchronously, as in node:net
    await net.run(1);
    expect(events).toEqual(['listening', 'callback']);
  });

  it('listen(0) picks a free ephemeral port that address() reports and clients reach', async () => {
    const { net, a, b } = world();
    const server = b.net.createServer(echo);
    server.listen(0);
    const addr = server.address()!;
    expect(addr.family).toBe('IPv4');
    expect(addr.address).toBe('0.0.0.0');
    expect(addr.port).toBeGreaterThanOrEqual(b.sysctl.ip_local_port_range[0]);
    expect(addr.port).toBeLessThanOrEqual(b.sysctl.ip_local_port_range[1]);
    const other = b.net.createServer().listen(0);
    expect(other.address()!.port).not.toBe(addr.port);
    const c = a.net.connect(addr.port, '10.0.0.2');
    expect(await roundTrip(net, c, 'ping')).toBe('ping');
  });

  it("'connection' hands over a net.Socket for each accepted connection", async () => {
    const { net, a, b } = world();
    const accepted: Socket[] = [];
    b.net.createServer((s) => accepted.push(s)).listen(80);
    const clients = [a.net.connect(80, '10.0.0.2'), a.net.connect(80, '10.0.0.2')];
    expect(await net.runUntil(() => accepted.length === 2, 10_000)).toBe(true);
    for (const s of accepted) {
      expect(s).toBeInstanceOf(b.net.Socket);
      expect(s.connecting).toBe(false);
      expect(s.pending).toBe(false);
      expect(s.readyState).toBe('open');
    }
    expect(accepted.map((s) => s.remotePort).sort()).toEqual(clients.map((c) => c.localPort).sort());
  });

  it('getConnections() counts the open connections', async () => {
    const { net, a, b } = world();
    const server = b.net.createServer();
    server.listen(80);
    const count = async (): Promise<number> => {
      let n = -1;
      server.getConnections((err, k) => {
        expect(err).toBeNull();
        n = k;
      });
      await net.runUntil(() => n >= 0, 100);
      return n;
    };
    expect(await count()).toBe(0);
    const clients = [0, 1, 2].map(() => a.net.connect(80, '10.0.0.2'));
    expect(await net.runUntil(() => server.connections === 3, 10_000)).toBe(true);
    expect(await count()).toBe(3);
    clients[0]!.end();
    let closed = false;
    clients[0]!.on('close', () => (closed = true));
    expect(await net.runUntil(() => closed && server.connections === 2, 10_000)).toBe(true);
    expect(await count()).toBe(2);
  });

  it("an accepted socket counts until it is destroyed, once, with no 'close' listener of the server's (as node:net's)", async () => {
    const { net, a, b } = world();
    const accepted: Socket[] = [];
    const server = b.net.createServer((s) => accepted.push(s));
    server.listen(80);
    const clients = [0, 1].map(() => a.net.connect(80, '10.0.0.2'));
    expect(await net.runUntil(() => server.connections === 2, 10_000)).toBe(true);
    // node:net's accepted sockets carry no listener of the server's
    expect(accepted.map((s) => s.listenerCount('close'))).toEqual([0, 0]);
    // the count goes down at destroy(), before the socket's 'close' listeners run (node:net's
    // Socket#_destroy); real node:net gives [0, 0] here, as the two destroy() calls come first
    const seen: number[] = [];
    accepted[0]!.on('close', () => seen.push(server.connections));
    accepted[0]!.prependListener('close', () => seen.push(server.connections));
    // the application removing every listener does not keep the socket counted
    accepted[1]!.removeAllListeners('close');
    accepted[0]!.destroy();
    accepted[1]!.destroy();
    expect(await net.runUntil(() => server.connections === 0, 10_000)).toBe(true);
    expect(seen).toEqual([0, 0]);
    // a socket counts once: a closed accepted socket that connects again and closes again does not
    // take another from the count
    const again = accepted[0]!;
    again.connect(80, '10.0.0.2');
    expect(await net.runUntil(() => server.connections === 1, 10_000)).toBe(true); // the new connection's accepted socket
    let closedAgain = false;
    again.on('close', () => (closedAgain = true));
    again.destroy();
    expect(await net.runUntil(() => closedAgain, 10_000)).toBe(true);
    await net.run(100);
    expect(server.connections).toBe(0); // the reconnecting socket's peer closed too, counted once
    for (const c of clients) c.destroy();
  });

  it("maxConnections closes connections beyond the limit and emits 'drop'", async () => {
    const { net, a, b } = world();
    const server = b.net.createServer(echo);
    server.maxConnections = 1;
    const drops: unknown[] = [];
    server.on('drop', (d) => drops.push(d));
    server.listen(80);
    const first = a.net.connect(80, '10.0.0.2');
    expect(await net.runUntil(() => server.connections === 1, 10_000)).toBe(true);
    const second = a.net.connect(80, '10.0.0.2');
    let secondEnded = false;
    second.on('end', () => (secondEnded = true));
    second.resume();
    expect(await net.runUntil(() => secondEnded, 10_000)).toBe(true);
    expect(drops).toEqual([
      { localAddress: '10.0.0.2', localPort: 80, remoteAddress: '10.0.0.1', remotePort: second.localPort, remoteFamily: 'IPv4' },
    ]);
    expect(server.connections).toBe(1);
    expect(await roundTrip(net, first, 'still served')).toBe('still served');
  });

  it("close() stops accepting (new SYNs get RST) and 'close' waits for open connections to end", async () => {
    const { net, a, b } = world();
    const server = b.net.createServer(echo);
    server.listen(80);
    const kept = a.net.connect(80, '10.0.0.2');
    expect(await net.runUntil(() => server.connections === 1, 10_000)).toBe(true);
    let closeCalls = 0;
    let closeErr: Error | undefined | null = null;
    server.close((err) => {
      closeCalls++;
      closeErr = err;
    });
    expect(server.listening).toBe(false);
    expect(server.address()).toBeNull();
    expect(listenRow(b, 80)).toBeUndefined();
    // a new client is refused
    const late = a.net.connect(80, '10.0.0.2');
    let lateErr: NodeError | null = null;
    late.on('error', (e: NodeError) => (lateErr = e));
    expect(await net.runUntil(() => lateErr !== null, 10_000)).toBe(true);
    expect(lateErr!.code).toBe('ECONNREFUSED');
    // the open connection is still served, and 'close' waits for it
    expect(await roundTrip(net, kept, 'served')).toBe('served');
    expect(closeCalls).toBe(0);
    kept.end();
    expect(await net.runUntil(() => closeCalls === 1, 10_000)).toBe(true);
    expect(closeErr).toBeUndefined();
  });

  it('close() on a server that is not listening reports ERR_SERVER_NOT_RUNNING', async () => {
    const { net, b } = world();
    let err: NodeError | null = null;
    b.net.createServer().close((e) => (err = e as NodeError));
    await net.run(1);
    expect(err!.code).toBe('ERR_SERVER_NOT_RUNNING');
  });

  it('listen() takes (port, host, backlog, cb), (options, cb), (port, cb), (cb), and a port as decimal text', async () => {
    const { net, b } = world();
    const done: string[] = [];
    const s1 = b.net.createServer().listen(81, '10.0.0.2', 5, () => done.push('s1'));
    const s2 = b.net.createServer().listen({ port: 82, host: '10.0.0.2', backlog: 7 }, () => done.push('s2'));
    const s3 = b.net.createServer().listen(83, () => done.push('s3'));
    const s4 = b.net.createServer().listen(() => done.push('s4'));
    const s5 = b.net.createServer().listen('84' as unknown as number, () => done.push('s5'));
    await net.run(1);
    expect(done.sort()).toEqual(['s1', 's2', 's3', 's4', 's5']);
    expect(s1.address()).toEqual({ address: '10.0.0.2', family: 'IPv4', port: 81 });
    expect(listenRow(b, 81)).toMatchObject({ localAddress: '10.0.0.2', recvQ: 0, sendQ: 5 });
    expect(s2.address()).toEqual({ address: '10.0.0.2', family: 'IPv4', port: 82 });
    expect(listenRow(b, 82)!.sendQ).toBe(7);
    expect(s3.address()).toEqual({ address: '0.0.0.0', family: 'IPv4', port: 83 });
    expect(listenRow(b, 83)!.sendQ).toBe(511); // node:net's default backlog
    expect(s4.address()!.port).toBeGreaterThanOrEqual(b.sysctl.ip_local_port_range[0]);
    expect(s5.address()!.port).toBe(84);
  });

  it('a connect port given as decimal text is accepted, as in node:net', async () => {
    const { net, a, b } = world();
    b.net.createServer(echo).listen(80);
    const c = a.net.connect({ port: '80' as unknown as number, host: '10.0.0.2' });
    expect(await roundTrip(net, c, 'text port')).toBe('text port');
    expect(c.remotePort).toBe(80);
  });

  it("connect() leaves the application's options object as it was; net.connect(port, host) takes a text port too", async () => {
    const { net, a, b } = world();
    b.net.createServer(echo).listen(80);
    const opts = { port: '80' as unknown as number, host: '10.0.0.2' };
    const c = a.net.connect(opts);
    expect(opts).toEqual({ port: '80', host: '10.0.0.2' });
    expect(await roundTrip(net, c, 'options')).toBe('options');
    const d = a.net.connect('80' as unknown as number, '10.0.0.2');
    expect(await roundTrip(net, d, 'text port')).toBe('text port');
    expect(d.remotePort).toBe(80);
    d.destroy();
    await net.run(1);
    expect([d.remoteAddress, d.remotePort, d.localAddress, d.localFamily]).toEqual(['10.0.0.2', 80, '10.0.0.1', 'IPv4']);
  });

  it('the accept queue: connections the application has not accepted show as the LISTEN row recvQ, bounded by the backlog (sendQ)', async () => {
    const { net, a, b } = world();
    const accepted: Socket[] = [];
    const server = b.net.createServer((s) => accepted.push(s));
    server.listen(80, '10.0.0.2', 2);
    server.pauseAccepting(); // the application is too busy to accept
    const clients = [0, 1, 2].map(() => a.net.connect(80, '10.0.0.2'));
    await net.run(500);
    expect(accepted).toHaveLength(0);
    expect(listenRow(b, 80)).toMatchObject({ recvQ: 2, sendQ: 2 });
    // the third handshake's final ACK found the queue full and was dropped: SYN_RCVD on the server
    expect(b.counters.listenOverflows).toBeGreaterThan(0);
    expect(b.sockets().filter((r) => r.state === 'SYN_RCVD')).toHaveLength(1);
    expect(b.sockets().filter((r) => r.state === 'ESTABLISHED')).toHaveLength(2);
    server.resumeAccepting();
    await net.run(1);
    expect(accepted).toHaveLength(2);
    expect(listenRow(b, 80)!.recvQ).toBe(0);
    // the SYN-ACK retransmission lets the third complete, and it is accepted too
    expect(await net.runUntil(() => accepted.length === 3, 10_000)).toBe(true);
    expect(accepted.map((s) => s.remotePort).sort()).toEqual(clients.map((c) => c.localPort).sort());
  });

  it('serves an IPv6 client on an IPv6 host', async () => {
    const net = new SimNetwork({ seed: 1 });
    const a = net.host('fd00::1');
    const b = net.host('fd00::2');
    let peer: Socket | null = null;
    const server = b.net.createServer((s) => {
      peer = s;
      echo(s);
    });
    server.listen(80);
    expect(server.address()).toEqual({ address: '::', family: 'IPv6', port: 80 });
    const c = a.net.connect(80, 'fd00::2');
    expect(await roundTrip(net, c, 'over v6')).toBe('over v6');
    expect(c.remoteFamily).toBe('IPv6');
    expect(c.remoteAddress).toBe('fd00::2');
    expect(c.localAddress).toBe('fd00::1');
    expect(c.address()).toEqual({ address: 'fd00::1', family: 'IPv6', port: c.localPort });
    expect(peer!.remoteAddress).toBe('fd00::1');
    expect(peer!.remoteFamily).toBe('IPv6');
    expect(b.sockets().find((r) => r.state === 'ESTABLISHED')).toMatchObject({ localAddress: 'fd00::2', remoteAddress: 'fd00::1' });
  });

  it('a dual-stack host serves IPv4 and IPv6 clients on one wildcard listener', async () => {
    const net = new SimNetwork({ seed: 1 });
    const a = net.host(['10.0.0.1', 'fd00::1']);
    const b = net.host(['10.0.0.2', 'fd00::2']);
    const peers: Socket[] = [];
    const server = b.net.createServer((s) => {
      peers.push(s);
      echo(s);
    });
    server.listen(80);
    expect(server.address()).toEqual({ address: '::', family: 'IPv6', port: 80 });
    const v4 = a.net.connect(80, '10.0.0.2');
    const v6 = a.net.connect(80, 'fd00::2');
    expect(await roundTrip(net, v4, 'four')).toBe('four');
    expect(await roundTrip(net, v6, 'six')).toBe('six');
    expect(v4.localAddress).toBe('10.0.0.1');
    expect(v6.localAddress).toBe('fd00::1');
    // synack reports an IPv4 peer as IPv4 (Linux's dual-stack socket would say ::ffff:10.0.0.1)
    expect(peers.map((s) => `${s.remoteFamily} ${s.remoteAddress}`).sort()).toEqual(['IPv4 10.0.0.1', 'IPv6 fd00::1']);
  });

  it("connects to the host's own address through the stack's internal loopback", async () => {
    const net = new SimNetwork({ seed: 1 });
    const a = net.host('10.0.0.1');
    let onWire = 0;
    net.onPacket(() => onWire++);
    let peer: Socket | null = null;
    a.net.createServer((s) => {
      peer = s;
      echo(s);
    }).listen(80);
    const c = a.net.connect(80, '10.0.0.1');
    expect(await roundTrip(net, c, 'to myself')).toBe('to myself');
    expect(peer!.remotePort).toBe(c.localPort);
    expect(onWire).toBe(0);
    expect(a.stateCounts()).toEqual({ LISTEN: 1, ESTABLISHED: 2 });
    let closed = false;
    c.on('close', () => (closed = true));
    c.end();
    expect(await net.runUntil(() => closed, 10_000)).toBe(true);
    expect(a.stateCounts()).toEqual({ LISTEN: 1, TIME_WAIT: 1 });
  });
});
