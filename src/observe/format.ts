/**
 * How segments are printed everywhere (demo, traces, test failure messages).
 *
 * Two styles, both familiar to anyone who has debugged TCP:
 *  - packetdrill's line body: `S. 0:0(0) ack 1 win 65535 <mss 1460,sackOK,TS val 1 ecr 0,nop,wscale 7>`
 *  - tcpdump's one-liner: `10.0.0.1.40000 > 10.0.0.2.80: Flags [S.], seq 0, ack 1, win 65535, options [...], length 0`
 */
import { ACK, CWR, ECE, FIN, PSH, RST, SYN, URG } from '../wire/segment.js';
import type { Segment, TcpOptions } from '../wire/segment.js';

/** Bases for printing sequence numbers relative to the initial sequence numbers. */
export interface RelativeBases {
  /** subtracted from seq (the sender's ISS) */
  seqBase: number;
  /** subtracted from ack and from SACK block edges (the receiver's ISS) */
  ackBase: number;
}

/** Flag letters in tcpdump's order; ACK prints as '.'. */
const FLAG_LETTERS: ReadonlyArray<readonly [number, string]> = [
  [FIN, 'F'],
  [SYN, 'S'],
  [RST, 'R'],
  [PSH, 'P'],
  [ACK, '.'],
  [URG, 'U'],
  [ECE, 'E'],
  [CWR, 'W'],
];

/** u32 difference `x - base`, wrapping modulo 2^32. */
export function relU32(x: number, base: number): number {
  return (x - base) >>> 0;
}

/** tcpdump's flag string: `S`, `S.`, `.`, `P.`, `F.`, `FP.`, `R`, `R.`; no flags at all is `none`. */
export function formatFlags(flags: number): string {
  let out = '';
  for (const [bit, letter] of FLAG_LETTERS) {
    if (flags & bit) out += letter;
  }
  return out === '' ? 'none' : out;
}

/** The comma-separated option list without brackets, in a Linux SYN's order; '' when none. */
export function formatOptionList(opts: TcpOptions, sackBase = 0): string {
  const parts: string[] = [];
  if (opts.mss !== undefined) parts.push(`mss ${opts.mss}`);
  if (opts.sackPermitted) parts.push('sackOK');
  if (opts.tsVal !== undefined || opts.tsEcr !== undefined) {
    parts.push(`TS val ${opts.tsVal ?? 0} ecr ${opts.tsEcr ?? 0}`);
  }
  if (opts.wscale !== undefined) parts.push('nop', `wscale ${opts.wscale}`);
  if (opts.sack !== undefined && opts.sack.length > 0) parts.push(formatSackBlocks(opts.sack, sackBase));
  return parts.join(',');
}

/**
 * tcpdump-style options inside angle brackets: `<mss 1460,sackOK,TS val 100 ecr 0,nop,wscale 7>`;
 * SACK blocks as `sack 2 {l:r}{l:r}`, edges relative to `sackBase` when given. Empty options → ''.
 */
export function formatOptions(opts: TcpOptions, sackBase = 0): string {
  const list = formatOptionList(opts, sackBase);
  return list === '' ? '' : `<${list}>`;
}

/** `sack N {l:r}{l:r}` from flat pairs, edges relative to `base`. */
export function formatSackBlocks(sack: readonly number[], base = 0): string {
  let blocks = '';
  const n = Math.floor(sack.length / 2);
  for (let i = 0; i < n; i++) {
    blocks += `{${relU32(sack[2 * i]!, base)}:${relU32(sack[2 * i + 1]!, base)}}`;
  }
  return `sack ${n} ${blocks}`;
}

/**
 * packetdrill's line body: `P. 1:101(100) ack 1 win 257 <...>`. The range is `start:end(len)` where
 * end = start + payload length (SYN and FIN do not count, as in packetdrill). `ack N` appears only
 * when ACK is set; `win W` always. With `rel`, seq/end are relative to seqBase, ack and SACK edges
 * to ackBase (u32 modular).
 */
export function formatSegment(seg: Segment, rel?: RelativeBases): string {
  const seqBase = rel?.seqBase ?? 0;
  const ackBase = rel?.ackBase ?? 0;
  const len = seg.payload.length;
  const start = relU32(seg.seq, seqBase);
  const end = (start + len) >>> 0;
  let out = `${formatFlags(seg.flags)} ${start}:${end}(${len})`;
  if (seg.flags & ACK) out += ` ack ${relU32(seg.ack, ackBase)}`;
  out += ` win ${seg.window}`;
  const opts = formatOptions(seg.options, ackBase);
  if (opts !== '') out += ` ${opts}`;
  return out;
}

/**
 * A tcpdump-like one-liner. `src` and `dst` are addresses (the ports come from the segment):
 * `10.0.0.1.40000 > 10.0.0.2.80: Flags [S.], seq 0, ack 1, win 65535, options [...], length 0`.
 * Data segments print `seq a:b`, as tcpdump does.
 */
export function formatTcpdump(seg: Segment, src: string, dst: string, rel?: RelativeBases): string {
  const seqBase = rel?.seqBase ?? 0;
  const ackBase = rel?.ackBase ?? 0;
  const len = seg.payload.length;
  const start = relU32(seg.seq, seqBase);
  const fields: string[] = [`Flags [${formatFlags(seg.flags)}]`];
  fields.push(len > 0 ? `seq ${start}:${(start + len) >>> 0}` : `seq ${start}`);
  if (seg.flags & ACK) fields.push(`ack ${relU32(seg.ack, ackBase)}`);
  fields.push(`win ${seg.window}`);
  if (seg.flags & URG) fields.push(`urg ${seg.urgent}`);
  const opts = formatOptionList(seg.options, ackBase);
  if (opts !== '') fields.push(`options [${opts}]`);
  fields.push(`length ${len}`);
  return `${src}.${seg.srcPort} > ${dst}.${seg.dstPort}: ${fields.join(', ')}`;
}
