/**
 * Throttling of the ACKs a connection sends in answer to segments it will not take: RFC 5961 §7
 * ("an implementation SHOULD include an ACK throttling mechanism") and RFC 9293 §3.10.7.4 (an
 * unacceptable segment is answered with an ACK), as Linux does it.
 *
 *  - Per connection, `tcp_invalid_ratelimit` (ms, Linux default 500): at most one ACK per interval
 *    for out-of-window segments, PAWS rejects and challenge ACKs together (Linux's
 *    __tcp_oow_rate_limited on tp->last_oow_ack_time, counted as TCPACKSkippedSeq,
 *    TCPACKSkippedPAWS and TCPACKSkippedChallenge).
 *  - Per stack, `tcp_challenge_ack_limit` challenge ACKs a second. Since Linux 6.0 (commit
 *    79e3602caa6f, "tcp: make global challenge ack rate limitation per net-ns and default
 *    disabled") the default is INT_MAX, i.e. off: a host-wide budget is a side channel that lets
 *    an off-path attacker learn sequence numbers (CVE-2016-5696), and the per-connection limit
 *    suffices. Set to a smaller value it works as Linux's: each second's budget is drawn at random
 *    from [limit/2, limit*3/2), so the count an attacker observes tells it nothing exact.
 *
 * One departure: Linux exempts every data segment from the per-connection limit ("data packets
 * without SYNs are not likely part of an ACK loop"), so a blind sweep of data segments across the
 * sequence space draws one ACK each, which the real peer counts as duplicate ACKs (issue 10:
 * 444,578 ACKs and 2,912 spurious retransmissions in one 10 MiB transfer). Here only data that
 * could be a retransmission — lying wholly within one receive buffer below RCV.NXT, which is where
 * a lost ACK leaves a real sender — is exempt; data elsewhere is throttled like any other invalid
 * segment. A real peer loses nothing: it never sends beyond the window we offered.
 */
import type { Tcb } from './tcb.js';
import { seqAdd, seqDiff } from './seq.js';

/** Linux's INT_MAX: tcp_challenge_ack_limit at this value means no host-wide limit. */
export const CHALLENGE_ACK_UNLIMITED = 2_147_483_647;

/** Counters kept per stack, named as Linux's TcpExt MIB (`nstat -a`) names them. */
export interface TcpMib {
  /** challenge ACKs sent (RFC 5961 §3.2, §4.2, §5.2) */
  TCPChallengeACK: number;
  /** SYNs in a synchronized state answered by a challenge ACK (RFC 5961 §4.2) */
  TCPSYNChallenge: number;
  /** challenge ACKs not sent: tcp_invalid_ratelimit or tcp_challenge_ack_limit */
  TCPACKSkippedChallenge: number;
  /** ACKs for out-of-window segments not sent (tcp_invalid_ratelimit) */
  TCPACKSkippedSeq: number;
  /** ACKs for segments failing PAWS not sent (tcp_invalid_ratelimit) */
  TCPACKSkippedPAWS: number;
  /** out-of-order segments queued for reassembly */
  TCPOFOQueue: number;
  /** out-of-order segments dropped: the reassembly heap budget was reached */
  TCPOFODrop: number;
}

export function newTcpMib(): TcpMib {
  return {
    TCPChallengeACK: 0,
    TCPSYNChallenge: 0,
    TCPACKSkippedChallenge: 0,
    TCPACKSkippedSeq: 0,
    TCPACKSkippedPAWS: 0,
    TCPOFOQueue: 0,
    TCPOFODrop: 0,
  };
}

/**
 * What the TCBs of one stack share, as Linux's struct netns_ipv4 holds it for one network
 * namespace: the TcpExt counters and the host-wide challenge ACK budget.
 */
export class TcpNetns {
  readonly mib: TcpMib;
  private second = -1;
  private budget = 0;
  private rand: number;

  constructor(mib: TcpMib = newTcpMib(), seed = 0x9e3779b9) {
    this.mib = mib;
    this.rand = seed >>> 0 || 0x9e3779b9;
  }

  /** One challenge ACK from the host-wide budget of `limit` a second (now in ms). */
  takeChallenge(now: number, limit: number): boolean {
    if (limit >= CHALLENGE_ACK_UNLIMITED) return true;
    const second = Math.floor(now / 1000);
    if (second !== this.second) {
      this.second = second;
      const half = (limit + 1) >>> 1;
      this.budget = half + (limit > 0 ? this.next() % limit : 0);
    }
    if (this.budget <= 0) return false;
    this.budget--;
    return true;
  }

  /** xorshift32: the randomness of the budget need not be strong, only not known to the attacker */
  private next(): number {
    let x = this.rand;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.rand = x >>> 0;
    return this.rand;
  }
}

type SkippedCounter = 'TCPACKSkippedSeq' | 'TCPACKSkippedPAWS' | 'TCPACKSkippedChallenge';

/**
 * Whether an ACK for an invalid segment must not be sent now (Linux's __tcp_oow_rate_limited):
 * true within tcp_invalid_ratelimit ms of the last one sent; otherwise the time is noted.
 */
export function oowRateLimited(tcb: Tcb, counter: SkippedCounter): boolean {
  const last = tcb.lastOowAckTime;
  if (last >= 0) {
    const elapsed = tcb.now - last;
    if (elapsed >= 0 && elapsed < tcb.sysctl.tcp_invalid_ratelimit) {
      tcb.netns.mib[counter]++;
      return true;
    }
  }
  tcb.lastOowAckTime = tcb.now;
  return false;
}

/** Data wholly within one receive buffer below RCV.NXT: what a sender whose ACK was lost retransmits. */
export function mayBeRetransmission(tcb: Tcb, seq: number, dataLen: number): boolean {
  if (dataLen === 0) return false;
  const below = seqDiff(tcb.rcvNxt, seqAdd(seq, dataLen));
  return below >= 0 && seqDiff(tcb.rcvNxt, seq) <= tcb.rcvBuf;
}

/** Whether a challenge ACK may go now: the connection's limit first, then the host's (tcp_send_challenge_ack). */
export function challengeAllowed(tcb: Tcb): boolean {
  if (oowRateLimited(tcb, 'TCPACKSkippedChallenge')) return false;
  if (!tcb.netns.takeChallenge(tcb.now, tcb.sysctl.tcp_challenge_ack_limit)) {
    tcb.netns.mib.TCPACKSkippedChallenge++;
    return false;
  }
  return true;
}
