/**
 * An IP address as the stack keeps it: IPv4 as a u32 (compared as a number), IPv6 as 16 bytes,
 * with its canonical text kept once for the socket table and error messages.
 */
import { formatIPv4, formatIPv6, parseIPv4, parseIPv6 } from '../wire/addr.js';

export interface IpAddr {
  readonly version: 4 | 6;
  /** u32 for IPv4; 0 for IPv6 */
  readonly v4: number;
  /** 16 bytes for IPv6; null for IPv4 */
  readonly v6: Uint8Array | null;
  readonly text: string;
}

export function ipFromText(text: string): IpAddr | null {
  // the same text again (every connect to one server parses its address): the same immutable value
  if (text === lastV4Text) return lastV4;
  const v4 = parseIPv4(text);
  if (v4 !== null) {
    lastV4 = { version: 4, v4, v6: null, text: formatIPv4(v4) };
    lastV4Text = text;
    return lastV4;
  }
  const v6 = parseIPv6(text);
  if (v6 !== null) {
    // IPv4-mapped IPv6 (::ffff:a.b.c.d) is the IPv4 address, as on a dual-stack socket
    if (isV4Mapped(v6)) return ipV4((v6[12]! << 24) | (v6[13]! << 16) | (v6[14]! << 8) | v6[15]!);
    return { version: 6, v4: 0, v6, text: formatIPv6(v6) };
  }
  return null;
}

/** ipFromText's last IPv4 text and its value */
let lastV4Text: string | null = null;
let lastV4: IpAddr | null = null;

export function ipV4(u32: number): IpAddr {
  const v4 = u32 >>> 0;
  return { version: 4, v4, v6: null, text: formatIPv4(v4) };
}

export function ipV6(bytes: Uint8Array): IpAddr {
  const v6 = bytes.slice();
  return { version: 6, v4: 0, v6, text: formatIPv6(v6) };
}

function isV4Mapped(b: Uint8Array): boolean {
  for (let i = 0; i < 10; i++) if (b[i] !== 0) return false;
  return b[10] === 0xff && b[11] === 0xff;
}

/** Equality of an IpAddr with a packet's address (v4 number or v6 view). */
export function ipEquals(a: IpAddr, v4: number, v6: Uint8Array | null): boolean {
  if (a.version === 4) return v6 === null && a.v4 === v4;
  if (v6 === null) return false;
  const b = a.v6!;
  for (let i = 0; i < 16; i++) if (b[i] !== v6[i]) return false;
  return true;
}

export function ipSame(a: IpAddr, b: IpAddr): boolean {
  return ipEquals(a, b.v4, b.v6);
}

/** Push an address as u32 words (1 for IPv4, 4 for IPv6) for hashing. */
export function pushWords(out: number[], a: IpAddr): void {
  if (a.version === 4) {
    out.push(a.v4);
    return;
  }
  const b = a.v6!;
  for (let i = 0; i < 16; i += 4) out.push(((b[i]! << 24) | (b[i + 1]! << 16) | (b[i + 2]! << 8) | b[i + 3]!) >>> 0);
}

export function isLoopback(a: IpAddr): boolean {
  if (a.version === 4) return a.v4 >>> 24 === 127;
  return isLoopbackV6(a.v6!);
}

/** ::1, from a packet's 16 address bytes */
export function isLoopbackV6(b: Uint8Array): boolean {
  for (let i = 0; i < 15; i++) if (b[i] !== 0) return false;
  return b[15] === 1;
}

/** The loopback interface's addresses, which every stack has (Linux's lo: 127.0.0.1/8 and ::1). */
export function loopbackAddresses(): IpAddr[] {
  const v6 = new Uint8Array(16);
  v6[15] = 1;
  return [ipV4(0x7f000001), { version: 6, v4: 0, v6, text: '::1' }];
}

export function isUnspecified(a: IpAddr): boolean {
  if (a.version === 4) return a.v4 === 0;
  return a.v6!.every((x) => x === 0);
}

/** IPv4 peers seen lately, one IpAddr each (bounded: cleared when it reaches 4096 entries). */
export class PeerCache {
  private readonly map = new Map<number, IpAddr>();

  get(u32: number): IpAddr {
    // keyed by the signed twin: an address of 128.0.0.0 or above is a boxed double as a u32
    let ip = this.map.get(u32 | 0);
    if (!ip) {
      if (this.map.size >= 4096) this.map.clear();
      ip = ipV4(u32);
      this.map.set(u32 | 0, ip);
    }
    return ip;
  }
}

/** The entry of `addresses` equal to `ip`; any of 127.0.0.0/8 is added on first use (Linux's lo); else null. */
export function ownAddressIn(addresses: IpAddr[], ip: IpAddr): IpAddr | null {
  const own = addresses.find((a) => ipSame(a, ip));
  if (own) return own;
  if (ip.version !== 4 || !isLoopback(ip)) return null;
  addresses.push(ip);
  return ip;
}

/** The entry of `addresses` a packet to (v4 | v6) is for; the rest of 127.0.0.0/8 only on the loopback path. */
export function localAddressIn(addresses: IpAddr[], version: number, v4: number, v6: Uint8Array | null, loopback: boolean): IpAddr | null {
  for (const a of addresses) if (a.version === version && ipEquals(a, v4, v6)) return a;
  return loopback && version === 4 && v4 >>> 24 === 127 ? ownAddressIn(addresses, ipV4(v4)) : null;
}

/** The 4-tuple as u32 words, for the keyed hashes (into `words`, emptied first). */
export function tupleWords(local: IpAddr, localPort: number, remote: IpAddr, remotePort: number, words: number[] = []): number[] {
  // written in place (emptying the array first would drop its storage and regrow it every call)
  let n = putWords(words, 0, local);
  n = putWords(words, n, remote);
  words[n++] = ((localPort << 16) | remotePort) >>> 0;
  if (words.length !== n) words.length = n;
  return words;
}

/** `a`'s u32 words written into `out` from index `at` (no further than its end); returns the index after them. */
export function putWords(out: number[], at: number, a: IpAddr): number {
  if (a.version === 4) {
    out[at] = a.v4;
    return at + 1;
  }
  const b = a.v6!;
  for (let i = 0; i < 16; i += 4) out[at++] = ((b[i]! << 24) | (b[i + 1]! << 16) | (b[i + 2]! << 8) | b[i + 3]!) >>> 0;
  return at;
}
