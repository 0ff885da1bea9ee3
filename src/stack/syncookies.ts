/**
 * SYN cookies: a listener under a SYN flood answers without keeping any state, encoding what it
 * needs in the SYN-ACK's initial sequence number, and rebuilds the connection from the ACK that
 * comes back (D. J. Bernstein's scheme, as Linux implements it in syncookies.c).
 *
 *   ISN = H0(4-tuple) + SEG.SEQ + (count << 24) + ((H1(4-tuple, count) + mssIndex) mod 2^24)
 *
 * `count` is a minute counter; a cookie is honoured for two minutes. Only 2 bits carry the MSS
 * (an index into a table of common values), so window scale and SACK are lost — unless the SYN
 * carried timestamps: then, as Linux does, they travel in the low 6 bits of our TSval and come
 * back in the peer's TSecr.
 */
import { halfSipHash, type HashKey } from '../tcp/halfsiphash.js';

/** Linux's table for IPv4 (msstab): the MSS values clients most often send. */
export const COOKIE_MSS = [536, 1300, 1440, 1460] as const;
const MINUTE_MS = 60_000;
const MAX_AGE = 2;
const MASK24 = 0xffffff;
const TS_BITS = 6;
const TS_MASK = (1 << TS_BITS) - 1;

export interface CookieKeys {
  k0: HashKey;
  k1: HashKey;
}

function counter(nowMs: number): number {
  return Math.floor(nowMs / MINUTE_MS);
}

/** The largest table MSS not above the peer's. */
export function cookieMssIndex(peerMss: number): number {
  for (let i = COOKIE_MSS.length - 1; i > 0; i--) if (peerMss >= COOKIE_MSS[i]!) return i;
  return 0;
}

export function makeCookie(keys: CookieKeys, tuple: number[], synSeq: number, mssIndex: number, nowMs: number): number {
  const count = counter(nowMs);
  const h0 = halfSipHash(keys.k0, tuple);
  const h1 = halfSipHash(keys.k1, [...tuple, count]);
  return (h0 + synSeq + ((count << 24) >>> 0) + ((h1 + mssIndex) & MASK24)) >>> 0;
}

/**
 * Validate the cookie carried by an ACK (cookie = SEG.ACK - 1, synSeq = SEG.SEQ - 1).
 * Returns the MSS index, or -1 when forged or expired.
 */
export function checkCookie(keys: CookieKeys, tuple: number[], cookie: number, synSeq: number, nowMs: number): number {
  const count = counter(nowMs);
  const v = (cookie - halfSipHash(keys.k0, tuple) - synSeq) >>> 0;
  const diff = (count - (v >>> 24)) & 0xff;
  if (diff >= MAX_AGE) return -1;
  const h1 = halfSipHash(keys.k1, [...tuple, count - diff]);
  const idx = (v - h1) & MASK24;
  return idx < COOKIE_MSS.length ? idx : -1;
}

/** Options recovered from the timestamp echo. */
export interface CookieOptions {
  /** the peer's window scale, or -1 when it offered none */
  wscale: number;
  sack: boolean;
}

/** Our TSval for a cookie SYN-ACK: the clock with its low 6 bits replaced by the options. */
export function cookieTimestamp(tsNow: number, opts: CookieOptions): number {
  const bits = (opts.wscale < 0 ? 0xf : opts.wscale & 0xf) | (opts.sack ? 0x10 : 0);
  let ts = ((tsNow & ~TS_MASK) | bits) >>> 0;
  if (((ts - tsNow) | 0) > 0) ts = (ts - (TS_MASK + 1)) >>> 0; // never a value from the future
  return ts;
}

export function decodeCookieTimestamp(tsEcr: number): CookieOptions {
  const w = tsEcr & 0xf;
  return { wscale: w === 0xf ? -1 : Math.min(w, 14), sack: (tsEcr & 0x10) !== 0 };
}
