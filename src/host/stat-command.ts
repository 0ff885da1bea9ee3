/**
 * What `synack stat` does, independent of commander: open the source (this namespace, --netns,
 * --proc-net), read, and print the summary, --diagnose, --sysctl, --json or --prometheus, once or
 * every --watch seconds. src/cli/stat.ts only parses options and calls runStat.
 */
import { DIAGNOSE_SYSCTLS, diagnose, type Diagnosis } from './diagnose/index.js';
import { worst } from './diagnose/types.js';
import { UsageError } from './errors.js';
import { renderDiagnosis } from './format/diagnosis-text.js';
import { buildJson } from './format/json.js';
import { renderPrometheus } from './format/prometheus.js';
import { styleFor, type Style } from './format/style.js';
import { headerLine, kernelNamesNote, renderSummary, type ReportMeta, type WatchInfo } from './format/summary-text.js';
import { joinFitting } from './format/wrap.js';
import { renderSysctlAudit } from './format/sysctl-text.js';
import type { ListenBacklogs } from './listen-backlog.js';
import { mapSocketOwners, type OwnerMap } from './processes.js';
import { currentNamespace, fromDirectory, namedNamespace, type ProcSource } from './proc-source.js';
import { takeSnapshot, type Snapshot } from './snapshot.js';
import { summarize } from './summary.js';
import { auditValues, type AuditRow } from './sysctl-audit.js';
import { KNOB_KEYS } from './sysctl-knobs.js';
import { STATE_NAMES, codeOfState, type StateName } from './tcp-states.js';

const CLOSE_WAIT = codeOfState('CLOSE_WAIT');
const LISTEN = codeOfState('LISTEN');

export interface StatOptions {
  json?: boolean;
  prometheus?: boolean;
  diagnose?: boolean;
  sysctl?: boolean;
  /** Map sockets to processes (-p). */
  processes?: boolean;
  top?: number;
  netns?: string;
  procNet?: string;
  /** Seconds between frames; undefined = one report. */
  watch?: number;
  /** Frames before exiting (with watch). */
  count?: number;
  /** Seconds between the two readings --diagnose compares; 0 = one reading. */
  sample?: number;
  /** Columns to lay out for (default: the terminal's; piped: unbounded tables, paragraphs at 100). */
  width?: number;
}

/**
 * `--diagnose` exit codes, as monitoring plugins (Nagios, Icinga) use them, so a script can gate on
 * the result: 0 nothing worse than a notice, 1 a warning, 2 a critical finding.
 */
export const DIAGNOSE_EXIT = { ok: 0, warning: 1, critical: 2 } as const;

export function diagnoseExitCode(d: Diagnosis): number {
  const w = worst(...d.checks.map((c) => c.severity));
  return w === 'critical' ? DIAGNOSE_EXIT.critical : w === 'warning' ? DIAGNOSE_EXIT.warning : DIAGNOSE_EXIT.ok;
}

export interface StatIo {
  write(s: string): void;
  isTTY: boolean;
  columns?: number;
  env?: NodeJS.ProcessEnv;
}

const HISTORY = 30;

export function validateOptions(o: StatOptions): void {
  if (o.json && o.prometheus) throw new UsageError('choose one of --json and --prometheus');
  if (o.netns && o.procNet) throw new UsageError('choose one of --netns and --proc-net');
  if (o.count !== undefined && o.watch === undefined) throw new UsageError('--count needs --watch');
  if (o.prometheus && (o.diagnose || o.sysctl)) throw new UsageError('--prometheus prints metrics only; drop --diagnose/--sysctl');
}

async function openSource(o: StatOptions): Promise<ProcSource> {
  if (o.procNet) return fromDirectory(o.procNet);
  if (o.netns) return namedNamespace(o.netns);
  return currentNamespace();
}

interface Reading {
  snap: Snapshot;
  before?: Snapshot;
  backlogs: ListenBacklogs | null;
  owners?: OwnerMap;
  sysctls: Map<string, string>;
}

async function read(source: ProcSource, o: StatOptions, before?: Snapshot): Promise<Reading> {
  const pending = source.listenBacklogs(); // ss runs while we read /proc
  const snap = takeSnapshot(source);
  const backlogs = await pending;
  const keys = [...(o.diagnose ? DIAGNOSE_SYSCTLS : []), ...(o.sysctl ? KNOB_KEYS : [])];
  const sysctls = keys.length > 0 ? source.readSysctls([...new Set(keys)]) : new Map<string, string>();
  const r: Reading = { snap, backlogs, sysctls };
  if (before) r.before = before;
  if (o.processes) {
    r.owners = mapSocketOwners();
  } else if (o.diagnose) {
    // Owners of the sockets a finding may name: CLOSE_WAIT holders and listeners.
    const wanted = new Set<number>();
    const t = snap.table;
    for (let i = 0; i < t.n; i++) if (t.inode[i] !== 0 && (t.state[i] === CLOSE_WAIT || t.state[i] === LISTEN)) wanted.add(t.inode[i]!);
    if (wanted.size > 0) r.owners = mapSocketOwners(wanted);
  }
  return r;
}

/** How wide to draw: `bound` every line fits in (undefined: piped, no --width), `para` wraps paragraphs. */
interface Width {
  bound: number | undefined;
  para: number;
}

interface Rendered {
  text: string;
  /** the diagnosis's exit code (0 without --diagnose) */
  exitCode: number;
}

function render(
  r: Reading,
  source: ProcSource,
  o: StatOptions,
  style: Style,
  width: Width,
  watch?: WatchInfo,
  firstSeen?: Map<string, number>,
): Rendered {
  const summaryOpts: Parameters<typeof summarize>[1] = { top: o.top ?? 5, backlogs: r.backlogs };
  if (r.owners && o.processes) summaryOpts.owners = r.owners;
  const summary = summarize(r.snap.table, summaryOpts);
  if (o.prometheus) return { text: renderPrometheus(summary, r.snap.sockstat, r.snap.counters), exitCode: 0 };

  let diagnosis: Diagnosis | undefined;
  if (o.diagnose) {
    const input: Parameters<typeof diagnose>[0] = { now: r.snap, sysctls: r.sysctls, backlogs: r.backlogs };
    if (r.before) input.before = r.before;
    if (r.owners) input.owners = r.owners;
    if (firstSeen) input.firstSeen = firstSeen;
    diagnosis = diagnose(input);
  }
  let audit: AuditRow[] | undefined;
  if (o.sysctl) audit = auditValues(r.sysctls, r.snap.softnet);
  const exitCode = diagnosis ? diagnoseExitCode(diagnosis) : 0;

  if (o.json) {
    const parts: Parameters<typeof buildJson>[0] = { source: source.label, netns: source.netns, snapshot: r.snap, summary };
    if (diagnosis) parts.diagnosis = diagnosis;
    if (audit) parts.sysctl = audit;
    return { text: JSON.stringify(buildJson(parts), null, watch ? undefined : 2) + '\n', exitCode };
  }

  const meta: ReportMeta = {
    source: source.label,
    takenAt: r.snap.takenAt,
    readMs: r.snap.readMs,
    malformed: r.snap.malformed,
    missing: r.snap.missing,
    backlogsKnown: r.backlogs !== null,
  };
  const out: string[] = [];
  if (!o.diagnose && !o.sysctl) out.push(renderSummary(summary, meta, style, watch, width.bound));
  if (diagnosis) {
    const sampled = diagnosis.interval > 0 ? `2 readings ${diagnosis.interval.toFixed(1)} s apart` : '1 reading';
    const states = STATE_NAMES.filter((s) => summary.states[s] > 0).map((s) => `${s} ${summary.states[s].toLocaleString('en-US')}`);
    const what = watch ? `synack stat --diagnose [${watch.frame}${watch.frames ? `/${watch.frames}` : ''}]` : 'synack stat --diagnose';
    const header = [
      headerLine(meta, summary.total, style, what, width.bound, [sampled]),
      ...joinFitting(states.length ? states : ['no TCP sockets'], '  ', width.bound, '').map((l) => style.dim(l)),
      kernelNamesNote(style, width.bound),
    ].join('\n');
    out.push(renderDiagnosis(diagnosis, header, style, width.para, width.bound));
  }
  if (audit) {
    // a long --proc-net path goes on a line of its own rather than past the width
    const header = joinFitting([`${style.bold('synack stat --sysctl')} ${style.dim('·')}`, source.label], ' ', width.bound, '  ').join('\n');
    out.push(renderSysctlAudit(audit, header, style, width.para, width.bound));
  }
  return { text: out.join('\n'), exitCode };
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    if (signal.aborted) return resolve();
    const t = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => (clearTimeout(t), resolve()), { once: true });
  });

/** Runs `synack stat`; resolves to the exit code (with --diagnose: DIAGNOSE_EXIT of the last reading, else 0). */
export async function runStat(o: StatOptions, io: StatIo): Promise<number> {
  validateOptions(o);
  const style = styleFor({ isTTY: io.isTTY }, io.env ?? process.env);
  const bound = o.width ?? (io.isTTY ? io.columns : undefined);
  const width: Width = { bound, para: Math.min(bound ?? 100, 110) };
  const source = await openSource(o);
  try {
    if (o.watch === undefined) {
      let before: Snapshot | undefined;
      const sample = o.sample ?? 1;
      if (o.diagnose && sample > 0) {
        before = takeSnapshot(source);
        await new Promise((r) => setTimeout(r, sample * 1000));
      }
      const r = render(await read(source, o, before), source, o, style, width);
      io.write(r.text);
      return r.exitCode;
    }
    return await watchLoop(source, o, io, style, width);
  } finally {
    source.close();
  }
}

async function watchLoop(source: ProcSource, o: StatOptions, io: StatIo, style: Style, width: Width): Promise<number> {
  let exitCode = 0;
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const history = Object.fromEntries(STATE_NAMES.map((s) => [s, [] as number[]])) as Record<StateName, number[]>;
  const firstSeen = new Map<string, number>();
  let prev: Snapshot | undefined;
  let prevCounts: Record<StateName, number> | undefined;
  try {
    for (let frame = 1; o.count === undefined || frame <= o.count; frame++) {
      const r = await read(source, o, prev);
      // Track first sightings of CLOSE_WAIT connections so --diagnose can say how long they have been there.
      const present = new Set<string>();
      const t = r.snap.table;
      for (let i = 0; i < t.n; i++) {
        if (t.state[i] !== CLOSE_WAIT) continue;
        const k = t.key(i);
        present.add(k);
        if (!firstSeen.has(k)) firstSeen.set(k, r.snap.takenAt);
      }
      for (const k of [...firstSeen.keys()]) if (!present.has(k)) firstSeen.delete(k);
      const counts = Object.fromEntries(STATE_NAMES.map((s) => [s, 0])) as Record<StateName, number>;
      for (let i = 0; i < t.n; i++) counts[STATE_NAMES[t.state[i]! - 1]!]++;
      for (const s of STATE_NAMES) {
        history[s].push(counts[s]);
        if (history[s].length > HISTORY) history[s].shift();
      }
      const watch: WatchInfo = { history, intervalSeconds: o.watch!, frame };
      if (prevCounts) watch.previous = prevCounts;
      if (o.count !== undefined) watch.frames = o.count;
      const { text, exitCode: code } = render(r, source, o, style, width, watch, firstSeen);
      exitCode = code;
      // On a terminal: home the cursor, overwrite each line (erasing its old tail), erase below.
      if (io.isTTY && !o.json) io.write(`${frame === 1 ? '\x1b[2J' : ''}\x1b[H${text.replace(/\n/g, '\x1b[K\n')}\x1b[J`);
      else io.write(frame > 1 && !o.json ? `\n${text}` : text);
      prev = r.snap;
      prevCounts = counts;
      if (stop.signal.aborted || (o.count !== undefined && frame >= o.count)) break;
      await sleep(o.watch! * 1000, stop.signal);
      if (stop.signal.aborted) break;
    }
  } finally {
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
  }
  return exitCode;
}
