/**
 * Retransmitting connections: a non-zero retrnsmt field means the retransmission timer fired that
 * many times in a row without an ACK. SYN_RECV is left to the SYN_RECV check.
 */
import type { TcpSocket } from '../proc-net-tcp.js';
import type { CheckResult, Context, Finding, Severity } from './types.js';
import { bump, counterDelta, localEndpoint, n, pct, remoteEndpoint, topText } from './util.js';

export function checkRetransmits(ctx: Context): CheckResult {
  const t = ctx.t;
  const base = { check: 'retransmits', name: 'retransmits' };
  const r = ctx.now.sockets.filter((s) => s.retransmits > 0 && s.state !== 'SYN_RECV' && s.state !== 'TIME_WAIT');
  const zeroWindow = ctx.now.sockets.filter((s) => s.timer === 'zero_window_probe' && s.probes > 0);
  const out = counterDelta(ctx, 'Tcp', 'OutSegs');
  const retr = counterDelta(ctx, 'Tcp', 'RetransSegs');
  // OutSegs leaves out retransmitted segments, so the share is RetransSegs / (OutSegs + RetransSegs).
  const recent = out.delta !== undefined && retr.delta !== undefined && out.delta + retr.delta > 0;
  const rate = recent
    ? `${pct(retr.delta!, out.delta! + retr.delta!)} of segments sent in the last ${ctx.interval.toFixed(1)} s were retransmissions`
    : `${pct(retr.total, out.total + retr.total)} of segments sent since the namespace started were retransmissions`;
  const heavy = r.filter((s) => s.retransmits >= t.retransWarnAttempts);
  const severity: Severity = heavy.length > 0 || zeroWindow.length > 0 ? 'warning' : r.length > 0 ? 'notice' : 'ok';
  const summary = `${n(r.length)} connections retransmitting${zeroWindow.length ? `, ${n(zeroWindow.length)} probing a zero window` : ''}; ${rate}`;
  if (severity === 'ok') return { ...base, severity, summary, findings: [] };

  const byState = new Map<string, number>();
  const peers = new Map<string, number>();
  for (const s of r) {
    bump(byState, s.state);
    bump(peers, ctx.dec.decode(s.remoteHex));
  }
  const worstFirst = [...r].sort((a, b) => b.retransmits - a.retransmits).slice(0, 3);
  const line = (s: TcpSocket) =>
    `${localEndpoint(ctx, s)} -> ${remoteEndpoint(ctx, s)} ${s.state}: ${s.retransmits} timeouts in a row` +
    (s.state === 'SYN_SENT' ? '' : `, ${n(s.txQueue)} bytes unacknowledged`) +
    (s.timer === 'retransmit' ? `, next try in ${s.timerSeconds.toFixed(1)} s` : '');
  const evidence = [
    `${n(r.length)} connections with unanswered retransmissions: ${topText(byState, 6, (k) => k)}`,
    ...worstFirst.map(line),
    `peers: ${topText(peers, 3, (k) => k)}`,
    rate,
  ];
  if (zeroWindow.length > 0) evidence.push(`${n(zeroWindow.length)} connections are probing a zero receive window (the peer stopped reading)`);
  const synSent = byState.get('SYN_SENT') ?? 0;
  const cause =
    'A retransmission timer fired without an acknowledgement: segments or their ACKs are lost on the path, the ' +
    'peer is gone or overloaded, or a firewall drops traffic silently. ' +
    (synSent > 0 ? `${n(synSent)} are connect() attempts whose SYNs get no answer (server down, filtered, or its listen queue overflowing). ` : '') +
    'Zero-window probes mean the peer keeps its receive window closed because its application does not read.';
  const finding: Finding = {
    check: 'retransmits',
    severity: severity as Exclude<Severity, 'ok'>,
    title: `${n(r.length)} connections retransmitting (worst ${worstFirst[0] ? worstFirst[0].retransmits : 0} timeouts in a row)`,
    evidence,
    cause,
    fix: [
      'Check the path to the peers above: mtr/ping, interface errors and drops (ip -s link), the peer\'s own load and listen queues.',
      'SYN_SENT towards a local listener: see the listen queue check; towards a remote one: is it up and reachable on that port?',
      'Bound how long the application waits: connect and read timeouts, or TCP_USER_TIMEOUT per socket; net.ipv4.tcp_retries2 (default 15, about 15 min) is the kernel\'s limit for established connections.',
    ],
    doesNotWork: ['Raising buffers or tcp_syn_retries: more retries wait longer for a peer that does not answer; they do not remove the loss.'],
    data: { retransmitting: r.length, byState: Object.fromEntries(byState), zeroWindow: zeroWindow.length },
  };
  return { ...base, severity, summary, findings: [finding] };
}
