/**
 * Addresses as /proc/net/tcp{,6} print them: each 32-bit word of the address is printed with
 * `%08X` from the host's native integer, so on a little-endian machine the bytes of every word
 * appear reversed ("0100007F" is 127.0.0.1). IPv6 addresses are four such words.
 */
import { endianness } from 'node:os';

const LITTLE = endianness() === 'LE';

/** Network-order bytes of one address printed by the kernel (8 hex digits for IPv4, 32 for IPv6). */
export function addressBytes(hex: string, littleEndian = LITTLE): number[] {
  if ((hex.length !== 8 && hex.length !== 32) || !/^[0-9A-Fa-f]+$/.test(hex)) throw new Error(`bad address field "${hex}"`);
  const out: number[] = [];
  for (let w = 0; w < hex.length; w += 8) {
    const word = [0, 2, 4, 6].map((i) => parseInt(hex.slice(w + i, w + i + 2), 16));
    out.push(...(littleEndian ? word.reverse() : word));
  }
  return out;
}

/** True when a 32-digit tcp6 address is an IPv4-mapped one (::ffff:a.b.c.d): an IPv4 peer on an IPv6 socket. */
export function isV4MappedHex(hex: string, littleEndian = LITTLE): boolean {
  if (hex.length !== 32) return false;
  const b = addressBytes(hex, littleEndian);
  return b.slice(0, 10).every((x) => x === 0) && b[10] === 0xff && b[11] === 0xff;
}

export function formatIPv4(b: number[]): string {
  return `${b[0]}.${b[1]}.${b[2]}.${b[3]}`;
}

/** RFC 5952 text form: lower case, longest run of two or more zero groups compressed, mapped IPv4 dotted. */
export function formatIPv6(b: number[]): string {
  if (b.slice(0, 10).every((x) => x === 0) && b[10] === 0xff && b[11] === 0xff) {
    return `::ffff:${formatIPv4(b.slice(12))}`;
  }
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((b[i]! << 8) | b[i + 1]!);
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  const head = hex.slice(0, bestStart).join(':');
  const tail = hex.slice(bestStart + bestLen).join(':');
  return `${head}::${tail}`;
}

/** Text form of a kernel-printed address; IPv4-mapped tcp6 addresses come out as ::ffff:a.b.c.d. */
export function decodeAddress(hex: string, littleEndian = LITTLE): string {
  const b = addressBytes(hex, littleEndian);
  return hex.length === 8 ? formatIPv4(b) : formatIPv6(b);
}

/** `addr:port`, with IPv6 addresses in brackets the way ss prints them. */
export function formatEndpoint(address: string, port: number | '*'): string {
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}

/** A small memo for decoding: a host has few distinct addresses even with 100,000 sockets. */
export class AddressDecoder {
  private readonly cache = new Map<string, string>();
  constructor(private readonly littleEndian = LITTLE) {}
  decode(hex: string): string {
    let s = this.cache.get(hex);
    if (s === undefined) {
      s = decodeAddress(hex, this.littleEndian);
      this.cache.set(hex, s);
    }
    return s;
  }
}

/** True for the wildcard address (0.0.0.0 or ::) in kernel hex. */
export function isWildcardHex(hex: string): boolean {
  for (let i = 0; i < hex.length; i++) if (hex.charCodeAt(i) !== 48) return false;
  return true;
}
