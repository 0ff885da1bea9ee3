/**
 * Accept queues: connections the kernel completed and the application has not accept()ed yet
 * (rx_queue of a LISTEN line). When one is full, new SYNs are dropped: ListenOverflows and
 * ListenDrops in /proc/net/netstat count it, and clients sit in SYN_SENT retrying.
 */
import type { CheckResult, Context, Finding, Severity } from './types.js';
import { worst } from './types.js';
import { counterDelta, describeCounter, n, ownersOf, processDetails, processLabel, sysctlNum } from './util.js';

export function checkListenQueues(ctx: Context): CheckResult {
  const t = ctx.t;
  const base = { check: 'listen-queue', name: 'listen queues' };
  const overflows = counterDelta(ctx, 'TcpExt', 'ListenOverflows');
  const drops = counterDelta(ctx, 'TcpExt', 'ListenDrops');
  const somaxconn = sysctlNum(ctx, 'net.core.somaxconn');

  const rows = ctx.listeners.map((l) => {
    const cap = l.backlog;
    return { l, cap, share: cap ? l.acceptQueue / cap : 0 };
  });
  const full = rows.filter((r) => r.cap !== null && r.l.acceptQueue >= r.cap && r.l.acceptQueue > 0);
  const busy = rows.filter((r) => r.cap !== null && r.share >= t.acceptQueueWarn && !full.includes(r));
  const unknownCap = rows.filter((r) => r.cap === null && r.l.acceptQueue > 0);

  const sevFull: Severity = full.length > 0 ? 'critical' : 'ok';
  const sevBusy: Severity = busy.length > 0 ? 'warning' : unknownCap.length > 0 ? 'notice' : 'ok';
  const sevCounters: Severity =
    (overflows.delta ?? 0) > 0 || (drops.delta ?? 0) > 0 ? 'warning' : overflows.delta === undefined && overflows.total > 0 ? 'notice' : 'ok';
  const severity = worst(sevFull, sevBusy, sevCounters);

  const fullest = [...rows].sort((a, b) => b.share - a.share || b.l.acceptQueue - a.l.acceptQueue)[0];
  const counterText =
    overflows.delta !== undefined ? `ListenOverflows +${n(overflows.delta)} in ${ctx.interval.toFixed(1)} s` : `ListenOverflows ${n(overflows.total)} since start`;
  const summary =
    rows.length === 0
      ? `no listeners; ${counterText}`
      : `${n(rows.length)} listeners; fullest ${fullest!.l.endpoint} ${n(fullest!.l.acceptQueue)}/${fullest!.cap ?? '?'}; ${counterText}`;
  if (severity === 'ok') return { ...base, severity, summary, findings: [] };

  const procs = ctx.owners?.processes;
  const evidence: string[] = [];
  for (const r of [...full, ...busy, ...unknownCap].slice(0, 5)) {
    const pids = ownersOf(ctx, r.l.inode);
    const owner = pids.length > 0 ? `, held by ${processLabel(procs?.get(pids[0]!), pids[0]!)} — ${processDetails(procs?.get(pids[0]!), ctx.now.takenAt)}` : '';
    const state = r.cap === null ? 'backlog unknown' : r.l.acceptQueue >= r.cap ? 'FULL' : `${Math.round(r.share * 100)}%`;
    evidence.push(`${r.l.endpoint}: accept queue ${n(r.l.acceptQueue)} / backlog ${r.cap ?? '?'} (${state})${owner}`);
  }
  evidence.push(describeCounter('ListenOverflows (accept queue full)', overflows, ctx.interval));
  evidence.push(describeCounter('ListenDrops (SYNs dropped by listeners)', drops, ctx.interval));
  const queued = ctx.now.sockets.filter((s) => s.inode === 0 && (s.state === 'ESTABLISHED' || s.state === 'CLOSE_WAIT')).length;
  if (queued > 0) evidence.push(`${n(queued)} established connections have no process yet: they wait in accept queues`);
  // Local clients stuck in SYN_SENT towards a full listener of this namespace: their SYNs are the drops.
  for (const r of full.slice(0, 3)) {
    const waiting = ctx.now.sockets.filter(
      (s) =>
        s.state === 'SYN_SENT' &&
        s.family === r.l.family &&
        s.remotePort === r.l.port &&
        (ctx.dec.decode(s.remoteHex) === r.l.address || r.l.address === '0.0.0.0' || r.l.address === '::'),
    ).length;
    if (waiting > 0) evidence.push(`${n(waiting)} local clients are in SYN_SENT towards ${r.l.endpoint}, retrying SYNs it drops`);
  }

  const target = full[0] ?? busy[0] ?? unknownCap[0];
  const pid = target ? ownersOf(ctx, target.l.inode)[0] : undefined;
  const name = pid !== undefined ? (procs?.get(pid)?.name ?? 'the application') : 'the application';
  const fix = [
    `Find out why ${name}${pid !== undefined ? ` (pid ${pid})` : ''} does not accept fast enough: CPU (top -p PID), a blocked event loop or thread pool, too few workers.`,
    `Raise the backlog for bursts: the application's listen() backlog (Node: server.listen({ backlog }), nginx: listen ... backlog=) and net.core.somaxconn (now ${somaxconn ?? '?'}), which caps it.`,
    'Watch the counters move: nstat -az TcpExtListenOverflows TcpExtListenDrops (or synack stat --diagnose --watch 5).',
  ];
  const finding: Finding = {
    check: 'listen-queue',
    severity: severity as Exclude<Severity, 'ok'>,
    title: target
      ? `Listen queue ${target.cap !== null && target.l.acceptQueue >= target.cap ? 'full' : 'filling'}: ${target.l.endpoint} ${n(target.l.acceptQueue)}/${target.cap ?? '?'}${pid !== undefined ? ` (${name}, pid ${pid})` : ''}`
      : `Listen queue overflows: ${counterText}`,
    evidence,
    cause:
      'The kernel completes the handshake and parks the connection in the listener\'s accept queue until the ' +
      'application calls accept(). An application that is blocked, overloaded or has too small a backlog lets ' +
      'the queue fill; then new SYNs are dropped (ListenOverflows, ListenDrops) and clients retry after 1 s, 3 s, ' +
      '7 s..., which users see as latency spikes or timeouts.',
    fix,
    doesNotWork: [
      'net.ipv4.tcp_max_syn_backlog: it limits half-open connections (and only without syncookies), not the accept queue.',
      'net.ipv4.tcp_abort_on_overflow=1: clients get a reset instead of a retry; it hides the overload, it does not remove it.',
    ],
    data: {
      listenOverflows: overflows,
      listenDrops: drops,
      listeners: rows.map((r) => ({ endpoint: r.l.endpoint, acceptQueue: r.l.acceptQueue, backlog: r.cap })),
    },
  };
  return { ...base, severity, summary, findings: [finding] };
}
