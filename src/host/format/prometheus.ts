/**
 * Prometheus text exposition (version 0.0.4). State counts use node_exporter's tcpstat names
 * (node_tcp_connection_states{state="established"} ...), sockstat/netstat counters its sockstat and
 * netstat collectors' names, so existing dashboards and alerts keep working; synack_* adds what
 * node_exporter does not have (per-listener queues).
 *
 * Differences from node_exporter: every state is emitted, zeros included (absent series break
 * rate() and alerts), and rx_queued_bytes leaves out LISTEN lines, whose rx_queue counts
 * connections, not bytes.
 */
import { counter, type CounterGroups } from '../proc-counters.js';
import type { Summary } from '../summary.js';
import { STATE_NAMES, prometheusLabel } from '../tcp-states.js';

function esc(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

export function renderPrometheus(s: Summary, sockstat: CounterGroups, counters: CounterGroups): string {
  const out: string[] = [];
  const metric = (name: string, help: string, type: string, samples: [Record<string, string>, number][]) => {
    out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    for (const [labels, v] of samples) {
      const l = Object.entries(labels).map(([k, x]) => `${k}="${esc(x)}"`).join(',');
      out.push(`${name}${l ? `{${l}}` : ''} ${v}`);
    }
  };
  metric('node_tcp_connection_states', 'Number of connection states.', 'gauge', [
    ...STATE_NAMES.map((st): [Record<string, string>, number] => [{ state: prometheusLabel(st) }, s.states[st]]),
    [{ state: 'rx_queued_bytes' }, s.queues.rxBytes],
    [{ state: 'tx_queued_bytes' }, s.queues.txBytes],
  ]);
  for (const k of ['inuse', 'orphan', 'tw', 'alloc', 'mem'] as const) {
    if (sockstat.TCP?.[k] === undefined) continue;
    metric(`node_sockstat_TCP_${k}`, `Number of TCP sockets in state ${k}.`, 'gauge', [[{}, sockstat.TCP[k]]]);
  }
  for (const k of ['ListenOverflows', 'ListenDrops', 'SyncookiesSent', 'SyncookiesRecv', 'SyncookiesFailed', 'TCPTimeWaitOverflow', 'TCPAbortOnMemory']) {
    if (counters.TcpExt?.[k] === undefined) continue;
    metric(`node_netstat_TcpExt_${k}`, `Statistic TcpExt${k}.`, 'untyped', [[{}, counter(counters, 'TcpExt', k)]]);
  }
  for (const k of ['CurrEstab', 'ActiveOpens', 'PassiveOpens', 'RetransSegs', 'OutSegs']) {
    if (counters.Tcp?.[k] === undefined) continue;
    metric(`node_netstat_Tcp_${k}`, `Statistic Tcp${k}.`, 'untyped', [[{}, counter(counters, 'Tcp', k)]]);
  }
  metric('synack_tcp_sockets', 'TCP sockets by address family file (tcp, tcp6; ipv4_mapped is a subset of tcp6).', 'gauge', [
    [{ family: 'ipv4' }, s.families.ipv4],
    [{ family: 'ipv6' }, s.families.ipv6],
    [{ family: 'ipv4_mapped' }, s.families.ipv4Mapped],
  ]);
  const l = (x: Summary['listeners'][number]) => ({ listener: x.endpoint });
  metric('synack_tcp_listen_accept_queue', 'Connections waiting for accept() on a listener.', 'gauge', s.listeners.map((x) => [l(x), x.acceptQueue]));
  metric(
    'synack_tcp_listen_backlog',
    'Accept queue limit of a listener (min(listen backlog, somaxconn)).',
    'gauge',
    s.listeners.filter((x) => x.backlog !== null).map((x) => [l(x), x.backlog!]),
  );
  metric('synack_tcp_listen_syn_recv', 'Half-open connections (SYN_RECV) of a listener.', 'gauge', s.listeners.map((x) => [l(x), x.synRecv]));
  return out.join('\n') + '\n';
}
