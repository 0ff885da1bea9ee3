/**
 * Addresses as /proc/net/tcp{,6} print them: each 32-bit word of the address is printed with
 * `%08X` from the host's native integer, so on a little-endian machine the bytes of every word
 * appear reversed ("0100007F" is 127.0.0.1). IPv6 addresses are four such words.
 */
import { endianness } from 'node:os';
import { formatIPv6 as formatIPv6Bytes } from '../wire/addr.js';

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

/** RFC 5952 text form (lower case, longest zero run compressed, mapped IPv4 dotted): wire/addr's. */
export function formatIPv6(b: number[]): string {
  return formatIPv6Bytes(Uint8Array.from(b));
}

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
