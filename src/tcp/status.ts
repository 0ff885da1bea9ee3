/** STATUS (RFC 9293 §3.10.6): what `Tcb.status()` reports of a connection, for `ss`-like views. */
import type { CcName } from './cc/types.js';
import type { TcpState } from './state.js';
import type { TimerName } from './tcb.js';

export interface TcbStatus {
  state: TcpState;
  sndUna: number;
  sndNxt: number;
  sndWnd: number;
  rcvNxt: number;
  rcvWnd: number;
  sendQueue: number;
  recvQueue: number;
  mss: number;
  rto: number;
  srtt: number;
  cwnd: number;
  ssthresh: number;
  congestionControl: CcName;
  retransmits: number;
  timer: { name: TimerName; ms: number } | null;
}
