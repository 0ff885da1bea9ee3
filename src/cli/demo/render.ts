/** The demo in the terminal: a sequence diagram per scenario, state paths, and netstat-style counts. */
import type { SegmentRecord } from './recorder.js';
import type { ScenarioResult } from './run.js';

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

function wrap(text: string, width: number, indent: string): string {
  const words = text.split(/\s+/);
  const lines: string[] = [];
  let line = '';
  for (const w of words) {
    if (line && line.length + 1 + w.length > width) {
      lines.push(line);
      line = w;
    } else line = line ? `${line} ${w}` : w;
  }
  if (line) lines.push(line);
  return lines.map((l) => indent + l).join('\n');
}

function counts(c: Record<string, number>): string {
  const e = Object.entries(c);
  return e.length ? e.map(([k, v]) => `${k} ${v}`).join(', ') : 'no sockets';
}

export function renderScenario(r: ScenarioResult, st: Style): string {
  const out: string[] = [];
  out.push(st.bold(`━━ ${r.name}: ${r.title}`));
  out.push(wrap(r.about, 96, '   '));
  out.push('');
  const client = r.segments.find((s) => s.sender === 'client')?.src ?? '10.0.0.1';
  const server = r.segments.find((s) => s.sender === 'server')?.src ?? r.segments[0]?.dst ?? '10.0.0.2';
  const texts = r.segments.map(segText);
  const width = Math.min(100, Math.max(30, ...texts.map((t) => t.length)) + 5);
  out.push(st.dim(`   ${'time'.padStart(9)}  ${`client ${client}`.padEnd(13 + width + 2)}server ${server}`));
  r.segments.forEach((s, i) => {
    const text = texts[i]!;
    let arrow: string;
    if (s.sender === 'client') {
      const body = `${text} ${s.dropped ? '──✕' : '──▶'}`;
      arrow = s.dropped ? st.lost(body.padEnd(width)) : st.toServer(body.padEnd(width));
    } else {
      const body = `${s.dropped ? '✕──' : '◀──'} ${text}`;
      arrow = s.dropped ? st.lost(body.padEnd(width)) : st.toClient(body.padEnd(width));
    }
    const note = s.dropped ? st.lost(' lost') : s.duplicate ? st.dim(' duplicate') : '';
    out.push(`   ${time(s.t).padStart(9)}  ${st.state(s.states[0].padEnd(12))} ${arrow}  ${st.state(s.states[1])}${note}`);
  });
  out.push('');
  for (const p of r.paths) {
    const who = p.host === '10.0.0.1' ? 'client' : 'server';
    out.push(`   ${who} ${p.local.padEnd(16)} ${p.path.map((x) => st.state(x)).join(' → ')}`);
  }
  for (const c of r.counts) {
    out.push(st.dim(`   netstat ${c.label} (t=${time(c.t)}): `) + `client: ${counts(c.client)}; server: ${counts(c.server)}`);
  }
  for (const n of r.notes) out.push(`   • ${n}`);
  out.push('');
  return out.join('\n');
}

/** The closing count over the whole tour, as the classic `netstat | awk` one-liner prints it. */
export function renderTourSummary(results: ScenarioResult[], st: Style): string {
  const seen = new Map<string, number>();
  for (const r of results) for (const t of r.transitions) seen.set(t.to, (seen.get(t.to) ?? 0) + 1);
  const lines = [st.bold('━━ states entered over the whole tour (STATE count)')];
  for (const [s, n] of [...seen].sort((a, b) => b[1] - a[1])) lines.push(`   ${st.state(s.padEnd(12))} ${n}`);
  return lines.join('\n') + '\n';
}
