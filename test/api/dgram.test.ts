/**
 * stack.dgram over the simulator, grouped as Node's dgram docs: the socket's events, bind, send and
 * 'message', connect / disconnect, close, and the errors a user can cause (compared with node:dgram
 * in dgram-node-parity.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { SimNetwork, type DgramRemoteInfo, type DgramSocket, type Stack } from '../../src/index.js';

function pair(): { net: SimNetwork; a: Stack; b: Stack } {
  const net = new SimNetwork({ seed: 7 });
  const a = net.host(['10.0.0.1', 'fd00::1']);
  const b = net.host(['10.0.0.2', 'fd00::2']);
  return { net, a, b };
}

function messages(s: DgramSocket): [string, DgramRemoteInfo][] {
  const got: [string, DgramRemoteInfo][] = [];
  s.on('message', (m: Buffer, r: DgramRemoteInfo) => got.push([m.toString(), r]));
  return got;
}

describe("Event: 'listening' and socket.bind()", () => {
  it("bind(port) emits 'listening' asynchronously; address() gives the wildcard and the port", async () => {
    const { net, b } = pair();
    const s = b.dgram.createSocket('udp4');
    const events: string[] = [];
    s.on('listening', () => events.push('listening'));
    s.bind(5353, () => events.push('callback'));
    expect(events).toEqual([]);
    await net.run(1);
    expect(events).toEqual(['listening', 'callback']);
    expect(s.address()).toEqual({ address: '0.0.0.0', family: 'IPv4', port: 5353 });
    s.close();
  });

  it('bind() with no port picks one from ip_local_port_range', async () => {
    const { net, b } = pair();
    const s = b.dgram.createSocket('udp6');
    s.bind();
    await net.run(1);
    const { address, family, port } = s.address();
    expect([address, family]).toEqual(['::', 'IPv6']);
    expect(port).toBeGreaterThanOrEqual(32768);
    expect(port).toBeLessThanOrEqual(60999);
    s.close();
  });

  it('bind(options) to one of our addresses', async () => {
    const { net, b } = pair();
    const s = b.dgram.createSocket({ type: 'udp4' });
    s.bind({ port: 9000, address: '10.0.0.2' });
    await net.run(1);
    expect(s.address()).toEqual({ address: '10.0.0.2', family: 'IPv4', port: 9000 });
    s.close();
  });

  it("a port already bound gives 'error' EADDRINUSE (bind EADDRINUSE 0.0.0.0:PORT)", async () => {
    const { net, b } = pair();
    const first = b.dgram.createSocket('udp4').bind(7000);
    const second = b.dgram.createSocket('udp4').bind(7000, '10.0.0.2');
    const errors: Error[] = [];
    second.on('error', (e) => errors.push(e));
    await net.run(1);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ code: 'EADDRINUSE', errno: -98, syscall: 'bind', address: '10.0.0.2', port: 7000, message: 'bind EADDRINUSE 10.0.0.2:7000' });
    first.close();
    second.close();
  });

  it("an address that is not ours gives 'error' EADDRNOTAVAIL", async () => {
    const { net, b } = pair();
    const s = b.dgram.createSocket('udp4').bind(0, '10.9.9.9');
    const errors: Error[] = [];
    s.on('error', (e) => errors.push(e));
    await net.run(1);
    expect(errors[0]).toMatchObject({ code: 'EADDRNOTAVAIL', message: 'bind EADDRNOTAVAIL 10.9.9.9' });
  });

  it('binding twice throws ERR_SOCKET_ALREADY_BOUND', () => {
    const { b } = pair();
    const s = b.dgram.createSocket('udp4').bind(0);
    expect(() => s.bind(0)).toThrow(expect.objectContaining({ code: 'ERR_SOCKET_ALREADY_BOUND', message: 'Socket is already bound' }));
  });
});

describe("socket.send() and Event: 'message'", () => {
  it('IPv4: a datagram arrives with rinfo { address, family, port, size }', async () => {
    const { net, a, b } = pair();
    const server = b.dgram.createSocket('udp4');
    const got = messages(server);
    server.bind(53);
    const client = a.dgram.createSocket('udp4');
    client.bind(4000);
    await net.run(1);
    const sent: [Error | null, number][] = [];
    client.send('hello', 53, '10.0.0.2', (err, n) => sent.push([err, n]));
    await net.run(100);
    expect(sent).toEqual([[null, 5]]);
    expect(got).toEqual([['hello', { address: '10.0.0.1', family: 'IPv4', port: 4000, size: 5 }]]);
    server.close();
    client.close();
  });

  it('IPv6: the reply goes back to rinfo.address and rinfo.port', async () => {
    const { net, a, b } = pair();
    const server = b.dgram.createSocket('udp6', (msg, rinfo) => server.send(msg, rinfo.port, rinfo.address));
    server.bind(7);
    const client = a.dgram.createSocket('udp6');
    const got = messages(client);
    await net.run(1);
    client.send(Buffer.from('echo me'), 7, 'fd00::2');
    await net.run(100);
    expect(got).toHaveLength(1);
    expect(got[0]![0]).toBe('echo me');
    expect(got[0]![1]).toMatchObject({ address: 'fd00::2', family: 'IPv6', port: 7, size: 7 });
    server.close();
    client.close();
  });

  it('an unbound socket binds to a random port on its first send', async () => {
    const { net, a, b } = pair();
    const server = b.dgram.createSocket('udp4');
    const got = messages(server);
    server.bind(53);
    const client = a.dgram.createSocket('udp4');
    let listening = false;
    client.on('listening', () => (listening = true));
    client.send('q', 53, '10.0.0.2');
    await net.run(100);
    expect(listening).toBe(true);
    expect(got[0]![1].port).toBe(client.address().port);
    server.close();
    client.close();
  });

  it('a list of buffers and strings is sent as one datagram; offset and length pick a slice', async () => {
    const { net, a, b } = pair();
    const server = b.dgram.createSocket('udp4');
    const got = messages(server);
    server.bind(53);
    const client = a.dgram.createSocket('udp4');
    await net.run(1);
    client.send(['ab', Buffer.from('cd'), new Uint8Array([0x65])], 53, '10.0.0.2');
    client.send(Buffer.from('0123456789'), 2, 3, 53, '10.0.0.2');
    await net.run(100);
    expect(got.map((g) => g[0])).toEqual(['abcde', '234']);
    server.close();
    client.close();
  });

  it('the two sockets of one stack exchange datagrams over loopback', async () => {
    const { net, a } = pair();
    const server = a.dgram.createSocket('udp4');
    const got = messages(server);
    server.bind(53, '127.0.0.1');
    const client = a.dgram.createSocket('udp4');
    await net.run(1);
    client.send('local', 53);
    await net.run(10);
    expect(got[0]).toEqual(['local', { address: '127.0.0.1', family: 'IPv4', port: client.address().port, size: 5 }]);
    server.close();
    client.close();
  });

  it("new stack.dgram.Socket(type) is that stack's socket, of the one class every stack shares", async () => {
    const { net, a, b } = pair();
    const server = new b.dgram.Socket('udp4');
    const got = messages(server);
    server.bind(53);
    const client = new a.dgram.Socket({ type: 'udp4' });
    expect(client).toBeInstanceOf(a.dgram.Socket);
    expect(Object.getPrototypeOf(client)).toBe(Object.getPrototypeOf(server));
    await net.run(1);
    client.send('bound', 53, '10.0.0.2');
    await net.run(10);
    expect(got[0]?.[0]).toBe('bound');
    expect(got[0]?.[1].address).toBe('10.0.0.1'); // sent from a's address: the socket is a's
    server.close();
    client.close();
  });

  it('a socket bound to one address does not get datagrams for another of ours', async () => {
    const { net, a, b } = pair();
    const only = b.dgram.createSocket('udp4');
    const got = messages(only);
    only.bind(53, '127.0.0.1');
    await net.run(1);
    a.dgram.createSocket('udp4').send('x', 53, '10.0.0.2');
    await net.run(100);
    expect(got).toEqual([]);
    expect(b.udp.counters.noPorts).toBe(1);
    only.close();
  });

  it('a datagram larger than the link MTU gives EMSGSIZE to the callback', async () => {
    const { net, a } = pair();
    const s = a.dgram.createSocket('udp4');
    const res: (Error | null)[] = [];
    s.send(Buffer.alloc(2000), 53, '10.0.0.2', (e) => res.push(e));
    await net.run(10);
    expect(res[0]).toMatchObject({ code: 'EMSGSIZE', errno: -90, syscall: 'send', message: 'send EMSGSIZE 10.0.0.2:53' });
    s.close();
  });
});

describe("socket.connect(), Event: 'connect', socket.disconnect(), socket.remoteAddress()", () => {
  it("connect() emits 'connect'; send() then needs no port; remoteAddress() gives the peer", async () => {
    const { net, a, b } = pair();
    const server = b.dgram.createSocket('udp4');
    const got = messages(server);
    server.bind(53);
    const client = a.dgram.createSocket('udp4');
    const events: string[] = [];
    client.on('connect', () => events.push('connect'));
    client.connect(53, '10.0.0.2', () => events.push('callback'));
    await net.run(1);
    expect(events).toEqual(['connect', 'callback']);
    expect(client.remoteAddress()).toEqual({ address: '10.0.0.2', family: 'IPv4', port: 53 });
    client.send('via connect');
    await net.run(100);
    expect(got.map((g) => g[0])).toEqual(['via connect']);
    server.close();
    client.close();
  });

  it('a port given as a numeric string is a number, as Node validates it', async () => {
    const { net, a, b } = pair();
    const server = b.dgram.createSocket('udp4', (msg, rinfo) => server.send(msg, rinfo.port, rinfo.address));
    server.bind(53);
    const client = a.dgram.createSocket('udp4');
    const got = messages(client);
    client.connect('53' as unknown as number, '10.0.0.2');
    await net.run(1);
    expect(client.remoteAddress().port).toBe(53);
    client.send('s');
    await net.run(100);
    expect(got.map((g) => g[0])).toEqual(['s']);
    server.close();
    client.close();
  });

  it('a connected socket only receives from its peer', async () => {
    const { net, a, b } = pair();
    const client = b.dgram.createSocket('udp4');
    const got = messages(client);
    client.bind(5000);
    client.connect(53, '10.0.0.1');
    const peer = a.dgram.createSocket('udp4').bind(53);
    const stranger = a.dgram.createSocket('udp4').bind(54);
    await net.run(1);
    peer.send('from peer', 5000, '10.0.0.2');
    stranger.send('from stranger', 5000, '10.0.0.2');
    await net.run(100);
    expect(got.map((g) => g[0])).toEqual(['from peer']);
    for (const s of [client, peer, stranger]) s.close();
  });

  it('send() with a port on a connected socket throws ERR_SOCKET_DGRAM_IS_CONNECTED; so does a second connect()', async () => {
    const { net, a } = pair();
    const s = a.dgram.createSocket('udp4');
    s.connect(53, '10.0.0.2');
    expect(() => s.connect(53, '10.0.0.2')).toThrow(expect.objectContaining({ code: 'ERR_SOCKET_DGRAM_IS_CONNECTED', message: 'Already connected' }));
    await net.run(1);
    // as Node: on a connected socket send(msg, 53, addr) reads 53 as the callback slot; the port form is send(msg, offset, length, port)
    expect(() => s.send('x', 0, 1, 53)).toThrow(expect.objectContaining({ code: 'ERR_SOCKET_DGRAM_IS_CONNECTED' }));
    expect(() => s.send('x', 0, 1, 53, '10.0.0.2')).toThrow(expect.objectContaining({ code: 'ERR_SOCKET_DGRAM_IS_CONNECTED' }));
    s.close();
  });

  it('disconnect() returns to unconnected; remoteAddress() and disconnect() then throw ERR_SOCKET_DGRAM_NOT_CONNECTED', async () => {
    const { net, a } = pair();
    const s = a.dgram.createSocket('udp4');
    s.connect(53, '10.0.0.2');
    await net.run(1);
    s.disconnect();
    expect(() => s.remoteAddress()).toThrow(expect.objectContaining({ code: 'ERR_SOCKET_DGRAM_NOT_CONNECTED', message: 'Not connected' }));
    expect(() => s.disconnect()).toThrow(expect.objectContaining({ code: 'ERR_SOCKET_DGRAM_NOT_CONNECTED' }));
    expect(() => s.send('x')).toThrow(expect.objectContaining({ code: 'ERR_SOCKET_BAD_PORT' }));
    s.close();
  });
});

describe("socket.close() and Event: 'close'", () => {
  it("close() emits 'close' once, frees the port, and later calls throw ERR_SOCKET_DGRAM_NOT_RUNNING", async () => {
    const { net, b } = pair();
    const s = b.dgram.createSocket('udp4').bind(6000);
    await net.run(1);
    let closes = 0;
    s.close(() => closes++);
    expect(() => s.close()).toThrow(expect.objectContaining({ code: 'ERR_SOCKET_DGRAM_NOT_RUNNING', message: 'Not running' }));
    expect(() => s.send('x', 1)).toThrow(expect.objectContaining({ code: 'ERR_SOCKET_DGRAM_NOT_RUNNING' }));
    expect(() => s.address()).toThrow(expect.objectContaining({ code: 'ERR_SOCKET_DGRAM_NOT_RUNNING' }));
    await net.run(1);
    expect(closes).toBe(1);
    const again = b.dgram.createSocket('udp4').bind(6000);
    await net.run(1);
    expect(again.address().port).toBe(6000);
    again.close();
  });

  it("close() right after bind(): no 'listening', then 'close'", async () => {
    const { net, b } = pair();
    const s = b.dgram.createSocket('udp4');
    const events: string[] = [];
    s.on('listening', () => events.push('listening'));
    s.on('close', () => events.push('close'));
    s.bind(0);
    s.close();
    await net.run(1);
    expect(events).toEqual(['close']);
  });

  it("send() then close() before the bind completes: 'listening', the send, then 'close' (Node's queue)", async () => {
    const { net, a, b } = pair();
    const server = b.dgram.createSocket('udp4');
    const got = messages(server);
    server.bind(53);
    await net.run(1);
    const s = a.dgram.createSocket('udp4');
    const events: string[] = [];
    s.on('listening', () => events.push('listening'));
    s.on('close', () => events.push('close'));
    s.send('last words', 53, '10.0.0.2');
    s.close();
    await net.run(100);
    expect(events).toEqual(['listening', 'close']);
    expect(got.map((g) => g[0])).toEqual(['last words']);
    server.close();
  });
});

describe('socket.ref() and socket.unref(): liveness', () => {
  it('a bound socket holds the process; unref() and close() release it', async () => {
    const { net, b } = pair();
    const before = b.liveness.active;
    const s = b.dgram.createSocket('udp4').bind(0);
    await net.run(1);
    expect(b.liveness.active).toBe(before + 1);
    expect(s.unref()).toBe(s);
    expect(b.liveness.active).toBe(before);
    s.ref();
    expect(b.liveness.active).toBe(before + 1);
    s.close();
    expect(b.liveness.active).toBe(before);
  });
});

describe('ICMP port unreachable for a closed port (RFC 1122 §4.1.3.1, RFC 4443 §3.1)', () => {
  for (const [type, dst, icmpProto, unreach, portCode] of [
    ['udp4', '10.0.0.2', 1, 3, 3],
    ['udp6', 'fd00::2', 58, 1, 4],
  ] as const) {
    it(`${type}: a datagram to a port nobody has bound draws Destination Unreachable, code port unreachable`, async () => {
      const { net, a, b } = pair();
      const icmp: number[][] = [];
      net.onPacket((e) => {
        const p = e.packet;
        const v6 = p[0]! >>> 4 === 6;
        const proto = v6 ? p[6] : p[9];
        const off = v6 ? 40 : (p[0]! & 15) * 4;
        if (e.from === dst && proto === icmpProto && !e.dropped) icmp.push([p[off]!, p[off + 1]!]);
      });
      a.dgram.createSocket(type).send('anyone?', 9999, dst);
      await net.run(100);
      expect(icmp).toEqual([[unreach, portCode]]);
      expect(b.counters.drops.udp_no_socket).toBe(1);
      expect(b.udp.counters.noPorts).toBe(1);
    });

    it(`${type}: a connected socket gets 'error' ECONNREFUSED (recvmsg) from the port unreachable, as on Linux`, async () => {
      const { net, a } = pair();
      const s = a.dgram.createSocket(type);
      const errors: Error[] = [];
      s.on('error', (e) => errors.push(e));
      s.connect(9999, dst);
      await net.run(1);
      s.send('anyone?');
      await net.run(100);
      expect(errors).toHaveLength(1);
      expect(errors[0]).toMatchObject({ code: 'ECONNREFUSED', errno: -111, syscall: 'recvmsg', message: 'recvmsg ECONNREFUSED' });
      s.close();
    });
  }

  it('an unconnected socket is not told (Linux reports ICMP errors to connected sockets only)', async () => {
    const { net, a } = pair();
    const s = a.dgram.createSocket('udp4');
    const errors: Error[] = [];
    s.on('error', (e) => errors.push(e));
    s.send('anyone?', 9999, '10.0.0.2');
    await net.run(100);
    expect(errors).toEqual([]);
    expect(a.counters.drops.udp_icmp_unconnected).toBe(1);
    s.close();
  });
});
