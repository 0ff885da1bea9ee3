/**
 * Names and addresses as a Linux host has them: a loopback interface on every stack (127.0.0.0/8
 * and ::1), host names through the `lookup` option (dns.lookup's signature) with the 'lookup'
 * event, localhost, RFC 8305 happy eyeballs (autoSelectFamily), 0.0.0.0 and :: as this host,
 * wildcard listeners by family, and port 0 refused at once. Virtual time throughout.
 */
import { describe, expect, it } from 'vitest';
import { SimNetwork, type Socket, type Stack } from '../../src/index.js';
import { encodeTcpPacketV4 } from '../../src/wire/packet.js';
import { SYN } from '../../src/wire/segment.js';

function world(): { net: SimNetwork; a: Stack; b: Stack } {
  const net = new SimNetwork({ seed: 3 });
  const a = net.host(['10.0.0.1', 'fd00::1']);
  const b = net.host(['10.0.0.2', 'fd00::2']);
  return { net, a, b };
}

/** Connect and report what happened: the remote it reached, or the error. */
async function reach(net: SimNetwork, s: Socket): Promise<{ remote?: string; local?: string; err?: NodeJS.ErrnoException; at: number }> {
  const r: { remote?: string; local?: string; err?: NodeJS.ErrnoException; at: number } = { at: -1 };
  s.on('connect', () => {
    r.remote = s.remoteAddress!;
    r.local = s.localAddress!;
    r.at = net.now();
  });
  s.on('error', (e: NodeJS.ErrnoException) => {
    r.err = e;
    r.at = net.now();
  });
  await net.runUntil(() => r.at >= 0, 60_000);
  return r;
}

type LookupCb = (err: NodeJS.ErrnoException | null, address: string | { address: string; family: number }[], family?: number) => void;

describe('Loopback interface', () => {
  it('one stack serves and connects to itself on 127.0.0.1', async () => {
    const { net, a } = world();
    a.net.createServer((s) => s.end('self')).listen(7, '127.0.0.1');
    const c = a.net.connect(7, '127.0.0.1');
    let text = '';
    c.on('data', (d: Buffer) => (text += d.toString()));
    expect(await net.runUntil(() => c.destroyed, 5000)).toBe(true);
    expect(text).toBe('self');
    expect(c.remoteAddress).toBe('127.0.0.1');
    expect(c.localAddress).toBe('127.0.0.1');
  });

  it('one stack serves and connects to itself on ::1', async () => {
    const { net, a } = world();
    a.net.createServer((s) => s.end('self6')).listen(7, '::1');
    const c = a.net.connect(7, '::1');
    let text = '';
    c.on('data', (d: Buffer) => (text += d.toString()));
    expect(await net.runUntil(() => c.destroyed, 5000)).toBe(true);
    expect(text).toBe('self6');
    expect(c.remoteFamily).toBe('IPv6');
  });

  it('every address in 127.0.0.0/8 is this host: listen on 127.0.0.2 and connect to it', async () => {
    const { net, a } = world();
    const srv = a.net.createServer().listen(8, '127.0.0.2');
    const r = await reach(net, a.net.connect(8, '127.0.0.2'));
    expect(r.remote).toBe('127.0.0.2');
    expect(srv.address()).toEqual({ address: '127.0.0.2', family: 'IPv4', port: 8 });
  });

  it('a stack without IPv6 addresses still has ::1', async () => {
    const net = new SimNetwork({ seed: 1 });
    const v4only = net.host('10.0.0.9');
    v4only.net.createServer().listen(9, '::1');
    const r = await reach(net, v4only.net.connect(9, '::1'));
    expect(r.remote).toBe('::1');
  });

  it('a packet addressed to 127.0.0.1 that arrives from outside is dropped as a martian (RFC 1122 §3.2.1.3)', () => {
    const { a } = world();
    a.net.createServer().listen(80);
    const seg = { srcPort: 1234, dstPort: 80, seq: 1, ack: 0, flags: SYN, window: 1000, urgent: 0, options: {}, payload: new Uint8Array(0) };
    a.input(encodeTcpPacketV4(0x0a000002, 0x7f000001, seg).slice());
    expect(a.counters.drops.martian_loopback).toBe(1);
    expect(a.connectionCount).toBe(0);
  });
});

describe("net.connect(): host names, the 'lookup' option and Event: 'lookup'", () => {
  it("calls `lookup` with dns.lookup's arguments for a host name and reports the answer with a 'lookup' event", async () => {
    const { net, a, b } = world();
    b.net.createServer().listen(80);
    const calls: unknown[][] = [];
    const lookup = (host: string, opts: unknown, cb: LookupCb): void => {
      calls.push([host, opts]);
      process.nextTick(() => cb(null, '10.0.0.2', 4));
    };
    const c = a.net.connect({ port: 80, host: 'server.example', lookup, autoSelectFamily: false });
    const events: unknown[][] = [];
    c.on('lookup', (...args: unknown[]) => events.push(args));
    const r = await reach(net, c);
    expect(calls).toEqual([['server.example', { family: 0, hints: 0 }]]);
    expect(events).toEqual([[null, '10.0.0.2', 4, 'server.example']]);
    expect(r.remote).toBe('10.0.0.2');
  });

  it("with autoSelectFamily the lookup is asked for all addresses (all: true) and each is reported by a 'lookup' event", async () => {
    const { net, a, b } = world();
    b.net.createServer().listen(80);
    let asked: unknown;
    const lookup = (_h: string, opts: unknown, cb: LookupCb): void => {
      asked = opts;
      process.nextTick(() => cb(null, [{ address: '10.0.0.2', family: 4 }]));
    };
    const c = a.net.connect({ port: 80, host: 'server.example', lookup, autoSelectFamily: true });
    const events: unknown[][] = [];
    c.on('lookup', (...args: unknown[]) => events.push(args));
    expect((await reach(net, c)).remote).toBe('10.0.0.2');
    expect(asked).toEqual({ family: 0, hints: 0, all: true });
    expect(events).toEqual([[null, '10.0.0.2', 4, 'server.example']]);
  });

  it('an IP address is connected to without a lookup', async () => {
    const { net, a, b } = world();
    b.net.createServer().listen(80);
    let called = false;
    const c = a.net.connect({ port: 80, host: '10.0.0.2', lookup: () => (called = true) });
    let looked = false;
    c.on('lookup', () => (looked = true));
    expect((await reach(net, c)).remote).toBe('10.0.0.2');
    expect(called).toBe(false);
    expect(looked).toBe(false);
  });

  it("a lookup error is reported by a 'lookup' event and then destroys the socket with it", async () => {
    const { net, a } = world();
    const failure = Object.assign(new Error('getaddrinfo ENOTFOUND nowhere.example'), { code: 'ENOTFOUND' });
    const c = a.net.connect({ port: 80, host: 'nowhere.example', lookup: (_h: string, _o: unknown, cb: LookupCb) => process.nextTick(() => cb(failure, '')) });
    const events: unknown[][] = [];
    c.on('lookup', (...args: unknown[]) => events.push(args));
    const r = await reach(net, c);
    expect(r.err).toBe(failure);
    expect(events).toEqual([[failure, undefined, undefined, 'nowhere.example']]);
  });

  it('localhost is the loopback interface (RFC 6761 §6.3), without a lookup option', async () => {
    const { net, a } = world();
    a.net.createServer().listen(7, '127.0.0.1');
    const c = a.net.connect(7, 'localhost');
    const events: unknown[][] = [];
    c.on('lookup', (...args: unknown[]) => events.push(args));
    expect((await reach(net, c)).remote).toBe('127.0.0.1');
    expect(events[0]).toEqual([null, '127.0.0.1', 4, 'localhost']);
  });

  it('no host means localhost, as in node:net', async () => {
    const { net, a } = world();
    a.net.createServer().listen(7, '127.0.0.1');
    expect((await reach(net, a.net.connect(7))).remote).toBe('127.0.0.1');
  });
});

describe('net.connect(): autoSelectFamily (RFC 8305 happy eyeballs)', () => {
  /** dns.lookup answers asynchronously */
  const answer = (list: { address: string; family: number }[]) => (_h: string, _o: unknown, cb: LookupCb) => process.nextTick(() => cb(null, list));
  const both = answer([
    { address: 'fd00::9', family: 6 },
    { address: 'fd00::2', family: 6 },
    { address: '10.0.0.2', family: 4 },
  ]);

  it("tries the addresses alternating families, each for autoSelectFamilyAttemptTimeout ms, and connects to the first that answers", async () => {
    const { net, a, b } = world();
    b.net.createServer().listen(80);
    const c = a.net.connect({ port: 80, host: 'dual.example', lookup: both, autoSelectFamily: true, autoSelectFamilyAttemptTimeout: 300 });
    const seen: string[] = [];
    c.on('connectionAttempt', (ip: string, port: number, family: number) => seen.push(`attempt ${ip} ${port} ${family} @${net.now()}`));
    c.on('connectionAttemptTimeout', (ip: string) => seen.push(`timeout ${ip} @${net.now()}`));
    const r = await reach(net, c);
    // fd00::9 is silent: after 300 ms the IPv4 address (the other family) is tried, and answers
    expect(seen).toEqual(['attempt fd00::9 80 6 @0', 'timeout fd00::9 @300', 'attempt 10.0.0.2 80 4 @300']);
    expect(r.remote).toBe('10.0.0.2');
    expect(c.autoSelectFamilyAttemptedAddresses).toEqual(['fd00::9:80', '10.0.0.2:80']);
    expect(a.stateCounts()).toEqual({ ESTABLISHED: 1 }); // the abandoned attempt is gone
  });

  it('data written while the attempts run reaches the address that answers, in order', async () => {
    const { net, a, b } = world();
    let got = '';
    b.net.createServer((s) => s.on('data', (d: Buffer) => (got += d.toString()))).listen(80);
    const c = a.net.connect({ port: 80, host: 'dual.example', lookup: both, autoSelectFamily: true });
    c.write('one ');
    c.on('connect', () => c.end('three'));
    c.write('two ');
    await net.runUntil(() => got === 'one two three', 5000);
    expect(got).toBe('one two three');
  });

  it('an attempt that fails at once (RST) moves on to the next address at once', async () => {
    const { net, a, b } = world();
    b.net.createServer().listen(80, '10.0.0.2'); // nothing on fd00::2 port 80: RST
    const lookup = answer([{ address: 'fd00::2', family: 6 }, { address: '10.0.0.2', family: 4 }]);
    const c = a.net.connect({ port: 80, host: 'dual.example', lookup, autoSelectFamily: true });
    const failed: string[] = [];
    c.on('connectionAttemptFailed', (ip: string, _p: number, _f: number, err: NodeJS.ErrnoException) => failed.push(`${ip} ${err.code}`));
    const r = await reach(net, c);
    expect(failed).toEqual(['fd00::2 ECONNREFUSED']);
    expect(r.remote).toBe('10.0.0.2');
    expect(r.at).toBeLessThan(250);
  });

  it("fails with an AggregateError of every attempt's error when no address connects", async () => {
    const { net, a } = world();
    const lookup = answer([{ address: 'fd00::2', family: 6 }, { address: '10.0.0.2', family: 4 }]);
    const r = await reach(net, a.net.connect({ port: 81, host: 'dual.example', lookup, autoSelectFamily: true }));
    expect(r.err).toBeInstanceOf(AggregateError);
    expect(r.err!.code).toBe('ECONNREFUSED');
    expect((r.err as unknown as AggregateError).errors.map((e: Error) => e.message)).toEqual(['connect ECONNREFUSED fd00::2:81', 'connect ECONNREFUSED 10.0.0.2:81']);
  });

  it('net.getDefaultAutoSelectFamily/setDefaultAutoSelectFamily and the attempt timeout default (250 ms, at least 10)', () => {
    const { a } = world();
    expect(a.net.getDefaultAutoSelectFamily()).toBe(true);
    expect(a.net.getDefaultAutoSelectFamilyAttemptTimeout()).toBe(250);
    a.net.setDefaultAutoSelectFamily(false);
    a.net.setDefaultAutoSelectFamilyAttemptTimeout(5);
    try {
      expect(a.net.getDefaultAutoSelectFamily()).toBe(false);
      expect(a.net.getDefaultAutoSelectFamilyAttemptTimeout()).toBe(10);
    } finally {
      a.net.setDefaultAutoSelectFamily(true);
      a.net.setDefaultAutoSelectFamilyAttemptTimeout(250);
    }
  });
});

describe('net.connect(): addresses that mean this host, and port 0', () => {
  it('connect() to 0.0.0.0 reaches this host at 127.0.0.1, as on Linux', async () => {
    const { net, a } = world();
    a.net.createServer().listen(7, '0.0.0.0');
    const r = await reach(net, a.net.connect(7, '0.0.0.0'));
    expect([r.remote, r.local]).toEqual(['127.0.0.1', '127.0.0.1']);
  });

  it('connect() to :: reaches this host at ::1', async () => {
    const { net, a } = world();
    a.net.createServer().listen(7, '::');
    const r = await reach(net, a.net.connect(7, '::'));
    expect([r.remote, r.local]).toEqual(['::1', '::1']);
  });

  it('connecting to port 0 fails at once with ECONNREFUSED, as Node reports it', async () => {
    const { net, a } = world();
    const r = await reach(net, a.net.connect(0, '10.0.0.2'));
    expect(r.at).toBe(0);
    expect(r.err!.code).toBe('ECONNREFUSED');
    expect(r.err!.message).toBe('connect ECONNREFUSED 10.0.0.2');
    expect(a.connectionCount).toBe(0);
  });
});

describe('server.listen(): wildcard addresses by family', () => {
  it('0.0.0.0 takes IPv4 only', async () => {
    const { net, a, b } = world();
    b.net.createServer().listen(80, '0.0.0.0');
    expect((await reach(net, a.net.connect(80, '10.0.0.2'))).remote).toBe('10.0.0.2');
    expect((await reach(net, a.net.connect(80, 'fd00::2'))).err!.code).toBe('ECONNREFUSED');
  });

  it(':: takes IPv6 and IPv4 (dual stack)', async () => {
    const { net, a, b } = world();
    const srv = b.net.createServer().listen(80, '::');
    expect(srv.address()).toEqual({ address: '::', family: 'IPv6', port: 80 });
    expect((await reach(net, a.net.connect(80, 'fd00::2'))).remote).toBe('fd00::2');
    expect((await reach(net, a.net.connect(80, '10.0.0.2'))).remote).toBe('10.0.0.2');
  });

  it(':: with ipv6Only takes IPv6 only, and a 0.0.0.0 listener may share its port', async () => {
    const { net, a, b } = world();
    b.net.createServer().listen({ port: 80, host: '::', ipv6Only: true });
    expect((await reach(net, a.net.connect(80, '10.0.0.2'))).err!.code).toBe('ECONNREFUSED');
    const v4 = b.net.createServer().listen(80, '0.0.0.0');
    let err: unknown = null;
    v4.on('error', (e) => (err = e));
    await net.run(10);
    expect(err).toBe(null);
    expect((await reach(net, a.net.connect(80, '10.0.0.2'))).remote).toBe('10.0.0.2');
  });

  it('a dual-stack :: and 0.0.0.0 on one port clash (EADDRINUSE)', async () => {
    const { net, b } = world();
    b.net.createServer().listen(80, '::');
    const v4 = b.net.createServer().listen(80, '0.0.0.0');
    let err: NodeJS.ErrnoException | null = null;
    v4.on('error', (e: NodeJS.ErrnoException) => (err = e));
    await net.run(10);
    expect(err!.code).toBe('EADDRINUSE');
  });
});
