/**
 * stack.forwardUdp(): datagrams no socket takes — to foreign addresses, or to the stack's own with
 * nothing bound — go to the application with their 4-tuple; replies go out from any source (the
 * original destination), and a closed port is reported with ICMP Port Unreachable from it.
 */
import { describe, expect, it } from 'vitest';
import { SimNetwork, type Stack, type UdpForwardedDatagram } from '../../src/index.js';
import { decodePacket } from '../../src/wire/packet.js';
import { formatIPv4 } from '../../src/wire/addr.js';
import { encodeUdpPacketV4 } from '../../src/wire/udp.js';
import { parseIPv4 } from '../../src/wire/addr.js';

const DEST = '203.0.113.10';
const DEST6 = '2001:db8::10';

function setup(): { net: SimNetwork; guest: Stack; gw: Stack; icmpOut: string[] } {
  const net = new SimNetwork({ seed: 5 });
  const guest = net.host(['10.0.0.1', 'fd00::1']);
  const gw = net.host(['10.0.0.254', 'fd00::254']);
  net.link.attach(DEST, (p) => gw.input(p));
  net.link.attach(DEST6, (p) => gw.input(p));
  const icmpOut: string[] = [];
  gw.on('packet', (p: Uint8Array) => {
    const d = decodePacket(p);
    if (typeof d !== 'string' && d.version === 4 && d.protocol === 1) icmpOut.push(`${formatIPv4(d.src4)} type ${p[d.payloadOffset]} code ${p[d.payloadOffset + 1]}`);
  });
  return { net, guest, gw, icmpOut };
}

describe('datagrams no socket takes go to the handler', () => {
  it('a datagram to a foreign address arrives with its 4-tuple and a copy of its data', async () => {
    const { net, guest, gw } = setup();
    const got: UdpForwardedDatagram[] = [];
    gw.forwardUdp((d) => got.push(d));
    const s = guest.dgram.createSocket('udp4');
    s.bind(5000);
    await net.run(1);
    s.send('query', 53, DEST);
    await net.run(10);
    expect(got).toHaveLength(1);
    const d = got[0]!;
    expect([d.localAddress, d.localPort, d.remoteAddress, d.remotePort, d.family]).toEqual([DEST, 53, '10.0.0.1', 5000, 'IPv4']);
    expect(Buffer.from(d.payload).toString()).toBe('query');
    s.close();
  });

  it('over IPv6 too', async () => {
    const { net, guest, gw } = setup();
    const got: UdpForwardedDatagram[] = [];
    gw.forwardUdp((d) => got.push(d));
    const s = guest.dgram.createSocket('udp6');
    s.send('six', 443, DEST6);
    await net.run(10);
    expect(got.map((d) => [d.localAddress, d.remoteAddress, d.family])).toEqual([[DEST6, 'fd00::1', 'IPv6']]);
    s.close();
  });

  it('a datagram to the stack\'s own address with no socket bound goes to the handler, not Port Unreachable', async () => {
    const { net, guest, gw, icmpOut } = setup();
    const got: UdpForwardedDatagram[] = [];
    gw.forwardUdp((d) => got.push(d));
    const s = guest.dgram.createSocket('udp4');
    s.send('x', 9999, '10.0.0.254');
    await net.run(10);
    expect(got.map((d) => `${d.localAddress}:${d.localPort}`)).toEqual(['10.0.0.254:9999']);
    expect(icmpOut).toEqual([]);
    s.close();
  });

  it('a socket bound on the stack still takes its own datagrams', async () => {
    const { net, guest, gw } = setup();
    let forwarded = 0;
    gw.forwardUdp(() => forwarded++);
    const bound = gw.dgram.createSocket('udp4');
    let received = '';
    bound.on('message', (m) => (received += m));
    bound.bind(53, '10.0.0.254');
    await net.run(1);
    const s = guest.dgram.createSocket('udp4');
    s.send('dns', 53, '10.0.0.254');
    await net.run(10);
    expect(received).toBe('dns');
    expect(forwarded).toBe(0);
    s.close();
    bound.close();
  });

  it('a wildcard-bound socket does not take datagrams to foreign addresses', async () => {
    const { net, guest, gw } = setup();
    const got: UdpForwardedDatagram[] = [];
    gw.forwardUdp((d) => got.push(d));
    const bound = gw.dgram.createSocket('udp4');
    let received = 0;
    bound.on('message', () => received++);
    bound.bind(53);
    await net.run(1);
    const s = guest.dgram.createSocket('udp4');
    s.send('dns', 53, DEST);
    await net.run(10);
    expect(received).toBe(0);
    expect(got).toHaveLength(1);
    s.close();
    bound.close();
  });

  it('datagrams from or to port 0 are dropped, not forwarded', () => {
    const { gw } = setup();
    let forwarded = 0;
    gw.forwardUdp(() => forwarded++);
    gw.input(encodeUdpPacketV4(parseIPv4('10.0.0.1')!, parseIPv4(DEST)!, 0, 53, new Uint8Array(4)));
    gw.input(encodeUdpPacketV4(parseIPv4('10.0.0.1')!, parseIPv4(DEST)!, 5000, 0, new Uint8Array(4)));
    expect(forwarded).toBe(0);
    expect(gw.counters.drops.udp_port_zero).toBe(2);
  });
});

describe('answers from the original destination', () => {
  it('send(): the guest receives the reply from the original destination and port', async () => {
    const { net, guest, gw } = setup();
    const fwd = gw.forwardUdp((d) => {
      fwd.send(Buffer.from(`re: ${Buffer.from(d.payload).toString()}`), { address: d.localAddress, port: d.localPort }, { address: d.remoteAddress, port: d.remotePort });
    });
    const s = guest.dgram.createSocket('udp4');
    let reply = '';
    s.on('message', (m, rinfo) => (reply = `${m} from ${rinfo.address}:${rinfo.port}`));
    s.send('hi', 7, DEST);
    expect(await net.runUntil(() => reply !== '', 1_000)).toBe(true);
    expect(reply).toBe(`re: hi from ${DEST}:7`);
    expect(fwd.counters).toEqual({ datagramsIn: 1, datagramsOut: 1, unreachableSent: 0 });
    s.close();
  });

  it('send() over the link MTU returns EMSGSIZE (no fragmentation on output); a bad address throws', () => {
    const { gw } = setup();
    const fwd = gw.forwardUdp(() => {});
    expect(fwd.send(new Uint8Array(1500), { address: DEST, port: 53 }, { address: '10.0.0.1', port: 5000 })).toBe('EMSGSIZE');
    expect(() => fwd.send(new Uint8Array(1), { address: 'example.com', port: 53 }, { address: '10.0.0.1', port: 5000 })).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }),
    );
  });

  it('portUnreachable(): ICMP Port Unreachable from the original destination; the guest\'s connected socket gets ECONNREFUSED', async () => {
    const { net, guest, gw, icmpOut } = setup();
    const fwd = gw.forwardUdp((d) => fwd.portUnreachable(d, d.payload));
    const s = guest.dgram.createSocket('udp4');
    let err: NodeJS.ErrnoException | null = null;
    s.on('error', (e) => (err = e));
    s.connect(9, DEST, () => s.send('anyone?'));
    expect(await net.runUntil(() => err !== null, 1_000)).toBe(true);
    expect(err!.code).toBe('ECONNREFUSED');
    expect(icmpOut).toEqual([`${DEST} type 3 code 3`]);
    expect(fwd.counters.unreachableSent).toBe(1);
    s.close();
  });
  it('portUnreachable() over IPv6: ICMPv6 Port Unreachable from the original destination, ECONNREFUSED on the guest', async () => {
    const { net, guest, gw } = setup();
    const fwd = gw.forwardUdp((d) => fwd.portUnreachable(d, d.payload));
    const s = guest.dgram.createSocket('udp6');
    let err: NodeJS.ErrnoException | null = null;
    s.on('error', (e) => (err = e));
    s.connect(9, DEST6, () => s.send('anyone?'));
    expect(await net.runUntil(() => err !== null, 1_000)).toBe(true);
    expect(err!.code).toBe('ECONNREFUSED');
    expect(fwd.counters.unreachableSent).toBe(1);
    s.close();
  });
});

describe('one UDP forwarder at a time; close()', () => {
  it('a second forwardUdp() throws ERR_INVALID_STATE; after close(), Port Unreachable answers again', async () => {
    const { net, guest, gw, icmpOut } = setup();
    const fwd = gw.forwardUdp(() => {});
    expect(() => gw.forwardUdp(() => {})).toThrow(expect.objectContaining({ code: 'ERR_INVALID_STATE' }));
    fwd.close();
    expect(() => fwd.send(new Uint8Array(1), { address: DEST, port: 1 }, { address: '10.0.0.1', port: 1 })).toThrow(expect.objectContaining({ code: 'ERR_FORWARDER_CLOSED' }));
    const s = guest.dgram.createSocket('udp4');
    s.send('x', 9999, '10.0.0.254');
    s.send('y', 9999, DEST);
    await net.run(10);
    expect(icmpOut).toEqual(['10.0.0.254 type 3 code 3']);
    expect(gw.counters.drops.not_for_us).toBe(1);
    s.close();
  });
});
