/** Human output of the summary: the classic `STATE count` lines, listeners, top peers/ports, processes. */
import type { Summary } from '../summary.js';
import { KERNEL_NAMES_NOTE, STATE_NAMES, type StateCounts, type StateName } from '../tcp-states.js';
import { signed, sparkline } from './sparkline.js';
import type { Style } from './style.js';
import { num, renderTable, type TableOptions } from './table.js';
import { joinFitting } from './wrap.js';

export interface ReportMeta {
  source: string;
  takenAt: number;
  readMs: number;
  malformed: number;
  missing: string[];
  /** False when listener backlogs could not be read (no ss). */
  backlogsKnown: boolean;
}

export interface WatchInfo {
  previous?: StateCounts;
  history: Record<StateName, number[]>;
  intervalSeconds: number;
  frame: number;
  frames?: number;
}

/** The report's first line(s): what, where, when, how many; `more` parts are appended; broken to fit `width`. */
export function headerLine(meta: ReportMeta, total: number, style: Style, what = 'synack stat', width?: number, more: string[] = []): string {
  const when = new Date(meta.takenAt).toISOString().replace('T', ' ').slice(0, 19);
  const parts = [style.bold(what), meta.source, `${when} UTC`, `${num(total)} socket${total === 1 ? '' : 's'} read in ${meta.readMs.toFixed(1)} ms`, ...more];
  return joinFitting(parts, ` ${style.dim('·')} `, width).join('\n');
}

/** Said once wherever the kernel's sockets are shown: their state names are netstat's, not the RFC's. */
export function kernelNamesNote(style: Style, width?: number): string {
  return style.dim(joinFitting(KERNEL_NAMES_NOTE.split(' '), ' ', width, '').join('\n'));
}

function stateRows(s: Summary, style: Style, watch?: WatchInfo, width?: number): string[] {
  const cols = [
    { header: 'STATE' },
    { header: 'COUNT', align: 'right' as const },
    ...(watch ? [{ header: 'Δ', align: 'right' as const }, { header: `TREND (${watch.intervalSeconds}s)` }] : []),
  ];
  const rows = STATE_NAMES.map((st) => {
    const c = s.states[st];
    const name = c === 0 ? style.dim(st) : st;
    const count = c === 0 ? style.dim('0') : num(c);
    if (!watch) return [name, count];
    const d = watch.previous ? c - watch.previous[st] : 0;
    const delta = !watch.previous ? '' : d > 0 ? style.yellow(signed(d)) : d < 0 ? style.green(signed(d)) : style.dim('0');
    return [name, count, delta, style.cyan(sparkline(watch.history[st]))];
  });
  rows.push([style.bold('TOTAL'), style.bold(num(s.total)), ...(watch ? ['', ''] : [])]);
  const lines = renderTable(cols, rows, withWidth({ style }, width));
  const f = s.families;
  lines.push(style.dim(`IPv4 ${num(f.ipv4)} · IPv6 ${num(f.ipv6)}${f.ipv4Mapped ? ` (${num(f.ipv4Mapped)} IPv4-mapped)` : ''}`));
  return lines;
}

function listenerRows(s: Summary, style: Style, meta: ReportMeta, width?: number): string[] {
  if (s.listeners.length === 0) return [style.dim('no listening sockets')];
  const withProc = s.listeners.some((l) => l.owners);
  const cols = [
    { header: 'LISTENER' },
    { header: 'ACCEPT-Q', align: 'right' as const },
    { header: 'BACKLOG', align: 'right' as const },
    { header: 'SYN_RECV', align: 'right' as const },
    { header: 'CONNS', align: 'right' as const },
    ...(withProc ? [{ header: 'PROCESS' }] : []),
  ];
  const rows = s.listeners.map((l) => {
    let q = num(l.acceptQueue);
    if (l.backlog !== null && l.acceptQueue > 0) q = l.acceptQueue >= l.backlog ? style.red(q) : l.acceptQueue * 2 >= l.backlog ? style.yellow(q) : q;
    const row = [l.endpoint, q, l.backlog === null ? style.dim('?') : num(l.backlog), num(l.synRecv), num(l.connections)];
    if (withProc) row.push(l.owners ? l.owners.map((o) => `${o.name}(${o.pid})`).join(',') : style.dim('-'));
    return row;
  });
  const out = renderTable(cols, rows, withWidth({ style }, width));
  if (!meta.backlogsKnown) out.push(style.dim('BACKLOG needs ss (the kernel reports it only over netlink); shown as ?'));
  return out;
}

function topRows(s: Summary, style: Style, width?: number): string[] {
  const states = STATE_NAMES.filter((st) => s.top[st]);
  if (states.length === 0) return [];
  const rows = states.map((st) => {
    const t = s.top[st]!;
    return [
      `${st}`,
      t.peers.map((p) => `${p.address} ${style.dim('×')}${num(p.count)}`).join('  '),
      t.localPorts.map((p) => `${p.port} ${style.dim('×')}${num(p.count)}`).join('  '),
    ];
  });
  return renderTable([{ header: 'BY STATE' }, { header: 'TOP PEERS' }, { header: 'TOP LOCAL PORTS' }], rows, withWidth({ style }, width));
}

function processRows(s: Summary, style: Style, width?: number): string[] {
  if (!s.processes) return [];
  const procs = s.processes.slice(0, 10);
  const used = STATE_NAMES.filter((st) => procs.some((p) => p.states[st]));
  const cols = [{ header: 'PROCESS' }, { header: 'PID', align: 'right' as const }, { header: 'SOCKETS', align: 'right' as const }, ...used.map((st) => ({ header: st, align: 'right' as const }))];
  const rows = procs.map((p) => [p.name, String(p.pid), num(p.total), ...used.map((st) => (p.states[st] ? num(p.states[st]!) : style.dim('-')))]);
  const out = procs.length > 0 ? renderTable(cols, rows, withWidth({ style }, width)) : [style.dim('no socket owners found')];
  if (s.processes.length > procs.length) out.push(style.dim(`... ${s.processes.length - procs.length} more processes`));
  if (s.processMapping?.partial) {
    out.push(style.yellow(`process mapping partial: ${num(s.processMapping.denied)} processes not readable (run as root to see every owner)`));
  }
  return out;
}

/** The table options with a width bound, when there is one. */
export function withWidth(opts: TableOptions, width: number | undefined): TableOptions {
  return width === undefined ? opts : { ...opts, maxWidth: width };
}

/** The summary; `width` bounds every line (undefined: piped output, tables as wide as their cells). */
export function renderSummary(s: Summary, meta: ReportMeta, style: Style, watch?: WatchInfo, width?: number): string {
  const title = watch ? `synack stat --watch ${watch.intervalSeconds} [${watch.frame}${watch.frames ? `/${watch.frames}` : ''}]` : 'synack stat';
  const parts: string[][] = [[headerLine(meta, s.total, style, title, width)], [...stateRows(s, style, watch, width), kernelNamesNote(style, width)], listenerRows(s, style, meta, width)];
  const top = topRows(s, style, width);
  if (top.length) parts.push(top);
  const procs = processRows(s, style, width);
  if (procs.length) parts.push(procs);
  const notes: string[] = [];
  if (s.unowned.acceptQueued > 0) notes.push(`${num(s.unowned.acceptQueued)} connections wait in accept queues (no process has accepted them yet)`);
  if (s.unowned.orphans > 0) notes.push(`${num(s.unowned.orphans)} orphaned sockets (closed by their application, the kernel is finishing them)`);
  if (meta.malformed > 0) notes.push(style.yellow(`${num(meta.malformed)} lines of /proc/net/tcp* did not parse and are not counted`));
  if (meta.missing.includes('tcp6')) notes.push('no /proc/net/tcp6 (IPv6 disabled): IPv4 only');
  if (notes.length) parts.push(notes.flatMap((x) => joinFitting(x.split(' '), ' ', width, '').map((l) => style.dim(l))));
  return parts.map((p) => p.join('\n')).join('\n\n') + '\n';
}
