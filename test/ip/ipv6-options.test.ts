/**
 * IPv6 extension headers a host must act on (RFC 8200 §4): the two high-order bits of an
 * unrecognised option's type in Hop-by-Hop and Destination Options (§4.2), a Routing header with
 * segments left (§4.4), a Hop-by-Hop header out of place (§4.1) — through stack.input(), with the
 * ICMPv6 Parameter Problem (RFC 4443 §3.4) each one draws.
 */
import { describe, expect, it } from 'vitest';
import { Stack } from '../../src/index.js';
import { VirtualClock } from '../../src/time/virtual-clock.js';
import { decodePacket } from '../../src/wire/packet.js';
import { parseIPv6Header } from '../../src/wire/ipv6.js';
import { parseIPv6 } from '../../src/wire/addr.js';
import { ICMP6_ECHO_REPLY, ICMP6_ECHO_REQUEST, ICMP6_PARAM_PROBLEM, buildIcmpV6 } from '../../src/ip/icmp.js';

const US6 = parseIPv6('fd00::2')!;
const PEER6 = parseIPv6('fd00::1')!;

function host(): { stack: Stack; out: Uint8Array[] } {
  const stack = new Stack({ addresses: ['10.0.0.2', 'fd00::2'], clock: new VirtualClock(), seed: 1 });
  const out: Uint8Array[] = [];
  stack.on('packet', (p: Uint8Array) => out.push(p.slice()));
  return { stack, out };
}

/** An echo request with extension headers `chain` (each [type, bytes]) between the IPv6 header and ICMPv6. */
function echoWith(chain: [number, number[]][], dst = US6): Uint8Array {
  const icmp = buildIcmpV6(PEER6, dst, ICMP6_ECHO_REQUEST, 0, 0xabcd0001, new Uint8Array([1, 2, 3, 4]));
  const exts = chain.map(([, bytes]) => bytes);
  const extLen = exts.reduce((n, b) => n + b.length, 0);
  const p = new Uint8Array(icmp.length + extLen);
  p.set(icmp.subarray(0, 40));
  const plen = icmp.length - 40 + extLen;
  p[4] = plen >> 8;
  p[5] = plen & 255;
  p[6] = chain.length ? chain[0]![0] : 58;
  let off = 40;
  chain.forEach(([, bytes], i) => {
    p.set(bytes, off);
    p[off] = i + 1 < chain.length ? chain[i + 1]![0] : 58;
    off += bytes.length;
  });
  p.set(icmp.subarray(40), off);
  return p;
}

/** An 8-byte options header carrying one option of `type` with 4 bytes of data. */
const optionHeader = (type: number): number[] => [0, 0, type, 4, 0, 0, 0, 0];

function answer(out: Uint8Array[]): { type: number; code: number; pointer: number } {
  expect(out).toHaveLength(1);
  const p = out[0]!;
  const d = decodePacket(p);
  if (typeof d === 'string') throw new Error(d);
  const o = d.payloadOffset;
  return { type: p[o]!, code: p[o + 1]!, pointer: ((p[o + 4]! << 24) | (p[o + 5]! << 16) | (p[o + 6]! << 8) | p[o + 7]!) >>> 0 };
}

describe('RFC 8200 §4.2: the action bits of an unrecognised option', () => {
  for (const [name, hdr] of [
    ['Destination Options', 60],
    ['Hop-by-Hop Options', 0],
  ] as const) {
    it(`${name}: 00 — the option is skipped and the packet processed`, () => {
      const { stack, out } = host();
      stack.input(echoWith([[hdr, optionHeader(0x1e)]]));
      expect(answer(out).type).toBe(ICMP6_ECHO_REPLY);
    });

    it(`${name}: 01 — the packet is discarded silently`, () => {
      const { stack, out } = host();
      stack.input(echoWith([[hdr, optionHeader(0x5e)]]));
      expect(out).toHaveLength(0);
      expect(stack.counters.drops.ip6_option_discard).toBe(1);
    });

    it(`${name}: 10 — discarded, and Parameter Problem code 2 points at the option type`, () => {
      const { stack, out } = host();
      stack.input(echoWith([[hdr, optionHeader(0x9e)]]));
      expect(answer(out)).toEqual({ type: ICMP6_PARAM_PROBLEM, code: 2, pointer: 42 });
      expect(stack.counters.drops.ip6_option_unknown).toBe(1);
    });

    it(`${name}: 11 — discarded, and Parameter Problem code 2 for a unicast destination`, () => {
      const { stack, out } = host();
      stack.input(echoWith([[hdr, optionHeader(0xde)]]));
      expect(answer(out)).toEqual({ type: ICMP6_PARAM_PROBLEM, code: 2, pointer: 42 });
    });
  }

  it('11 to a multicast destination is discarded without an answer; 10 asks for one even to multicast', () => {
    const group = parseIPv6('ff02::1')!;
    expect(parseIPv6Header(echoWith([[60, optionHeader(0xde)]], group))).toBe('ip6_option_discard');
    expect(parseIPv6Header(echoWith([[60, optionHeader(0x9e)]], group))).toBe('ip6_option_unknown');
  });

  it('the pointer names the unrecognised option, not the first one, in a header of several', () => {
    const { out, stack } = host();
    // PadN(1 byte of data), then a skippable option, then the refused one
    stack.input(echoWith([[60, [0, 1, 1, 1, 0, 0x1e, 0, 0x9e, 0, 0, 0, 0, 0, 0, 0, 0]]]));
    expect(answer(out)).toEqual({ type: ICMP6_PARAM_PROBLEM, code: 2, pointer: 47 });
  });
});

describe('RFC 4443 §2.4(e.1): no error about an error', () => {
  it('an ICMPv6 error carrying an option that asks for Parameter Problem is discarded without one', () => {
    const { stack, out } = host();
    const p = echoWith([[60, optionHeader(0x9e)]]);
    p.set([1, 4], 48); // destination unreachable (its checksum no longer matters: the option refuses it first)
    stack.input(p);
    expect(out).toHaveLength(0);
    expect(stack.counters.drops.ip6_option_unknown).toBe(1);
  });
});

describe('RFC 8200 §4.2: padding and malformed options', () => {
  it('Pad1 and PadN are padding: the packet is processed', () => {
    const { stack, out } = host();
    stack.input(echoWith([[60, [0, 0, 0, 1, 2, 0, 0, 0]]]));
    expect(answer(out).type).toBe(ICMP6_ECHO_REPLY);
  });

  it('more than 7 bytes of padding in a row is refused, as Linux ip6_parse_tlv does', () => {
    const { stack, out } = host();
    stack.input(echoWith([[60, [0, 1, 1, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]]]));
    expect(out).toHaveLength(0);
    expect(stack.counters.drops.ip6_bad_option).toBe(1);
  });

  it('an option whose length runs past its header is malformed: dropped silently', () => {
    const { stack, out } = host();
    stack.input(echoWith([[60, [0, 0, 0x9e, 10, 0, 0, 0, 0]]]));
    expect(out).toHaveLength(0);
    expect(stack.counters.drops.ip6_bad_option).toBe(1);
  });
});

describe('RFC 8200 §4.4 and §4.1: Routing header, header order', () => {
  it('§4.4: a Routing header with Segments Left nonzero draws Parameter Problem code 0 at the Routing Type', () => {
    const { stack, out } = host();
    stack.input(echoWith([[43, [0, 0, 0, 1, 0, 0, 0, 0]]]));
    expect(answer(out)).toEqual({ type: ICMP6_PARAM_PROBLEM, code: 0, pointer: 42 });
    expect(stack.counters.drops.ip6_routing_header).toBe(1);
  });

  it('§4.4: a Routing header with no segments left is ignored and the packet processed', () => {
    const { stack, out } = host();
    stack.input(echoWith([[43, [0, 0, 0, 0, 0, 0, 0, 0]]]));
    expect(answer(out).type).toBe(ICMP6_ECHO_REPLY);
  });

  it('§4.1: a Hop-by-Hop header anywhere but first draws Parameter Problem code 1 at the Next Header naming it', () => {
    const { stack, out } = host();
    stack.input(echoWith([[60, optionHeader(0x1e)], [0, optionHeader(0x1e)]]));
    expect(answer(out)).toEqual({ type: ICMP6_PARAM_PROBLEM, code: 1, pointer: 40 });
    expect(stack.counters.drops.ip6_bad_ext_order).toBe(1);
  });
});
