/**
 * CLOSE_WAIT: the peer sent FIN, our kernel acknowledged it, and the socket waits for the local
 * application to call close(). Only that application can end it, so the finding names it.
 */
import type { TcpSocket } from '../proc-net-tcp.js';
import type { CheckResult, Context, Finding, Severity } from './types.js';
import { connKey } from '../conn-key.js';
import {
  bump,
  bytes,
  duration,
  localEndpoint,
  n,
  ownersOf,
  processDetails,
  processLabel,
  topText,
} from './util.js';

interface Group {
  /** Owning pid, 0 = in an accept queue (not accepted yet), -1 = owner not visible. */
  pid: number;
  local: string;
  port: number;
  sockets: TcpSocket[];
}

const CAUSE =
  'The peer closed its side of these connections (sent FIN) and the kernel acknowledged it; each socket now ' +
  'waits for the local application to call close(). Nothing else can end CLOSE_WAIT: it is an application ' +
  'bug (a code path that does not close on end-of-file, an error path that skips close, a pool that keeps ' +
  'dead connections) or an application too busy to get to it. Every one keeps a file descriptor and kernel ' +
  'memory until then, and enough of them end in "Too many open files".';

const DOES_NOT_WORK = [
  'net.ipv4.tcp_keepalive_time (the classic advice for CLOSE_WAIT): keepalive does not end CLOSE_WAIT held by ' +
    'an application that never closes. Probes go only to sockets with SO_KEEPALIVE, and even when they fail ' +
    'the descriptor stays open until the application closes it.',
  'net.ipv4.tcp_fin_timeout: it bounds orphaned FIN_WAIT2 on the side that closed first, not CLOSE_WAIT.',
];

export function checkCloseWait(ctx: Context): CheckResult {
  const cw = ctx.now.sockets.filter((s) => s.state === 'CLOSE_WAIT');
  const base = { check: 'close-wait', name: 'CLOSE_WAIT' };
  if (cw.length === 0) return { ...base, severity: 'ok', summary: 'none', findings: [] };

  const groups = new Map<string, Group>();
  for (const s of cw) {
    const pids = ownersOf(ctx, s.inode);
    const pid = s.inode === 0 ? 0 : pids.length > 0 ? pids[0]! : -1;
    const local = localEndpoint(ctx, s);
    const key = `${pid}|${local}`;
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { pid, local, port: s.localPort, sockets: [] }));
    g.sockets.push(s);
  }
  const sorted = [...groups.values()].sort((a, b) => b.sockets.length - a.sockets.length);
  const top = sorted[0]!;
  const procs = ctx.owners?.processes;
  const who = (g: Group) =>
    g.pid > 0 ? processLabel(procs?.get(g.pid), g.pid) : g.pid === 0 ? 'no process yet (still in the accept queue)' : 'an owner this user cannot see';

  const t = ctx.t;
  const severity: Severity = cw.length >= t.closeWaitCrit ? 'critical' : cw.length >= t.closeWaitWarn ? 'warning' : 'notice';

  const evidence: string[] = [`${n(cw.length)} sockets in CLOSE_WAIT (warning at ${n(t.closeWaitWarn)}, critical at ${n(t.closeWaitCrit)})`];
  for (const g of sorted.slice(0, 5)) {
    const line = `${who(g)} holds ${n(g.sockets.length)} on ${g.local}`;
    evidence.push(g.pid > 0 ? `${line} — ${processDetails(procs?.get(g.pid), ctx.now.takenAt)}` : line);
  }
  if (sorted.length > 5) evidence.push(`... and ${sorted.length - 5} more process/port groups`);

  const unread = cw.filter((s) => s.rxQueue > 0);
  evidence.push(
    unread.length > 0
      ? `unread data: ${n(unread.length)} of them still have ${bytes(unread.reduce((a, s) => a + s.rxQueue, 0))} in the receive queue (the application stopped reading too)`
      : 'receive queues are empty: the application read everything, end-of-file included, and did not close',
  );

  const age = ageEvidence(ctx, cw);
  if (age) evidence.push(age);
  const keepalive = cw.filter((s) => s.timer === 'keepalive').length;
  if (keepalive > 0) evidence.push(`${n(keepalive)} have a keepalive timer armed (SO_KEEPALIVE) — and are still here`);

  const peers = new Map<string, number>();
  for (const s of cw) bump(peers, ctx.dec.decode(s.remoteHex));
  evidence.push(`peers: ${topText(peers, 3, (k) => k)}`);
  if (ctx.owners && ctx.owners.denied > 0) {
    evidence.push(`process mapping partial: ${n(ctx.owners.denied)} processes not readable (run as root to see every owner)`);
  }

  const fix: string[] = [];
  if (top.pid > 0) {
    const p = procs?.get(top.pid);
    fix.push(
      `Fix ${p?.name ?? 'the application'}: close the socket when a read returns end-of-file (0 bytes) and on every error path. ` +
        "Node: handle 'end' (with allowHalfOpen: true you must call socket.end() yourself); Go: defer conn.Close(); Java/Python: try-with-resources / with.",
    );
    fix.push('Add idle timeouts so abandoned connections get closed (Node socket.setTimeout / server.keepAliveTimeout; pool idle eviction in clients).');
    fix.push(`See them: ss -tnp state close-wait '( sport = :${top.port} )'; count its sockets: ls -l /proc/${top.pid}/fd | grep -c socket:`);
    fix.push(`Stopgap only: restarting ${p?.name ?? 'it'} (pid ${top.pid}) closes its descriptors; they come back until the code is fixed.`);
  } else if (top.pid === 0) {
    fix.push('These were closed by the client before the application accepted them: the application is not calling accept() (see the listen queue check).');
  } else {
    fix.push('Run as root (sudo synack stat --diagnose) to see which process holds them, then fix its close path.');
  }

  const finding: Finding = {
    check: 'close-wait',
    severity,
    title: `CLOSE_WAIT piling up: ${n(top.sockets.length)} held by ${who(top)} on port ${top.port}`,
    evidence,
    cause: CAUSE,
    fix,
    doesNotWork: DOES_NOT_WORK,
    data: {
      total: cw.length,
      groups: sorted.map((g) => ({
        pid: g.pid > 0 ? g.pid : null,
        process: g.pid > 0 ? (procs?.get(g.pid)?.name ?? null) : null,
        local: g.local,
        port: g.port,
        count: g.sockets.length,
        unreadBytes: g.sockets.reduce((a, s) => a + s.rxQueue, 0),
      })),
    },
  };
  const summary = `${n(cw.length)} — ${n(top.sockets.length)} held by ${who(top)} on ${top.local}`;
  return { ...base, severity, summary, findings: [finding] };
}

/** How long they have been there, where two readings (or --watch) can tell. */
function ageEvidence(ctx: Context, cw: TcpSocket[]): string | undefined {
  if (ctx.firstSeen) {
    let oldest = 0;
    for (const s of cw) {
      const t = ctx.firstSeen.get(connKey(s));
      if (t !== undefined) oldest = Math.max(oldest, ctx.now.takenAt - t);
    }
    if (oldest > 0) return `age: the oldest has been in CLOSE_WAIT for at least ${duration(oldest / 1000)} (watched)`;
  }
  if (ctx.before) {
    const earlier = new Set(ctx.before.sockets.filter((s) => s.state === 'CLOSE_WAIT').map(connKey));
    const kept = cw.filter((s) => earlier.has(connKey(s))).length;
    return `age: ${n(kept)} of ${n(cw.length)} were already in CLOSE_WAIT ${ctx.interval.toFixed(1)} s earlier (the kernel records no start time; --watch follows them longer)`;
  }
  return undefined;
}
