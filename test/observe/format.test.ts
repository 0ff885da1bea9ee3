import { describe, expect, it } from 'vitest';
import { ACK, CWR, ECE, FIN, PSH, RST, SYN, URG } from '../../src/wire/segment.js';
import type { Segment } from '../../src/wire/segment.js';
import {
  formatFlags,
  formatOptions,
  formatSegment,
  formatTcpdump,
  relU32,
} from '../../src/observe/format.js';

function seg(over: Partial<Segment> = {}): Segment {
  return {
    srcPort: 40000,
    dstPort: 80,
    seq: 0,
    ack: 0,
    flags: ACK,
    window: 65535,
    urgent: 0,
    options: {},
    payload: new Uint8Array(0),
    ...over,
  };
}

const LINUX_SYN = { mss: 1460, sackPermitted: true, tsVal: 100, tsEcr: 0, wscale: 7 };

describe('formatFlags', () => {
  it.each([
    [SYN, 'S'],
    [SYN | ACK, 'S.'],
    [ACK, '.'],
    [PSH | ACK, 'P.'],
    [FIN | ACK, 'F.'],
    [FIN | PSH | ACK, 'FP.'],
    [RST, 'R'],
    [RST | ACK, 'R.'],
    [0, 'none'],
    [URG | ACK, '.U'],
    [SYN | ECE | CWR, 'SEW'],
    [FIN | SYN | RST | PSH | ACK | URG | ECE | CWR, 'FSRP.UEW'],
  ])('flags %i prints %s', (flags, text) => {
    expect(formatFlags(flags)).toBe(text);
  });
});

describe('formatOptions', () => {
  it('prints a Linux SYN in its wire order', () => {
    expect(formatOptions(LINUX_SYN)).toBe('<mss 1460,sackOK,TS val 100 ecr 0,nop,wscale 7>');
  });
  it('prints empty options as the empty string', () => {
    expect(formatOptions({})).toBe('');
  });
  it('prints SACK blocks the tcpdump way', () => {
    expect(formatOptions({ sack: [1001, 2001] })).toBe('<sack 1 {1001:2001}>');
    expect(formatOptions({ tsVal: 5, tsEcr: 6, sack: [1, 2, 3, 4] })).toBe('<TS val 5 ecr 6,sack 2 {1:2}{3:4}>');
  });
  it('prints SACK edges relative to a base, wrapping', () => {
    expect(formatOptions({ sack: [0x10, 0x20] }, 0xfffffff0)).toBe('<sack 1 {32:48}>');
  });
  it('prints single options', () => {
    expect(formatOptions({ mss: 536 })).toBe('<mss 536>');
    expect(formatOptions({ wscale: 14 })).toBe('<nop,wscale 14>');
    expect(formatOptions({ sackPermitted: true })).toBe('<sackOK>');
  });
});

describe('formatSegment', () => {
  it('prints a SYN-ACK as packetdrill does', () => {
    const s = seg({ flags: SYN | ACK, seq: 5000, ack: 1001, options: LINUX_SYN });
    expect(formatSegment(s, { seqBase: 5000, ackBase: 1000 })).toBe(
      'S. 0:0(0) ack 1 win 65535 <mss 1460,sackOK,TS val 100 ecr 0,nop,wscale 7>',
    );
  });
  it('omits ack when ACK is not set, keeps win', () => {
    expect(formatSegment(seg({ flags: SYN, seq: 7, ack: 99 }))).toBe('S 7:7(0) win 65535');
    expect(formatSegment(seg({ flags: RST, seq: 101, window: 0 }))).toBe('R 101:101(0) win 0');
  });
  it('prints data ranges; SYN and FIN do not extend end', () => {
    const s = seg({ flags: FIN | PSH | ACK, seq: 1, ack: 1, window: 257, payload: new Uint8Array(100) });
    expect(formatSegment(s)).toBe('FP. 1:101(100) ack 1 win 257');
  });
  it('prints absolute numbers without bases', () => {
    expect(formatSegment(seg({ seq: 4294967295, ack: 123 }))).toBe('. 4294967295:4294967295(0) ack 123 win 65535');
  });
  it('relative seq/ack wrap around 2^32', () => {
    expect(relU32(0x00000010, 0xfffffff0)).toBe(32);
    const s = seg({ seq: 0x00000010, ack: 0x00000005, payload: new Uint8Array(10) });
    expect(formatSegment(s, { seqBase: 0xfffffff0, ackBase: 0xffffffff })).toBe('. 32:42(10) ack 6 win 65535');
  });
  it('the end of a range wraps too', () => {
    const s = seg({ seq: 0xfffffffe, payload: new Uint8Array(4) });
    expect(formatSegment(s)).toBe('. 4294967294:2(4) ack 0 win 65535');
  });
});

describe('formatTcpdump', () => {
  it('prints a SYN-ACK one-liner', () => {
    const s = seg({ flags: SYN | ACK, seq: 0, ack: 1, options: { ...LINUX_SYN, tsVal: 1 } });
    expect(formatTcpdump(s, '10.0.0.1', '10.0.0.2')).toBe(
      '10.0.0.1.40000 > 10.0.0.2.80: Flags [S.], seq 0, ack 1, win 65535, ' +
        'options [mss 1460,sackOK,TS val 1 ecr 0,nop,wscale 7], length 0',
    );
  });
  it('prints seq a:b for data, relative, without options', () => {
    const s = seg({ flags: PSH | ACK, seq: 0xfffffff1, ack: 0x11, window: 502, payload: new Uint8Array(100) });
    expect(formatTcpdump(s, '10.0.0.2', '10.0.0.1', { seqBase: 0xfffffff0, ackBase: 0x10 })).toBe(
      '10.0.0.2.40000 > 10.0.0.1.80: Flags [P.], seq 1:101, ack 1, win 502, length 100',
    );
  });
  it('omits ack without ACK and shows urg with URG', () => {
    expect(formatTcpdump(seg({ flags: RST, seq: 9, window: 0 }), 'a', 'b')).toBe(
      'a.40000 > b.80: Flags [R], seq 9, win 0, length 0',
    );
    expect(formatTcpdump(seg({ flags: URG | ACK, seq: 1, ack: 1, urgent: 3 }), 'a', 'b')).toBe(
      'a.40000 > b.80: Flags [.U], seq 1, ack 1, win 65535, urg 3, length 0',
    );
  });
});
