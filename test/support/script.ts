/**
 * A packetdrill-like script format for packet-exchange tests: parsing and matching only.
 *
 *   // comments (and blank lines) are ignored
 *   0     < S 0:0(0) win 65535 <mss 1460,sackOK,TS val 100 ecr 0,nop,wscale 7>
 *   +0    > S. 0:0(0) ack 1 <mss 1460,sackOK,TS val * ecr 100,nop,wscale 7>
 *   +.1   < . 1:1(0) ack 1 win 257
 *
 * Sequence numbers are relative: inbound seq and outbound ack (and outbound SACK edges) to the
 * remote's ISS; outbound seq and inbound ack (and inbound SACK edges) to the local ISS.
 */
import { ACK, CWR, ECE, FIN, PSH, RST, SYN, URG } from '../../src/wire/segment.js';
import type { Segment, TcpOptions } from '../../src/wire/segment.js';
import { formatFlags, formatSackBlocks, formatSegment } from '../../src/observe/format.js';

/** A number or the wildcard `*` (outbound lines only). */
export type Wild = number | '*';
export type ScriptOptionKind = 'mss' | 'sackOK' | 'TS' | 'nop' | 'wscale' | 'sack' | 'eol';

/** TcpOptions as written in a script: numbers may be `*`; `order` keeps the written order (printing only). */
export interface ScriptOptions {
  mss?: Wild;
  wscale?: Wild;
  sackPermitted?: boolean;
  /** flat pairs [l0, r0, l1, r1, ...], relative; `*` = any SACK blocks */
  sack?: number[] | '*';
  tsVal?: Wild;
  tsEcr?: Wild;
  eol?: boolean;
  order: ScriptOptionKind[];
}

export interface ScriptLine {
  lineNo: number;
  text: string;
  /** null = `*`, any time */
  time: { relative: boolean; ms: number } | null;
  dir: 'in' | 'out';
  flags: number;
  seq: number;
  end: number;
  len: number;
  /** null: no ack field written */
  ack: number | null;
  /** null: not written (in) or `*` / not written (out) */
  win: number | null;
  /** null = not written: for 'out' "don't care", for 'in' "no options" */
  options: ScriptOptions | null;
}

export interface Bases {
  localIss: number;
  remoteIss: number;
}

const FLAG_BITS: Readonly<Record<string, number>> = {
  F: FIN, S: SYN, R: RST, P: PSH, '.': ACK, U: URG, E: ECE, W: CWR,
};
const U32_MAX = 0xffffffff;

class ScriptError extends Error {}

function parseNum(tok: string | undefined, what: string, max = U32_MAX): number {
  if (tok === undefined || !/^\d+$/.test(tok)) throw new ScriptError(`expected a number for ${what}, got ${tok ?? 'nothing'}`);
  const n = Number(tok);
  if (n > max) throw new ScriptError(`${what} ${tok} is out of range (max ${max})`);
  return n;
}

function parseWild(tok: string | undefined, what: string, max = U32_MAX): Wild {
  return tok === '*' ? '*' : parseNum(tok, what, max);
}

function parseTime(tok: string): ScriptLine['time'] {
  if (tok === '*') return null;
  const m = /^(\+)?(\d+(?:\.\d*)?|\.\d+)$/.exec(tok);
  if (!m) throw new ScriptError(`bad time ${tok}`);
  return { relative: m[1] === '+', ms: Math.round(Number(m[2]) * 1000) };
}

function parseFlags(tok: string): number {
  if (tok === 'none') return 0;
  let flags = 0;
  for (const ch of tok) {
    const bit = FLAG_BITS[ch];
    if (bit === undefined) throw new ScriptError(`unknown flag '${ch}' in ${tok}`);
    if (flags & bit) throw new ScriptError(`flag '${ch}' repeated in ${tok}`);
    flags |= bit;
  }
  return flags;
}

/** `l:r l:r`, `1 {l:r}`, `2 {l:r}{l:r}` or `*`. */
function parseSack(rest: string): number[] | '*' {
  if (rest === '*') return '*';
  const out: number[] = [];
  const tcpdump = /^(\d+)\s*((?:\{\s*\d+:\d+\s*\}\s*)*)$/.exec(rest);
  const blocks = tcpdump ? tcpdump[2]!.replace(/[{}]/g, ' ').trim() : rest;
  for (const b of blocks.split(/\s+/).filter((s) => s !== '')) {
    const m = /^(\d+):(\d+)$/.exec(b);
    if (!m) throw new ScriptError(`bad sack block ${b}`);
    out.push(parseNum(m[1], 'sack left edge'), parseNum(m[2], 'sack right edge'));
  }
  if (tcpdump && Number(tcpdump[1]) !== out.length / 2) {
    throw new ScriptError(`sack count ${tcpdump[1]} but ${out.length / 2} blocks`);
  }
  if (out.length === 0) throw new ScriptError('sack without blocks');
  return out;
}

function parseOptions(body: string): ScriptOptions {
  const opts: ScriptOptions = { order: [] };
  if (body.trim() === '') return opts;
  for (const raw of body.split(',')) {
    const item = raw.trim().replace(/\s+/g, ' ');
    let kind: ScriptOptionKind;
    let m: RegExpExecArray | null;
    if ((m = /^mss (\S+)$/.exec(item))) {
      kind = 'mss';
      opts.mss = parseWild(m[1], 'mss', 0xffff);
    } else if (item === 'sackOK') {
      kind = 'sackOK';
      opts.sackPermitted = true;
    } else if ((m = /^TS val (\S+) ecr (\S+)$/.exec(item))) {
      kind = 'TS';
      opts.tsVal = parseWild(m[1], 'TS val');
      opts.tsEcr = parseWild(m[2], 'TS ecr');
    } else if (item === 'nop' || item === 'eol') {
      kind = item;
      if (item === 'eol') opts.eol = true;
    } else if ((m = /^wscale (\S+)$/.exec(item))) {
      kind = 'wscale';
      opts.wscale = parseWild(m[1], 'wscale', 0xff);
    } else if ((m = /^sack (.+)$/.exec(item))) {
      kind = 'sack';
      opts.sack = parseSack(m[1]!);
    } else {
      throw new ScriptError(`unknown option "${item}"`);
    }
    if (kind !== 'nop' && opts.order.includes(kind)) throw new ScriptError(`option ${kind} repeated`);
    opts.order.push(kind);
  }
  return opts;
}

function hasWildcard(o: ScriptOptions): boolean {
  return [o.mss, o.wscale, o.sack, o.tsVal, o.tsEcr].includes('*');
}

function parseLine(text: string, lineNo: number): ScriptLine {
  const m = /^(\S+)\s+([<>])\s+(.*)$/.exec(text);
  if (!m) throw new ScriptError('expected "<time> <|> <flags> <seq>:<end>(<len>) ..."');
  const time = parseTime(m[1]!);
  const dir = m[2] === '<' ? 'in' : 'out';
  let rest = m[3]!;
  let options: ScriptOptions | null = null;
  const open = rest.indexOf('<');
  if (open >= 0) {
    const close = rest.indexOf('>', open);
    if (close < 0 || close !== rest.length - 1) throw new ScriptError('options must be one <...> group at the end');
    options = parseOptions(rest.slice(open + 1, close));
    rest = rest.slice(0, open);
  } else if (rest.includes('>')) {
    throw new ScriptError('unexpected ">"');
  }
  const toks = rest.trim().split(/\s+/).filter((t) => t !== '');
  const flagTok = toks.shift();
  if (flagTok === undefined) throw new ScriptError('missing flags');
  const flags = parseFlags(flagTok);
  const seqTok = toks.shift();
  const sm = seqTok === undefined ? null : /^(\d+):(\d+)\((\d+)\)$/.exec(seqTok);
  if (!sm) throw new ScriptError(`missing seq start:end(len), got ${seqTok ?? 'nothing'}`);
  const seq = parseNum(sm[1], 'seq start');
  const end = parseNum(sm[2], 'seq end');
  const len = parseNum(sm[3], 'seq len');
  if (((end - seq) >>> 0) !== len) {
    throw new ScriptError(`bad len: ${seq}:${end} spans ${(end - seq) >>> 0} bytes but (${len}) is written`);
  }
  let ack: number | null = null;
  let win: number | null = null;
  const seen = new Set<string>();
  while (toks.length > 0) {
    const key = toks.shift()!;
    if (seen.has(key)) throw new ScriptError(`${key} repeated`);
    seen.add(key);
    if (key === 'ack') {
      ack = parseNum(toks.shift(), 'ack');
    } else if (key === 'win') {
      const w = parseWild(toks.shift(), 'win', 0xffff);
      if (w === '*' && dir === 'in') throw new ScriptError('win * on an inbound line');
      win = w === '*' ? null : w;
    } else {
      throw new ScriptError(`unknown token "${key}"`);
    }
  }
  if (ack !== null && !(flags & ACK)) throw new ScriptError(`ack written without the '.' (ACK) flag`);
  if (dir === 'in') {
    if (ack === null && flags & ACK) throw new ScriptError(`inbound '.' (ACK) flag needs "ack N"`);
    if (options && hasWildcard(options)) throw new ScriptError('wildcard option on an inbound line');
  }
  return { lineNo, text, time, dir, flags, seq, end, len, ack, win, options };
}

/** Parse a script; throws an Error naming the line number and text on anything it does not understand. */
export function parseScript(text: string): ScriptLine[] {
  // Blank out /* ... */ comments, keeping newlines so line numbers stay right.
  const src = text.replace(/\/\*[\s\S]*?\*\//g, (c) => c.replace(/[^\n]/g, ' '));
  const out: ScriptLine[] = [];
  src.split(/\r?\n/).forEach((raw, i) => {
    const comment = raw.indexOf('//');
    const line = (comment >= 0 ? raw.slice(0, comment) : raw).trim();
    if (line === '') return;
    try {
      out.push(parseLine(line, i + 1));
    } catch (e) {
      if (!(e instanceof ScriptError)) throw e;
      throw new Error(`script line ${i + 1}: ${e.message}: "${line}"`);
    }
  });
  return out;
}

/** Deterministic payload bytes for relative stream offset `seq` onward: 'a'..'z' keyed by position. */
export function fillerBytes(seq: number, len: number): Uint8Array {
  const out = new Uint8Array(len);
  for (let i = 0; i < len; i++) out[i] = 0x61 + ((seq + i) % 26);
  return out;
}

function lineError(line: ScriptLine, msg: string): Error {
  return new Error(`script line ${line.lineNo}: ${msg}: "${line.text}"`);
}

/** The segment the remote would send for an inbound line. */
export function buildInbound(
  line: ScriptLine,
  base: Bases,
  ports: { local: number; remote: number },
  payload?: Uint8Array,
): Segment {
  if (line.dir !== 'in') throw lineError(line, 'buildInbound on an outbound line');
  if (payload !== undefined && payload.length !== line.len) {
    throw lineError(line, `payload is ${payload.length} bytes but the line says (${line.len})`);
  }
  const options: TcpOptions = {};
  const o = line.options;
  if (o) {
    if (hasWildcard(o)) throw lineError(line, 'wildcards are not allowed on an inbound line');
    const num = (w: Wild | undefined): number | undefined => (w === '*' ? undefined : w);
    if (o.mss !== undefined) options.mss = num(o.mss)!;
    if (o.wscale !== undefined) options.wscale = num(o.wscale)!;
    if (o.sackPermitted) options.sackPermitted = true;
    if (o.tsVal !== undefined) options.tsVal = num(o.tsVal)!;
    if (o.tsEcr !== undefined) options.tsEcr = num(o.tsEcr)!;
    if (Array.isArray(o.sack)) options.sack = o.sack.map((x) => (base.localIss + x) >>> 0);
  }
  return {
    srcPort: ports.remote,
    dstPort: ports.local,
    seq: (base.remoteIss + line.seq) >>> 0,
    ack: line.ack === null ? 0 : (base.localIss + line.ack) >>> 0,
    flags: line.flags,
    window: line.win ?? 65535,
    urgent: 0,
    options,
    payload: payload ?? fillerBytes(line.seq, line.len),
  };
}

function optionMismatches(o: ScriptOptions, got: TcpOptions, sackBase: number): string[] {
  const out: string[] = [];
  const field = (name: string, want: Wild | undefined, have: number | undefined): void => {
    if (want === undefined) {
      if (have !== undefined) out.push(`unexpected option ${name}`);
    } else if (have === undefined) {
      out.push(`missing option ${name}`);
    } else if (want !== '*' && want !== have) {
      out.push(`${name} ${have}, expected ${want}`);
    }
  };
  field('mss', o.mss, got.mss);
  if (o.sackPermitted && !got.sackPermitted) out.push('missing option sackOK');
  if (!o.sackPermitted && got.sackPermitted) out.push('unexpected option sackOK');
  const wantTs = o.tsVal !== undefined || o.tsEcr !== undefined;
  const haveTs = got.tsVal !== undefined || got.tsEcr !== undefined;
  if (wantTs && !haveTs) out.push('missing option TS');
  else if (!wantTs && haveTs) out.push('unexpected option TS');
  else if (wantTs) {
    field('TS val', o.tsVal, got.tsVal);
    field('TS ecr', o.tsEcr, got.tsEcr);
  }
  field('wscale', o.wscale, got.wscale);
  const haveSack = got.sack !== undefined && got.sack.length > 0;
  if (o.sack === undefined) {
    if (haveSack) out.push('unexpected option sack');
  } else if (!haveSack) {
    out.push('missing option sack');
  } else if (o.sack !== '*') {
    const want = o.sack.map((x) => (sackBase + x) >>> 0);
    if (want.length !== got.sack!.length || want.some((x, i) => x !== got.sack![i])) {
      out.push(`${formatSackBlocks(got.sack!, sackBase)}, expected ${formatSackBlocks(o.sack)}`);
    }
  }
  return out;
}

/** null when `seg` matches the outbound line; otherwise a one-line message saying what differs. */
export function matchOutbound(line: ScriptLine, seg: Segment, base: Bases): string | null {
  const reasons: string[] = [];
  const seq = (seg.seq - base.localIss) >>> 0;
  if (seg.flags !== line.flags) reasons.push(`flags ${formatFlags(seg.flags)}, expected ${formatFlags(line.flags)}`);
  if (seq !== line.seq) reasons.push(`seq ${seq}, expected ${line.seq}`);
  if (seg.payload.length !== line.len) reasons.push(`len ${seg.payload.length}, expected ${line.len}`);
  if (line.ack !== null && seg.flags & ACK) {
    const ack = (seg.ack - base.remoteIss) >>> 0;
    if (ack !== line.ack) reasons.push(`ack ${ack}, expected ${line.ack}`);
  }
  if (line.win !== null && seg.window !== line.win) reasons.push(`win ${seg.window}, expected ${line.win}`);
  if (line.options) reasons.push(...optionMismatches(line.options, seg.options, base.remoteIss));
  if (reasons.length === 0) return null;
  const got = formatSegment(seg, { seqBase: base.localIss, ackBase: base.remoteIss });
  return `script line ${line.lineNo}: expected "${formatScriptBody(line)}" got "${got}": ${reasons.join('; ')}`;
}

function formatScriptOptions(o: ScriptOptions): string {
  const order = [...o.order];
  const present: Array<[ScriptOptionKind, boolean]> = [
    ['mss', o.mss !== undefined], ['sackOK', !!o.sackPermitted],
    ['TS', o.tsVal !== undefined || o.tsEcr !== undefined], ['wscale', o.wscale !== undefined],
    ['sack', o.sack !== undefined], ['eol', !!o.eol],
  ];
  for (const [k, p] of present) if (p && !order.includes(k)) order.push(k);
  const parts = order.flatMap((k): string[] => {
    switch (k) {
      case 'mss': return o.mss === undefined ? [] : [`mss ${o.mss}`];
      case 'sackOK': return o.sackPermitted ? ['sackOK'] : [];
      case 'TS': return [`TS val ${o.tsVal ?? 0} ecr ${o.tsEcr ?? 0}`];
      case 'nop': return ['nop'];
      case 'wscale': return o.wscale === undefined ? [] : [`wscale ${o.wscale}`];
      case 'sack': return o.sack === '*' ? ['sack *'] : o.sack ? [formatSackBlocks(o.sack)] : [];
      case 'eol': return ['eol'];
    }
  });
  return `<${parts.join(',')}>`;
}

/** The line without time and direction: `S. 0:0(0) ack 1 <mss 1460,...>`. */
export function formatScriptBody(line: ScriptLine): string {
  let out = `${formatFlags(line.flags)} ${line.seq}:${line.end}(${line.len})`;
  if (line.ack !== null) out += ` ack ${line.ack}`;
  if (line.win !== null) out += ` win ${line.win}`;
  if (line.options) out += ` ${formatScriptOptions(line.options)}`;
  return out;
}

/** The whole line as a script would have it: `+0.1 < . 1:1(0) ack 1 win 257`. */
export function formatScriptLine(line: ScriptLine): string {
  const t = line.time;
  const time = t === null ? '*' : `${t.relative ? '+' : ''}${t.ms / 1000}`;
  return `${time} ${line.dir === 'in' ? '<' : '>'} ${formatScriptBody(line)}`;
}
