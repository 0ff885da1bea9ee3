/**
 * TIME_WAIT: the side that closes first keeps the 4-tuple for 60 s (fixed in Linux). Pressure shows
 * as the count against tcp_max_tw_buckets, and, for outgoing connections, as the share of the
 * ephemeral port range one destination ip:port uses up (a new connect() needs a free 4-tuple).
 */
import { formatEndpoint } from '../addr.js';
import type { TcpSocket } from '../proc-net-tcp.js';
import { ListenerIndex } from '../summary.js';
import type { CheckResult, Context, Finding, Severity } from './types.js';
import { worst } from './types.js';
import { counterDelta, describeCounter, n, pct, portRange, sysctlNum } from './util.js';

interface EndpointUse {
  local: string;
  remote: string;
  total: number;
  timeWait: number;
}

export function checkTimeWait(ctx: Context): CheckResult {
  const t = ctx.t;
  const base = { check: 'time-wait', name: 'TIME_WAIT' };
  const tw = ctx.now.sockets.filter((s) => s.state === 'TIME_WAIT');
  const buckets = sysctlNum(ctx, 'net.ipv4.tcp_max_tw_buckets');
  const range = portRange(ctx);
  const overflow = counterDelta(ctx, 'TcpExt', 'TCPTimeWaitOverflow');

  // Who closes first: TIME_WAIT on a listening port = this host accepted the connection and closed it.
  const index = new ListenerIndex<{ localHex: string }>();
  for (const s of ctx.now.sockets) if (s.state === 'LISTEN') index.add(s.family, s.localPort, s);
  let serverSide = 0;
  for (const s of tw) if (index.find(s)) serverSide++;
  const clientSide = tw.length - serverSide;

  // Ephemeral port use per (local address, destination ip:port), every non-listening state.
  const uses = new Map<string, EndpointUse & { sample: TcpSocket }>();
  if (range) {
    for (const s of ctx.now.sockets) {
      if (s.state === 'LISTEN' || s.localPort < range.lo || s.localPort > range.hi) continue;
      if (index.find(s)) continue; // accepted connections do not use our ephemeral ports
      const key = `${s.family}|${s.localHex}|${s.remoteHex}:${s.remotePort}`;
      let u = uses.get(key);
      if (!u) uses.set(key, (u = { local: '', remote: '', total: 0, timeWait: 0, sample: s }));
      u.total++;
      if (s.state === 'TIME_WAIT') u.timeWait++;
    }
  }
  const busiest = [...uses.values()].sort((a, b) => b.total - a.total).slice(0, 3);
  for (const u of busiest) {
    u.local = ctx.dec.decode(u.sample.localHex);
    u.remote = formatEndpoint(ctx.dec.decode(u.sample.remoteHex), u.sample.remotePort);
  }
  const top = busiest[0];
  const portShare = top && range ? top.total / range.size : 0;
  const bucketShare = buckets ? tw.length / buckets : 0;

  const sevBuckets: Severity = bucketShare >= t.twBucketsCrit ? 'critical' : bucketShare >= t.twBucketsWarn ? 'warning' : 'ok';
  const sevPorts: Severity =
    portShare >= t.portsCrit ? 'critical' : portShare >= t.portsWarn ? 'warning' : portShare >= t.portsNotice ? 'notice' : 'ok';
  const sevServer: Severity = serverSide >= t.serverTimeWaitNotice ? 'notice' : 'ok';
  const sevOverflow: Severity = (overflow.delta ?? 0) > 0 ? 'warning' : 'ok';
  const severity = worst(sevBuckets, sevPorts, sevServer, sevOverflow);

  const bucketText = buckets ? `${n(tw.length)} of ${n(buckets)} tcp_max_tw_buckets (${pct(tw.length, buckets)})` : `${n(tw.length)} (tcp_max_tw_buckets unknown)`;
  const portText =
    top && range
      ? `busiest destination ${top.remote} from ${top.local} uses ${n(top.total)} of ${n(range.size)} ephemeral ports (${pct(top.total, range.size)})`
      : 'no outgoing connections from ephemeral ports';
  const summary = `${bucketText}; ${portText}`;
  if (severity === 'ok') return { ...base, severity, summary, findings: [] };

  const reuse = ctx.sysctls.get('net.ipv4.tcp_tw_reuse') ?? '?';
  const evidence = [
    `${bucketText}`,
    `who closed first: ${n(clientSide)} are outgoing connections this host closed (client side), ${n(serverSide)} are connections it accepted and closed (server side)`,
  ];
  if (range) evidence.push(`ephemeral port range ${range.lo}-${range.hi} (${n(range.size)} ports per destination ip:port)`);
  for (const u of busiest) {
    evidence.push(`to ${u.remote} from ${u.local}: ${n(u.total)} ports in use (${pct(u.total, range?.size ?? 0)}), ${n(u.timeWait)} of them in TIME_WAIT`);
  }
  evidence.push(`net.ipv4.tcp_tw_reuse = ${reuse} (0 off, 1 on for outgoing connections, 2 loopback only)`);
  if (overflow.total > 0 || overflow.delta) evidence.push(describeCounter('TCPTimeWaitOverflow (TIME_WAIT destroyed early)', overflow, ctx.interval));

  const clientHeavy = clientSide >= serverSide;
  const cause = clientHeavy
    ? 'This host opens connections and closes them first, so it keeps each 4-tuple in TIME_WAIT for 60 s (fixed in ' +
      'Linux) to absorb late segments. A client that opens a new connection per request to the same ip:port ' +
      'consumes the ephemeral range at (connections per second x 60); when the range is used up, connect() ' +
      'fails with EADDRNOTAVAIL ("Cannot assign requested address").'
    : 'This host accepts connections and closes them first (typical of an HTTP server sending "Connection: close" ' +
      'or closing idle keep-alive connections), so it keeps their TIME_WAIT. Server-side TIME_WAIT does not use ' +
      'ephemeral ports and costs little memory; it only matters against tcp_max_tw_buckets.';
  const fix = [
    'Reuse connections instead of opening one per request: HTTP keep-alive and connection pools (Node: new http.Agent({ keepAlive: true }); database and gRPC clients pool by default).',
  ];
  if (clientHeavy) {
    fix.push(`sysctl -w net.ipv4.tcp_tw_reuse=1 (now ${reuse}; persist in /etc/sysctl.d/): new outgoing connections may reuse a TIME_WAIT 4-tuple when timestamps make it safe.`);
    fix.push("sysctl -w net.ipv4.ip_local_port_range='10240 65535': more ports per destination (keep listening ports out, or list them in net.ipv4.ip_local_reserved_ports).");
    fix.push('Spread load over more destination addresses or ports, or more source addresses: each (source ip, destination ip:port) has its own port range.');
  } else {
    fix.push('Let clients close first: keep keep-alive on, avoid sending "Connection: close", keep idle timeouts on the client shorter than on the server.');
  }
  if (sevBuckets !== 'ok' || sevOverflow !== 'ok') {
    fix.push(`sysctl -w net.ipv4.tcp_max_tw_buckets=${buckets ? n(buckets * 2).replace(/,/g, '') : '<larger>'}: beyond the limit TIME_WAIT sockets are destroyed early.`);
  }
  const doesNotWork = [
    'net.ipv4.tcp_tw_recycle=1: removed in Linux 4.12; on older kernels it drops connections from clients behind NAT.',
    'net.ipv4.tcp_fin_timeout: it bounds orphaned FIN_WAIT2, not TIME_WAIT, which is fixed at 60 s in Linux.',
    'Lowering net.ipv4.tcp_max_tw_buckets to cap TIME_WAIT: the kernel then destroys them early; the count drops, the risk of mixing old and new segments stays.',
    'SO_LINGER with a zero timeout: closes with a reset, so no TIME_WAIT, but unsent data is lost and the peer sees an error.',
  ];
  const finding: Finding = {
    check: 'time-wait',
    severity: severity as Exclude<Severity, 'ok'>,
    title:
      sevPorts !== 'ok' && top
        ? `TIME_WAIT pressure: ${pct(top.total, range!.size)} of ephemeral ports to ${top.remote} in use`
        : `TIME_WAIT pressure: ${bucketText}`,
    evidence,
    cause,
    fix,
    doesNotWork,
    data: {
      timeWait: tw.length,
      maxTwBuckets: buckets ?? null,
      clientSide,
      serverSide,
      portRange: range ?? null,
      busiest: busiest.map(({ sample: _s, ...u }) => u),
    },
  };
  return { ...base, severity, summary, findings: [finding] };
}
