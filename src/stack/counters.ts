/** The stack's counters: what `nstat` would show for it, and what its metrics export. */
import { newTcpMib, type TcpMib } from '../tcp/ack-throttle.js';
import { newLossCounters, type LossCounters } from '../tcp/loss-counters.js';

export interface StackCounters {
  packetsIn: number;
  packetsOut: number;
  segmentsIn: number;
  segmentsOut: number;
  activeOpens: number;
  passiveOpens: number;
  resetsSent: number;
  /** SYNs or final ACKs dropped because a listener's queue was full (Linux ListenOverflows) */
  listenOverflows: number;
  listenDrops: number;
  syncookiesSent: number;
  /** valid cookies that became connections */
  syncookiesRecv: number;
  /** ACKs whose cookie was forged or expired */
  syncookiesFailed: number;
  /** connections that skipped TIME_WAIT because tcp_max_tw_buckets was reached */
  timeWaitOverflow: number;
  /** TIME_WAIT entries ended early by a newer SYN (RFC 6191) */
  timeWaitRecycled: number;
  /** TIME_WAIT 4-tuples reused by connect (tcp_tw_reuse) */
  timeWaitReused: number;
  /** RSTs for segments to connections that do not exist, not sent: tcp_rst_msgs_per_sec */
  resetsRateLimited: number;
  /** dropped packets by reason */
  drops: Record<string, number>;
  /** what the TCBs count, under Linux's TcpExt names (challenge ACKs, skipped ACKs, out-of-order queue) */
  tcp: TcpMib;
  /** loss recovery over all connections: retransmissions by kind, timeouts, probes, time in recovery */
  loss: LossCounters;
}

export function newCounters(): StackCounters {
  return {
    packetsIn: 0,
    packetsOut: 0,
    segmentsIn: 0,
    segmentsOut: 0,
    activeOpens: 0,
    passiveOpens: 0,
    resetsSent: 0,
    listenOverflows: 0,
    listenDrops: 0,
    syncookiesSent: 0,
    syncookiesRecv: 0,
    syncookiesFailed: 0,
    timeWaitOverflow: 0,
    timeWaitRecycled: 0,
    timeWaitReused: 0,
    resetsRateLimited: 0,
    drops: {},
    tcp: newTcpMib(),
    loss: newLossCounters(),
  };
}
