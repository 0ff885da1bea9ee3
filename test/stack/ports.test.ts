/**
 * Ephemeral ports for connect: ip_local_port_range, a keyed-hash starting offset per destination
 * (RFC 6056 §3.3.3 / Linux __inet_hash_connect), 4-tuple uniqueness (one local port serves many
 * destinations), EADDRNOTAVAIL when the range is exhausted, and tcp_tw_reuse taking over a
 * TIME_WAIT 4-tuple when timestamps make it safe (Linux tcp_twsk_unique).
 */
import { describe, expect, it } from 'vitest';
import { SimNetwork, Stack, VirtualClock, type Socket } from '../../src/index.js';
import { SYN, decode } from './helpers.js';

type Host = SimNetwork['hosts'][number];

/** Connect and resolve to 'connect' or the error code. */
function outcome(sock: Socket): Promise<string> {
  return new Promise((resolve) => {
    sock.once('connect', () => resolve('connect'));
    sock.once('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
  });
}

async function settle(net: SimNetwork, ps: Promise<string>[], ms = 2000): Promise<string[]> {
  const results: string[] = [];
  ps.forEach((p, i) => void p.then((r) => (results[i] = r)));
  await net.runUntil(() => results.filter((r) => r !== undefined).length === ps.length, ms);
  return results;
}

function listen(h: Host, port = 80): Socket[] {
  const accepted: Socket[] = [];
  h.net
    .createServer((s) => {
      accepted.push(s);
      s.resume();
    })
    .listen(port);
  return accepted;
}

describe('Linux ip_local_port_range: ephemeral ports for connect', () => {
  it('with a range of 3 ports, 3 connects succeed and the 4th fails with EADDRNOTAVAIL', async () => {
    const net = new SimNetwork({ seed: 20 });
    const c = net.host('10.0.0.1', { sysctl: { ip_local_port_range: [40000, 40002] } });
    const s = net.host('10.0.0.2');
    listen(s);
    await net.run(1);
    const socks = [0, 1, 2, 3].map(() => c.net.connect(80, '10.0.0.2'));
    const results = await settle(net, socks.map(outcome));
    expect(results).toEqual(['connect', 'connect', 'connect', 'EADDRNOTAVAIL']);
    const ports = socks.slice(0, 3).map((x) => x.localPort!);
    expect(new Set(ports).size).toBe(3);
    for (const p of ports) expect(p >= 40000 && p <= 40002).toBe(true);
    expect(c.stateCounts()).toEqual({ ESTABLISHED: 3 });
  });

  it('the EADDRNOTAVAIL error is node-style: code, errno, syscall connect, and the destination', async () => {
    const net = new SimNetwork({ seed: 21 });
    const c = net.host('10.0.0.1', { sysctl: { ip_local_port_range: [40000, 40000] } });
    listen(net.host('10.0.0.2'));
    await net.run(1);
    c.net.connect(80, '10.0.0.2');
    const sock = c.net.connect(80, '10.0.0.2');
    let err: NodeJS.ErrnoException | undefined;
    sock.on('error', (e: NodeJS.ErrnoException) => (err = e));
    await net.run(100);
    expect(err).toMatchObject({ code: 'EADDRNOTAVAIL', errno: -99, syscall: 'connect', address: '10.0.0.2', port: 80 });
    expect(sock.destroyed).toBe(true);
  });

  it('every port chosen lies within the range', async () => {
    const net = new SimNetwork({ seed: 22 });
    const c = net.host('10.0.0.1', { sysctl: { ip_local_port_range: [50000, 50099] } });
    listen(net.host('10.0.0.2'));
    await net.run(1);
    const socks = Array.from({ length: 100 }, () => c.net.connect(80, '10.0.0.2'));
    const results = await settle(net, socks.map(outcome));
    expect(results.every((r) => r === 'connect')).toBe(true);
    const ports = socks.map((x) => x.localPort!);
    expect(new Set(ports).size).toBe(100);
    expect(Math.min(...ports)).toBe(50000);
    expect(Math.max(...ports)).toBe(50099);
  });

  it('a port is free again once its connection has closed (passive close: no TIME_WAIT on this side)', async () => {
    const net = new SimNetwork({ seed: 23 });
    const c = net.host('10.0.0.1', { sysctl: { ip_local_port_range: [40000, 40000] } });
    const s = net.host('10.0.0.2');
    s.net.createServer((x) => x.end()).listen(80);
    await net.run(1);
    const first = c.net.connect(80, '10.0.0.2');
    first.resume();
    // LAST_ACK, then CLOSED when the server's ACK of our FIN arrives
    await net.runUntil(() => first.destroyed && c.connectionCount === 0, 5000);
    expect(c.stateCounts()).toEqual({});
    const second = c.net.connect(80, '10.0.0.2');
    expect(await settle(net, [outcome(second)])).toEqual(['connect']);
    expect(second.localPort).toBe(40000);
  });
});

describe('RFC 6056 / RFC 9293: connections are unique by 4-tuple', () => {
  it('one local port serves connections to two different destinations', async () => {
    const net = new SimNetwork({ seed: 24 });
    const c = net.host('10.0.0.1', { sysctl: { ip_local_port_range: [40000, 40000] } });
    listen(net.host('10.0.0.2'));
    listen(net.host('10.0.0.3'));
    await net.run(1);
    const a = c.net.connect(80, '10.0.0.2');
    const b = c.net.connect(80, '10.0.0.3');
    expect(await settle(net, [outcome(a), outcome(b)])).toEqual(['connect', 'connect']);
    expect([a.localPort, b.localPort]).toEqual([40000, 40000]);
    // and to another port of the same destination, but not twice to the same 4-tuple
    listen(net.hosts[1]!, 81);
    const d = c.net.connect(81, '10.0.0.2');
    const e = c.net.connect(80, '10.0.0.2');
    expect(await settle(net, [outcome(d), outcome(e)])).toEqual(['connect', 'EADDRNOTAVAIL']);
  });

  it('an explicit localPort whose 4-tuple is taken fails with EADDRINUSE', async () => {
    const net = new SimNetwork({ seed: 25 });
    const c = net.host('10.0.0.1');
    listen(net.host('10.0.0.2'));
    await net.run(1);
    const a = c.net.connect({ port: 80, host: '10.0.0.2', localPort: 45000 });
    const b = c.net.connect({ port: 80, host: '10.0.0.2', localPort: 45000 });
    expect(await settle(net, [outcome(a), outcome(b)])).toEqual(['connect', 'EADDRINUSE']);
  });
});

describe('RFC 6056 §3.3.3 / Linux __inet_hash_connect: hash-based port choice', () => {
  const firstPort = (seed: number, dest: string, port = 80): number => {
    const st = new Stack({ addresses: ['10.0.0.1'], clock: new VirtualClock(), seed });
    return st.net.connect(port, dest).localPort!;
  };
  const dests = Array.from({ length: 20 }, (_, i) => `10.0.1.${i + 1}`);

  it('different destinations start at different offsets in the range', () => {
    const ports = dests.map((d) => firstPort(42, d));
    expect(new Set(ports).size).toBeGreaterThanOrEqual(18);
    for (const p of ports) expect(p >= 32768 && p <= 60999).toBe(true);
    // the remote port is part of the destination too
    expect(firstPort(42, '10.0.1.1', 443)).not.toBe(firstPort(42, '10.0.1.1', 80));
  });

  it('the offset is keyed by the host secret: same seed, same port; another seed, another port', () => {
    for (const d of dests) expect(firstPort(7, d)).toBe(firstPort(7, d));
    const differ = dests.filter((d) => firstPort(7, d) !== firstPort(8, d)).length;
    expect(differ).toBeGreaterThanOrEqual(18);
  });

  it('consecutive connects to one destination take distinct ports', () => {
    const st = new Stack({ addresses: ['10.0.0.1'], clock: new VirtualClock(), seed: 3 });
    const ports = Array.from({ length: 50 }, () => st.net.connect(80, '10.0.1.1').localPort!);
    expect(new Set(ports).size).toBe(50);
  });
});

// ---------------------------------------------------------------------------------------------

/**
 * The client (one ephemeral port) connects, sends, and closes first, so that its side ends in
 * TIME_WAIT; returns the record's SND.NXT and a function to connect again.
 */
async function clientInTimeWait(clientSysctl: Record<string, unknown>, addrs: { client: string; server: string } | 'loopback' = { client: '10.0.0.1', server: '10.0.0.2' }) {
  const net = new SimNetwork({ seed: 30 });
  const loop = addrs === 'loopback';
  const clientAddr = loop ? '127.0.0.1' : addrs.client;
  const serverAddr = loop ? '127.0.0.1' : addrs.server;
  const c = net.host(clientAddr, { sysctl: { ip_local_port_range: [40000, 40000], ...clientSysctl } });
  const s = loop ? c : net.host(serverAddr);
  const received: string[] = [];
  s.net
    .createServer((sock) => {
      const i = received.push('') - 1;
      sock.on('data', (d: Buffer) => (received[i] += d.toString()));
      sock.on('end', () => sock.end());
    })
    .listen(80);
  const syns: number[] = [];
  c.on('packet', (p: Uint8Array) => {
    const d = decode(p);
    if (d.seg.flags & SYN && d.seg.dstPort === 80) syns.push(d.seg.seq);
  });
  await net.run(1);
  const first = c.net.connect(80, serverAddr);
  first.resume();
  first.end('one');
  await net.runUntil(() => c.timeWait.size === 1, 5000);
  expect(c.timeWait.size).toBe(1);
  const slot = [...c.timeWait.slots()][0]!;
  const oldSndNxt = c.timeWait.sndNxt(slot);
  const again = async (): Promise<{ result: string; sock: Socket }> => {
    const sock = c.net.connect(80, serverAddr);
    const [result] = await settle(net, [outcome(sock)]);
    return { result: result!, sock };
  };
  return { net, c, s, again, oldSndNxt, syns, received };
}

describe('Linux tcp_tw_reuse (tcp_twsk_unique): connect may take over its own TIME_WAIT 4-tuple', () => {
  it('tcp_tw_reuse = 1, timestamps on, more than 1 s after the last segment: connect succeeds and timeWaitReused counts it', async () => {
    const t = await clientInTimeWait({ tcp_tw_reuse: 1 });
    await t.net.run(1500);
    const { result, sock } = await t.again();
    expect(result).toBe('connect');
    expect(sock.localPort).toBe(40000);
    expect(t.c.counters.timeWaitReused).toBe(1);
    expect(t.c.timeWait.size).toBe(0);
    // the new connection's ISN continues past the old one's sequence space (old SND.NXT + 65537)
    expect(t.syns[t.syns.length - 1]).toBe((t.oldSndNxt + 65537) >>> 0);
    // and it carries data
    sock.end('two');
    await t.net.runUntil(() => t.received[1] === 'two', 5000);
    expect(t.received).toEqual(['one', 'two']);
  });

  it('tcp_tw_reuse = 1 but within 1 s of the last segment: EADDRNOTAVAIL', async () => {
    const t = await clientInTimeWait({ tcp_tw_reuse: 1 });
    const { result } = await t.again();
    expect(result).toBe('EADDRNOTAVAIL');
    expect(t.c.counters.timeWaitReused).toBe(0);
    expect(t.c.timeWait.size).toBe(1);
  });

  it('tcp_tw_reuse = 0: EADDRNOTAVAIL while the 4-tuple is in TIME_WAIT, success once it expires', async () => {
    const t = await clientInTimeWait({ tcp_tw_reuse: 0 });
    await t.net.run(2000);
    expect((await t.again()).result).toBe('EADDRNOTAVAIL');
    await t.net.run(60_000);
    expect(t.c.timeWait.size).toBe(0);
    expect((await t.again()).result).toBe('connect');
    expect(t.c.counters.timeWaitReused).toBe(0);
  });

  it('tcp_tw_reuse = 2 (default, loopback only) refuses for a non-loopback peer', async () => {
    const t = await clientInTimeWait({ tcp_tw_reuse: 2 });
    await t.net.run(2000);
    expect((await t.again()).result).toBe('EADDRNOTAVAIL');
    expect(t.c.counters.timeWaitReused).toBe(0);
  });

  it('tcp_tw_reuse = 2 allows it for a loopback peer', async () => {
    const t = await clientInTimeWait({ tcp_tw_reuse: 2 }, 'loopback');
    await t.net.run(2000);
    const { result, sock } = await t.again();
    expect(result).toBe('connect');
    expect(sock.localPort).toBe(40000);
    expect(t.c.counters.timeWaitReused).toBe(1);
  });

  it('without timestamps the reuse is never safe: EADDRNOTAVAIL even with tcp_tw_reuse = 1', async () => {
    const t = await clientInTimeWait({ tcp_tw_reuse: 1, tcp_timestamps: 0 });
    await t.net.run(2000);
    expect((await t.again()).result).toBe('EADDRNOTAVAIL');
    expect(t.c.counters.timeWaitReused).toBe(0);
  });
});
