/**
 * The closing side: FIN_WAIT1/FIN_WAIT2/CLOSING/LAST_ACK, and orphans (sockets their application
 * closed, inode 0, that the kernel finishes alone) against tcp_max_orphans (/proc/net/sockstat).
 */
import { counter } from '../proc-counters.js';
import type { CheckResult, Context, Finding, Severity } from './types.js';
import { worst } from './types.js';
import { bump, counterDelta, describeCounter, n, pct, sysctlNum, topText } from './util.js';

export function checkOrphans(ctx: Context): CheckResult {
  const t = ctx.t;
  const base = { check: 'orphans', name: 'FIN_WAIT2/orphans' };
  const s = ctx.now.sockets;
  const fw2 = s.filter((x) => x.state === 'FIN_WAIT2');
  const fw2Orphan = fw2.filter((x) => x.inode === 0).length;
  const fw2Owned = fw2.length - fw2Orphan;
  const closing = s.filter((x) => x.state === 'FIN_WAIT1' || x.state === 'CLOSING' || x.state === 'LAST_ACK');
  const orphans = counter(ctx.now.sockstat, 'TCP', 'orphan');
  const maxOrphans = sysctlNum(ctx, 'net.ipv4.tcp_max_orphans');
  const finTimeout = ctx.sysctls.get('net.ipv4.tcp_fin_timeout') ?? '?';
  const abortOnMemory = counterDelta(ctx, 'TcpExt', 'TCPAbortOnMemory');

  const share = maxOrphans ? orphans / maxOrphans : 0;
  const sevOrphans: Severity = share >= t.orphansCrit ? 'critical' : share >= t.orphansWarn ? 'warning' : 'ok';
  const total = fw2.length + closing.length;
  const sevCount: Severity = total >= t.closingWarn ? 'warning' : total >= t.closingNotice ? 'notice' : 'ok';
  const sevAbort: Severity = (abortOnMemory.delta ?? 0) > 0 ? 'warning' : 'ok';
  const severity = worst(sevOrphans, sevCount, sevAbort);

  const summary =
    `FIN_WAIT2 ${n(fw2.length)} (${n(fw2Orphan)} orphaned), FIN_WAIT1/CLOSING/LAST_ACK ${n(closing.length)}; ` +
    `orphans ${n(orphans)}${maxOrphans ? ` of ${n(maxOrphans)} tcp_max_orphans` : ''}`;
  if (severity === 'ok') return { ...base, severity, summary, findings: [] };

  const peers = new Map<string, number>();
  for (const x of fw2) bump(peers, ctx.dec.decode(x.remoteHex));
  const evidence = [
    `${n(fw2.length)} FIN_WAIT2: ${n(fw2Orphan)} orphaned (freed after tcp_fin_timeout=${finTimeout} s), ${n(fw2Owned)} still owned by a process (no time limit)`,
    `${n(closing.length)} in FIN_WAIT1/CLOSING/LAST_ACK (our FIN not yet acknowledged)`,
    `orphans (sockstat): ${n(orphans)}${maxOrphans ? ` of tcp_max_orphans ${n(maxOrphans)} (${pct(orphans, maxOrphans)})` : ''}`,
  ];
  if (fw2.length > 0) evidence.push(`FIN_WAIT2 peers: ${topText(peers, 3, (k) => k)}`);
  if (abortOnMemory.total > 0) evidence.push(describeCounter('TCPAbortOnMemory (orphans reset for lack of memory/slots)', abortOnMemory, ctx.interval));

  const finding: Finding = {
    check: 'orphans',
    severity: severity as Exclude<Severity, 'ok'>,
    title: sevOrphans !== 'ok' ? `Orphaned sockets near the limit: ${n(orphans)} of ${n(maxOrphans ?? 0)}` : `Connections stuck closing: ${n(total)}`,
    evidence,
    cause:
      'FIN_WAIT2 means this host closed its side and the peer acknowledged but has not closed its own, very ' +
      'often because the peer application is stuck in CLOSE_WAIT. Orphaned FIN_WAIT2 (closed by the application) ' +
      'are freed after tcp_fin_timeout; FIN_WAIT2 still owned by a process (it called shutdown()) wait as long ' +
      'as the peer keeps its side open. FIN_WAIT1/CLOSING/LAST_ACK wait for the peer to acknowledge our FIN, ' +
      'which a vanished or zero-window peer never does. Orphans count against tcp_max_orphans; beyond it the ' +
      'kernel resets connections ("too many orphaned sockets").',
    fix: [
      'Find the peers that do not close: ss -tno state fin-wait-2; on those hosts run synack stat --diagnose and fix their CLOSE_WAIT.',
      'For owned FIN_WAIT2: after shutdown() the application should close() once it stops reading, or use a read timeout.',
      'sysctl -w net.ipv4.tcp_orphan_retries=3: frees orphans in FIN_WAIT1/LAST_ACK sooner when peers have vanished.',
      'If orphans approach tcp_max_orphans, raise it only with memory to spare (each orphan can hold up to ~64 KB).',
    ],
    doesNotWork: [
      'net.ipv4.tcp_fin_timeout for owned FIN_WAIT2: it only bounds orphans; and it does not shorten TIME_WAIT (fixed 60 s).',
      'net.ipv4.tcp_keepalive_*: keepalive probes are not sent once this side has closed; they do not clear the closing states.',
    ],
    data: { finWait2: fw2.length, finWait2Orphaned: fw2Orphan, closing: closing.length, orphans, maxOrphans: maxOrphans ?? null },
  };
  return { ...base, severity, summary, findings: [finding] };
}
