/**
 * What a stack tells observers, on node:diagnostics_channel (the ecosystem's convention: Node core,
 * undici) and as the stack's own events of the same names:
 *
 *   synack:tcp:transition  ('transition')  a connection changed state: why, and which edge it took
 *   synack:tcp:segment     ('segment')     a segment went in or out: its header in short
 *   synack:tcp:drop        ('drop')        a packet was dropped before reaching a connection: why
 *
 *   import diagnostics_channel from 'node:diagnostics_channel';
 *   diagnostics_channel.subscribe('synack:tcp:transition', (ev) => console.log(ev));
 *
 * Nothing is built unless someone listens: the stack checks `hasSubscribers` and its own listener
 * count before calling the builders here.
 */
import { channel } from '#platform/diagnostics';
import type { TcbCause } from '../tcp/tcb.js';
import type { TcpState } from '../tcp/state.js';
import type { Segment } from '../wire/segment.js';
import { edgeOf } from './edges.js';
import { formatFlags, formatOptionList } from './format.js';
import type { SegmentSummary, TimerCause, TransitionCause, UserCallCause } from './cause.js';

export type { SegmentSummary, TimerCause, TransitionCause, UserCallCause } from './cause.js';

/** A connection changed state: `stack.on('transition', e)` and the `synack:tcp:transition` diagnostics channel. */
export interface TransitionEvent {
  /** the stack's clock, ms */
  t: number;
  /** the stack's name (its first address unless named) */
  host: string;
  /** "addr:port" ("[v6]:port" for IPv6) */
  local: string;
  remote: string;
  from: TcpState;
  to: TcpState;
  cause: TransitionCause;
  /** the edge of the diagram taken (observe/edges.ts), null for one it has no line for */
  edge: string | null;
}

export interface SegmentEvent extends SegmentSummary {
  t: number;
  host: string;
  dir: 'in' | 'out';
  /** our end and the peer's, "addr:port" */
  local: string;
  remote: string;
}

export interface DropEvent {
  t: number;
  host: string;
  /** the counter it was counted under (stack.counters.drops) */
  reason: string;
}

/**
 * The diagnostics channels (node:diagnostics_channel where the runtime has one, else an in-page
 * equivalent): every stack publishes each TransitionEvent, SegmentEvent and DropEvent on them.
 */
export const transitionChannel = channel('synack:tcp:transition');
export const segmentChannel = channel('synack:tcp:segment');
export const dropChannel = channel('synack:tcp:drop');

export function endpoint(addr: string, port: number): string {
  return addr.includes(':') ? `[${addr}]:${port}` : `${addr}:${port}`;
}

export function summarize(seg: Segment): SegmentSummary {
  return {
    flags: formatFlags(seg.flags),
    seq: seg.seq,
    ack: seg.ack,
    win: seg.window,
    len: seg.payload.length,
    options: formatOptionList(seg.options),
  };
}

const TIMERS: Record<string, TimerCause> = {
  retransmit: 'retransmission',
  timewait: 'time-wait',
  keepalive: 'keepalive',
  finwait2: 'fin-wait-2',
  persist: 'persist',
  usertimeout: 'user-timeout',
};

const CALLS: Record<string, UserCallCause> = {
  'open-active': 'connect',
  'open-passive': 'listen',
  send: 'send',
  close: 'end',
  release: 'destroy',
  abort: 'resetAndDestroy',
};

/** A TCB's cause (tcp/tcb.ts) as an event tells it. */
export function describeCause(cause: TcbCause | null): TransitionCause {
  if (cause === null) return { kind: 'stack', reason: 'no cause recorded' };
  if (typeof cause === 'object') {
    return 'kind' in cause ? (cause as TransitionCause) : { kind: 'segment', dir: 'in', ...summarize(cause) };
  }
  if (cause === 'icmp') return { kind: 'icmp' };
  const timer = TIMERS[cause];
  if (timer) return { kind: 'timer', timer };
  const call = CALLS[cause];
  if (call) return { kind: 'user', call };
  return { kind: 'stack', reason: cause };
}

/** A transition event with its cause and edge. */
export function transitionEvent(
  t: number,
  host: string,
  local: string,
  remote: string,
  from: TcpState,
  to: TcpState,
  cause: TcbCause | null,
): TransitionEvent {
  return { t, host, local, remote, from, to, cause: describeCause(cause), edge: edgeOf(from, to)?.id ?? null };
}

/** One line for a cause: "rcv S. seq 1 ack 2", "timer time-wait", "user end". */
export function formatCause(c: TransitionCause): string {
  switch (c.kind) {
    case 'segment':
      return `rcv ${c.flags} seq ${c.seq} ack ${c.ack} win ${c.win} len ${c.len}`;
    case 'timer':
      return `timer ${c.timer}`;
    case 'user':
      return `user ${c.call}()`;
    case 'icmp':
      return 'icmp error';
    case 'stack':
      return `stack: ${c.reason}`;
  }
}
