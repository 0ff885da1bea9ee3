/**
 * Publishing what happens in a stack to observers (observe/events.ts): on diagnostics_channel and
 * as the stack's own events. The stack calls these only after checking that someone listens, so a
 * stack nobody watches builds no event object at all.
 */
import {
  dropChannel,
  endpoint,
  segmentChannel,
  summarize,
  transitionChannel,
  transitionEvent,
  type DropEvent,
  type SegmentEvent,
  type TransitionCause,
} from '../observe/events.js';
import type { TcbCause } from '../tcp/tcb.js';
import type { TcpState } from '../tcp/state.js';
import type { Segment } from '../wire/segment.js';
import type { IpAddr } from './ip-addr.js';

/** Causes the stack gives when it acts on a connection itself. */
export const HALF_OPEN_DELETED: TransitionCause = { kind: 'stack', reason: 'half-open connection deleted, the listener listens on' };
export const ACCEPT_OVERFLOW: TransitionCause = { kind: 'stack', reason: 'accept queue full (tcp_abort_on_overflow)' };

interface Emitter {
  readonly name: string;
  emit(event: string, ev: unknown): boolean;
  listenerCount(event: string): number;
}

export function wantsTransitions(s: Emitter): boolean {
  return transitionChannel.hasSubscribers || s.listenerCount('transition') > 0;
}

export function wantsSegments(s: Emitter): boolean {
  return segmentChannel.hasSubscribers || s.listenerCount('segment') > 0;
}

export function wantsDrops(s: Emitter): boolean {
  return dropChannel.hasSubscribers || s.listenerCount('drop') > 0;
}

export function publishTransition(
  s: Emitter,
  t: number,
  local: string,
  localPort: number,
  remote: string,
  remotePort: number,
  from: TcpState,
  to: TcpState,
  cause: TcbCause | null,
): void {
  const ev = transitionEvent(t, s.name, endpoint(local, localPort), endpoint(remote, remotePort), from, to, cause);
  transitionChannel.publish(ev);
  s.emit('transition', ev);
}

export function publishSegment(s: Emitter, t: number, dir: 'in' | 'out', local: IpAddr, remote: string, seg: Segment): void {
  const localPort = dir === 'in' ? seg.dstPort : seg.srcPort;
  const remotePort = dir === 'in' ? seg.srcPort : seg.dstPort;
  const ev: SegmentEvent = {
    t,
    host: s.name,
    dir,
    local: endpoint(local.text, localPort),
    remote: endpoint(remote, remotePort),
    ...summarize(seg),
  };
  segmentChannel.publish(ev);
  s.emit('segment', ev);
}

export function publishDrop(s: Emitter, t: number, reason: string): void {
  const ev: DropEvent = { t, host: s.name, reason };
  dropChannel.publish(ev);
  s.emit('drop', ev);
}
