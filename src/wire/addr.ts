/**
 * IP address text helpers. IPv4 addresses are u32 numbers (network order, i.e. 10.0.0.1 is
 * 0x0a000001); IPv6 addresses are 16-byte Uint8Arrays.
 *
 * Parsing is strict and never throws: anything that is not exactly an address gives null.
 */

/**
 * Parse one dotted-decimal part "0".."255" from s[start, end): 1 to 3 digits, no sign, no
 * spaces, and no leading zero (so "010" is rejected rather than read as octal or decimal,
 * as Node's net.isIPv4 does). Returns -1 when invalid.
 */
function parseOctet(s: string, start: number, end: number): number {
  const n = end - start;
  if (n < 1 || n > 3) return -1;
  if (n > 1 && s.charCodeAt(start) === 0x30) return -1;
  let v = 0;
  for (let i = start; i < end; i++) {
    const c = s.charCodeAt(i) - 0x30;
    if (c < 0 || c > 9) return -1;
    v = v * 10 + c;
  }
  return v > 255 ? -1 : v;
}

/** Dotted quad (RFC 791 §3.2 addresses, written as four decimal octets) → u32, or null. */
export function parseIPv4(s: string): number | null {
  if (typeof s !== 'string' || s.length < 7 || s.length > 15) return null;
  let v = 0;
  let start = 0;
  for (let part = 0; part < 4; part++) {
    let end = s.indexOf('.', start);
    if (part === 3) {
      if (end !== -1) return null;
      end = s.length;
    } else if (end === -1) {
      return null;
    }
    const o = parseOctet(s, start, end);
    if (o < 0) return null;
    v = v * 256 + o;
    start = end + 1;
  }
  return v;
}

/** u32 → dotted quad. */
export function formatIPv4(a: number): string {
  return `${(a >>> 24) & 0xff}.${(a >>> 16) & 0xff}.${(a >>> 8) & 0xff}.${a & 0xff}`;
}

/** One hex group of 1..4 digits → 0..0xffff, or -1. */
function parseHexGroup(g: string): number {
  if (g.length < 1 || g.length > 4) return -1;
  let v = 0;
  for (let i = 0; i < g.length; i++) {
    const c = g.charCodeAt(i);
    let d: number;
    if (c >= 0x30 && c <= 0x39) d = c - 0x30;
    else if (c >= 0x61 && c <= 0x66) d = c - 0x57;
    else if (c >= 0x41 && c <= 0x46) d = c - 0x37;
    else return -1;
    v = (v << 4) | d;
  }
  return v;
}

/**
 * Parse a run of colon-separated groups into 16-bit words. When `allowV4Tail` is set the last
 * group may be a dotted quad, which fills two words (RFC 4291 §2.2, form 3). Returns null if
 * any group is malformed. An empty string is zero groups.
 */
function parseGroups(s: string, allowV4Tail: boolean): number[] | null {
  if (s.length === 0) return [];
  const parts = s.split(':');
  const words: number[] = [];
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i];
    if (allowV4Tail && i === parts.length - 1 && p.indexOf('.') !== -1) {
      const v4 = parseIPv4(p);
      if (v4 === null) return null;
      words.push(v4 >>> 16, v4 & 0xffff);
    } else {
      const w = parseHexGroup(p);
      if (w < 0) return null;
      words.push(w);
    }
  }
  return words;
}

/**
 * Text → 16 bytes, accepting every form of RFC 4291 §2.2: eight groups of 1..4 hex digits,
 * one "::" standing for one or more zero groups, and an optional dotted-quad tail. Zone
 * identifiers ("%eth0", RFC 4007) are not addresses and are rejected.
 */
export function parseIPv6(s: string): Uint8Array | null {
  if (typeof s !== 'string' || s.length < 2 || s.length > 45) return null;
  const dc = s.indexOf('::');
  let words: number[];
  if (dc === -1) {
    const all = parseGroups(s, true);
    if (all === null || all.length !== 8) return null;
    words = all;
  } else {
    if (s.indexOf('::', dc + 1) !== -1) return null; // at most one "::" (also rejects ":::")
    const head = parseGroups(s.slice(0, dc), false);
    const tail = parseGroups(s.slice(dc + 2), true);
    if (head === null || tail === null) return null;
    const missing = 8 - head.length - tail.length;
    if (missing < 1) return null; // "::" must stand for at least one group
    words = head;
    for (let i = 0; i < missing; i++) words.push(0);
    for (let i = 0; i < tail.length; i++) words.push(tail[i]);
  }
  const out = new Uint8Array(16);
  for (let i = 0; i < 8; i++) {
    out[2 * i] = words[i] >>> 8;
    out[2 * i + 1] = words[i] & 0xff;
  }
  return out;
}

/**
 * 16 bytes → canonical text (RFC 5952 §4): lowercase hex, no leading zeros in a group, the
 * longest run of two or more zero groups shortened to "::" (the first one on a tie, §4.2.3),
 * a single zero group never shortened (§4.2.2). IPv4-mapped addresses (::ffff:0:0/96) are
 * written with a dotted-quad tail as §5 recommends, e.g. "::ffff:192.0.2.1".
 */
export function formatIPv6(b: Uint8Array): string {
  if (b.length < 16) return '';
  const w = new Array<number>(8);
  for (let i = 0; i < 8; i++) w[i] = (b[2 * i] << 8) | b[2 * i + 1];

  if (w[0] === 0 && w[1] === 0 && w[2] === 0 && w[3] === 0 && w[4] === 0 && w[5] === 0xffff) {
    return `::ffff:${b[12]}.${b[13]}.${b[14]}.${b[15]}`;
  }

  let bestStart = -1;
  let bestLen = 1; // a run must be at least 2 groups to be compressed
  for (let i = 0; i < 8; ) {
    if (w[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && w[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }

  if (bestStart < 0) return w.map((x) => x.toString(16)).join(':');
  const head = w.slice(0, bestStart).map((x) => x.toString(16)).join(':');
  const tail = w.slice(bestStart + bestLen).map((x) => x.toString(16)).join(':');
  return `${head}::${tail}`;
}

export function isIPv4(s: string): boolean {
  return parseIPv4(s) !== null;
}

export function isIPv6(s: string): boolean {
  return parseIPv6(s) !== null;
}

/** 4 or 6 for a valid address of that family, 0 otherwise (like Node's net.isIP). */
export function ipVersion(s: string): 4 | 6 | 0 {
  if (parseIPv4(s) !== null) return 4;
  if (parseIPv6(s) !== null) return 6;
  return 0;
}
