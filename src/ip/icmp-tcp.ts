/**
 * What an ICMP error does to the TCP connection it quotes, as Linux's tcp_v4_err / tcp_v6_err do.
 *
 *  - RFC 5927 §4.1: the quoted sequence number must lie in [SND.UNA, SND.MAX], or the message is
 *    ignored (a blind attacker cannot guess it).
 *  - Fragmentation needed (RFC 1191 §6.1) / packet too big (RFC 8201 §4): lower the MSS to the
 *    new path MTU, and resend what is in flight at the new size.
 *  - Any other error for a connection in SYN_SENT aborts it with the mapped errno: port
 *    unreachable is ECONNREFUSED, host unreachable EHOSTUNREACH (RFC 1122 §4.2.3.9 lets a host
 *    abort on these; Linux does in SYN_SENT). Later on they are soft errors: RFC 1122 §4.2.3.9
 *    says not to abort an established connection on one, and we do not.
 */
import type { Tcb, TcbErrorCode } from '../tcp/tcb.js';
import { seqDiff } from '../tcp/seq.js';
import type { TcpIcmpError } from './ip-layer.js';

export type IcmpOutcome = 'pmtu' | 'pmtu_unchanged' | 'aborted' | 'soft_error' | 'out_of_window';

/** TCP header (20) plus IP header (20 or 40) below the path MTU. */
export function mssForMtu(version: 4 | 6, mtu: number): number {
  return mtu - (version === 4 ? 40 : 60);
}

export function applyIcmpError(tcb: Tcb, err: TcpIcmpError, now: number): IcmpOutcome {
  const fromUna = seqDiff(err.seq, tcb.sndUna);
  if (fromUna < 0 || fromUna > seqDiff(tcb.sndMax, tcb.sndUna)) return 'out_of_window';
  if (err.mtu !== undefined) {
    return tcb.reduceMss(mssForMtu(err.local.version, err.mtu), now) ? 'pmtu' : 'pmtu_unchanged';
  }
  if (tcb.state === 'SYN_SENT') {
    tcb.now = now;
    tcb.cause = 'icmp';
    tcb.fail(err.errno as TcbErrorCode);
    return 'aborted';
  }
  return 'soft_error';
}
