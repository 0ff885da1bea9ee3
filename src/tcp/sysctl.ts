/**
 * The tunables the stack honours, named and defaulted like Linux's net.ipv4 / net.core sysctls so
 * that operators' knowledge carries over. One typed object, validated once: an unknown name, a
 * wrong type or a value out of range is refused with an error naming the key and what is allowed.
 */
import { makeError } from '../errors.js';
import { CC_NAMES, type CcName } from './cc/types.js';

/** synack's TCP tunables, by Linux's names (`tcp_syn_retries`, `tcp_fin_timeout`...); set through `StackOptions.sysctl`. */
export interface Sysctl {
  /** SYN retransmissions before an active open gives up (1 + 2 + ... + 64 s = 127 s by default). */
  tcp_syn_retries: number;
  /** SYN-ACK retransmissions for a passive open. */
  tcp_synack_retries: number;
  /** Data retransmissions before an established connection is aborted with ETIMEDOUT. */
  tcp_retries2: number;
  /** Retransmissions for an orphaned (closed by its owner) connection; 0 means 8, as in Linux. */
  tcp_orphan_retries: number;
  /** Seconds an orphaned connection may stay in FIN_WAIT_2. It does not shorten TIME_WAIT. */
  tcp_fin_timeout: number;
  /** Idle seconds before the first keepalive probe. */
  tcp_keepalive_time: number;
  /** Seconds between keepalive probes. */
  tcp_keepalive_intvl: number;
  /** Unanswered probes before the connection is reset. */
  tcp_keepalive_probes: number;
  /** Bound of each listener's SYN queue (half-open connections in SYN_RCVD). */
  tcp_max_syn_backlog: number;
  /** net.core.somaxconn: upper bound of every accept queue. */
  somaxconn: number;
  /** 0 off, 1 when the SYN queue overflows, 2 always. */
  tcp_syncookies: number;
  /** 1: reset the connection when the accept queue is full instead of dropping the final ACK. */
  tcp_abort_on_overflow: number;
  /** 0 never, 1 any outgoing connection, 2 loopback only: reuse a TIME_WAIT 4-tuple for connect. */
  tcp_tw_reuse: number;
  /** Most TIME_WAIT entries held; beyond it closing connections skip TIME_WAIT. */
  tcp_max_tw_buckets: number;
  /** 1: a RST does not end TIME_WAIT early (RFC 1337). Linux defaults to 0; synack to 1. */
  tcp_rfc1337: number;
  tcp_timestamps: number;
  tcp_window_scaling: number;
  tcp_sack: number;
  /** 1: report duplicate segments received with a D-SACK block (RFC 2883). */
  tcp_dsack: number;
  /** Congestion control for new connections: 'cubic' (Linux's default, RFC 9438) or 'reno' (RFC 5681/6582). */
  tcp_congestion_control: CcName;
  /**
   * Loss-detection bits, as Linux's: 0x1 RACK (RFC 8985) instead of counting duplicate ACKs,
   * 0x2 a static RACK reordering window, 0x4 no duplicate-ACK threshold shortcut for RACK.
   */
  tcp_recovery: number;
  /** 3 or 4: the tail loss probe (RFC 8985 §7) is on (Linux's default 3); 0–2: off. Needs SACK and RACK. */
  tcp_early_retrans: number;
  /** 1: after idling longer than an RTO, restart from the initial window (RFC 5681 §4.1, as Linux). */
  tcp_slow_start_after_idle: number;
  /** Lower bound of the RTO in microseconds. */
  tcp_rto_min_us: number;
  /** Upper bound of the RTO in milliseconds. */
  tcp_rto_max_ms: number;
  /** Receive buffer [min, default, max] in bytes; the default sizes the advertised window. */
  tcp_rmem: [number, number, number];
  /** Send buffer [min, default, max] in bytes. */
  tcp_wmem: [number, number, number];
  /** Ephemeral ports for connect: [low, high]. */
  ip_local_port_range: [number, number];
  /**
   * Host-wide challenge ACKs a second (RFC 5961 §7). Linux's default since 6.0 is INT_MAX, no
   * host-wide limit: the per-connection tcp_invalid_ratelimit throttles them (see ack-throttle.ts).
   */
  tcp_challenge_ack_limit: number;
  /** Minimum ms between ACKs a connection sends for invalid segments (out of window, PAWS, challenges). */
  tcp_invalid_ratelimit: number;
  /**
   * RSTs a second the stack sends for segments to connections that do not exist; 0 = no limit.
   * Not a Linux tunable (Linux answers every such segment, tcp_v4_send_reset has no limit): a token
   * bucket shaped like Linux's host-wide ICMP limiter (icmp_msgs_per_sec, icmp_msgs_burst), as
   * FreeBSD limits these RSTs under net.inet.icmp.icmplim.
   */
  tcp_rst_msgs_per_sec: number;
  /** Burst of the RST limiter above. */
  tcp_rst_msgs_burst: number;

  // ---- IP fragment reassembly (ip/reassembly.ts): net.ipv4.ipfrag_* and net.ipv6.ip6frag_* ----
  /** Bytes of memory IPv4 reassembly may hold; above it the largest holder's oldest datagrams are evicted. */
  ipfrag_high_thresh: number;
  /** Eviction stops once IPv4 reassembly memory is back at or below this many bytes. */
  ipfrag_low_thresh: number;
  /** Seconds an incomplete IPv4 datagram is kept from its first fragment's arrival. */
  ipfrag_time: number;
  /** Fragments from one source that may arrive between two of one IPv4 datagram before it is restarted; 0 off. */
  ipfrag_max_dist: number;
  /** The first three again for IPv6 (Linux has no ip6frag_max_dist). */
  ip6frag_high_thresh: number;
  ip6frag_low_thresh: number;
  ip6frag_time: number;
}

/** The tunables' defaults: Linux's own. */
export const SYSCTL_DEFAULTS: Readonly<Sysctl> = Object.freeze({
  tcp_syn_retries: 6,
  tcp_synack_retries: 5,
  tcp_retries2: 15,
  tcp_orphan_retries: 0,
  tcp_fin_timeout: 60,
  tcp_keepalive_time: 7200,
  tcp_keepalive_intvl: 75,
  tcp_keepalive_probes: 9,
  tcp_max_syn_backlog: 4096,
  somaxconn: 4096,
  tcp_syncookies: 1,
  tcp_abort_on_overflow: 0,
  tcp_tw_reuse: 2,
  tcp_max_tw_buckets: 262144,
  tcp_rfc1337: 1,
  tcp_timestamps: 1,
  tcp_window_scaling: 1,
  tcp_sack: 1,
  tcp_dsack: 1,
  tcp_congestion_control: 'cubic',
  tcp_recovery: 1,
  tcp_early_retrans: 3,
  tcp_slow_start_after_idle: 1,
  tcp_rto_min_us: 200_000,
  tcp_rto_max_ms: 120_000,
  tcp_rmem: [4096, 262144, 6291456],
  tcp_wmem: [4096, 262144, 4194304],
  ip_local_port_range: [32768, 60999],
  tcp_challenge_ack_limit: 2_147_483_647,
  tcp_invalid_ratelimit: 500,
  tcp_rst_msgs_per_sec: 1000,
  tcp_rst_msgs_burst: 50,

  // ---- IP fragment reassembly: Linux's defaults (net/ipv4/inet_fragment.c, ip_fragment.c, reassembly.c) ----
  ipfrag_high_thresh: 4 * 1024 * 1024,
  ipfrag_low_thresh: 3 * 1024 * 1024,
  ipfrag_time: 30,
  ipfrag_max_dist: 64,
  ip6frag_high_thresh: 4 * 1024 * 1024,
  ip6frag_low_thresh: 3 * 1024 * 1024,
  ip6frag_time: 60,
}) as Sysctl;

type Rule = { min: number; max: number; len?: number; check?: (v: number[]) => string | null; choices?: readonly string[] };

const RULES: Record<keyof Sysctl, Rule> = {
  tcp_syn_retries: { min: 1, max: 127 },
  tcp_synack_retries: { min: 0, max: 255 },
  tcp_retries2: { min: 0, max: 255 },
  tcp_orphan_retries: { min: 0, max: 255 },
  tcp_fin_timeout: { min: 1, max: 86_400 },
  tcp_keepalive_time: { min: 1, max: 32_767 },
  tcp_keepalive_intvl: { min: 1, max: 32_767 },
  tcp_keepalive_probes: { min: 1, max: 127 },
  tcp_max_syn_backlog: { min: 1, max: 16_777_216 },
  somaxconn: { min: 1, max: 2_147_483_647 },
  tcp_syncookies: { min: 0, max: 2 },
  tcp_abort_on_overflow: { min: 0, max: 1 },
  tcp_tw_reuse: { min: 0, max: 2 },
  tcp_max_tw_buckets: { min: 0, max: 16_777_216 },
  tcp_rfc1337: { min: 0, max: 1 },
  tcp_timestamps: { min: 0, max: 1 },
  tcp_window_scaling: { min: 0, max: 1 },
  tcp_sack: { min: 0, max: 1 },
  tcp_dsack: { min: 0, max: 1 },
  tcp_congestion_control: { min: 0, max: 0, choices: CC_NAMES },
  tcp_recovery: { min: 0, max: 7 },
  tcp_early_retrans: { min: 0, max: 4 },
  tcp_slow_start_after_idle: { min: 0, max: 1 },
  tcp_rto_min_us: { min: 1_000, max: 120_000_000 },
  tcp_rto_max_ms: { min: 1_000, max: 120_000 },
  tcp_rmem: { min: 1024, max: 1 << 30, len: 3, check: ascending },
  tcp_wmem: { min: 1024, max: 1 << 30, len: 3, check: ascending },
  ip_local_port_range: {
    min: 1,
    max: 65535,
    len: 2,
    check: (v) => (v[0]! <= v[1]! ? null : 'the low port must not exceed the high port'),
  },
  tcp_challenge_ack_limit: { min: 0, max: 2_147_483_647 },
  tcp_invalid_ratelimit: { min: 0, max: 2_147_483_647 },
  tcp_rst_msgs_per_sec: { min: 0, max: 2_147_483_647 },
  tcp_rst_msgs_burst: { min: 1, max: 2_147_483_647 },

  // ---- IP fragment reassembly ----
  ipfrag_high_thresh: { min: 0, max: 1 << 30 },
  ipfrag_low_thresh: { min: 0, max: 1 << 30 },
  ipfrag_time: { min: 1, max: 86_400 },
  ipfrag_max_dist: { min: 0, max: 2_147_483_647 },
  ip6frag_high_thresh: { min: 0, max: 1 << 30 },
  ip6frag_low_thresh: { min: 0, max: 1 << 30 },
  ip6frag_time: { min: 1, max: 86_400 },
};

/** Rules between keys, checked on the result (Linux refuses a low threshold above the high one). */
const PAIRS: [keyof Sysctl, keyof Sysctl][] = [
  ['ipfrag_low_thresh', 'ipfrag_high_thresh'],
  ['ip6frag_low_thresh', 'ip6frag_high_thresh'],
];

function ascending(v: number[]): string | null {
  return v[0]! <= v[1]! && v[1]! <= v[2]! ? null : 'values must be min <= default <= max';
}

/** Names refused with an explanation rather than as mere typos. */
const REMOVED: Record<string, string> = {
  tcp_tw_recycle:
    'tcp_tw_recycle was removed from Linux 4.12: it dropped connections from clients behind NAT ' +
    '(their timestamps are not monotonic across hosts). Use tcp_tw_reuse for outgoing connections, ' +
    'keep-alive or connection pools, or a wider ip_local_port_range instead.',
};

export type SysctlInput = { [K in keyof Sysctl]?: Sysctl[K] | string } & Record<string, unknown>;

/** Strip the `net.ipv4.` / `net.ipv6.` / `net.core.` prefixes operators write. */
export function sysctlKey(name: string): string {
  return name.replace(/^net\.(ipv4|ipv6|core)\./, '').replace(/^net\/(ipv4|ipv6|core)\//, '');
}

export function isSysctlName(name: string): name is keyof Sysctl {
  return Object.prototype.hasOwnProperty.call(RULES, name);
}

function describe(key: keyof Sysctl): string {
  const r = RULES[key];
  if (r.choices) return `one of ${r.choices.join(', ')}`;
  const one = `an integer from ${r.min} to ${r.max}`;
  return r.len ? `${r.len} integers, each from ${r.min} to ${r.max}` : one;
}

/** Parse one value (number, array, or the text form `sysctl -w` takes, e.g. "4096 131072 6291456"). */
function coerce(key: keyof Sysctl, raw: unknown): number | number[] | string {
  const r = RULES[key];
  if (r.choices) {
    // a name, as Linux's tcp_congestion_control takes it (ENOENT there; a clear message here)
    const v = typeof raw === 'string' ? raw.trim() : raw;
    if (typeof v !== 'string') {
      throw makeError('ERR_INVALID_ARG_TYPE', `sysctl ${key}: expected ${describe(key)} (got ${JSON.stringify(raw)})`);
    }
    if (!r.choices.includes(v)) {
      throw makeError('ERR_INVALID_ARG_VALUE', `sysctl ${key}: unknown algorithm ${JSON.stringify(v)}; allowed: ${describe(key)}`);
    }
    return v;
  }
  let v: unknown = raw;
  if (typeof v === 'string') {
    const parts = v.trim().split(/[\s,]+/).filter(Boolean);
    v = r.len ? parts.map(Number) : parts.length === 1 ? Number(parts[0]) : NaN;
  }
  const bad = (why: string) =>
    makeError('ERR_OUT_OF_RANGE', `sysctl ${key}: ${why}; allowed: ${describe(key)} (got ${JSON.stringify(raw)})`);
  if (r.len) {
    if (!Array.isArray(v) || v.length !== r.len) {
      throw makeError('ERR_INVALID_ARG_TYPE', `sysctl ${key}: expected ${describe(key)} (got ${JSON.stringify(raw)})`);
    }
    for (const x of v) if (!Number.isInteger(x) || x < r.min || x > r.max) throw bad('out of range');
    const why = r.check?.(v as number[]);
    if (why) throw bad(why);
    return v as number[];
  }
  if (typeof v !== 'number' || Number.isNaN(v)) {
    throw makeError('ERR_INVALID_ARG_TYPE', `sysctl ${key}: expected ${describe(key)} (got ${JSON.stringify(raw)})`);
  }
  if (!Number.isInteger(v) || v < r.min || v > r.max) throw bad('out of range');
  return v;
}

/** Validate `changes` against `base` and return a new, frozen Sysctl. Throws on the first bad entry. */
export function applySysctl(base: Readonly<Sysctl>, changes: Record<string, unknown> | undefined): Sysctl {
  const out = { ...base } as Record<string, unknown>;
  for (const [name, raw] of Object.entries(changes ?? {})) {
    const key = sysctlKey(name);
    // own properties only: `in` would also match Object.prototype names such as 'constructor'
    if (Object.hasOwn(REMOVED, key)) throw makeError('ERR_INVALID_ARG_VALUE', `sysctl ${key}: ${REMOVED[key]}`);
    if (!isSysctlName(key)) {
      const near = nearest(key);
      throw makeError(
        'ERR_INVALID_ARG_VALUE',
        `sysctl ${name}: unknown setting${near ? ` (did you mean ${near}?)` : ''}; known: ${Object.keys(RULES).join(', ')}`,
      );
    }
    out[key] = coerce(key, raw);
  }
  for (const [low, high] of PAIRS) {
    if ((out[low] as number) > (out[high] as number)) {
      throw makeError('ERR_OUT_OF_RANGE', `sysctl ${low}: must not exceed ${high} (${String(out[low])} > ${String(out[high])})`);
    }
  }
  return Object.freeze(out) as unknown as Sysctl;
}

/** Parse `NAME=VALUE` as the CLI's --sysctl takes it. */
export function parseSysctlAssignment(text: string): [string, string] {
  const i = text.indexOf('=');
  if (i <= 0) throw makeError('ERR_INVALID_ARG_VALUE', `--sysctl expects NAME=VALUE (got "${text}")`);
  return [text.slice(0, i).trim(), text.slice(i + 1).trim()];
}

function nearest(name: string): string | null {
  let best: string | null = null;
  let bestD = 4;
  for (const k of Object.keys(RULES)) {
    const d = editDistance(name, k);
    if (d < bestD) {
      bestD = d;
      best = k;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0]!;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = prev[j]!;
      prev[j] = Math.min(prev[j]! + 1, prev[j - 1]! + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = tmp;
    }
  }
  return prev[b.length]!;
}
