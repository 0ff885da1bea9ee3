/**
 * One test per drop reason, each starting from a valid packet and breaking exactly one rule
 * (checksums refreshed where the rule under test comes after the checksum check).
 */
import { describe, expect, it } from 'vitest';
import { decodePacket, decodeTcpPacket } from '../../src/wire/packet.js';
import { decodeTcp } from '../../src/wire/tcp.js';
import { DATA_V6, LINUX_SYN_V4, hex, refreshChecksums } from './fixtures.js';

/** The Linux SYN with its 20 option bytes replaced (same length) and checksums made valid. */
function synWithOptions(opts: string): Uint8Array {
  const p = LINUX_SYN_V4.slice();
  const o = hex(opts);
  expect(o.length).toBe(20);
  p.set(o, 40);
  return refreshChecksums(p);
}

describe('drop reasons', () => {
  it('ip_truncated: fewer than 20 bytes of IPv4', () => {
    expect(decodeTcpPacket(LINUX_SYN_V4.subarray(0, 19))).toBe('ip_truncated');
    expect(decodeTcpPacket(new Uint8Array(0))).toBe('ip_truncated');
  });

  it('ip_bad_version: version field neither 4 nor 6', () => {
    const p = LINUX_SYN_V4.slice();
    p[0] = 0x55;
    expect(decodeTcpPacket(p)).toBe('ip_bad_version');
  });

  it('ip_bad_ihl: IHL below 5', () => {
    const p = LINUX_SYN_V4.slice();
    p[0] = 0x44;
    expect(decodeTcpPacket(p)).toBe('ip_bad_ihl');
  });

  it('ip_bad_ihl: IHL pointing past the buffer', () => {
    const p = LINUX_SYN_V4.slice(0, 40);
    p[0] = 0x4f; // 60-byte header in a 40-byte buffer
    expect(decodeTcpPacket(p)).toBe('ip_bad_ihl');
  });

  it('ip_bad_length: Total Length longer than the buffer', () => {
    expect(decodeTcpPacket(LINUX_SYN_V4.subarray(0, 59))).toBe('ip_bad_length');
  });

  it('ip_bad_length: Total Length shorter than the header', () => {
    const p = LINUX_SYN_V4.slice();
    p[2] = 0;
    p[3] = 19;
    expect(decodeTcpPacket(p)).toBe('ip_bad_length');
  });

  it('ip_bad_checksum: one header bit flipped', () => {
    const p = LINUX_SYN_V4.slice();
    p[8] ^= 1; // TTL
    expect(decodeTcpPacket(p)).toBe('ip_bad_checksum');
  });

  it('ip_fragment: IPv4 with More Fragments set', () => {
    const p = LINUX_SYN_V4.slice();
    p[6] = 0x20;
    expect(decodeTcpPacket(refreshChecksums(p))).toBe('ip_fragment');
  });

  it('ip_fragment: IPv4 with a nonzero fragment offset', () => {
    const p = LINUX_SYN_V4.slice();
    p[6] = 0x40;
    p[7] = 0x01;
    expect(decodeTcpPacket(refreshChecksums(p))).toBe('ip_fragment');
  });

  it('ip_not_tcp: IPv4 carrying UDP (decodePacket still returns it)', () => {
    const p = LINUX_SYN_V4.slice();
    p[9] = 17;
    refreshChecksums(p);
    expect(decodeTcpPacket(p)).toBe('ip_not_tcp');
    const d = decodePacket(p);
    expect(typeof d === 'object' && d.protocol).toBe(17);
  });

  it('ip_not_tcp: IPv6 carrying ICMPv6', () => {
    const p = DATA_V6.slice();
    p[6] = 58;
    expect(decodeTcpPacket(p)).toBe('ip_not_tcp');
  });

  it('tcp_truncated: fewer than 20 bytes after the IP header', () => {
    const p = LINUX_SYN_V4.slice(0, 39);
    p[3] = 39;
    expect(decodeTcpPacket(refreshChecksums(p))).toBe('tcp_truncated');
    expect(decodeTcp(new Uint8Array(19), 0, 19, 0)).toBe('tcp_truncated');
  });

  it('tcp_truncated: off/len outside the buffer given to decodeTcp', () => {
    expect(decodeTcp(new Uint8Array(30), 20, 20, 0)).toBe('tcp_truncated');
    expect(decodeTcp(new Uint8Array(30), -1, 20, 0)).toBe('tcp_truncated');
  });

  it('tcp_bad_offset: data offset below 5', () => {
    const p = LINUX_SYN_V4.slice();
    p[32] = 0x40;
    expect(decodeTcpPacket(refreshChecksums(p))).toBe('tcp_bad_offset');
  });

  it('tcp_bad_offset: data offset past the end of the segment', () => {
    const p = LINUX_SYN_V4.slice();
    p[32] = 0xf0; // 60-byte header in a 40-byte segment
    expect(decodeTcpPacket(refreshChecksums(p))).toBe('tcp_bad_offset');
  });

  it('tcp_bad_checksum: one payload bit flipped (IPv6)', () => {
    const p = DATA_V6.slice();
    p[p.length - 1] ^= 0x20;
    expect(decodeTcpPacket(p)).toBe('tcp_bad_checksum');
  });

  it('tcp_bad_checksum: pseudo-header mismatch (packet claims another source)', () => {
    const p = LINUX_SYN_V4.slice();
    p[15] = 9; // src 10.0.0.9; fix only the IP checksum
    p[10] = p[11] = 0;
    const fixed = refreshChecksums(p.slice());
    p[10] = fixed[10];
    p[11] = fixed[11];
    expect(decodeTcpPacket(p)).toBe('tcp_bad_checksum');
  });

  it('tcp_bad_option: option length 0', () => {
    expect(decodeTcpPacket(synWithOptions('020405b4 1e00 0101 0101010101010101 01010101'))).toBe('tcp_bad_option');
  });

  it('tcp_bad_option: option length 1', () => {
    expect(decodeTcpPacket(synWithOptions('020405b4 0801 0101 0101010101010101 01010101'))).toBe('tcp_bad_option');
  });

  it('tcp_bad_option: option running past the option area', () => {
    expect(decodeTcpPacket(synWithOptions('0101010101010101 01010101 01 080a 0000000000'))).toBe('tcp_bad_option');
  });

  it('tcp_bad_option: option running exactly one byte past the option area', () => {
    expect(decodeTcpPacket(synWithOptions('0101010101010101 01010101 1e09 000000000000'))).toBe('tcp_bad_option');
  });

  it('tcp_bad_option: option kind in the last byte with no room for its length', () => {
    expect(decodeTcpPacket(synWithOptions('0101010101010101 0101010101010101 010101 02'))).toBe('tcp_bad_option');
  });
});
