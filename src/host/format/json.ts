/**
 * --json: one object. `states` maps every netstat state name to its count (zeros included);
 * the rest of the summary, counters, and (when asked) diagnosis and sysctl audit sit beside it.
 */
import type { Diagnosis } from '../diagnose/types.js';
import type { Snapshot } from '../snapshot.js';
import type { Summary } from '../summary.js';
import type { AuditRow } from '../sysctl-audit.js';

export const JSON_SCHEMA = 'synack.stat/v1';

const COUNTERS: [string, string][] = [
  ['TcpExt', 'ListenOverflows'],
  ['TcpExt', 'ListenDrops'],
  ['TcpExt', 'SyncookiesSent'],
  ['TcpExt', 'SyncookiesRecv'],
  ['TcpExt', 'SyncookiesFailed'],
  ['TcpExt', 'TCPReqQFullDrop'],
  ['TcpExt', 'TCPReqQFullDoCookies'],
  ['TcpExt', 'TCPTimeWaitOverflow'],
  ['TcpExt', 'TCPAbortOnMemory'],
  ['TcpExt', 'TW'],
  ['Tcp', 'CurrEstab'],
  ['Tcp', 'ActiveOpens'],
  ['Tcp', 'PassiveOpens'],
  ['Tcp', 'AttemptFails'],
  ['Tcp', 'EstabResets'],
  ['Tcp', 'RetransSegs'],
  ['Tcp', 'OutSegs'],
];

export interface JsonParts {
  source: string;
  netns: string | null;
  snapshot: Snapshot;
  summary: Summary;
  diagnosis?: Diagnosis;
  sysctl?: AuditRow[];
}

export function buildJson(p: JsonParts): Record<string, unknown> {
  const counters: Record<string, number> = {};
  for (const [g, k] of COUNTERS) {
    const v = p.snapshot.counters[g]?.[k];
    if (v !== undefined) counters[`${g}.${k}`] = v;
  }
  const { states, ...rest } = p.summary;
  const out: Record<string, unknown> = {
    schema: JSON_SCHEMA,
    takenAt: new Date(p.snapshot.takenAt).toISOString(),
    source: p.source,
    netns: p.netns,
    states,
    ...rest,
    sockstat: p.snapshot.sockstat.TCP ?? null,
    counters,
    readMs: Math.round(p.snapshot.readMs * 100) / 100,
    malformed: p.snapshot.malformed,
    missing: p.snapshot.missing,
  };
  if (p.diagnosis) out.diagnosis = p.diagnosis;
  if (p.sysctl) out.sysctl = p.sysctl;
  return out;
}
