/** What `synack stat --diagnose` produces: one line per check, and a finding for each problem. */
import type { AddressDecoder } from '../addr.js';
import type { ListenBacklogs } from '../listen-backlog.js';
import type { OwnerMap } from '../processes.js';
import type { Snapshot } from '../snapshot.js';
import type { ListenerSummary } from '../summary.js';

export type Severity = 'ok' | 'notice' | 'warning' | 'critical';

export const SEVERITY_RANK: Record<Severity, number> = { ok: 0, notice: 1, warning: 2, critical: 3 };

export function worst(...s: Severity[]): Severity {
  return s.reduce((a, b) => (SEVERITY_RANK[b] > SEVERITY_RANK[a] ? b : a), 'ok' as Severity);
}

export interface Finding {
  check: string;
  severity: Exclude<Severity, 'ok'>;
  title: string;
  /** Numbers from this host, one line each. */
  evidence: string[];
  /** One paragraph. */
  cause: string;
  /** Concrete commands or settings. */
  fix: string[];
  /** Classic advice that does not help here, and why. */
  doesNotWork: string[];
  /** Machine-readable details for --json. */
  data?: Record<string, unknown>;
}

export interface CheckResult {
  check: string;
  /** Short label: "CLOSE_WAIT", "TIME_WAIT", "SYN_RECV", "listen queues", ... */
  name: string;
  severity: Severity;
  /** One line, shown whether or not there is a finding. */
  summary: string;
  findings: Finding[];
}

export interface Thresholds {
  closeWaitWarn: number;
  closeWaitCrit: number;
  twBucketsWarn: number;
  twBucketsCrit: number;
  portsNotice: number;
  portsWarn: number;
  portsCrit: number;
  serverTimeWaitNotice: number;
  synQueueWarn: number;
  synQueueCrit: number;
  synRecvNotice: number;
  acceptQueueWarn: number;
  closingNotice: number;
  closingWarn: number;
  orphansWarn: number;
  orphansCrit: number;
  retransWarnAttempts: number;
}

export const DEFAULT_THRESHOLDS: Thresholds = {
  closeWaitWarn: 10,
  closeWaitCrit: 1000,
  twBucketsWarn: 0.5,
  twBucketsCrit: 0.9,
  portsNotice: 0.25,
  portsWarn: 0.5,
  portsCrit: 0.8,
  serverTimeWaitNotice: 5000,
  synQueueWarn: 0.5,
  synQueueCrit: 1,
  synRecvNotice: 100,
  acceptQueueWarn: 0.5,
  closingNotice: 100,
  closingWarn: 1000,
  orphansWarn: 0.5,
  orphansCrit: 0.9,
  retransWarnAttempts: 3,
};

export interface DiagnoseInput {
  now: Snapshot;
  /** An earlier reading: enables counter deltas and "still there" ages. */
  before?: Snapshot;
  sysctls: ReadonlyMap<string, string>;
  owners?: OwnerMap;
  backlogs?: ListenBacklogs | null;
  thresholds?: Partial<Thresholds>;
  /** Connection key -> ms since the epoch it was first seen (kept across --watch frames). */
  firstSeen?: ReadonlyMap<string, number>;
}

export interface Context {
  now: Snapshot;
  before?: Snapshot;
  sysctls: ReadonlyMap<string, string>;
  owners?: OwnerMap;
  t: Thresholds;
  dec: AddressDecoder;
  listeners: ListenerSummary[];
  firstSeen?: ReadonlyMap<string, number>;
  /** Seconds between `before` and `now`, or 0. */
  interval: number;
}

export interface Diagnosis {
  severity: Severity;
  checks: CheckResult[];
  /** Seconds between the two readings compared (0 = one reading). */
  interval: number;
  processMapping?: { scanned: number; denied: number; partial: boolean };
}
