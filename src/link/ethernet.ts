/**
 * Ethernet II framing (IEEE 802.3 with an EtherType, RFC 894 for IPv4, RFC 2464 for IPv6) and MAC
 * address helpers. A TAP device carries frames without preamble or FCS.
 */
import { randomBytes } from '../platform/random.js';

export const ETH_HEADER = 14;
/** Shortest frame on the wire without FCS; shorter ones are padded (IEEE 802.3 §3.2.8). */
export const ETH_MIN_FRAME = 60;
export const ETH_P_IP = 0x0800;
export const ETH_P_ARP = 0x0806;
export const ETH_P_IPV6 = 0x86dd;
export const BROADCAST_MAC = new Uint8Array([0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);

export interface EthernetHeader {
  /** views into the frame */
  dst: Uint8Array;
  src: Uint8Array;
  etherType: number;
  payloadOffset: number;
}

/** Parse the 14-byte header; null if the frame is too short or uses a length field (802.3/LLC). */
export function parseEthernet(frame: Uint8Array): EthernetHeader | null {
  if (frame.length < ETH_HEADER) return null;
  const etherType = (frame[12]! << 8) | frame[13]!;
  if (etherType < 0x0600) return null; // an 802.3 length, not an EtherType: LLC/SNAP is not for us
  return { dst: frame.subarray(0, 6), src: frame.subarray(6, 12), etherType, payloadOffset: ETH_HEADER };
}

export function writeEthernetHeader(out: Uint8Array, dst: Uint8Array, src: Uint8Array, etherType: number): void {
  out.set(dst.subarray(0, 6), 0);
  out.set(src.subarray(0, 6), 6);
  out[12] = etherType >>> 8;
  out[13] = etherType & 0xff;
}

/** "02:00:5e:10:00:01" (or with '-') → 6 bytes, or null. */
export function parseMac(text: string): Uint8Array | null {
  const m = /^([0-9a-f]{2})[:-]([0-9a-f]{2})[:-]([0-9a-f]{2})[:-]([0-9a-f]{2})[:-]([0-9a-f]{2})[:-]([0-9a-f]{2})$/i.exec(text.trim());
  if (!m) return null;
  return new Uint8Array(m.slice(1).map((h) => parseInt(h, 16)));
}

export function formatMac(mac: Uint8Array): string {
  return Array.from(mac.subarray(0, 6), (b) => b.toString(16).padStart(2, '0')).join(':');
}

/** A random unicast, locally administered MAC (IEEE 802: I/G bit clear, U/L bit set). */
export function randomMac(): Uint8Array {
  const m = randomBytes(6);
  m[0] = (m[0]! & 0xfe) | 0x02;
  return m;
}

export function isBroadcast(mac: Uint8Array): boolean {
  for (let i = 0; i < 6; i++) if (mac[i] !== 0xff) return false;
  return true;
}

export function isMulticast(mac: Uint8Array): boolean {
  return (mac[0]! & 1) === 1;
}

export function macEquals(a: Uint8Array, b: Uint8Array): boolean {
  for (let i = 0; i < 6; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** RFC 2464 §7: an IPv6 multicast address maps to 33:33 and its last four bytes. */
export function ipv6MulticastMac(ip: Uint8Array): Uint8Array {
  return new Uint8Array([0x33, 0x33, ip[12]!, ip[13]!, ip[14]!, ip[15]!]);
}
