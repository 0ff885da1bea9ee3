/**
 * `attachTun` on a device with the virtio-net header declares the TUN's offloads to the stack and
 * carries them out per packet: TCP sent with NEEDS_CSUM (and the segment size of a super-segment),
 * arrivals flagged by the kernel trusted, unflagged ones verified, a read batch given to the stack
 * whole. A stand-in device records what it is asked; no root needed (the real device:
 * test/interop/tun-offload.test.ts).
 */
import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import '../../src/api/net.js';
import { attachTun } from '../../src/link/attach.js';
import { NO_OFFLOAD } from '../../src/link/offload.js';
import { TUN_RX_CSUM_PARTIAL, TUN_RX_CSUM_VALID, TUN_TX_NEEDS_CSUM, type TunDevice } from '../../src/link/tun.js';
import { Stack } from '../../src/stack/stack.js';
import { VirtualClock } from '../../src/time/virtual-clock.js';
import { parseIPv4 } from '../../src/wire/addr.js';
import { encodeTcpPacketV4 } from '../../src/wire/packet.js';
import { ACK, SYN } from '../../src/wire/segment.js';

class FakeDevice extends EventEmitter {
  readonly written: { bytes: Uint8Array; info: number }[] = [];
  completion: string | null = null;
  closed = false;
  constructor(readonly vnetHdr: boolean) {
    super();
  }
  setChecksumCompletion(mode: string): void {
    this.completion = mode;
  }
  write(p: Uint8Array, info = 0): boolean {
    this.written.push({ bytes: p.slice(), info });
    return true;
  }
  close(): void {
    this.closed = true;
  }
  /** one read batch from the kernel: each packet with its header's flags, then the batch's end */
  deliver(packets: [Uint8Array, number][]): void {
    for (const [p, info] of packets) this.emit('packet', p, info);
    this.emit('batch');
  }
}

const PEER = parseIPv4('10.0.0.1')!;
const US = parseIPv4('10.0.0.2')!;

/** the kernel's SYN to port 80, with a full checksum (encodeTcpPacketV4 computes it) */
function syn(srcPort: number): Uint8Array {
  return encodeTcpPacketV4(PEER, US, { srcPort, dstPort: 80, seq: 1000, ack: 0, flags: SYN, window: 65535, urgent: 0, options: { mss: 1460 }, payload: new Uint8Array(0) });
}

function setup(vnetHdr: boolean, opts: Parameters<typeof attachTun>[2] = {}) {
  const clock = new VirtualClock();
  const stack = new Stack({ addresses: ['10.0.0.2'], clock, seed: 1 });
  const device = new FakeDevice(vnetHdr);
  const link = attachTun(stack, device as unknown as TunDevice, opts);
  stack.net.createServer(() => {}).listen(80);
  return { clock, stack, device, link };
}

describe('attachTun: what a device with the virtio-net header declares', () => {
  it('every offload: TCP checksums left to the link both ways, 64 KiB super-segments; the addon leaves TCP partial', () => {
    const { stack, device, link } = setup(true);
    expect(stack.offload).toEqual({ txChecksum: true, rxChecksumVerified: true, gsoMaxBytes: 65535 });
    expect(device.completion).toBe('except-tcp');
    link.close();
    expect(stack.offload).toEqual(NO_OFFLOAD); // withdrawn on close
    stack.destroy();
  });

  it('with a capture, the addon completes every checksum (the capture holds valid packets)', () => {
    const { stack, device, link } = setup(true, { pcap: '/dev/null' });
    expect(device.completion).toBe('all');
    link.close();
    stack.destroy();
  });

  it('nothing on a plain device, with offload: false, or on an impaired link', () => {
    for (const [vnet, opts] of [[false, {}], [true, { offload: false }], [true, { impair: { out: { delayMs: 1 } } }]] as const) {
      const { stack, device, link } = setup(vnet, opts);
      expect(stack.offload).toEqual(NO_OFFLOAD);
      expect(device.completion).toBeNull();
      link.close();
      stack.destroy();
    }
  });
});

describe('attachTun: packets sent', () => {
  it('a TCP segment goes out with NEEDS_CSUM, its checksum field holding the pseudo-header sum', () => {
    const { stack, device, link } = setup(true);
    device.deliver([[syn(40000), TUN_RX_CSUM_PARTIAL]]);
    const synAck = device.written.find((w) => w.bytes[9] === 6 && (w.bytes[33]! & (SYN | ACK)) === (SYN | ACK));
    expect(synAck).toBeDefined();
    expect(synAck!.info).toBe(TUN_TX_NEEDS_CSUM);
    link.close();
    stack.destroy();
  });

  it('a super-segment carries its segment size for the kernel to cut (gso_size)', () => {
    const { clock, stack, device, link } = setup(true);
    const c = stack.net.connect({ host: '10.0.0.1', port: 5000 });
    c.on('error', () => {});
    const out = device.written[0]!.bytes; // our SYN: answer it as the kernel would
    const iss = new DataView(out.buffer, out.byteOffset).getUint32(24);
    const answer = encodeTcpPacketV4(PEER, US, {
      srcPort: 5000, dstPort: (out[20]! << 8) | out[21]!, seq: 7000, ack: (iss + 1) >>> 0, flags: SYN | ACK, window: 65535, urgent: 0,
      options: { mss: 1460, wscale: 7 }, payload: new Uint8Array(0),
    });
    device.deliver([[answer, TUN_RX_CSUM_PARTIAL]]);
    c.write(new Uint8Array(200_000));
    clock.advance(1);
    const supers = device.written.filter((w) => w.info >>> 16 !== 0);
    expect(supers.length).toBeGreaterThan(0);
    for (const w of supers) {
      expect(w.info & 0xffff).toBe(TUN_TX_NEEDS_CSUM);
      expect(w.info >>> 16).toBe(1460);
      expect(w.bytes.length).toBeGreaterThan(1500);
    }
    link.close();
    stack.destroy();
  });

  it('ICMP is sent whole, nothing asked of the kernel', () => {
    const { stack, device, link } = setup(true);
    // an echo request from the kernel (ICMP type 8), checksum computed by hand
    const icmp = new Uint8Array([0x45, 0, 0, 28, 0, 1, 0, 0, 64, 1, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2, 8, 0, 0, 0, 0, 1, 0, 1]);
    const sum16 = (from: number, to: number): number => {
      let s = 0;
      for (let i = from; i < to; i += 2) s += (icmp[i]! << 8) | icmp[i + 1]!;
      while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
      return ~s & 0xffff;
    };
    const ipSum = sum16(0, 20);
    icmp[10] = ipSum >>> 8;
    icmp[11] = ipSum & 0xff;
    const icmpSum = sum16(20, 28);
    icmp[22] = icmpSum >>> 8;
    icmp[23] = icmpSum & 0xff;
    device.deliver([[icmp, TUN_RX_CSUM_VALID]]);
    const reply = device.written.find((w) => w.bytes[9] === 1);
    expect(reply).toBeDefined();
    expect(reply!.info).toBe(0);
    link.close();
    stack.destroy();
  });
});

describe('attachTun: packets received', () => {
  it('a read batch reaches the stack whole, at its end: the kernel SYNs are answered after the last one', () => {
    const { stack, device, link } = setup(true);
    device.emit('packet', syn(40001), TUN_RX_CSUM_PARTIAL);
    device.emit('packet', syn(40002), TUN_RX_CSUM_PARTIAL);
    expect(stack.counters.packetsIn).toBe(0);
    device.emit('batch');
    expect(stack.counters.packetsIn).toBe(2);
    expect(device.written.filter((w) => w.bytes[9] === 6)).toHaveLength(2);
    link.close();
    stack.destroy();
  });

  it('a TCP arrival the kernel flagged (NEEDS_CSUM or DATA_VALID) is not verified: a wrong checksum is taken', () => {
    const { stack, device, link } = setup(true);
    const partial = syn(40003);
    partial[36] ^= 0xff; // the checksum field: as the kernel leaves it, not a valid checksum
    const valid = syn(40004);
    valid[36] ^= 0xff;
    device.deliver([[partial, TUN_RX_CSUM_PARTIAL], [valid, TUN_RX_CSUM_VALID]]);
    expect(stack.counters.drops.tcp_bad_checksum ?? 0).toBe(0);
    expect(stack.counters.segmentsIn).toBe(2);
    link.close();
    stack.destroy();
  });

  it('an unflagged TCP arrival (CHECKSUM_NONE) is verified: a wrong checksum is dropped and counted as tcp_bad_checksum', () => {
    const { stack, device, link } = setup(true);
    const bad = syn(40005);
    bad[36] ^= 0xff;
    device.deliver([[bad, 0], [syn(40006), 0]]);
    expect(stack.counters.drops.tcp_bad_checksum).toBe(1);
    expect(stack.counters.segmentsIn).toBe(1);
    link.close();
    stack.destroy();
  });

  it('on a plain device the stack verifies every checksum itself', () => {
    const { stack, device, link } = setup(false);
    const bad = syn(40007);
    bad[36] ^= 0xff;
    device.deliver([[bad, 0]]);
    expect(stack.counters.drops.tcp_bad_checksum).toBe(1);
    link.close();
    stack.destroy();
  });
});
