/**
 * The Date header field's value (RFC 9110 §6.6.1: an origin server with a clock MUST send Date,
 * in IMF-fixdate, §5.6.7: `Sun, 06 Nov 1994 08:49:37 GMT`), made once per second.
 */
let cached = '';
/** cached is right from `from` (a whole second) until from + 1000 ms */
let from = Number.NaN;

/** IMF-fixdate of `now` (ms since the epoch), from a cache renewed when the second changes. */
export function httpDate(now: number = Date.now()): string {
  if (!(now >= from && now < from + 1000)) {
    from = now - (now % 1000);
    cached = new Date(from).toUTCString(); // "Wed, 02 Dec 2026 17:13:49 GMT": IMF-fixdate
  }
  return cached;
}

