/**
 * `synack ss`: iproute2's `ss -tan` for a running synack stack, read from its control endpoint
 * (`synack serve|connect --control PATH|HOST:PORT`, or a `--dashboard` address):
 *
 *   synack ss --from /run/synack.sock -a -o     every socket, with the timer column
 *   synack ss --from 127.0.0.1:9901 -i          rtt/rto/cwnd/ssthresh/retrans per connection
 *   synack ss --from ... -s                     the count by state (the classic awk line)
 *   synack ss --from ... --json                 the table as data (stack.sockets())
 *
 * The formatters follow ss's own: state names (ESTAB, SYN-RECV...), `timer:(keepalive,2min,0)`
 * (print_ms_timer's units), and which states show without -a (ss's default SS_CONN filter).
 */
import type { Command } from 'commander';
import { makeError } from '../errors.js';
import type { SocketInfo } from '../stack/socket-table.js';
import { fetchSs, parseControlAddress, type SsReply } from './control.js';
import { formatFlows } from './gateway-flows.js';

const SS_STATE: Record<string, string> = {
  CLOSED: 'UNCONN',
  LISTEN: 'LISTEN',
  SYN_SENT: 'SYN-SENT',
  SYN_RCVD: 'SYN-RECV',
  ESTABLISHED: 'ESTAB',
  FIN_WAIT_1: 'FIN-WAIT-1',
  FIN_WAIT_2: 'FIN-WAIT-2',
  CLOSE_WAIT: 'CLOSE-WAIT',
  CLOSING: 'CLOSING',
  LAST_ACK: 'LAST-ACK',
  TIME_WAIT: 'TIME-WAIT',
};

/** ss's timer names: the retransmission timer is "on", FIN_WAIT_2's is "timewait" as in Linux. */
const SS_TIMER: Record<string, string> = {
  retransmit: 'on',
  persist: 'persist',
  keepalive: 'keepalive',
  timewait: 'timewait',
  finwait2: 'timewait',
};

/** iproute2's print_ms_timer: "2min", "43sec", "1min30sec", "5.200ms", "200ms". */
export function formatTimerMs(timeout: number): string {
  const t = Math.max(0, Math.round(timeout));
  let secs = Math.floor(t / 1000);
  const minutes = Math.floor(secs / 60);
  secs %= 60;
  let msecs = t % 1000;
  let out = '';
  if (minutes) {
    msecs = 0;
    out += `${minutes}min`;
    if (minutes > 9) secs = 0;
  }
  if (secs) {
    if (secs > 9) msecs = 0;
    out += `${secs}${msecs ? '.' : 'sec'}`;
  }
  if (msecs) out += `${String(msecs).padStart(3, '0')}ms`;
  return out || '0ms';
}

/** `timer:(keepalive,2min,0)`, or '' when no timer ss would show runs (the delayed ACK is not shown). */
export function formatTimer(s: SocketInfo): string {
  const name = s.timer && SS_TIMER[s.timer.name];
  return name ? `timer:(${name},${formatTimerMs(s.timer!.ms)},${s.timer!.retransmits})` : '';
}

/** ss -i's line: `rto:204 rtt:1.5/0.75 mss:1448 cwnd:10 ssthresh:7 bytes_sent:... retrans:0/2`. */
export function formatInfo(s: SocketInfo): string {
  const i = s.info;
  if (!i) return '';
  const ms = (x: number): string => String(Math.round(x * 1000) / 1000);
  const parts = [`rto:${ms(i.rto)}`];
  if (i.rtt > 0) parts.push(`rtt:${ms(i.rtt)}/${ms(i.rttvar)}`);
  parts.push(`mss:${i.mss}`, `cwnd:${i.cwnd}`);
  if (i.ssthresh !== null) parts.push(`ssthresh:${i.ssthresh}`);
  parts.push(`bytes_sent:${i.bytesSent}`, `bytes_received:${i.bytesReceived}`, `segs_out:${i.segsOut}`, `segs_in:${i.segsIn}`);
  parts.push(`snd_wnd:${i.sndWnd}`, `rcv_wnd:${i.rcvWnd}`);
  if (i.retrans > 0 || i.totalRetrans > 0) parts.push(`retrans:${i.retrans}/${i.totalRetrans}`);
  return parts.join(' ');
}

function addr(a: string, port: number, listening: boolean): string {
  const host = a.includes(':') ? `[${a}]` : a;
  return `${host}:${listening && port === 0 ? '*' : port}`;
}

export interface SsOptions {
  /** every state (-a); otherwise only listening (-l) or ss's default: connected, not TIME_WAIT/SYN-RECV */
  all?: boolean;
  listening?: boolean;
  /** the timer column (-o) */
  timers?: boolean;
  /** TCP_INFO (-i) */
  info?: boolean;
}

/** ss's default filter (SS_CONN): every state but LISTEN, CLOSED, TIME_WAIT and SYN-RECV. */
export function selectSockets(list: readonly SocketInfo[], o: SsOptions): SocketInfo[] {
  if (o.all) return [...list];
  if (o.listening) return list.filter((s) => s.state === 'LISTEN');
  return list.filter((s) => !['LISTEN', 'CLOSED', 'TIME_WAIT', 'SYN_RCVD'].includes(s.state));
}

/** The `ss -tan` table (with -o's timer column and -i's second line when asked). */
export function formatSs(list: readonly SocketInfo[], o: SsOptions): string {
  const rows = selectSockets(list, o).map((s) => ({
    s,
    cells: [
      SS_STATE[s.state] ?? s.state,
      String(s.recvQ),
      String(s.sendQ),
      addr(s.localAddress, s.localPort, false),
      s.state === 'LISTEN' ? addr(s.localAddress.includes(':') ? '::' : '0.0.0.0', 0, true) : addr(s.remoteAddress, s.remotePort, false),
    ],
  }));
  const head = ['State', 'Recv-Q', 'Send-Q', 'Local Address:Port', 'Peer Address:Port'];
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r.cells[i]!.length)));
  // ss's alignment: state left, queues right, local address right, peer address left
  const line = (c: string[]): string =>
    [c[0]!.padEnd(w[0]!), c[1]!.padStart(w[1]!), c[2]!.padStart(w[2]!), c[3]!.padStart(w[3]!), c[4]!.padEnd(w[4]!)].join(' ');
  const out = [(line(head) + (o.timers ? ' Timer' : '')).trimEnd()];
  for (const r of rows) {
    out.push((line(r.cells) + (o.timers ? ` ${formatTimer(r.s)}` : '')).trimEnd());
    if (o.info && r.s.info) out.push(`\t ${formatInfo(r.s)}`);
  }
  return out.join('\n') + '\n';
}

/** The classic count by state, busiest first — `netstat -n | awk '/^tcp/ {++S[$NF]} END {for(a in S) print a, S[a]}'`. */
export function formatCounts(counts: Record<string, number>): string {
  return (
    Object.entries(counts)
      .filter(([, n]) => n > 0)
      .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
      .map(([s, n]) => `${s} ${n}`)
      .join('\n') + '\n'
  );
}

/** `ss -s`'s TCP line: `TCP: 5 (estab 2, closed 0, orphaned 1, timewait 2)`. */
export function formatSummary(list: readonly SocketInfo[]): string {
  const n = (st: string): number => list.filter((s) => s.state === st).length;
  const orphaned = list.filter((s) => s.orphan && s.state !== 'TIME_WAIT').length;
  return `TCP: ${list.length} (estab ${n('ESTABLISHED')}, closed ${n('CLOSED')}, orphaned ${orphaned}, timewait ${n('TIME_WAIT')})\n`;
}

interface SsFlags {
  from?: string;
  all?: boolean;
  listening?: boolean;
  options?: boolean;
  info?: boolean;
  summary?: boolean;
  json?: boolean;
}

export function renderSs(reply: SsReply, f: SsFlags): string {
  const flows = reply.flows ? { flows: reply.flows } : {};
  if (f.json) return `${JSON.stringify({ host: reply.host, sockets: selectSockets(reply.sockets, { all: f.all ?? false, listening: f.listening ?? false }), counts: reply.counts, ...flows }, null, 2)}\n`;
  if (f.summary) return formatSummary(reply.sockets) + '\n' + formatCounts(reply.counts);
  const table = formatSs(reply.sockets, { all: f.all ?? false, listening: f.listening ?? false, timers: f.options ?? false, info: f.info ?? false });
  // synack gateway: each relayed flow with its guest leg (above, as a socket) and its host leg
  return reply.flows ? `${table}\n${formatFlows(reply.flows)}` : table;
}

export function registerSs(program: Command): void {
  program
    .command('ss')
    .description("ss -tan for a running synack stack: its sockets with queues, timers and TCP info, read from `serve`/`connect --control`")
    .option('--from <path|host:port>', 'the control endpoint (serve/connect --control) or a --dashboard address')
    .option('-a, --all', 'every socket, listening and TIME-WAIT included')
    .option('-l, --listening', 'listening sockets only')
    .option('-o, --options', 'the timer column: timer:(keepalive,2min,0)')
    .option('-i, --info', 'TCP info per connection: rto, rtt, mss, cwnd, ssthresh, bytes, retrans')
    .option('-s, --summary', 'the count by state, like ss -s and the netstat | awk one-liner')
    .option('--json', 'the sockets and counts as JSON')
    .action(async (f: SsFlags) => {
      if (!f.from) {
        throw makeError('ERR_INVALID_ARG_VALUE', '--from <path|host:port> is required: start `synack serve` or `synack connect` with --control PATH (or --dashboard HOST:PORT) and name it here');
      }
      const reply = await fetchSs(parseControlAddress(f.from));
      process.stdout.write(renderSs(reply, f));
    });
}
