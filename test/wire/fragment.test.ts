/**
 * wire/fragment.ts: where a fragment's data sits and what it says (RFC 791 §3.1, RFC 8200 §4.5),
 * and the datagram rebuilt from the first fragment's headers (RFC 791 §3.2, RFC 8200 §4.5).
 */
import { describe, expect, it } from 'vitest';
import { assembleIPv4, assembleIPv6, firstFragmentHasHeaderChain, parseFragment, type Fragment } from '../../src/wire/fragment.js';
import { parseIPv4Header } from '../../src/wire/ipv4.js';
import { decodeTcpPacket } from '../../src/wire/packet.js';
import { finish, sum } from '../../src/wire/checksum.js';
import { DATA_V6, LINUX_SYN_V4, hex, refreshChecksums } from './fixtures.js';

function frag(p: Uint8Array): Fragment {
  const f = parseFragment(p);
  if (typeof f === 'string') throw new Error(f);
  return f;
}

/** DATA_V6 with a Fragment header (offset, M, id) inserted before its TCP segment. */
function v6Fragment(offset: number, more: boolean, id: number, data = DATA_V6.subarray(40)): Uint8Array {
  const p = new Uint8Array(48 + data.length);
  p.set(DATA_V6.subarray(0, 40));
  p[4] = (8 + data.length) >> 8;
  p[5] = (8 + data.length) & 255;
  p[6] = 44;
  p.set([6, 0, (offset | (more ? 1 : 0)) >> 8, (offset | (more ? 1 : 0)) & 255, id >>> 24, (id >> 16) & 255, (id >> 8) & 255, id & 255], 40);
  p.set(data, 48);
  return p;
}

describe('parseFragment', () => {
  it('IPv4: offset in bytes from the 8-byte units, MF, ID, protocol, and where the data is', () => {
    const p = LINUX_SYN_V4.slice();
    p[6] = 0x20 | 0x01; // MF, offset 0x100 units
    p[7] = 0x00;
    const f = frag(refreshChecksums(p));
    expect(f).toMatchObject({ version: 4, id: 0x1c46, protocol: 6, offset: 0x100 * 8, more: true, dataStart: 20, dataEnd: 60, headerLength: 20, nextHeaderAt: -1 });
  });

  it('IPv6: the Fragment header gives offset, M, the 32-bit ID and the upper layer; the unfragmentable part ends at it', () => {
    const f = frag(v6Fragment(1232, true, 0xdeadbeef));
    expect(f).toMatchObject({ version: 6, id: 0xdeadbeef, protocol: 6, offset: 1232, more: true, dataStart: 48, headerLength: 40, nextHeaderAt: 6 });
    expect(f.dataEnd).toBe(48 + 37);
  });

  it('IPv6: a Fragment header cut short is ip_truncated', () => {
    const p = v6Fragment(0, true, 1).subarray(0, 44).slice();
    p[4] = 0;
    p[5] = 4;
    expect(parseFragment(p)).toBe('ip_truncated');
  });
});

describe('RFC 7112 §5: the first fragment carries the whole header chain', () => {
  it('a first fragment with the TCP header whole passes; one cut inside it does not', () => {
    expect(firstFragmentHasHeaderChain(v6Fragment(0, true, 1), frag(v6Fragment(0, true, 1)))).toBe(true);
    const cut = v6Fragment(0, true, 1, DATA_V6.subarray(40, 56));
    expect(firstFragmentHasHeaderChain(cut, frag(cut))).toBe(false);
  });

  it('later fragments are not asked for headers', () => {
    const p = v6Fragment(8, true, 1, new Uint8Array(8));
    expect(firstFragmentHasHeaderChain(p, frag(p))).toBe(true);
  });
});

describe('rebuilding the datagram', () => {
  it('RFC 791 §3.2: IPv4 — the first header with MF and offset cleared, DF kept, Total Length and checksum right', () => {
    const head = LINUX_SYN_V4.slice(0, 20);
    head[6] = 0x60; // DF | MF
    const whole = assembleIPv4(head, LINUX_SYN_V4.subarray(20));
    const h = parseIPv4Header(whole);
    if (typeof h === 'string') throw new Error(h);
    expect([h.mf, h.fragOffset, h.df, h.totalLength]).toEqual([false, 0, true, 60]);
    expect(finish(sum(whole, 0, 20))).toBe(0);
    expect(typeof decodeTcpPacket(whole)).toBe('object');
  });

  it('RFC 8200 §4.5: IPv6 — the Next Header that named the Fragment header names the upper layer, Payload Length covers the rest', () => {
    const f = v6Fragment(0, false, 5);
    const whole = assembleIPv6(f.subarray(0, 40), 6, 6, f.subarray(48));
    expect(whole.length).toBe(DATA_V6.length);
    expect(Buffer.from(whole).equals(Buffer.from(DATA_V6))).toBe(true);
  });

  it('IPv6 with a Destination Options header before the fragment: the byte rewritten is that header\'s Next Header', () => {
    const unfrag = new Uint8Array(48);
    unfrag.set(DATA_V6.subarray(0, 40));
    unfrag[6] = 60;
    unfrag.set(hex('2c00 0104 00000000'), 40);
    const whole = assembleIPv6(unfrag, 40, 6, DATA_V6.subarray(40));
    expect([whole[6], whole[40], (whole[4]! << 8) | whole[5]!]).toEqual([60, 6, 8 + 37]);
    expect(typeof decodeTcpPacket(whole)).toBe('object');
  });
});
