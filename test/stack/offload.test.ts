/**
 * The offload declaration (link/offload.ts): what a stack skips when its link says it may, and the
 * default — nothing offloaded — for a raw-packet interface wired by hand.
 */
import { describe, expect, it } from 'vitest';
import { Stack } from '../../src/stack/stack.js';
import { NO_OFFLOAD } from '../../src/link/offload.js';
import { VirtualClock } from '../../src/time/virtual-clock.js';
import { fold, pseudoSumV4 } from '../../src/wire/checksum.js';
import { completeTcpChecksum, decodeTcpPacket, IPPROTO_TCP, TCP_CHECKSUM_OFFSET } from '../../src/wire/packet.js';
import { ACK, RawHost, SERVER, SYN, packet, seg } from './helpers.js';
import { parseIPv4 } from '../../src/wire/addr.js';

const CLIENT = '10.0.0.1';

describe('the declaration', () => {
  it('is all off by default', () => {
    expect(new Stack({ addresses: [SERVER], clock: new VirtualClock() }).offload).toEqual(NO_OFFLOAD);
  });

  it('takes StackOptions.offload, fields left out being off', () => {
    const s = new Stack({ addresses: [SERVER], clock: new VirtualClock(), offload: { rxChecksumVerified: true } });
    expect(s.offload).toEqual({ txChecksum: false, rxChecksumVerified: true, gsoMaxBytes: 0 });
  });

  it('setOffload replaces the whole declaration', () => {
    const s = new Stack({ addresses: [SERVER], clock: new VirtualClock(), offload: { rxChecksumVerified: true, txChecksum: true } });
    s.setOffload({ gsoMaxBytes: 65535 });
    expect(s.offload).toEqual({ txChecksum: false, rxChecksumVerified: false, gsoMaxBytes: 65535 });
  });

  it('refuses a wrong type with ERR_INVALID_ARG_TYPE', () => {
    const s = new Stack({ addresses: [SERVER], clock: new VirtualClock() });
    expect(() => s.setOffload({ txChecksum: 1 as unknown as boolean })).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE', name: 'TypeError', message: 'The "offload.txChecksum" property must be of type boolean. Received type number (1)' }),
    );
    expect(() => s.setOffload(null as unknown as object)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
    expect(() => new Stack({ addresses: [SERVER], offload: 'all' as unknown as object })).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE', message: expect.stringContaining('"options.offload" property') }),
    );
  });

  it('refuses a gsoMaxBytes beyond what an IP packet can hold with ERR_OUT_OF_RANGE', () => {
    const s = new Stack({ addresses: [SERVER], clock: new VirtualClock() });
    expect(() => s.setOffload({ gsoMaxBytes: 65536 })).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE', name: 'RangeError' }));
    expect(() => s.setOffload({ gsoMaxBytes: -1 })).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(() => s.setOffload({ gsoMaxBytes: 1.5 })).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
  });
});

/** A SYN from CLIENT:40000 to a listener on SERVER:80, and the SYN-ACK it draws. */
function synAckFrom(stack: Stack): Uint8Array {
  stack.listen(null, 80, 16, () => {});
  const raw: Uint8Array[] = [];
  stack.on('packet', (p: Uint8Array) => raw.push(p.slice()));
  stack.input(packet(CLIENT, SERVER, seg({ srcPort: 40000, dstPort: 80, seq: 1000, flags: SYN, options: { mss: 1460 } })));
  expect(raw).toHaveLength(1);
  return raw[0]!;
}

describe('transmit checksum offload', () => {
  it('without it every segment carries its full checksum', () => {
    expect(decodeTcpPacket(synAckFrom(new Stack({ addresses: [SERVER], clock: new VirtualClock() })))).not.toBeTypeOf('string');
  });

  it('with it the checksum field holds the pseudo-header sum, which the link completes', () => {
    const stack = new Stack({ addresses: [SERVER], clock: new VirtualClock() });
    stack.setOffload({ txChecksum: true });
    const p = synAckFrom(stack);
    expect((p[20 + TCP_CHECKSUM_OFFSET]! << 8) | p[21 + TCP_CHECKSUM_OFFSET]!).toBe(fold(pseudoSumV4(parseIPv4(SERVER)!, parseIPv4(CLIENT)!, IPPROTO_TCP, p.length - 20)));
    expect(decodeTcpPacket(p)).toBe('tcp_bad_checksum');
    completeTcpChecksum(p);
    expect(decodeTcpPacket(p)).not.toBeTypeOf('string');
  });
});

describe('receive checksum offload', () => {
  function corruptSyn(): Uint8Array {
    const p = packet(CLIENT, SERVER, seg({ srcPort: 40000, dstPort: 80, seq: 1000, flags: SYN }));
    p[20 + TCP_CHECKSUM_OFFSET] ^= 0x55;
    return p;
  }

  it('without it a segment with a bad checksum is counted and dropped', () => {
    const host = new RawHost(SERVER);
    host.stack.listen(null, 80, 16, () => {});
    host.stack.input(corruptSyn());
    expect(host.take()).toHaveLength(0);
    expect(host.stack.counters.drops.tcp_bad_checksum).toBe(1);
  });

  it('with it the segment is taken as the link vouches for it', () => {
    const host = new RawHost(SERVER);
    host.stack.setOffload({ rxChecksumVerified: true });
    host.stack.listen(null, 80, 16, () => {});
    host.stack.input(corruptSyn());
    expect(host.take().map((c) => c.seg.flags & (SYN | ACK))).toEqual([SYN | ACK]);
  });
});

describe('two stacks that both declare checksum offload', () => {
  it('connect and carry data byte for byte with no checksum computed', async () => {
    const clock = new VirtualClock();
    const offload = { txChecksum: true, rxChecksumVerified: true };
    const a = new Stack({ addresses: [CLIENT], clock, offload });
    const b = new Stack({ addresses: [SERVER], clock, offload });
    const seen: Uint8Array[] = [];
    a.on('packet', (p: Uint8Array) => {
      seen.push(p.slice());
      const q = p.slice();
      clock.defer(() => b.input(q));
    });
    b.on('packet', (p: Uint8Array) => {
      const q = p.slice();
      clock.defer(() => a.input(q));
    });
    const got: Buffer[] = [];
    b.net.createServer((s) => s.on('data', (d: Buffer) => got.push(d))).listen(80);
    const c = a.net.connect(80, SERVER);
    const payload = Buffer.alloc(100_000, 7);
    c.end(payload);
    for (let i = 0; i < 2000 && Buffer.concat(got).length < payload.length; i++) {
      await new Promise((r) => setImmediate(r));
      clock.advance(1);
    }
    expect(Buffer.concat(got)).toEqual(payload);
    // none of what a sent had a complete checksum
    expect(seen.length).toBeGreaterThan(3);
    expect(seen.every((p) => decodeTcpPacket(p) === 'tcp_bad_checksum')).toBe(true);
    expect(a.counters.drops).toEqual({});
    expect(b.counters.drops).toEqual({});
  });
});
