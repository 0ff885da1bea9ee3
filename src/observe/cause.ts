/**
 * Why a connection changed state, as the transition events tell it (observe/events.ts). Types only
 * and platform-neutral: the dashboard page uses them too.
 */

/** A segment's header in short; seq and ack are the raw 32-bit numbers. */
export interface SegmentSummary {
  /** tcpdump's letters: 'S', 'S.', '.', 'P.', 'F.', 'R.' */
  flags: string;
  seq: number;
  ack: number;
  /** the raw 16-bit window field */
  win: number;
  /** payload bytes */
  len: number;
  /** tcpdump's option list without brackets, '' when none */
  options: string;
}

/** The timers of RFC 9293 §3.10.8 and Linux's, as a transition's cause names them. */
export type TimerCause = 'retransmission' | 'time-wait' | 'keepalive' | 'fin-wait-2' | 'persist' | 'user-timeout';

/** The user calls, named as the API offers them (the RFC's in the comment of each). */
export type UserCallCause =
  | 'connect' // OPEN, active
  | 'listen' // OPEN, passive
  | 'send' // SEND on a LISTEN connection
  | 'end' // CLOSE
  | 'destroy' // the kernel's close(): CLOSE, or ABORT with unread data
  | 'resetAndDestroy'; // ABORT

export type TransitionCause =
  | ({ kind: 'segment'; dir: 'in' } & SegmentSummary)
  | { kind: 'timer'; timer: TimerCause }
  | { kind: 'user'; call: UserCallCause }
  | { kind: 'icmp' }
  /** the stack acted: the listener closed, the accept queue overflowed, a TIME_WAIT record was reused */
  | { kind: 'stack'; reason: string };
