/** `synack stat --diagnose`: runs every check against one or two readings. */
import { AddressDecoder } from '../addr.js';
import { summarize } from '../summary.js';
import { checkCloseWait } from './close-wait.js';
import { checkListenQueues } from './listen-queue.js';
import { checkOrphans } from './orphans.js';
import { checkRetransmits } from './retransmits.js';
import { checkSynRecv } from './syn-recv.js';
import { checkTimeWait } from './time-wait.js';
import { DEFAULT_THRESHOLDS, worst, type Context, type Diagnosis, type DiagnoseInput } from './types.js';

export * from './types.js';

/** Sysctls the checks read (pass them to ProcSource.readSysctls). */
export const DIAGNOSE_SYSCTLS = [
  'net.ipv4.tcp_max_tw_buckets',
  'net.ipv4.ip_local_port_range',
  'net.ipv4.tcp_tw_reuse',
  'net.ipv4.tcp_syncookies',
  'net.ipv4.tcp_synack_retries',
  'net.ipv4.tcp_max_syn_backlog',
  'net.core.somaxconn',
  'net.ipv4.tcp_max_orphans',
  'net.ipv4.tcp_fin_timeout',
] as const;

export function diagnose(input: DiagnoseInput): Diagnosis {
  const dec = new AddressDecoder();
  const summaryOpts: Parameters<typeof summarize>[1] = { decoder: dec, backlogs: input.backlogs ?? null };
  if (input.owners) summaryOpts.owners = input.owners;
  const { listeners } = summarize(input.now.table, summaryOpts);
  const ctx: Context = {
    now: input.now,
    sysctls: input.sysctls,
    t: { ...DEFAULT_THRESHOLDS, ...input.thresholds },
    dec,
    listeners,
    interval: input.before ? (input.now.takenAt - input.before.takenAt) / 1000 : 0,
  };
  if (input.before) ctx.before = input.before;
  if (input.owners) ctx.owners = input.owners;
  if (input.firstSeen) ctx.firstSeen = input.firstSeen;
  const checks = [checkCloseWait, checkTimeWait, checkSynRecv, checkListenQueues, checkOrphans, checkRetransmits].map((c) => c(ctx));
  const d: Diagnosis = { severity: worst(...checks.map((c) => c.severity)), checks, interval: ctx.interval };
  if (input.owners) d.processMapping = { scanned: input.owners.scanned, denied: input.owners.denied, partial: input.owners.denied > 0 };
  return d;
}
