/**
 * Linux's rules that stand between a segment and the TCB it belongs to, before RFC 9293's own
 * processing: a listener's full accept queue, and data for a connection nobody will read.
 */
import { seqAdd, seqDiff } from '../tcp/seq.js';
import type { Sysctl } from '../tcp/sysctl.js';
import { ACK, RST, SYN, type Segment } from '../wire/segment.js';
import type { Conn } from './conn.js';
import type { StackCounters } from './counters.js';
import type { Listener } from './listener.js';

export type Admission = 'deliver' | 'drop' | 'abort';

export function admit(
  conn: Conn,
  seg: Segment,
  sc: Readonly<Sysctl>,
  counters: StackCounters,
  limits: { acceptLimit(l: Listener): number },
): Admission {
  const tcb = conn.tcb;
  const l = conn.listener;
  // A full accept queue drops the handshake's final ACK (the SYN-ACK is retried), or resets it with
  // tcp_abort_on_overflow. Only the ACK of our SYN-ACK meets the queue (Linux tcp_check_req); any
  // other ACK is the TCB's to answer.
  if (
    l &&
    tcb.state === 'SYN_RCVD' &&
    seg.flags & ACK &&
    !(seg.flags & (RST | SYN)) &&
    seg.ack === seqAdd(tcb.iss, 1) &&
    l.acceptQueue.length >= limits.acceptLimit(l)
  ) {
    counters.listenOverflows++;
    counters.listenDrops++;
    return sc.tcp_abort_on_overflow ? 'abort' : 'drop';
  }
  // New data for a connection its owner has closed: nobody will read it, so reset (Linux
  // tcp_rcv_state_process, LINUX_MIB_TCPABORTONDATA); the sender learns at once (EPIPE/ECONNRESET).
  if (
    tcb.orphan &&
    seg.payload.length > 0 &&
    !(seg.flags & (RST | SYN)) &&
    (tcb.state === 'FIN_WAIT_1' || tcb.state === 'FIN_WAIT_2') &&
    seqDiff(seg.seq, tcb.rcvNxt) <= 0 &&
    seqDiff(seqAdd(seg.seq, seg.payload.length), tcb.rcvNxt) > 0
  ) {
    return 'abort';
  }
  return 'deliver';
}
