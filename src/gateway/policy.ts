/**
 * The gateway's allow/deny policy: which destinations the host may be asked to reach for a guest.
 * A rule is `CIDR[:PORTS]` — `10.0.0.0/8`, `203.0.113.7` (one host), `0.0.0.0/0:80,443`,
 * `[2001:db8::]/32:8000-9000` (IPv6 with ports in brackets), `::/0` — with PORTS a comma-separated
 * list of ports and ranges. Rules are tried in order and the first that matches decides; after the
 * caller's rules come the defaults, which deny what is the host's own rather than the Internet's:
 * loopback (RFC 1122 §3.2.1.3, RFC 4291 §2.5.3), "this network" 0.0.0.0/8 (RFC 791), private
 * addresses (RFC 1918, RFC 4193 unique local fc00::/7), link-local (RFC 3927 169.254/16, RFC 4291
 * fe80::/10), shared address space (RFC 6598 100.64/10, carrier-grade NAT) and IPv4-mapped IPv6;
 * everything else is allowed. `defaults: false` leaves them out (then an unmatched flow is allowed).
 */
import { makeError } from '../errors.js';
import { parseIPv4, parseIPv6 } from '../wire/addr.js';

/** One rule as the command line gives it: what it does and the `CIDR[:PORTS]` it matches. */
export interface PolicyRule {
  action: 'allow' | 'deny';
  /** `CIDR[:PORTS]`: `10.0.0.0/8`, `192.0.2.1:80,443`, `[fd00::]/8:53`, `::/0` */
  match: string;
}

/** What the policy says about one destination, and which rule said it (its text; a default rule's name for defaults). */
export interface PolicyDecision {
  action: 'allow' | 'deny';
  rule: string;
}

/** The gateway's policy options: rules in order, then the defaults unless turned off. */
export interface PolicyOptions {
  /** the caller's rules, first match wins */
  rules?: PolicyRule[];
  /** append the default denials (loopback, private, link-local, CGNAT) and a final allow; default true */
  defaults?: boolean;
}

/** The default denials, tried after the caller's rules; anything else is allowed. */
export const DEFAULT_DENIED: readonly string[] = [
  '0.0.0.0/8',
  '127.0.0.0/8',
  '10.0.0.0/8',
  '172.16.0.0/12',
  '192.168.0.0/16',
  '169.254.0.0/16',
  '100.64.0.0/10',
  '::/128',
  '::1/128',
  '::ffff:0:0/96',
  'fc00::/7',
  'fe80::/10',
];

interface Compiled {
  action: 'allow' | 'deny';
  text: string;
  /** address bytes (4 or 16) and prefix length */
  net: Uint8Array;
  prefix: number;
  /** inclusive port ranges; empty: every port */
  ports: [number, number][];
}

/** A compiled allow/deny policy (see the module comment for the rule syntax and the defaults). */
export class Policy {
  private readonly rules: Compiled[];

  /** Compile `options`; a malformed rule throws ERR_INVALID_ARG_VALUE naming it. */
  constructor(options: PolicyOptions = {}) {
    this.rules = (options.rules ?? []).map((r) => compile(r));
    if (options.defaults !== false) for (const d of DEFAULT_DENIED) this.rules.push(compile({ action: 'deny', match: d }, `default deny ${d}`));
  }

  /** The decision for `address`:`port` (an IP literal); an address that is not one is denied. */
  decide(address: string, port: number): PolicyDecision {
    const bytes = addressBytes(address);
    if (bytes === null) return { action: 'deny', rule: 'not an IP address' };
    for (const r of this.rules) {
      if (r.net.length !== bytes.length || !inPrefix(bytes, r.net, r.prefix)) continue;
      if (r.ports.length > 0 && !r.ports.some(([lo, hi]) => port >= lo && port <= hi)) continue;
      return { action: r.action, rule: r.text };
    }
    return { action: 'allow', rule: 'default allow' };
  }
}

/** Parse one `CIDR[:PORTS]`; throws ERR_INVALID_ARG_VALUE with the reason. */
function compile(rule: PolicyRule, name?: string): Compiled {
  const text = typeof rule?.match === 'string' ? rule.match.trim() : '';
  const bad = (why: string): Error => makeError('ERR_INVALID_ARG_VALUE', `policy rule "${String(rule?.match)}": ${why}`);
  if (rule?.action !== 'allow' && rule?.action !== 'deny') throw bad(`action must be 'allow' or 'deny'`);
  let cidr = text;
  let portText = '';
  if (text.startsWith('[')) {
    // [v6]/len:ports or [v6/len]:ports
    const close = text.indexOf(']');
    if (close < 0) throw bad('unclosed [');
    const inside = text.slice(1, close);
    const rest = text.slice(close + 1);
    const m = /^(\/\d+)?(?::(.+))?$/.exec(rest);
    if (!m) throw bad('expected [IPv6]/LEN:PORTS');
    cidr = inside + (m[1] ?? '');
    portText = m[2] ?? '';
  } else if (text.split(':').length === 2) {
    // one colon: IPv4 with ports (an IPv6 address has at least two)
    [cidr, portText] = text.split(':') as [string, string];
  }
  const slash = cidr.indexOf('/');
  const addr = slash < 0 ? cidr : cidr.slice(0, slash);
  const net = addressBytes(addr);
  if (net === null) throw bad(`"${addr}" is not an IP address`);
  const max = net.length * 8;
  const prefix = slash < 0 ? max : Number(cidr.slice(slash + 1));
  if (!/^\d+$/.test(slash < 0 ? String(max) : cidr.slice(slash + 1)) || prefix > max) throw bad(`prefix length must be 0 to ${max}`);
  return { action: rule.action, text: name ?? `${rule.action} ${text}`, net, prefix, ports: portText ? parsePorts(portText, bad) : [] };
}

function parsePorts(text: string, bad: (why: string) => Error): [number, number][] {
  return text.split(',').map((part) => {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part.trim());
    const lo = m ? Number(m[1]) : NaN;
    const hi = m ? Number(m[2] ?? m[1]) : NaN;
    if (!m || lo < 1 || hi > 65535 || lo > hi) throw bad(`"${part}" is not a port (1-65535) or range LOW-HIGH`);
    return [lo, hi];
  });
}

function addressBytes(address: string): Uint8Array | null {
  const v4 = parseIPv4(address);
  if (v4 !== null) return new Uint8Array([v4 >>> 24, (v4 >>> 16) & 0xff, (v4 >>> 8) & 0xff, v4 & 0xff]);
  return parseIPv6(address);
}

function inPrefix(a: Uint8Array, net: Uint8Array, prefix: number): boolean {
  let bits = prefix;
  for (let i = 0; bits > 0; i++, bits -= 8) {
    const mask = bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff;
    if ((a[i]! & mask) !== (net[i]! & mask)) return false;
  }
  return true;
}
