/**
 * SYN cookies (RFC 4987 §3.6; Linux net/ipv4/syncookies.c): a stateless SYN-ACK whose ISN encodes a
 * keyed hash of the 4-tuple, a minute counter and an MSS index from a 4-entry table; window scale
 * and SACK ride in the low bits of our TSval when timestamps are on. The returning ACK is checked
 * and the connection built from it; a forged or expired cookie is refused with a RST.
 */
import { describe, expect, it } from 'vitest';
import { SimNetwork, type Socket } from '../../src/index.js';
import { COOKIE_MSS } from '../../src/stack/syncookies.js';
import { parseIPv4 } from '../../src/wire/addr.js';
import { encodeTcpPacketV4 } from '../../src/wire/packet.js';
import type { TcpOptions } from '../../src/wire/segment.js';
import { ACK, CLIENT, RST, RawHost, SERVER, SYN, flagsOf, seg, tcbs, u32, type Captured } from './helpers.js';

const PORT = 40000;
const CLIENT_ISN = 5000;

/** A listener on port 80 of a raw host with `sysctl`. */
function listening(sysctl: Record<string, unknown>): RawHost {
  const h = new RawHost(SERVER, sysctl);
  h.stack.net.createServer((s) => s.resume()).listen(80);
  return h;
}

/** Send a SYN and return the SYN-ACK it draws. */
function synAck(h: RawHost, options: TcpOptions = { mss: 1460 }, port = PORT, isn = CLIENT_ISN): Captured {
  h.send(CLIENT, seg({ srcPort: port, dstPort: 80, seq: isn, flags: SYN, options }));
  const out = h.take();
  expect(out.map(flagsOf)).toEqual([SYN | ACK]);
  return out[0]!;
}

/** The third segment of the handshake, returning the cookie. */
function ackCookie(h: RawHost, sa: Captured, options: TcpOptions = {}, port = PORT, isn = CLIENT_ISN, payload = new Uint8Array(0)): void {
  h.send(CLIENT, seg({ srcPort: port, dstPort: 80, seq: u32(isn + 1), ack: u32(sa.seg.seq + 1), flags: ACK, options, payload }));
}

describe('RFC 4987 §3.6 / Linux tcp_syncookies = 2: every SYN answered statelessly', () => {
  it('the SYN-ACK is sent without creating any connection; the cookie ACK then creates an ESTABLISHED one', () => {
    const h = listening({ tcp_syncookies: 2 });
    const sa = synAck(h);
    expect(sa.seg.ack).toBe(CLIENT_ISN + 1);
    expect(h.stack.connectionCount).toBe(0);
    expect(h.stack.stateCounts()).toEqual({ LISTEN: 1 });
    expect(h.stack.counters.syncookiesSent).toBe(1);
    ackCookie(h, sa);
    expect(h.stack.stateCounts()).toEqual({ LISTEN: 1, ESTABLISHED: 1 });
    expect(h.stack.counters.syncookiesRecv).toBe(1);
    expect(h.stack.counters.syncookiesFailed).toBe(0);
    const t = tcbs(h.stack)[0]!;
    expect(t.iss).toBe(sa.seg.seq);
    expect(t.irs).toBe(CLIENT_ISN);
    expect(t.rcvNxt).toBe(CLIENT_ISN + 1);
    expect(t.sndUna).toBe(u32(sa.seg.seq + 1));
  });

  it('a second SYN for the same 4-tuple draws the same cookie (no state, same inputs)', () => {
    const h = listening({ tcp_syncookies: 2 });
    const a = synAck(h);
    const b = synAck(h);
    expect(b.seg.seq).toBe(a.seg.seq);
    expect(h.stack.connectionCount).toBe(0);
    expect(h.stack.counters.syncookiesSent).toBe(2);
  });

  it('a connection made from a cookie carries data both ways (node:net over two simulated hosts)', async () => {
    const net = new SimNetwork({ seed: 5 });
    const c = net.host(CLIENT);
    const s = net.host(SERVER, { sysctl: { tcp_syncookies: 2 } });
    s.net
      .createServer((sock: Socket) => {
        sock.pipe(sock); // echo
      })
      .listen(80);
    await net.run(1);
    const client = c.net.connect(80, SERVER);
    let got = '';
    client.on('data', (d: Buffer) => (got += d.toString()));
    client.write('ping');
    await net.runUntil(() => got === 'ping', 5000);
    expect(got).toBe('ping');
    expect(s.counters.syncookiesSent).toBe(1);
    expect(s.counters.syncookiesRecv).toBe(1);
    expect(s.counters.syncookiesFailed).toBe(0);
    // a bigger transfer in both directions
    const big = 'x'.repeat(200_000);
    got = '';
    client.write(big);
    await net.runUntil(() => got.length === big.length, 20_000);
    expect(got).toBe(big);
  });

  it('data riding on the cookie ACK is delivered', () => {
    const h = listening({ tcp_syncookies: 2 });
    const sa = synAck(h);
    ackCookie(h, sa, {}, PORT, CLIENT_ISN, new TextEncoder().encode('GET /'));
    const t = tcbs(h.stack)[0]!;
    expect(t.state).toBe('ESTABLISHED');
    expect(t.rcvNxt).toBe(CLIENT_ISN + 1 + 5);
  });
});

describe('Linux syncookies.c: options carried by a cookie', () => {
  it('with timestamps, window scale and SACK survive in the TSval bits and come back in TSecr', () => {
    const h = listening({ tcp_syncookies: 2 });
    const sa = synAck(h, { mss: 1460, wscale: 9, sackPermitted: true, tsVal: 777, tsEcr: 0 });
    expect(sa.seg.options.sackPermitted).toBe(true);
    expect(sa.seg.options.wscale).toBe(7); // ours, for a 6 MiB tcp_rmem max
    expect(sa.seg.options.tsEcr).toBe(777);
    expect(sa.seg.options.tsVal! & 0x1f).toBe(9 | 0x10); // wscale 9 and the SACK bit
    ackCookie(h, sa, { tsVal: 778, tsEcr: sa.seg.options.tsVal! });
    const t = tcbs(h.stack)[0]!;
    expect(t.state).toBe('ESTABLISHED');
    expect(t.tsOk).toBe(true);
    expect(t.sackOk).toBe(true);
    expect(t.sndWscale).toBe(9);
    expect(t.rcvWscale).toBe(7);
    expect(t.tsRecent).toBe(778);
  });

  it('with timestamps but no window scale or SACK offered, none is assumed', () => {
    const h = listening({ tcp_syncookies: 2 });
    const sa = synAck(h, { mss: 1460, tsVal: 777, tsEcr: 0 });
    expect(sa.seg.options.wscale).toBeUndefined();
    expect(sa.seg.options.sackPermitted).toBeUndefined();
    ackCookie(h, sa, { tsVal: 778, tsEcr: sa.seg.options.tsVal! });
    const t = tcbs(h.stack)[0]!;
    expect(t.tsOk).toBe(true);
    expect(t.sackOk).toBe(false);
    expect(t.sndWscale).toBe(0);
    expect(t.rcvWscale).toBe(0);
  });

  it('without timestamps, the cookie SYN-ACK offers neither window scaling nor SACK (they could not be remembered)', () => {
    const h = listening({ tcp_syncookies: 2 });
    const sa = synAck(h, { mss: 1460, wscale: 9, sackPermitted: true });
    expect(sa.seg.options).toEqual({ mss: 1460 });
    ackCookie(h, sa);
    const t = tcbs(h.stack)[0]!;
    expect(t.sackOk).toBe(false);
    expect(t.sndWscale).toBe(0);
    expect(t.rcvWscale).toBe(0);
  });

  it('the MSS comes from the 4-entry table: 1460 for a peer MSS of 1460, 1300 for 1400', () => {
    expect([...COOKIE_MSS]).toEqual([536, 1300, 1440, 1460]);
    const cases: [number, number][] = [
      [1460, 1460],
      [1400, 1300],
      [1440, 1440],
      [1459, 1440],
      [1300, 1300],
      [1299, 536],
      [9000, 1460],
    ];
    for (const [peer, want] of cases) {
      const h = listening({ tcp_syncookies: 2 });
      const sa = synAck(h, { mss: peer });
      ackCookie(h, sa);
      const t = tcbs(h.stack)[0]!;
      expect({ peer, mss: t.sndMss }).toEqual({ peer, mss: want });
    }
  });

  it('a peer that advertised MSS 1400 gets 1300-byte segments from a cookie connection (on the wire)', async () => {
    const net = new SimNetwork({ seed: 6 });
    const c = net.host(CLIENT, { mtu: 1440, sysctl: { tcp_timestamps: 0 } }); // MSS 1400
    const s = net.host(SERVER, { sysctl: { tcp_syncookies: 2 } });
    const sizes: number[] = [];
    net.onPacket((ev) => {
      if (ev.from === SERVER && !ev.dropped) sizes.push(ev.packet.length - 40);
    });
    s.net.createServer((sock: Socket) => sock.end(Buffer.alloc(10_000, 1))).listen(80);
    await net.run(1);
    const client = c.net.connect(80, SERVER);
    let n = 0;
    client.on('data', (d: Buffer) => (n += d.length));
    await net.runUntil(() => n === 10_000, 5000);
    expect(n).toBe(10_000);
    expect(Math.max(...sizes)).toBe(1300);
    expect(s.counters.syncookiesRecv).toBe(1);
  });
});

describe('RFC 4987 §3.6: cookie validation (good, expired, forged)', () => {
  it('a cookie returned within its lifetime (90 s later) is honoured', () => {
    const h = listening({ tcp_syncookies: 2 });
    const sa = synAck(h);
    h.advance(90_000);
    ackCookie(h, sa);
    expect(h.stack.stateCounts()).toEqual({ LISTEN: 1, ESTABLISHED: 1 });
    expect(h.stack.counters.syncookiesRecv).toBe(1);
  });

  it('an expired cookie (ACK more than 2 minutes later) fails, is counted and answered with RST', () => {
    const h = listening({ tcp_syncookies: 2 });
    const sa = synAck(h);
    h.advance(121_000);
    ackCookie(h, sa);
    expect(h.stack.connectionCount).toBe(0);
    expect(h.stack.counters.syncookiesFailed).toBe(1);
    expect(h.stack.counters.syncookiesRecv).toBe(0);
    const out = h.take();
    expect(out.map(flagsOf)).toEqual([RST]);
    expect(out[0]!.seg.seq).toBe(u32(sa.seg.seq + 1)); // <SEQ=SEG.ACK><CTL=RST>
  });

  it('a forged cookie (an arbitrary ACK number) fails and is answered with RST', () => {
    const h = listening({ tcp_syncookies: 2 });
    const sa = synAck(h);
    let failed = 0;
    // (the MSS index has 2 bits in 24: a few values next to the cookie decode as another index, as in Linux)
    for (const forged of [0x12345678, u32(sa.seg.seq + 1 + 64), u32(sa.seg.seq ^ 0x01000000), 1]) {
      h.send(CLIENT, seg({ srcPort: PORT, dstPort: 80, seq: CLIENT_ISN + 1, ack: forged, flags: ACK }));
      failed++;
      expect(h.stack.counters.syncookiesFailed).toBe(failed);
      const out = h.take();
      expect(out.map(flagsOf)).toEqual([RST]);
      expect(out[0]!.seg.seq).toBe(forged);
    }
    expect(h.stack.connectionCount).toBe(0);
  });

  it('a cookie is bound to its 4-tuple: replayed from another source port or with another SEQ it fails', () => {
    const h = listening({ tcp_syncookies: 2 });
    const sa = synAck(h);
    ackCookie(h, sa, {}, PORT + 1);
    ackCookie(h, sa, {}, PORT, CLIENT_ISN + 7);
    expect(h.stack.counters.syncookiesFailed).toBe(2);
    expect(h.stack.connectionCount).toBe(0);
    ackCookie(h, sa); // the genuine one still works
    expect(h.stack.counters.syncookiesRecv).toBe(1);
  });

  it('a cookie made by another host (another secret) fails', () => {
    const a = listening({ tcp_syncookies: 2 });
    const sa = synAck(a);
    const b = new RawHost(SERVER, { tcp_syncookies: 2 }, 99);
    b.stack.net.createServer().listen(80);
    ackCookie(b, sa);
    expect(b.stack.counters.syncookiesFailed).toBe(1);
    expect(b.stack.connectionCount).toBe(0);
  });
});

describe('Linux cookie_v6_check: cookies over IPv6', () => {
  it('an IPv6 SYN is answered with a cookie and its ACK makes an ESTABLISHED connection; a forged one fails', () => {
    const h = new RawHost('2001:db8::2', { tcp_syncookies: 2 });
    h.stack.net.createServer().listen(80);
    h.send('2001:db8::1', seg({ srcPort: PORT, dstPort: 80, seq: CLIENT_ISN, flags: SYN, options: { mss: 1440 } }));
    const [sa] = h.take();
    expect(flagsOf(sa!)).toBe(SYN | ACK);
    expect(h.stack.connectionCount).toBe(0);
    h.send('2001:db8::1', seg({ srcPort: PORT, dstPort: 80, seq: CLIENT_ISN + 1, ack: u32(sa!.seg.seq + 1 + 0x1000), flags: ACK }));
    expect(h.stack.counters.syncookiesFailed).toBe(1);
    h.send('2001:db8::1', seg({ srcPort: PORT, dstPort: 80, seq: CLIENT_ISN + 1, ack: u32(sa!.seg.seq + 1), flags: ACK }));
    expect(h.stack.stateCounts()).toEqual({ LISTEN: 1, ESTABLISHED: 1 });
    expect(tcbs(h.stack)[0]!.sndMss).toBe(1440);
  });
});

describe('Linux tcp_v4_syn_recv_sock: a valid cookie while the accept queue is full', () => {
  it('is dropped silently (ListenOverflows, no RST); the peer\'s retransmission completes once there is room', () => {
    const h = new RawHost(SERVER, { tcp_syncookies: 2 });
    const server = h.stack.net.createServer();
    server.listen({ port: 80, backlog: 1 });
    server.pauseAccepting();
    const a = synAck(h, { mss: 1460 }, 40001, 100);
    const b = synAck(h, { mss: 1460 }, 40002, 200);
    ackCookie(h, a, {}, 40001, 100);
    expect(h.stack.stateCounts()).toEqual({ LISTEN: 1, ESTABLISHED: 1 });
    ackCookie(h, b, {}, 40002, 200);
    expect(h.take()).toEqual([]);
    expect(h.stack.counters.listenOverflows).toBe(1);
    expect(h.stack.counters.syncookiesFailed).toBe(0);
    expect(h.stack.connectionCount).toBe(1);
    server.resumeAccepting();
    h.advance(0); // the accept queue drains
    ackCookie(h, b, {}, 40002, 200); // the peer retransmits (its data, or the ACK)
    expect(h.stack.stateCounts()).toEqual({ LISTEN: 1, ESTABLISHED: 2 });
  });
});

describe('Linux tcp_syncookies = 1 (default): cookies only once the SYN queue overflows', () => {
  it('SYNs are queued statefully until tcp_max_syn_backlog, then answered with cookies that still work', () => {
    const h = listening({ tcp_syncookies: 1, tcp_max_syn_backlog: 2 });
    synAck(h, { mss: 1460 }, 40001, 100);
    synAck(h, { mss: 1460 }, 40002, 200);
    expect(h.stack.counters.syncookiesSent).toBe(0);
    expect(h.stack.stateCounts()).toEqual({ LISTEN: 1, SYN_RCVD: 2 });
    const sa = synAck(h, { mss: 1460 }, 40003, 300);
    expect(h.stack.counters.syncookiesSent).toBe(1);
    expect(h.stack.counters.listenDrops).toBe(0);
    expect(h.stack.connectionCount).toBe(2);
    ackCookie(h, sa, {}, 40003, 300);
    expect(h.stack.stateCounts()).toEqual({ LISTEN: 1, SYN_RCVD: 2, ESTABLISHED: 1 });
    expect(h.stack.counters.syncookiesRecv).toBe(1);
  });

  it('an ACK that looks like a cookie is not even checked while the listener has not overflowed', () => {
    const h = listening({ tcp_syncookies: 1 });
    h.send(CLIENT, seg({ srcPort: PORT, dstPort: 80, seq: 1, ack: 0x12345678, flags: ACK }));
    expect(h.stack.counters.syncookiesFailed).toBe(0);
    expect(h.take().map(flagsOf)).toEqual([RST]);
  });

  it('turning cookies on at run time (setSysctl) applies to the next SYN', () => {
    const h = listening({ tcp_syncookies: 0 });
    synAck(h, { mss: 1460 }, 40001, 100);
    expect(h.stack.counters.syncookiesSent).toBe(0);
    h.stack.setSysctl({ tcp_syncookies: 2 });
    synAck(h, { mss: 1460 }, 40002, 200);
    expect(h.stack.counters.syncookiesSent).toBe(1);
  });
});

describe('RFC 4987 §2: a SYN flood against a listener', () => {
  /** Fill the server's SYN queue with spoofed SYNs from unreachable sources, then connect for real. */
  async function floodThenConnect(syncookies: number) {
    const net = new SimNetwork({ seed: 7 });
    const c = net.host(CLIENT, { sysctl: { tcp_syn_retries: 2 } });
    const s = net.host(SERVER, { sysctl: { tcp_syncookies: syncookies, tcp_max_syn_backlog: 64 } });
    s.net.createServer((sock: Socket) => sock.end('hello')).listen(80);
    await net.run(1);
    let n = 0;
    const flood = () => {
      // 200 SYNs from spoofed, unreachable sources, each a new 4-tuple
      for (let i = 0; i < 200; i++, n++) {
        const src = u32(parseIPv4('198.51.100.0')! + (n & 255));
        s.input(encodeTcpPacketV4(src, parseIPv4(SERVER)!, seg({ srcPort: 1024 + (n >> 8), dstPort: 80, seq: u32(n * 7919), flags: SYN })));
      }
    };
    flood();
    const results: string[] = [];
    for (let i = 0; i < 5; i++) {
      const sock = c.net.connect(80, SERVER);
      let data = '';
      sock.on('data', (d: Buffer) => (data += d.toString()));
      sock.on('end', () => results.push(data));
      sock.on('error', (e: NodeJS.ErrnoException) => results.push(e.code ?? 'error'));
      await net.run(500);
      flood(); // the flood goes on
    }
    await net.runUntil(() => results.length === 5, 20_000);
    return { results, s };
  }

  it('with cookies off, the flood fills the SYN queue and legitimate clients time out', async () => {
    const { results, s } = await floodThenConnect(0);
    expect(results).toEqual(['ETIMEDOUT', 'ETIMEDOUT', 'ETIMEDOUT', 'ETIMEDOUT', 'ETIMEDOUT']);
    expect(s.counters.listenDrops).toBeGreaterThan(0);
    expect(s.stateCounts().SYN_RCVD).toBe(64);
  });

  it('with cookies on (1), the same flood is answered with cookies and every legitimate client gets through', async () => {
    const { results, s } = await floodThenConnect(1);
    expect(results).toEqual(['hello', 'hello', 'hello', 'hello', 'hello']);
    expect(s.counters.syncookiesSent).toBeGreaterThan(0);
    expect(s.counters.syncookiesRecv).toBe(5);
  });
});
