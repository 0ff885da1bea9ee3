/** The demo in the terminal: a sequence diagram per scenario, state paths, and netstat-style counts. */
import type { SegmentRecord } from './recorder.js';
import type { ScenarioResult } from './run.js';
import { DETAIL_LEVELS, chooseLayout, detail, fit, shortState, shortStateLegend, wrapWords, type Layout } from './layout.js';

export interface Style {
  state(s: string): string;
  dim(s: string): string;
  bold(s: string): string;
  lost(s: string): string;
  toServer(s: string): string;
  toClient(s: string): string;
}

const esc = (code: string) => (s: string) => `\x1b[${code}m${s}\x1b[0m`;

export function makeStyle(color: boolean): Style {
  if (!color) {
    const id = (s: string) => s;
    return { state: id, dim: id, bold: id, lost: id, toServer: id, toClient: id };
  }
  const stateColor: Record<string, (s: string) => string> = {
    ESTABLISHED: esc('32'),
    TIME_WAIT: esc('33'),
    CLOSED: esc('2'),
    LISTEN: esc('34'),
    SYN_SENT: esc('36'),
    SYN_RCVD: esc('36'),
    ESTAB: esc('32'),
    TIME_WT: esc('33'),
  };
  return {
    state: (s) => (stateColor[s.trim()] ?? esc('35'))(s),
    dim: esc('2'),
    bold: esc('1'),
    lost: esc('31'),
    toServer: esc('96'),
    toClient: esc('94'),
  };
}

function segText(s: SegmentRecord): string {
  const ack = s.flags.includes('.') ? ` ack ${s.ack}` : '';
  const opts = s.options ? ` <${s.options}>` : '';
  return `${s.flags} ${s.seq}:${(s.seq + s.len) >>> 0}(${s.len})${ack} win ${s.win}${opts}`;
}

function time(t: number): string {
  return `${(t / 1000).toFixed(3)} s`;
}

function counts(c: Record<string, number>): string {
  const e = Object.entries(c);
  return e.length ? e.map(([k, v]) => `${k} ${v}`).join(', ') : 'no sockets';
}

/** The least shortened detail level at which every text fits in `max` columns (the last level if none does). */
function detailLevel(texts: string[], max: number | undefined): number {
  if (max === undefined) return 0;
  for (let level = 0; level < DETAIL_LEVELS; level++) if (texts.every((t) => detail(t, level).length <= max)) return level;
  return DETAIL_LEVELS - 1;
}

function arrowBody(s: SegmentRecord, text: string): string {
  if (s.sender === 'client') return `${text} ${s.dropped ? '──✕' : '──▶'}`;
  return `${s.dropped ? '✕──' : '◀──'} ${text}`;
}

function arrowStyle(s: SegmentRecord, st: Style): (x: string) => string {
  if (s.dropped) return st.lost;
  return s.sender === 'client' ? st.toServer : st.toClient;
}

/** The full two-column diagram: time, client state, the segment as an arrow, server state. */
function fullDiagram(r: ScenarioResult, st: Style, width: number | undefined, client: string, server: string): string[] {
  const out: string[] = [];
  // fixed columns: indent 3, time 9, gap 2, state 12 + 1, gap 2, state 12, note up to 10 (" duplicate")
  const room = width === undefined ? undefined : Math.max(20, width - 51);
  const raw = r.segments.map(segText);
  const level = detailLevel(raw, room === undefined ? undefined : room - 4);
  const texts = raw.map((t) => (room === undefined ? t : fit(detail(t, level), room - 4)));
  let col = Math.min(100, Math.max(30, ...texts.map((t) => t.length)) + 5);
  if (room !== undefined) col = Math.min(col, room);
  out.push(st.dim(`   ${'time'.padStart(9)}  ${`client ${client}`.padEnd(13 + col + 2)}server ${server}`));
  r.segments.forEach((s, i) => {
    const arrow = arrowStyle(s, st)(arrowBody(s, texts[i]!).padEnd(col));
    const note = s.dropped ? st.lost(' lost') : s.duplicate ? st.dim(' duplicate') : '';
    out.push(`   ${time(s.t).padStart(9)}  ${st.state(s.states[0].padEnd(12))} ${arrow}  ${st.state(s.states[1])}${note}`);
  });
  return out;
}

/** The compact diagram: one line per segment, `time client-state arrow server-state`, states abbreviated. */
function compactDiagram(r: ScenarioResult, st: Style, width: number, client: string, server: string): string[] {
  const out: string[] = [];
  const times = r.segments.map((s) => (s.t / 1000).toFixed(3));
  const tw = Math.max(5, ...times.map((t) => t.length));
  // time, space, state 8, space, arrow, space, state 8
  const room = Math.max(16, width - tw - 19);
  const raw = r.segments.map((s) => segText(s) + (s.duplicate ? ' dup' : ''));
  const level = detailLevel(raw, room - 4);
  const texts = raw.map((t) => fit(detail(t, level), room - 4));
  const col = Math.min(room, Math.max(...texts.map((t) => t.length + 4), 0));
  out.push(st.dim(fit(`${'time'.padStart(tw)} client ${client} ──▶ server ${server}`, width)));
  for (const line of wrapWords(['(seconds;', 'states:', ...shortStateLegend(), ')'], width, ' '.repeat(tw + 1), ' '.repeat(tw + 2))) {
    out.push(st.dim(line.replace(' )', ')')));
  }
  r.segments.forEach((s, i) => {
    const arrow = arrowStyle(s, st)(arrowBody(s, texts[i]!).padEnd(col));
    out.push(`${times[i]!.padStart(tw)} ${st.state(shortState(s.states[0]).padEnd(8))} ${arrow} ${st.state(shortState(s.states[1]))}`);
  });
  return out;
}

/** One scenario: its title and what it shows, the diagram, the state paths, the netstat-style counts and notes. */
export function renderScenario(r: ScenarioResult, st: Style, layout: Layout = chooseLayout(undefined)): string {
  const { width } = layout;
  const text = (s: string, first: string, rest: string): string[] => wrapWords(s.split(/\s+/).filter(Boolean), width, first, rest);
  const out: string[] = [];
  out.push(...text(`━━ ${r.name}: ${r.title}`, '', '   ').map((l) => st.bold(l)));
  out.push(...wrapWords(r.about.split(/\s+/).filter(Boolean), Math.min(99, width ?? 99), '   ', '   '));
  out.push('');
  const client = r.segments.find((s) => s.sender === 'client')?.src ?? '10.0.0.1';
  const server = r.segments.find((s) => s.sender === 'server')?.src ?? r.segments[0]?.dst ?? '10.0.0.2';
  if (layout.kind === 'compact') out.push(...compactDiagram(r, st, width ?? 80, client, server));
  else out.push(...fullDiagram(r, st, width, client, server));
  out.push('');
  for (const p of r.paths) {
    const who = p.host === '10.0.0.1' ? 'client' : 'server';
    const lead = layout.kind === 'compact' ? `   ${who} ${p.local} ` : `   ${who} ${p.local.padEnd(16)} `;
    out.push(...wrapWords(p.path, width, lead, ' '.repeat(lead.length), ' → ').map((l) => colorStates(l, st)));
  }
  for (const c of r.counts) {
    out.push(...text(`netstat ${c.label} (t=${time(c.t)}): client: ${counts(c.client)}; server: ${counts(c.server)}`, '   ', '     '));
  }
  for (const n of r.notes) out.push(...text(n, '   • ', '     '));
  out.push('');
  return out.join('\n');
}

/** Colours the state names in an already laid-out line (colours add no columns). */
function colorStates(line: string, st: Style): string {
  return line.replace(/\b(?:[A-Z]+_)*[A-Z]+(?:_\d)?\b/g, (m) => (m.length > 3 ? st.state(m) : m));
}

/** The closing count over the whole tour, as the classic `netstat | awk` one-liner prints it. */
export function renderTourSummary(results: ScenarioResult[], st: Style): string {
  const seen = new Map<string, number>();
  for (const r of results) for (const t of r.transitions) seen.set(t.to, (seen.get(t.to) ?? 0) + 1);
  const lines = [st.bold('━━ states entered over the whole tour (STATE count)')];
  for (const [s, n] of [...seen].sort((a, b) => b[1] - a[1])) lines.push(`   ${st.state(s.padEnd(12))} ${n}`);
  return lines.join('\n') + '\n';
}
