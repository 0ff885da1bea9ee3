import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ACK, CWR, ECE, FIN, PSH, RST, SYN, URG } from '../../src/wire/segment.js';
import type { Segment, TcpOptions } from '../../src/wire/segment.js';
import { formatSegment } from '../../src/observe/format.js';
import {
  buildInbound,
  fillerBytes,
  formatScriptLine,
  matchOutbound,
  parseScript,
} from './script.js';
import type { ScriptLine } from './script.js';

const SCRIPT = `
// a passive open, some data, a close
0     < S 0:0(0) win 65535 <mss 1460,sackOK,TS val 100 ecr 0,nop,wscale 7>
+0    > S. 0:0(0) ack 1 <mss 1460,sackOK,TS val * ecr 100,nop,wscale 7>
+.1   < . 1:1(0) ack 1 win 257

+0    < P. 1:101(100) ack 1 win 257   // trailing comment
+0    > . 1:1(0) ack 101 win *
+1.0  > F. 1:1(0) ack 101
+0    < R 101:101(0) win 0
`;

function one(line: string): ScriptLine {
  const lines = parseScript(line);
  expect(lines).toHaveLength(1);
  return lines[0]!;
}

function seg(over: Partial<Segment> = {}): Segment {
  return {
    srcPort: 80, dstPort: 40000, seq: 0, ack: 0, flags: ACK, window: 65535,
    urgent: 0, options: {}, payload: new Uint8Array(0), ...over,
  };
}

describe('parseScript', () => {
  const lines = parseScript(SCRIPT);

  it('skips comments and blank lines, keeping line numbers', () => {
    expect(lines.map((l) => l.lineNo)).toEqual([3, 4, 5, 7, 8, 9, 10]);
    expect(lines[3]!.text).toBe('+0    < P. 1:101(100) ack 1 win 257');
  });

  it('parses times: absolute, relative, fractional, *', () => {
    expect(lines.map((l) => l.time)).toEqual([
      { relative: false, ms: 0 }, { relative: true, ms: 0 }, { relative: true, ms: 100 },
      { relative: true, ms: 0 }, { relative: true, ms: 0 }, { relative: true, ms: 1000 },
      { relative: true, ms: 0 },
    ]);
    expect(one('0.200 < S 0:0(0)').time).toEqual({ relative: false, ms: 200 });
    expect(one('+2.5 < S 0:0(0)').time).toEqual({ relative: true, ms: 2500 });
    expect(one('* > S 0:0(0)').time).toBeNull();
  });

  it('parses direction, flags, seq ranges, ack and win', () => {
    expect(lines.map((l) => l.dir)).toEqual(['in', 'out', 'in', 'in', 'out', 'out', 'in']);
    expect(lines.map((l) => l.flags)).toEqual([SYN, SYN | ACK, ACK, PSH | ACK, ACK, FIN | ACK, RST]);
    expect(lines[3]).toMatchObject({ seq: 1, end: 101, len: 100, ack: 1, win: 257, options: null });
    expect(lines[6]).toMatchObject({ seq: 101, end: 101, len: 0, ack: null, win: 0 });
    expect(lines[4]!.win).toBeNull(); // win *
    expect(lines[5]).toMatchObject({ ack: 101, win: null, options: null });
  });

  it('accepts flags in any order, and every flag letter', () => {
    expect(one('0 > .PF 1:1(0) ack 1').flags).toBe(FIN | PSH | ACK);
    expect(one('0 > WEUSR 0:0(0)').flags).toBe(CWR | ECE | URG | SYN | RST);
  });

  it('accepts a range that wraps 2^32', () => {
    expect(one('0 < . 4294967290:4(10) ack 1')).toMatchObject({ seq: 4294967290, end: 4, len: 10 });
  });

  it('parses every option, keeping the written order', () => {
    expect(lines[0]!.options).toEqual({
      mss: 1460, sackPermitted: true, tsVal: 100, tsEcr: 0, wscale: 7,
      order: ['mss', 'sackOK', 'TS', 'nop', 'wscale'],
    });
    const o = one('0 < . 1:1(0) ack 1 <nop,nop,TS val 5 ecr 6,nop,nop,sack 1001:2001 3001:4001,eol>').options;
    expect(o).toEqual({
      tsVal: 5, tsEcr: 6, sack: [1001, 2001, 3001, 4001], eol: true,
      order: ['nop', 'nop', 'TS', 'nop', 'nop', 'sack', 'eol'],
    });
    expect(one('0 < . 1:1(0) ack 1 <sack 2 {1:2}{3:4}>').options!.sack).toEqual([1, 2, 3, 4]);
    expect(one('0 < . 1:1(0) ack 1 <sack 1 {1001:2001}>').options!.sack).toEqual([1001, 2001]);
    expect(one('0 > S 0:0(0) <>').options).toEqual({ order: [] });
  });

  it('parses wildcards on outbound lines', () => {
    expect(one('0 > S. 0:0(0) ack 1 win * <mss *,TS val * ecr *,wscale *,sack *>').options).toEqual({
      mss: '*', tsVal: '*', tsEcr: '*', wscale: '*', sack: '*', order: ['mss', 'TS', 'wscale', 'sack'],
    });
  });

  it('ignores /* */ comments without shifting line numbers', () => {
    const l = parseScript('/* header\n   more */\n0 < S 0:0(0) /* inline */ win 10');
    expect(l[0]).toMatchObject({ lineNo: 3, win: 10 });
  });

  it.each([
    ['0 < P. 1:101(99) ack 1', /script line 2: bad len.*"0 < P\. 1:101\(99\) ack 1"/],
    ['0 < S 0:0(0) bogus 3', /script line 2: unknown token "bogus"/],
    ['0 < S win 100', /script line 2: missing seq/],
    ['0 < S', /script line 2: missing seq/],
    ['0 < X 0:0(0)', /script line 2: unknown flag 'X'/],
    ['0 < SS 0:0(0)', /script line 2: flag 'S' repeated/],
    ['0 < S 0:0(0) <mss 1460,frob 3>', /script line 2: unknown option "frob 3"/],
    ['0 < S 0:0(0) <mss 1460', /script line 2: options must be/],
    ['x < S 0:0(0)', /script line 2: bad time x/],
    ['0 = S 0:0(0)', /script line 2: expected/],
    ['0 < S 0:0(0) win 70000', /script line 2: win 70000 is out of range/],
    ['0 < S 0:0(0) ack 5', /script line 2: ack written without/],
    ['0 < . 1:1(0) win 5', /script line 2: inbound '\.' \(ACK\) flag needs/],
    ['0 < S 0:0(0) win *', /script line 2: win \* on an inbound line/],
    ['0 < S 0:0(0) <mss *>', /script line 2: wildcard option on an inbound line/],
    ['0 < . 1:1(0) ack 1 <sack 2 {1:2}>', /script line 2: sack count 2 but 1 blocks/],
    ['0 < S 0:0(0) ack 1 ack 2', /script line 2: ack repeated/],
  ])('throws naming the line: %s', (bad, re) => {
    expect(() => parseScript(`// first line\n${bad}`)).toThrow(re);
  });
});

describe('formatScriptLine', () => {
  it('prints lines back in script form', () => {
    const lines = parseScript(SCRIPT);
    expect(formatScriptLine(lines[1]!)).toBe('+0 > S. 0:0(0) ack 1 <mss 1460,sackOK,TS val * ecr 100,nop,wscale 7>');
    expect(formatScriptLine(lines[2]!)).toBe('+0.1 < . 1:1(0) ack 1 win 257');
    expect(formatScriptLine(one('* > . 1:1(0) ack 1 <sack 1:2>'))).toBe('* > . 1:1(0) ack 1 <sack 1 {1:2}>');
  });
  it('round-trips through the parser', () => {
    for (const l of parseScript(SCRIPT)) {
      const again = one(formatScriptLine(l));
      expect({ ...again, text: '', lineNo: 0 }).toEqual({ ...l, text: '', lineNo: 0 });
    }
  });
});

describe('buildInbound', () => {
  const ports = { local: 80, remote: 40000 };

  it('builds a SYN with options and default window', () => {
    const l = one('0 < S 0:0(0) <mss 1460,sackOK,TS val 100 ecr 0,nop,wscale 7>');
    expect(buildInbound(l, { localIss: 5, remoteIss: 1000 }, ports)).toEqual({
      srcPort: 40000, dstPort: 80, seq: 1000, ack: 0, flags: SYN, window: 65535, urgent: 0,
      options: { mss: 1460, sackPermitted: true, tsVal: 100, tsEcr: 0, wscale: 7 },
      payload: new Uint8Array(0),
    });
  });

  it('wraps seq, ack and SACK edges near 2^32', () => {
    const l = one('0 < P. 1:101(100) ack 33 win 257 <sack 17:33>');
    const s = buildInbound(l, { localIss: 0xfffffff0, remoteIss: 0xffffffff }, ports);
    expect(s.seq).toBe(0);
    expect(s.ack).toBe(0x11);
    expect(s.window).toBe(257);
    expect(s.options.sack).toEqual([1, 0x11]);
    expect(s.payload).toEqual(fillerBytes(1, 100));
  });

  it('uses given payload bytes, and checks their length', () => {
    const l = one('0 < P. 1:4(3) ack 1');
    const bytes = new Uint8Array([1, 2, 3]);
    expect(buildInbound(l, { localIss: 0, remoteIss: 0 }, ports, bytes).payload).toBe(bytes);
    expect(() => buildInbound(l, { localIss: 0, remoteIss: 0 }, ports, new Uint8Array(2))).toThrow(/line 1: payload is 2 bytes/);
  });

  it('filler is deterministic by stream position', () => {
    expect(fillerBytes(1, 3)).toEqual(new Uint8Array([0x62, 0x63, 0x64]));
    expect(fillerBytes(10, 5)).toEqual(fillerBytes(1, 14).subarray(9));
  });

  it('rejects wildcards and outbound lines', () => {
    const out = one('0 > S 0:0(0) <mss *>');
    expect(() => buildInbound(out, { localIss: 0, remoteIss: 0 }, ports)).toThrow(/outbound/);
    const hand: ScriptLine = { ...out, dir: 'in' };
    expect(() => buildInbound(hand, { localIss: 0, remoteIss: 0 }, ports)).toThrow(/wildcards/);
  });
});

describe('matchOutbound', () => {
  const base = { localIss: 0xfffffff0, remoteIss: 1000 };
  const synAckOpts: TcpOptions = { mss: 1460, sackPermitted: true, tsVal: 777, tsEcr: 100, wscale: 7 };
  const synAckLine = one('+0 > S. 0:0(0) ack 1 <mss 1460,sackOK,TS val * ecr 100,nop,wscale 7>');
  const synAck = seg({ flags: SYN | ACK, seq: 0xfffffff0, ack: 1001, options: synAckOpts });
  const dataLine = one('+0 > P. 1:11(10) ack 101 win 257');
  const data = seg({ flags: PSH | ACK, seq: 0xfffffff1, ack: 1101, window: 257, payload: new Uint8Array(10) });

  it('accepts matching segments (wildcard TS val, unwritten win, wrap)', () => {
    expect(matchOutbound(synAckLine, synAck, base)).toBeNull();
    expect(matchOutbound(dataLine, data, base)).toBeNull();
    expect(matchOutbound(one('0 > . 1:1(0) ack 101 win *'), seg({ seq: 0xfffffff1, ack: 1101, window: 3 }), base)).toBeNull();
  });

  it('ignores ack, win and options when not written', () => {
    const l = one('0 > . 1:1(0)');
    expect(matchOutbound(l, seg({ seq: 0xfffffff1, ack: 5, window: 1, options: { tsVal: 1, tsEcr: 2 } }), base)).toBeNull();
  });

  it('reports a flags mismatch', () => {
    const m = matchOutbound(synAckLine, { ...synAck, flags: SYN }, base);
    expect(m).toBe(
      'script line 1: expected "S. 0:0(0) ack 1 <mss 1460,sackOK,TS val * ecr 100,nop,wscale 7>" ' +
        'got "S 0:0(0) win 65535 <mss 1460,sackOK,TS val 777 ecr 100,nop,wscale 7>": flags S, expected S.',
    );
  });

  it('reports seq, len, ack and win mismatches', () => {
    expect(matchOutbound(dataLine, { ...data, seq: 0xfffffff2 }, base)).toMatch(/got "P\. 2:12\(10\) .*": seq 2, expected 1$/);
    expect(matchOutbound(dataLine, { ...data, payload: new Uint8Array(9) }, base)).toMatch(/: len 9, expected 10$/);
    expect(matchOutbound(synAckLine, { ...synAck, ack: 1002 }, base)).toMatch(
      /^script line 1: expected "S\. 0:0\(0\) ack 1 <.*>" got "S\. 0:0\(0\) ack 2 win 65535 <.*>": ack 2, expected 1$/,
    );
    expect(matchOutbound(dataLine, { ...data, window: 256 }, base)).toMatch(/: win 256, expected 257$/);
    expect(matchOutbound(dataLine, { ...data, window: 256, ack: 1102 }, base)).toMatch(/: ack 102, expected 101; win 256, expected 257$/);
  });

  it('reports missing and unexpected options, and wrong option values', () => {
    const { wscale: _w, ...noWscale } = synAckOpts;
    expect(matchOutbound(synAckLine, { ...synAck, options: noWscale }, base)).toMatch(/: missing option wscale$/);
    expect(matchOutbound(synAckLine, { ...synAck, options: { ...synAckOpts, sack: [1001, 1002] } }, base)).toMatch(
      /: unexpected option sack$/,
    );
    const noOpts = one('0 > P. 1:11(10) ack 101 win 257 <>');
    expect(matchOutbound(noOpts, { ...data, options: { mss: 1 } }, base)).toMatch(/: unexpected option mss$/);
    expect(matchOutbound(synAckLine, { ...synAck, options: { ...synAckOpts, mss: 1400 } }, base)).toMatch(/: mss 1400, expected 1460$/);
    expect(matchOutbound(synAckLine, { ...synAck, options: { ...synAckOpts, tsEcr: 99 } }, base)).toMatch(/: TS ecr 99, expected 100$/);
    const { tsVal: _v, tsEcr: _e, ...noTs } = synAckOpts;
    expect(matchOutbound(synAckLine, { ...synAck, options: noTs }, base)).toMatch(/: missing option TS$/);
  });

  it('wildcard TS val matches any value but not a missing TS; exact TS val must match', () => {
    for (const v of [0, 1, 0xffffffff]) {
      expect(matchOutbound(synAckLine, { ...synAck, options: { ...synAckOpts, tsVal: v } }, base)).toBeNull();
    }
    const exact = one('0 > S. 0:0(0) ack 1 <mss 1460,sackOK,TS val 5 ecr 100,nop,wscale 7>');
    expect(matchOutbound(exact, synAck, base)).toMatch(/: TS val 777, expected 5$/);
  });

  it('compares SACK blocks exactly, relative to the remote ISS', () => {
    const l = one('0 > . 1:1(0) ack 1 <nop,nop,TS val * ecr *,nop,nop,sack 101:201>');
    const s = seg({ seq: 0xfffffff1, ack: 1001, options: { tsVal: 1, tsEcr: 2, sack: [1101, 1201] } });
    expect(matchOutbound(l, s, base)).toBeNull();
    expect(matchOutbound(l, { ...s, options: { tsVal: 1, tsEcr: 2, sack: [1101, 1301] } }, base)).toMatch(
      /: sack 1 \{101:301\}, expected sack 1 \{101:201\}$/,
    );
    expect(matchOutbound(l, { ...s, options: { tsVal: 1, tsEcr: 2 } }, base)).toMatch(/: missing option sack$/);
  });

  it('any segment matches the line parsed from its own formatting (property)', () => {
    const flagsArb = fc.integer({ min: 0, max: 0xff });
    const u32 = fc.integer({ min: 0, max: 0xffffffff });
    const optsArb = fc.record(
      {
        mss: fc.integer({ min: 0, max: 0xffff }), wscale: fc.integer({ min: 0, max: 14 }),
        sackPermitted: fc.constant(true), ts: fc.tuple(u32, u32),
        sack: fc.array(u32, { minLength: 2, maxLength: 8 }).map((a) => a.slice(0, a.length & ~1)),
      },
      { requiredKeys: [] },
    ).map(({ ts, ...o }): TcpOptions => (ts ? { ...o, tsVal: ts[0], tsEcr: ts[1] } : o));
    fc.assert(
      fc.property(flagsArb, u32, u32, u32, u32, fc.integer({ min: 0, max: 0xffff }), fc.nat(40), optsArb,
        (flags, seqN, ackN, localIss, remoteIss, window, len, options) => {
          const s = seg({ flags, seq: seqN, ack: flags & ACK ? ackN : 0, window, options, payload: fillerBytes(0, len) });
          const b = { localIss, remoteIss };
          const out = one(`0 > ${formatSegment(s, { seqBase: localIss, ackBase: remoteIss })}`);
          expect(matchOutbound(out, s, b)).toBeNull();
          // The same text read as inbound (roles swapped) rebuilds the segment.
          const inLine = one(`0 < ${formatSegment(s, { seqBase: remoteIss, ackBase: localIss })}`);
          const rebuilt = buildInbound(inLine, b, { local: s.dstPort, remote: s.srcPort }, s.payload);
          const norm = (o: TcpOptions): TcpOptions => (o.sack?.length === 0 ? { ...o, sack: undefined } : o);
          expect({ ...rebuilt, options: norm(rebuilt.options) }).toEqual({ ...s, options: norm(s.options) });
        }),
    );
  });
});
