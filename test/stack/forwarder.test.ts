/**
 * stack.forwardTcp(): a stack that takes TCP connections to any address (gVisor's tcp.Forwarder,
 * Linux TPROXY with IP_TRANSPARENT). A guest stack on the simulated network connects to a made-up
 * destination (203.0.113.10, TEST-NET-3) that the network delivers to the forwarding stack; the
 * guest's node:net client sees what the forwarder's application decided.
 */
import { describe, expect, it } from 'vitest';
import { SimNetwork, type Stack, type TcpForwardRequest } from '../../src/index.js';
import { ACK, RST, SYN, decode, packet, seg, type Captured } from './helpers.js';

const DEST = '203.0.113.10';
const DEST6 = '2001:db8::10';

function setup(guestOpts: Parameters<SimNetwork['host']>[1] = {}): { net: SimNetwork; guest: Stack; gw: Stack; out: Captured[] } {
  const net = new SimNetwork({ seed: 3 });
  const guest = net.host(['10.0.0.1', 'fd00::1'], guestOpts);
  const gw = net.host(['10.0.0.254', 'fd00::254']);
  net.link.attach(DEST, (p) => gw.input(p));
  net.link.attach(DEST6, (p) => gw.input(p));
  const out: Captured[] = [];
  gw.on('packet', (p: Uint8Array) => {
    if (p[0]! >> 4 === 4 ? p[9] === 6 : p[6] === 6) out.push(decode(p));
  });
  return { net, guest, gw, out };
}

/** Run the simulation until `emitter` emits `ev` (at most 10 s of virtual time). */
async function once(emitter: { once(ev: string, fn: () => void): unknown }, ev: string, net: SimNetwork): Promise<void> {
  let done = false;
  emitter.once(ev, () => (done = true));
  expect(await net.runUntil(() => done, 10_000)).toBe(true);
}

/** A raw SYN from a guest that exists only as packets (the forwarding stack's replies go nowhere). */
function rawSyn(gw: Stack, src: string, srcPort: number, dst = DEST, dstPort = 80): void {
  gw.input(packet(src, dst, seg({ srcPort, dstPort, seq: 1000, flags: SYN, options: { mss: 1460 } })));
}

describe('a SYN no connection or listener takes becomes a request, before any answer', () => {
  it('the handler gets the original destination and the guest end; nothing is sent until it decides', async () => {
    const { net, guest, gw, out } = setup();
    const seen: TcpForwardRequest[] = [];
    gw.forwardTcp((r) => seen.push(r));
    guest.net.connect(80, DEST).on('error', () => {});
    await net.run(500);
    expect(seen).toHaveLength(1);
    const r = seen[0]!;
    expect([r.localAddress, r.localPort, r.remoteAddress, r.family, r.state]).toEqual([DEST, 80, '10.0.0.1', 'IPv4', 'pending']);
    expect(r.remotePort).toBeGreaterThan(1023);
    expect(out).toEqual([]);
  });

  it('SYN retransmissions while the request is undecided make no second request (counted forward_syn_pending)', async () => {
    const { net, guest, gw } = setup();
    const seen: TcpForwardRequest[] = [];
    const fwd = gw.forwardTcp((r) => seen.push(r));
    const c = guest.net.connect(80, DEST);
    let connected = false;
    c.on('connect', () => (connected = true));
    await net.run(3_500); // the guest retransmits its SYN at 1 s and 3 s (RFC 6298 §5.5 doubling)
    expect(seen).toHaveLength(1);
    expect(gw.counters.drops.forward_syn_pending).toBe(2);
    expect(fwd.counters.limited).toBe(2);
    void seen[0]!.accept();
    expect(await net.runUntil(() => connected, 10_000)).toBe(true);
  });

  it("a listener on the stack's own address and port takes its SYN, not the forwarder", async () => {
    const { net, guest, gw } = setup();
    let asked = 0;
    gw.forwardTcp(() => asked++);
    let served = false;
    gw.net.createServer(() => (served = true)).listen(8080);
    await net.run(1);
    guest.net.connect(8080, '10.0.0.254');
    expect(await net.runUntil(() => served, 5_000)).toBe(true);
    expect(asked).toBe(0);
  });

  it('a wildcard listener does not take SYNs to foreign addresses: they go to the forwarder', async () => {
    const { net, guest, gw } = setup();
    const seen: TcpForwardRequest[] = [];
    gw.forwardTcp((r) => seen.push(r));
    let served = 0;
    gw.net.createServer(() => served++).listen(80);
    await net.run(1);
    guest.net.connect(80, DEST).on('error', () => {});
    await net.run(500);
    expect(seen.map((r) => r.localAddress)).toEqual([DEST]);
    expect(served).toBe(0);
  });

  it("a SYN to the stack's own address with no listener goes to the forwarder too", async () => {
    const { net, guest, gw } = setup();
    const seen: TcpForwardRequest[] = [];
    gw.forwardTcp((r) => seen.push(r));
    guest.net.connect(22, '10.0.0.254').on('error', () => {});
    await net.run(500);
    expect(seen.map((r) => `${r.localAddress}:${r.localPort}`)).toEqual(['10.0.0.254:22']);
  });

  it('loopback, multicast, limited-broadcast and 0.0.0.0/8 destinations are never forwarded', () => {
    const { gw } = setup();
    let asked = 0;
    gw.forwardTcp(() => asked++);
    for (const dst of ['224.0.0.5', '255.255.255.255', '0.1.2.3', '240.0.0.1']) rawSyn(gw, '10.0.0.1', 4000, dst);
    expect(asked).toBe(0);
    expect(gw.counters.drops.not_for_us).toBe(4);
  });

  it('without a forwarder, segments to foreign addresses are dropped as not for us, before counting', () => {
    const { gw } = setup();
    rawSyn(gw, '10.0.0.1', 4000);
    expect(gw.counters.drops.not_for_us).toBe(1);
    expect(gw.counters.segmentsIn).toBe(0);
  });
});

describe('accept(): the SYN-ACK goes out from the original destination', () => {
  it('the guest connects, and the accepted socket has the original destination as its local end', async () => {
    const { net, guest, gw, out } = setup();
    let server: import('../../src/index.js').Socket | null = null;
    gw.forwardTcp((r) => void r.accept().then((s) => (server = s)));
    const c = guest.net.connect(80, DEST);
    let connected = false;
    c.on('connect', () => (connected = true));
    expect(await net.runUntil(() => connected && server !== null, 5_000)).toBe(true);
    expect(out[0]!.src).toBe(DEST);
    expect(out[0]!.seg.flags & (SYN | ACK)).toBe(SYN | ACK);
    const s = server!;
    expect([s.localAddress, s.localPort, s.remoteAddress, s.remotePort]).toEqual([DEST, 80, '10.0.0.1', c.localPort]);
    expect([c.remoteAddress, c.remotePort]).toEqual([DEST, 80]);
    expect(s.tcpState).toBe('ESTABLISHED');
    expect(gw.sockets().map((i) => `${i.localAddress}:${i.localPort} ${i.state}`)).toEqual([`${DEST}:80 ESTABLISHED`]);
  });

  it('the accepted socket carries data both ways and the guest\'s half-close (allowHalfOpen)', async () => {
    const { net, guest, gw } = setup();
    gw.forwardTcp((r) => {
      void r.accept({ allowHalfOpen: true }).then((s) => {
        let got = '';
        s.on('data', (d) => (got += d));
        s.on('end', () => {
          // the guest's FIN: our side can still send before closing it
          s.write(`got ${got}`);
          s.end(' bye');
        });
      });
    });
    const c = guest.net.connect({ port: 80, host: DEST, allowHalfOpen: true });
    let reply = '';
    let closed = false;
    c.on('data', (d) => (reply += d));
    c.on('close', () => (closed = true));
    c.end('hello');
    expect(await net.runUntil(() => closed, 10_000)).toBe(true);
    expect(reply).toBe('got hello bye');
  });

  it('over IPv6: the SYN-ACK comes from the original IPv6 destination', async () => {
    const { net, guest, gw, out } = setup();
    const seen: TcpForwardRequest[] = [];
    gw.forwardTcp((r) => {
      seen.push(r);
      void r.accept();
    });
    const c = guest.net.connect(443, DEST6);
    let connected = false;
    c.on('connect', () => (connected = true));
    expect(await net.runUntil(() => connected, 5_000)).toBe(true);
    expect(seen[0]!.family).toBe('IPv6');
    expect(seen[0]!.remoteAddress).toBe('fd00::1');
    expect(out[0]!.src).toBe(DEST6);
  });

  it('a request can be accepted later, asynchronously; the guest waits in SYN_SENT meanwhile', async () => {
    const { net, guest, gw } = setup();
    let req: TcpForwardRequest | null = null;
    gw.forwardTcp((r) => (req = r));
    const c = guest.net.connect(80, DEST);
    let connected = false;
    c.on('connect', () => (connected = true));
    await net.run(700);
    expect(c.tcpState).toBe('SYN_SENT');
    void req!.accept();
    expect(await net.runUntil(() => connected, 5_000)).toBe(true);
  });

  it('a SYN in a link\'s read batch (inputBatch) decided at once inside the handler: the SYN-ACK goes out once', async () => {
    const { net, gw, out } = setup();
    const fwd = gw.forwardTcp((r) => void r.accept().catch(() => {}));
    gw.inputBatch([
      packet('10.0.0.9', DEST, seg({ srcPort: 4000, dstPort: 80, seq: 1000, flags: SYN, options: { mss: 1460 } })),
      packet('10.0.0.9', DEST, seg({ srcPort: 4001, dstPort: 80, seq: 5000, flags: SYN, options: { mss: 1460 } })),
    ]);
    await net.run(10);
    expect(out.filter((o) => o.seg.flags === (SYN | ACK)).map((o) => `${o.src} > ${o.seg.dstPort}`)).toEqual([`${DEST} > 4000`, `${DEST} > 4001`]);
    expect(fwd.connectionCount).toBe(2);
    expect(gw.stateCounts()).toEqual({ SYN_RCVD: 2 });
  });

  it('the guest resets during the handshake: accept() rejects with ECONNRESET', async () => {
    const { net, gw, out } = setup();
    let result: unknown = null;
    gw.forwardTcp((r) => void r.accept().then((s) => (result = s), (e: NodeJS.ErrnoException) => (result = e.code)));
    rawSyn(gw, '10.0.0.9', 4000);
    await net.run(10);
    const synAck = out.find((o) => o.seg.flags === (SYN | ACK))!;
    gw.input(packet('10.0.0.9', DEST, seg({ srcPort: 4000, dstPort: 80, seq: 1001, flags: RST })));
    expect(await net.runUntil(() => result !== null, 1_000)).toBe(true);
    expect(synAck.src).toBe(DEST);
    expect(result).toBe('ECONNRESET');
  });

  it('the guest never completes the handshake: accept() rejects with ETIMEDOUT after tcp_synack_retries', async () => {
    const { net, gw } = setup();
    gw.setSysctl({ tcp_synack_retries: 1 });
    let result: unknown = null;
    const fwd = gw.forwardTcp((r) => void r.accept().then((s) => (result = s), (e: NodeJS.ErrnoException) => (result = e.code)));
    rawSyn(gw, '10.0.0.9', 4000);
    expect(await net.runUntil(() => result !== null, 30_000)).toBe(true);
    expect(result).toBe('ETIMEDOUT');
    expect(fwd.counters.handshakesFailed).toBe(1);
    expect(fwd.connectionCount).toBe(0);
  });
});

describe('refuse() and drop(): what a closed port and an unreachable host look like', () => {
  it('refuse(): RST,ACK acknowledging the SYN from the original destination; the guest sees ECONNREFUSED', async () => {
    const { net, guest, gw, out } = setup();
    const fwd = gw.forwardTcp((r) => r.refuse());
    const c = guest.net.connect(80, DEST);
    let err: NodeJS.ErrnoException | null = null;
    c.on('error', (e) => (err = e));
    expect(await net.runUntil(() => err !== null, 5_000)).toBe(true);
    expect(err!.code).toBe('ECONNREFUSED');
    expect(err!.message).toBe(`connect ECONNREFUSED ${DEST}:80`);
    expect(out.map((o) => [o.src, o.seg.flags])).toEqual([[DEST, RST | ACK]]);
    expect(fwd.counters.refused).toBe(1);
  });

  it('drop(): nothing answers; each SYN retransmission asks again and the guest times out with ETIMEDOUT', async () => {
    const { net, guest, gw, out } = setup({ sysctl: { tcp_syn_retries: 2 } });
    const fwd = gw.forwardTcp((r) => r.drop());
    const c = guest.net.connect(80, DEST);
    let err: NodeJS.ErrnoException | null = null;
    c.on('error', (e) => (err = e));
    expect(await net.runUntil(() => err !== null, 60_000)).toBe(true);
    expect(err!.code).toBe('ETIMEDOUT');
    expect(out).toEqual([]);
    expect(fwd.counters.dropped).toBe(3);
  });

  it('a decided request cannot be decided again', async () => {
    const { gw } = setup();
    let req: TcpForwardRequest | null = null;
    gw.forwardTcp((r) => (req = r));
    rawSyn(gw, '10.0.0.9', 4000);
    expect(req!.drop()).toBe(true);
    expect(req!.refuse()).toBe(false);
    await expect(req!.accept()).rejects.toMatchObject({ code: 'ERR_INVALID_STATE' });
    expect(req!.state).toBe('dropped');
  });

  it('an undecided request expires after pendingTimeout: dropped, counted forward_expired, its signal aborted', async () => {
    const { net, gw } = setup();
    let req: TcpForwardRequest | null = null;
    const fwd = gw.forwardTcp((r) => (req = r), { pendingTimeout: 2_000 });
    rawSyn(gw, '10.0.0.9', 4000);
    await net.run(1_999);
    expect(req!.state).toBe('pending');
    await net.run(2);
    expect(req!.state).toBe('expired');
    expect(req!.signal.aborted).toBe(true);
    expect(gw.counters.drops.forward_expired).toBe(1);
    expect(fwd.counters.expired).toBe(1);
    expect(fwd.pendingCount).toBe(0);
  });
});

describe('limits: undecided requests and forwarded connections, in all and per guest', () => {
  it('maxPendingPerGuest: a guest\'s SYNs beyond it are dropped and counted; another guest still gets through', () => {
    const { gw } = setup();
    let asked = 0;
    gw.forwardTcp(() => asked++, { maxPendingPerGuest: 2 });
    for (let p = 4000; p < 4005; p++) rawSyn(gw, '10.0.0.9', p);
    rawSyn(gw, '10.0.0.8', 4000);
    expect(asked).toBe(3);
    expect(gw.counters.drops.forward_pending_guest_limit).toBe(3);
  });

  it('maxPending: SYNs beyond it, from any guest, are dropped and counted', () => {
    const { gw } = setup();
    let asked = 0;
    gw.forwardTcp(() => asked++, { maxPending: 3 });
    for (let i = 1; i <= 5; i++) rawSyn(gw, `10.0.0.${i}`, 4000);
    expect(asked).toBe(3);
    expect(gw.counters.drops.forward_pending_limit).toBe(2);
  });

  it('maxConnectionsPerGuest counts forwarded connections until they close', async () => {
    const { net, guest, gw } = setup();
    const fwd = gw.forwardTcp((r) => void r.accept().then((s) => s.on('end', () => s.end())), { maxConnectionsPerGuest: 2 });
    const clients = [guest.net.connect(80, DEST), guest.net.connect(81, DEST)];
    await net.run(500);
    expect(fwd.connectionCount).toBe(2);
    const third = guest.net.connect(82, DEST);
    third.on('error', () => {});
    await net.run(500);
    expect(third.tcpState).toBe('SYN_SENT');
    expect(gw.counters.drops.forward_conn_guest_limit).toBeGreaterThanOrEqual(1);
    for (const c of clients) c.end();
    // the guest closes first, so the forwarding side goes CLOSE_WAIT → LAST_ACK → CLOSED
    let connected = false;
    third.on('connect', () => (connected = true));
    expect(await net.runUntil(() => connected, 10_000)).toBe(true);
    expect(fwd.connectionCount).toBe(1);
  });

  it('maxConnections bounds all guests together', async () => {
    const { gw } = setup();
    let asked = 0;
    gw.forwardTcp(() => asked++, { maxConnections: 2 });
    for (let i = 1; i <= 4; i++) rawSyn(gw, `10.0.0.${i}`, 4000);
    expect(asked).toBe(2);
    expect(gw.counters.drops.forward_conn_limit).toBe(2);
  });

  it('a connection the forwarding side closes first leaves a compact TIME_WAIT record for its foreign address, and stops counting there', async () => {
    const { net, guest, gw } = setup();
    const fwd = gw.forwardTcp((r) => void r.accept().then((s) => s.end()));
    const c = guest.net.connect(80, DEST);
    c.on('end', () => c.end());
    let closed = false;
    c.on('close', () => (closed = true));
    expect(await net.runUntil(() => closed, 10_000)).toBe(true);
    await net.run(100);
    expect(gw.stateCounts()).toEqual({ TIME_WAIT: 1 });
    expect(gw.connectionCount).toBe(0); // no TCB kept: the record is in the TIME_WAIT table
    expect(gw.timeWait.size).toBe(1);
    expect(gw.sockets()[0]!.localAddress).toBe(DEST);
    expect(fwd.connectionCount).toBe(0);
    await net.run(61_000);
    expect(gw.stateCounts()).toEqual({});
    expect(gw.twForeign.size).toBe(0); // the foreign address is forgotten with its last record
  });

  it("the record answers the guest's retransmitted FIN with an ACK from the foreign address (RFC 9293 §3.10.7.4)", async () => {
    const { net, guest, gw } = setup();
    gw.forwardTcp((r) => void r.accept().then((s) => s.end()));
    const c = guest.net.connect(80, DEST);
    c.on('end', () => c.end());
    await once(c, 'close', net);
    await net.run(100);
    // the guest's last FIN, again: the gateway's record must re-ACK it from DEST
    const acks: { src: string; flags: number }[] = [];
    gw.on('packet', (p: Uint8Array) => {
      const d = decode(p);
      if (d) acks.push({ src: d.src, flags: d.seg.flags });
    });
    const tw = gw.sockets()[0]!;
    const slot = [...gw.timeWait.slots()][0]!;
    gw.input(packet(tw.remoteAddress, DEST, seg({ srcPort: tw.remotePort, dstPort: 80, seq: (gw.timeWait.rcvNxt(slot) - 1) >>> 0, ack: gw.timeWait.sndNxt(slot), flags: 0x11 })));
    expect(acks).toEqual([{ src: DEST, flags: ACK }]);
  });

  it('tcp_max_tw_buckets bounds forwarded connections too: past it, one skips TIME_WAIT', async () => {
    const { net, guest, gw } = setup();
    gw.setSysctl({ tcp_max_tw_buckets: 1 });
    gw.forwardTcp((r) => void r.accept().then((s) => s.end()));
    for (const port of [80, 81]) {
      const c = guest.net.connect(port, DEST);
      c.on('end', () => c.end());
      await once(c, 'close', net);
    }
    await net.run(100);
    expect(gw.stateCounts()).toEqual({ TIME_WAIT: 1 });
    expect(gw.counters.timeWaitOverflow).toBe(1);
  });

  it('a new SYN from the same guest port ends that TIME_WAIT (RFC 6191) and becomes a new request', async () => {
    const { net, guest, gw } = setup();
    const seen: TcpForwardRequest[] = [];
    gw.forwardTcp((r) => {
      seen.push(r);
      void r.accept().then((s) => s.end('bye'));
    });
    const first = guest.net.connect({ port: 80, host: DEST, localPort: 40000 });
    first.on('data', () => {});
    first.on('end', () => first.end());
    await once(first, 'close', net);
    await net.run(1_000);
    expect(gw.stateCounts()).toEqual({ TIME_WAIT: 1 });
    const second = guest.net.connect({ port: 80, host: DEST, localPort: 40000 });
    let got = '';
    second.on('data', (d) => (got += d));
    second.on('end', () => second.end());
    await once(second, 'close', net);
    expect(got).toBe('bye');
    expect(seen).toHaveLength(2);
    expect(gw.counters.timeWaitRecycled).toBe(1);
  });

  it('options are checked: unknown names and values that are not positive integers throw', () => {
    const { gw } = setup();
    expect(() => gw.forwardTcp(() => {}, { maxPending: 0 })).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(() => gw.forwardTcp(() => {}, { nope: 1 } as object)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }));
  });
});

describe('one forwarder at a time; close()', () => {
  it('a second forwardTcp() throws ERR_INVALID_STATE until the first is closed', () => {
    const { gw } = setup();
    const f = gw.forwardTcp(() => {});
    expect(() => gw.forwardTcp(() => {})).toThrow(expect.objectContaining({ code: 'ERR_INVALID_STATE' }));
    f.close();
    expect(() => gw.forwardTcp(() => {}).close()).not.toThrow();
  });

  it('close(): undecided requests are dropped and their signals aborted; forwarded connections go on', async () => {
    const { net, guest, gw } = setup();
    const reqs: TcpForwardRequest[] = [];
    const fwd = gw.forwardTcp((r) => {
      reqs.push(r);
      if (r.localPort === 80) void r.accept().then((s) => s.on('data', (d) => s.write(d)));
    });
    const c = guest.net.connect(80, DEST);
    guest.net.connect(81, DEST).on('error', () => {});
    await net.run(500);
    fwd.close();
    expect(reqs[1]!.state).toBe('dropped');
    expect(reqs[1]!.signal.aborted).toBe(true);
    let echo = '';
    c.on('data', (d) => (echo += d));
    c.write('still here');
    expect(await net.runUntil(() => echo === 'still here', 5_000)).toBe(true);
    rawSyn(gw, '10.0.0.9', 4000);
    expect(gw.counters.drops.not_for_us).toBe(1);
    // once the last forwarded connection is gone, foreign segments are not even looked up
    c.end();
    c.on('end', () => c.end());
    let closed = false;
    c.on('close', () => (closed = true));
    expect(await net.runUntil(() => closed, 10_000)).toBe(true);
    await net.run(61_000);
    const segmentsIn = gw.counters.segmentsIn;
    const notForUs = gw.counters.drops.not_for_us!;
    rawSyn(gw, '10.0.0.9', 4001);
    expect(gw.counters.segmentsIn).toBe(segmentsIn);
    expect(gw.counters.drops.not_for_us).toBe(notForUs + 1);
  });

  it('a handler that throws: the SYN is dropped and the error reported as internalError', () => {
    const { gw } = setup();
    const errors: unknown[] = [];
    gw.on('internalError', (e) => errors.push(e));
    const fwd = gw.forwardTcp(() => {
      throw new Error('handler bug');
    });
    rawSyn(gw, '10.0.0.9', 4000);
    expect(errors).toHaveLength(1);
    expect(fwd.counters.dropped).toBe(1);
  });
});
