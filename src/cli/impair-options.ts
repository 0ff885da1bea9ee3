/**
 * `serve`/`connect --loss --delay --jitter --rate --queue --impair-seed`: the simulator's
 * impairments on the TUN/TAP link, written in tc/netem's units. Each value applies to both
 * directions, or to one with an `out:` (what synack sends) or `in:` (what it receives) prefix; a
 * later flag overrides an earlier one for its direction(s).
 *
 *   --loss 1% --delay 10ms --rate 50mbit --queue 125kb      both ways
 *   --loss out:5% --loss in:0.1%                            each way its own
 *
 * Units (case-insensitive): loss in % (netem's `loss random`); time in us, ms or s (usec, msec,
 * sec...); rate in bit, kbit, mbit, gbit (SI, as tc) or kibit, mibit, gibit; size in bytes: a bare
 * number, b, kb/mb/gb (SI: 125kb = 125,000 bytes; tc reads kb as 1024) or kib/mib/gib. A bare time
 * or rate is refused (tc would read 10 as 10 µs or 10 bit/s).
 */
import { InvalidArgumentError, type Command } from 'commander';
import { makeError } from '../errors.js';
import type { Impairments } from '../link/impair.js';
import type { ImpairStats, LinkImpairments } from '../link/impair-pipe.js';
import type { ExtraCounters } from '../observe/metrics.js';

/** One setting per direction, as the flags gave it. */
export interface PerDirection {
  in?: number;
  out?: number;
}

/** The impairment flags after parsing (each a value per direction). */
export interface ImpairFlags {
  loss?: PerDirection;
  delay?: PerDirection;
  jitter?: PerDirection;
  rate?: PerDirection;
  queue?: PerDirection;
  impairSeed?: number;
}

/** netem's default queue limit, in packets: the default --queue with --rate is this many MTUs. */
export const DEFAULT_QUEUE_PACKETS = 1000;

const MAX_TIME_MS = 60_000;
const TIME_UNITS: Record<string, number> = { us: 1e-3, usec: 1e-3, usecs: 1e-3, ms: 1, msec: 1, msecs: 1, s: 1000, sec: 1000, secs: 1000 };
const RATE_UNITS: Record<string, number> = { bit: 1, kbit: 1e3, mbit: 1e6, gbit: 1e9, kibit: 1024, mibit: 1024 ** 2, gibit: 1024 ** 3 };
const SIZE_UNITS: Record<string, number> = { '': 1, b: 1, kb: 1e3, mb: 1e6, gb: 1e9, kib: 1024, mib: 1024 ** 2, gib: 1024 ** 3 };
const MAX_RATE = 100e9;
const MAX_QUEUE = 1024 ** 3;

/** "12.5" + "unit" (lower-cased), or null. */
function split(text: string): [number, string] | null {
  const m = /^(\d+(?:\.\d*)?|\.\d+)\s*([a-z%]*)$/.exec(text.trim().toLowerCase());
  return m ? [Number(m[1]), m[2]!] : null;
}

/** A loss percentage such as "1%" or "0.1%" → a probability in 0..1. */
export function parsePercent(text: string): number {
  const v = split(text);
  if (!v || v[1] !== '%' || v[0] > 100) throw new Error(`expected a percentage from 0% to 100% such as 1% or 0.1%, got "${text}"`);
  return v[0] / 100;
}

/** A time such as "10ms", "500us" or "1.5s" → milliseconds. */
export function parseTime(text: string): number {
  const v = split(text);
  if (v && v[1] === '') throw new Error(`"${text}" needs a unit: us, ms or s (10ms, not 10)`);
  const unit = v ? TIME_UNITS[v[1]] : undefined;
  if (!v || unit === undefined) throw new Error(`expected a time such as 10ms, 500us or 1s, got "${text}"`);
  const ms = v[0] * unit;
  if (ms > MAX_TIME_MS) throw new Error(`${text} is more than ${MAX_TIME_MS / 1000} s`);
  return ms;
}

/** A rate such as "50mbit" → bits per second. */
export function parseRate(text: string): number {
  const v = split(text);
  if (v && v[1] === '') throw new Error(`"${text}" needs a unit: bit, kbit, mbit or gbit (50mbit, not 50)`);
  if (v && /^[kmg]?i?bps$/.test(v[1])) {
    throw new Error(`"${text}": tc reads ${v[1]} as bytes per second, which is easy to mistake; write the rate in bit, kbit, mbit or gbit`);
  }
  const unit = v ? RATE_UNITS[v[1]] : undefined;
  if (!v || unit === undefined) throw new Error(`expected a rate such as 50mbit, 512kbit or 1gbit, got "${text}"`);
  const bps = v[0] * unit;
  if (bps < 8 || bps > MAX_RATE) throw new Error(`${text} is outside 8bit..100gbit`);
  return bps;
}

/** A size such as "125kb", "64kib" or "1500" (bytes) → whole bytes. */
export function parseSize(text: string): number {
  const v = split(text);
  const unit = v ? SIZE_UNITS[v[1]] : undefined;
  if (!v || unit === undefined) throw new Error(`expected a size in bytes such as 125kb, 64kib or 1500, got "${text}"`);
  const bytes = Math.round(v[0] * unit);
  if (bytes < 1 || bytes > MAX_QUEUE) throw new Error(`${text} is outside 1 byte..1gib`);
  return bytes;
}

/** Commander's parser for one impairment flag: `[in:|out:]VALUE`, merged into the earlier ones. */
function perDirection(parse: (text: string) => number) {
  return (text: string, prev: PerDirection | undefined): PerDirection => {
    const m = /^(in|out):(.*)$/i.exec(text.trim());
    let value: number;
    try {
      value = parse(m ? m[2]! : text);
    } catch (err) {
      throw new InvalidArgumentError((err as Error).message);
    }
    const dir = m?.[1]!.toLowerCase();
    return { ...prev, ...(dir === 'in' ? { in: value } : dir === 'out' ? { out: value } : { in: value, out: value }) };
  };
}

function seedArg(text: string): number {
  if (!/^\d+$/.test(text.trim()) || Number(text) > 2 ** 32 - 1) throw new InvalidArgumentError(`--impair-seed must be a whole number from 0 to 4294967295, got "${text}"`);
  return Number(text);
}

/** The impairment options, for `serve` and `connect`. */
export function addImpairOptions(cmd: Command): Command {
  return cmd
    .option('--loss <[in:|out:]P%>', 'lose this share of the packets at random, e.g. 1% (both ways, or in:/out: only)', perDirection(parsePercent))
    .option('--delay <[in:|out:]TIME>', 'delay every packet this long each way, e.g. 10ms (RTT grows by twice that)', perDirection(parseTime))
    .option('--jitter <[in:|out:]TIME>', 'add a uniform random delay in [0, TIME), e.g. 2ms (reorders packets, as netem does)', perDirection(parseTime))
    .option('--rate <[in:|out:]RATE>', 'limit the link to this rate, e.g. 50mbit (bit, kbit, mbit, gbit)', perDirection(parseRate))
    .option(
      '--queue <[in:|out:]SIZE>',
      `with --rate: drop-tail queue limit in bytes, e.g. 125kb (kb = 1000 bytes, kib = 1024; default ${DEFAULT_QUEUE_PACKETS} packets of the MTU)`,
      perDirection(parseSize),
    )
    .option('--impair-seed <n>', 'seed of the random impairments (default 1): the same seed gives the same decisions for the same packets', seedArg);
}

/**
 * The link impairments the flags describe, or undefined when they give none. Refuses a queue
 * without a rate in the same direction (a link that is never busy never queues).
 */
export function linkImpairments(flags: ImpairFlags, mtu = 1500): LinkImpairments | undefined {
  const { loss, delay, jitter, rate, queue } = flags;
  const unpaced = (['out', 'in'] as const).filter((dir) => queue?.[dir] !== undefined && !rate?.[dir]);
  if (unpaced.length > 0) {
    const where = unpaced.length === 2 ? '' : ` for the same direction (${unpaced[0]}:)`;
    throw makeError('ERR_INVALID_ARG_VALUE', `--queue needs --rate${where}: a link that is never busy never queues`);
  }
  const one = (dir: 'in' | 'out'): Impairments | undefined => {
    const imp: Impairments = {};
    if (loss?.[dir]) imp.loss = loss[dir];
    if (delay?.[dir]) imp.delayMs = delay[dir];
    if (jitter?.[dir]) imp.jitterMs = jitter[dir];
    if (rate?.[dir]) {
      imp.bandwidthBps = rate[dir];
      imp.queueBytes = queue?.[dir] ?? DEFAULT_QUEUE_PACKETS * mtu;
    }
    return Object.keys(imp).length > 0 ? imp : undefined;
  };
  const out = one('out');
  const inbound = one('in');
  if (!out && !inbound) return undefined;
  return { ...(out ? { out } : {}), ...(inbound ? { in: inbound } : {}), seed: flags.impairSeed ?? 1 };
}

/** What the impairment flags allow but probably do not mean, one sentence each. */
export function impairWarnings(flags: ImpairFlags, mtu = 1500): string[] {
  const warnings: string[] = [];
  const random = [flags.loss?.in, flags.loss?.out, flags.jitter?.in, flags.jitter?.out].some((v) => v);
  if (flags.impairSeed !== undefined && !random) warnings.push('--impair-seed has no effect without --loss or --jitter: delay, rate and queue are not random');
  for (const dir of ['out', 'in'] as const) {
    const q = flags.queue?.[dir];
    if (q !== undefined && q < mtu) warnings.push(`--queue ${q} bytes (${dir}) is less than one packet of the MTU (${mtu}): every full-size packet will be dropped`);
  }
  return warnings;
}

/** "loss 1%, delay 10ms, rate 50mbit, queue 125000 bytes" */
export function describeImpairments(imp: Impairments): string {
  const parts: string[] = [];
  if (imp.loss) parts.push(`loss ${+(imp.loss * 100).toPrecision(6)}%`);
  if (imp.delayMs) parts.push(`delay ${+imp.delayMs.toPrecision(6)}ms`);
  if (imp.jitterMs) parts.push(`jitter ${+imp.jitterMs.toPrecision(6)}ms`);
  if (imp.bandwidthBps) parts.push(`rate ${formatRate(imp.bandwidthBps)}`);
  if (imp.queueBytes !== undefined) parts.push(`queue ${imp.queueBytes} bytes`);
  return parts.join(', ');
}

function formatRate(bps: number): string {
  for (const [unit, f] of [['gbit', 1e9], ['mbit', 1e6], ['kbit', 1e3]] as const) if (bps >= f) return `${+(bps / f).toPrecision(6)}${unit}`;
  return `${bps}bit`;
}

/** The ready line's part about impairments: "impaired (seed 1): out loss 1%, ...; in loss 1%, ..." */
export function describeLinkImpairments(li: LinkImpairments): string {
  const out = li.out ? describeImpairments(li.out) : '';
  const inbound = li.in ? describeImpairments(li.in) : '';
  const ways = out === inbound ? `both ways ${out}` : [out && `out ${out}`, inbound && `in ${inbound}`].filter(Boolean).join('; ');
  return `impaired (seed ${li.seed ?? 1}): ${ways}`;
}

/** "out: 10000 packets, 98 lost, 12 queue drops; in: 5000 packets, 51 lost" */
export function describeImpairStats(stats: { out: ImpairStats | null; in: ImpairStats | null }): string {
  const one = (s: ImpairStats): string =>
    [`${s.packets} packets`, `${s.drops.loss} lost`, ...(s.drops.queue ? [`${s.drops.queue} queue drops`] : []), ...(s.drops.mtu ? [`${s.drops.mtu} over the MTU`] : [])].join(', ');
  return [stats.out && `out: ${one(stats.out)}`, stats.in && `in: ${one(stats.in)}`].filter(Boolean).join('; ');
}

type LinkStats = { out: ImpairStats | null; in: ImpairStats | null };

/** The metrics of `serve --metrics` for impairments: packets in and drops by reason, per direction. */
export function impairMetrics(read: () => LinkStats | null | undefined): ExtraCounters {
  const rows = (f: (dir: 'out' | 'in', s: ImpairStats) => [Record<string, string>, number][]): (() => [Record<string, string>, number][]) => () => {
    const stats = read();
    return (['out', 'in'] as const).flatMap((dir) => (stats?.[dir] ? f(dir, stats[dir]) : []));
  };
  return {
    synack_link_impaired_packets_total: [
      'packets that entered the link impairments, by direction (out: sent by synack, in: to synack)',
      rows((direction, s) => [[{ direction }, s.packets]]),
      ['direction'],
    ],
    synack_link_impair_drops_total: [
      'packets the link impairments dropped, by direction and reason (loss: --loss, queue: a full --queue)',
      rows((direction, s) => (['loss', 'queue'] as const).map((reason) => [{ direction, reason }, s.drops[reason]])),
      ['direction', 'reason'],
    ],
  };
}
