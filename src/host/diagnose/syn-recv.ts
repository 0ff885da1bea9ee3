/**
 * SYN_RECV: half-open connections, the SYN queue of each listener. Since Linux 4.4 a listener's SYN
 * queue is capped by its listen() backlog (min(backlog, somaxconn)); when it is full the kernel
 * answers with SYN cookies if tcp_syncookies is on (SyncookiesSent) or drops the SYN.
 */
import type { CheckResult, Context, Finding, Severity } from './types.js';
import { worst } from './types.js';
import { bump, counterDelta, describeCounter, n, pct, sysctlNum, topText } from './util.js';

export function checkSynRecv(ctx: Context): CheckResult {
  const t = ctx.t;
  const base = { check: 'syn-recv', name: 'SYN_RECV' };
  const synRecv = ctx.now.sockets.filter((s) => s.state === 'SYN_RECV');
  const cookiesSent = counterDelta(ctx, 'TcpExt', 'SyncookiesSent');
  const cookiesFailed = counterDelta(ctx, 'TcpExt', 'SyncookiesFailed');
  const reqQFullDrop = counterDelta(ctx, 'TcpExt', 'TCPReqQFullDrop');
  const syncookies = ctx.sysctls.get('net.ipv4.tcp_syncookies');
  const somaxconn = sysctlNum(ctx, 'net.core.somaxconn');
  const maxSynBacklog = sysctlNum(ctx, 'net.ipv4.tcp_max_syn_backlog');

  const loaded = ctx.listeners
    .filter((l) => l.synRecv > 0)
    .map((l) => {
      const cap = l.backlog ?? somaxconn ?? null;
      return { l, cap, share: cap ? l.synRecv / cap : 0 };
    })
    .sort((a, b) => b.share - a.share || b.l.synRecv - a.l.synRecv);
  const worstL = loaded[0];
  const queueSev: Severity =
    worstL && worstL.share >= t.synQueueCrit ? 'critical' : worstL && worstL.share >= t.synQueueWarn ? 'warning' : 'ok';
  const cookieSev: Severity = (cookiesSent.delta ?? 0) > 0 || (reqQFullDrop.delta ?? 0) > 0 ? 'warning' : 'ok';
  // Without cookies the kernel also drops SYNs from peers it has not talked to before once a SYN
  // queue passes 3/4 of tcp_max_syn_backlog (tcp_conn_request).
  const unprovenLimit = syncookies === '0' && maxSynBacklog ? Math.floor((maxSynBacklog * 3) / 4) : undefined;
  const overUnproven = unprovenLimit !== undefined ? loaded.filter(({ l }) => l.synRecv >= unprovenLimit) : [];
  const noCookiesSev: Severity = syncookies === '0' && (queueSev !== 'ok' || overUnproven.length > 0) ? 'critical' : 'ok';
  const countSev: Severity = synRecv.length >= t.synRecvNotice ? 'notice' : 'ok';
  const severity = worst(queueSev, cookieSev, noCookiesSev, countSev);

  const summary =
    synRecv.length === 0
      ? `none; tcp_syncookies=${syncookies ?? '?'}`
      : worstL
        ? `${n(synRecv.length)}; fullest SYN queue ${worstL.l.endpoint} ${n(worstL.l.synRecv)}/${worstL.cap ?? '?'}; tcp_syncookies=${syncookies ?? '?'}`
        : `${n(synRecv.length)}; tcp_syncookies=${syncookies ?? '?'}`;
  if (severity === 'ok') return { ...base, severity, summary, findings: [] };

  const evidence = [`${n(synRecv.length)} half-open connections (SYN_RECV)`];
  for (const { l, cap } of loaded.slice(0, 3)) {
    const capText = l.backlog !== null ? `listen backlog ${n(l.backlog)}` : cap ? `somaxconn ${n(cap)} (backlog unknown: ss not available)` : 'cap unknown';
    evidence.push(`${l.endpoint}: ${n(l.synRecv)} in its SYN queue, capped by ${capText}${cap ? ` (${pct(l.synRecv, cap)})` : ''}`);
  }
  const retrans = synRecv.filter((s) => s.retransmits > 0);
  if (retrans.length > 0) {
    const max = Math.max(...retrans.map((s) => s.retransmits));
    evidence.push(`${n(retrans.length)} have had their SYN-ACK retransmitted (up to ${max} times, limit tcp_synack_retries=${ctx.sysctls.get('net.ipv4.tcp_synack_retries') ?? '?'})`);
  }
  const peers = new Map<string, number>();
  for (const s of synRecv) bump(peers, ctx.dec.decode(s.remoteHex));
  evidence.push(`${n(peers.size)} distinct peers; top: ${topText(peers, 3, (k) => k)}`);
  evidence.push(`net.ipv4.tcp_syncookies = ${syncookies ?? '?'}, net.core.somaxconn = ${somaxconn ?? '?'}, net.ipv4.tcp_max_syn_backlog = ${maxSynBacklog ?? '?'}`);
  if (unprovenLimit !== undefined) {
    evidence.push(
      overUnproven.length > 0
        ? `syncookies are off and ${overUnproven.map(({ l }) => l.endpoint).join(', ')} passed 3/4 of tcp_max_syn_backlog (${n(unprovenLimit)}): SYNs from new peers are being dropped`
        : `syncookies are off: SYNs from new peers will be dropped once a SYN queue passes 3/4 of tcp_max_syn_backlog (${n(unprovenLimit)})`,
    );
  }
  evidence.push(describeCounter('SyncookiesSent', cookiesSent, ctx.interval));
  if (cookiesFailed.total > 0) evidence.push(describeCounter('SyncookiesFailed', cookiesFailed, ctx.interval));
  if (reqQFullDrop.total > 0) evidence.push(describeCounter('TCPReqQFullDrop (SYNs dropped, queue full, no cookies)', reqQFullDrop, ctx.interval));

  const manyPeers = peers.size > 100 && synRecv.length / Math.max(1, peers.size) < 3;
  const cause =
    'Each SYN_RECV is a connection whose SYN this host answered with a SYN-ACK and whose final ACK has not ' +
    'arrived (or, on a listener using TCP_DEFER_ACCEPT, has arrived without data). ' +
    (manyPeers
      ? 'Many peers with one or two attempts each is the pattern of a SYN flood (often spoofed sources). '
      : 'A few peers with retransmitted SYN-ACKs point at slow or lossy clients, or a path that drops their ACKs. ') +
    "A listener's SYN queue holds at most its listen() backlog; once full, the kernel answers new SYNs with " +
    'SYN cookies when tcp_syncookies is on (connections still work, SyncookiesSent grows) and drops them when it is off.';
  const fix = [
    `Keep net.ipv4.tcp_syncookies=1 (now ${syncookies ?? '?'}): sysctl -w net.ipv4.tcp_syncookies=1.`,
    `Give the listener a larger backlog: raise the application's listen() backlog and net.core.somaxconn (now ${somaxconn ?? '?'}), e.g. sysctl -w net.core.somaxconn=8192, then restart the listener.`,
    'Shorten how long each half-open connection is kept: sysctl -w net.ipv4.tcp_synack_retries=2 (about 7 s instead of about 63 s).',
  ];
  if (worstL) fix.push(`Look at the sources: ss -tn state syn-recv '( sport = :${worstL.l.port} )'; rate-limit SYNs upstream or with nftables if it is a flood.`);
  const finding: Finding = {
    check: 'syn-recv',
    severity: severity as Exclude<Severity, 'ok'>,
    title: worstL
      ? `SYN_RECV build-up: ${n(worstL.l.synRecv)} half-open on ${worstL.l.endpoint} (${worstL.cap ? pct(worstL.l.synRecv, worstL.cap) : '?'} of its SYN queue)`
      : `SYN_RECV build-up: ${n(synRecv.length)} half-open connections`,
    evidence,
    cause,
    fix,
    doesNotWork: [
      'Raising net.ipv4.tcp_max_syn_backlog alone: with syncookies on it is not consulted, and each listener\'s SYN queue is capped by its listen() backlog anyway.',
      'net.ipv4.tcp_tw_recycle: removed in Linux 4.12, and it made SYN drops worse for clients behind NAT.',
    ],
    data: {
      synRecv: synRecv.length,
      syncookies: syncookies ?? null,
      listeners: loaded.map(({ l, cap }) => ({ endpoint: l.endpoint, synRecv: l.synRecv, cap })),
    },
  };
  return { ...base, severity, summary, findings: [finding] };
}
