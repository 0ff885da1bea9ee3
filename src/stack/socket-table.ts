/**
 * The stack's sockets as `ss -tano` and the netstat one-liner show them: every listener, connection
 * and TIME_WAIT record with its queues and running timer, and the count by state.
 */
import { TCP_STATES, type TcpState } from '../tcp/state.js';
import type { Conn } from './conn.js';
import { ipV4, type IpAddr } from './ip-addr.js';
import type { Listener } from './listener.js';
import type { TimeWaitTable } from './time-wait.js';

export interface SocketInfo {
  state: TcpState;
  localAddress: string;
  localPort: number;
  remoteAddress: string;
  remotePort: number;
  /** bytes received and not read (LISTEN: connections waiting in the accept queue) */
  recvQ: number;
  /** bytes not yet acknowledged (LISTEN: the accept queue's bound) */
  sendQ: number;
  /** the timer `ss -o` would show */
  timer: { name: string; ms: number; retransmits: number } | null;
  /** an orphan: released by its owner, finishing its close */
  orphan: boolean;
  /** `ss -i`'s TCP_INFO for a connection with a TCB (not listeners, not TIME_WAIT records) */
  info?: TcpInfo;
}

/** What `ss -ti` prints, from the TCB: times in ms, windows in segments as Linux counts them. */
export interface TcpInfo {
  rto: number;
  /** smoothed RTT and its variation (RFC 6298), 0 before the first sample */
  rtt: number;
  rttvar: number;
  mss: number;
  /** congestion window, in segments of `mss` */
  cwnd: number;
  /** slow-start threshold in segments, null while still "infinite" */
  ssthresh: number | null;
  /** retransmissions in a row now, and segments retransmitted in the connection's life */
  retrans: number;
  totalRetrans: number;
  bytesSent: number;
  bytesReceived: number;
  segsOut: number;
  segsIn: number;
  /** the peer's advertised window, bytes */
  sndWnd: number;
  /** our advertised window, bytes */
  rcvWnd: number;
}

/** What the table is read from. */
export interface TableView {
  now: number;
  addresses: readonly IpAddr[];
  /** a TIME_WAIT record's local address (time-wait-process.ts timeWaitLocal) */
  timeWaitLocal: (slot: number) => IpAddr;
  listeners: Iterable<Listener>;
  conns: Iterable<Conn>;
  timeWait: TimeWaitTable;
  acceptLimit(l: Listener): number;
}

export function socketTable(v: TableView): SocketInfo[] {
  const out: SocketInfo[] = [];
  for (const l of v.listeners) {
    out.push({
      state: 'LISTEN',
      localAddress: l.addr?.text ?? l.wildcard,
      localPort: l.port,
      remoteAddress: '*',
      remotePort: 0,
      recvQ: l.acceptQueue.length,
      sendQ: v.acceptLimit(l),
      timer: null,
      orphan: false,
    });
  }
  for (const c of v.conns) {
    const t = c.tcb;
    const st = t.status(v.now);
    out.push({
      state: t.state,
      localAddress: c.local.text,
      localPort: c.localPort,
      remoteAddress: c.remote.text,
      remotePort: c.remotePort,
      recvQ: st.recvQueue,
      sendQ: st.sendQueue,
      timer: st.timer ? { name: st.timer.name, ms: st.timer.ms, retransmits: t.retransmits } : null,
      orphan: t.orphan,
      info: {
        rto: st.rto,
        rtt: t.rto.srtt,
        rttvar: t.rto.rttvar,
        mss: st.mss,
        cwnd: Math.ceil(st.cwnd / st.mss),
        ssthresh: t.ssthresh >= 0x7fffffff ? null : Math.ceil(t.ssthresh / st.mss),
        retrans: t.retransmits,
        totalRetrans: t.nRetransSegs,
        bytesSent: t.nBytesOut,
        bytesReceived: t.nBytesIn,
        segsOut: t.nSegsOut,
        segsIn: t.nSegsIn,
        sndWnd: st.sndWnd,
        rcvWnd: st.rcvWnd,
      },
    });
  }
  const tw = v.timeWait;
  for (const slot of tw.slots()) {
    const r = tw.remote(slot);
    out.push({
      state: 'TIME_WAIT',
      localAddress: v.timeWaitLocal(slot).text,
      localPort: tw.localPort(slot),
      remoteAddress: typeof r === 'number' ? ipV4(r).text : r.text,
      remotePort: tw.remotePort(slot),
      recvQ: 0,
      sendQ: 0,
      timer: { name: 'timewait', ms: Math.max(0, tw.expires(slot) - v.now), retransmits: 0 },
      orphan: true,
    });
  }
  return out;
}

/** Counts by state in the diagram's order, states with none left out. */
export function stateCounts(v: TableView): Partial<Record<TcpState, number>> {
  const counts: Partial<Record<TcpState, number>> = {};
  if (v.timeWait.size > 0) counts.TIME_WAIT = v.timeWait.size;
  for (const _ of v.listeners) counts.LISTEN = (counts.LISTEN ?? 0) + 1;
  for (const c of v.conns) counts[c.tcb.state] = (counts[c.tcb.state] ?? 0) + 1;
  const ordered: Partial<Record<TcpState, number>> = {};
  for (const s of TCP_STATES) if (counts[s]) ordered[s] = counts[s];
  return ordered;
}
