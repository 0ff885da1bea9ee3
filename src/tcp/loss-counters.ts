/**
 * Loss-recovery counters, shared by every connection of a stack (the stack passes one object to
 * each TCB): what Linux's nstat shows as TCPFastRetrans, TCPTimeouts, TCPLossProbes, TCPDSACKRecv...
 */

/** How a segment came to be retransmitted. */
export type RetransmitKind = 'fast' | 'rto' | 'tlp' | 'rack';

export interface LossCounters {
  /** segments retransmitted: fast = duplicate-ACK threshold / NewReno, rto = after a timeout, tlp = loss probes, rack = RACK-detected */
  retransmits: Record<RetransmitKind, number>;
  /** retransmission timer expirations with data outstanding */
  rtoTimeouts: number;
  /** tail loss probes sent (new data or a retransmission) */
  tlpProbes: number;
  /** fast-recovery episodes entered (not counting timeouts) */
  recoveries: number;
  /** ms spent in fast recovery or timeout recovery */
  recoveryMs: number;
  /** D-SACK blocks received (RFC 2883) */
  dsacksReceived: number;
  /** retransmissions a D-SACK showed were unnecessary */
  spuriousRetransmits: number;
  /** times the receiver discarded data it had SACKed (RFC 2018 §8) */
  renegings: number;
}

export function newLossCounters(): LossCounters {
  return {
    retransmits: { fast: 0, rto: 0, tlp: 0, rack: 0 },
    rtoTimeouts: 0,
    tlpProbes: 0,
    recoveries: 0,
    recoveryMs: 0,
    dsacksReceived: 0,
    spuriousRetransmits: 0,
    renegings: 0,
  };
}
