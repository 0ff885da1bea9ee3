/**
 * What a dashboard shows, by mode: a running stack's events (live), the host kernel's sockets read
 * from /proc (host), or nothing streamed at all (player: the page asks for recorded runs).
 */
import type { SegmentEvent, TransitionEvent } from '../observe/events.js';
import type { Stack } from '../stack/stack.js';
import { takeSnapshot } from '../host/snapshot.js';
import { currentNamespace, fromDirectory, namedNamespace, type ProcSource } from '../host/proc-source.js';
import { summarize } from '../host/summary.js';
import type { CountsMessage, DashboardMessage, HelloMessage, SegmentMessage } from './protocol.js';

export interface Source {
  hello(): HelloMessage;
  /** what a page that just connected needs before the stream */
  snapshot(): DashboardMessage[];
  subscribe(send: (m: DashboardMessage) => void): () => void;
  close(): void;
}

function withoutClosed(counts: Record<string, number | undefined>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [s, n] of Object.entries(counts)) if (s !== 'CLOSED' && n) out[s] = n;
  return out;
}

/** A running stack: every transition and segment as it happens, the counts after each change. */
export function liveSource(stack: Stack): Source {
  const subscribers = new Set<(m: DashboardMessage) => void>();
  const send = (m: DashboardMessage): void => {
    for (const s of subscribers) s(m);
  };
  const counts = (): CountsMessage => ({ type: 'counts', t: stack.clock.now(), counts: withoutClosed(stack.stateCounts()) });
  // our side's state per connection, and each end's ISN, to print sequence numbers as tcpdump does
  const states = new Map<string, string>();
  const isn = new Map<string, number>();
  let countsQueued = false;
  const onTransition = (e: TransitionEvent): void => {
    send({ type: 'transition', t: e.t, host: e.host, local: e.local, remote: e.remote, from: e.from, to: e.to, edge: e.edge, cause: e.cause });
    if (e.to === 'CLOSED') {
      states.delete(`${e.local} ${e.remote}`);
      isn.delete(e.local);
      isn.delete(e.remote);
    } else states.set(`${e.local} ${e.remote}`, e.to);
    if (countsQueued) return;
    countsQueued = true;
    setImmediate(() => {
      countsQueued = false;
      send(counts());
    });
  };
  const onSegment = (e: SegmentEvent): void => {
    const [src, dst] = e.dir === 'out' ? [e.local, e.remote] : [e.remote, e.local];
    if (e.flags.includes('S')) isn.set(src, e.seq);
    const m: SegmentMessage = {
      type: 'segment',
      t: e.t,
      src,
      dst,
      flags: e.flags,
      seq: (e.seq - (isn.get(src) ?? 0)) >>> 0,
      ack: (e.ack - (isn.get(dst) ?? 0)) >>> 0,
      win: e.win,
      len: e.len,
      states: { [e.local]: states.get(`${e.local} ${e.remote}`) ?? '' },
    };
    // our state once the segment is handled: the transition it causes comes right after this event
    queueMicrotask(() => {
      m.states = { [e.local]: states.get(`${e.local} ${e.remote}`) ?? 'CLOSED' };
      send(m);
    });
  };
  stack.on('transition', onTransition);
  stack.on('segment', onSegment);
  return {
    hello: () => ({ type: 'hello', mode: 'live', title: `synack stack ${stack.name}` }),
    snapshot: () => [counts()],
    subscribe(fn) {
      subscribers.add(fn);
      return () => subscribers.delete(fn);
    },
    close() {
      stack.off('transition', onTransition);
      stack.off('segment', onSegment);
      subscribers.clear();
    },
  };
}

/** The kernel's names (netstat's) as the diagram's. */
const KERNEL_STATE: Record<string, string> = { SYN_RECV: 'SYN_RCVD', FIN_WAIT1: 'FIN_WAIT_1', FIN_WAIT2: 'FIN_WAIT_2', CLOSE: 'CLOSED' };

export interface HostSourceOptions {
  netns?: string;
  procNet?: string;
  intervalMs: number;
}

/** The host kernel's sockets per state from /proc/net/tcp{,6}, every `intervalMs`, with the change since the last reading. */
export async function hostSource(o: HostSourceOptions): Promise<Source> {
  const proc: ProcSource = o.procNet ? fromDirectory(o.procNet) : o.netns ? await namedNamespace(o.netns) : currentNamespace();
  const subscribers = new Set<(m: DashboardMessage) => void>();
  const read = (): Record<string, number> => {
    const states = summarize(takeSnapshot(proc).table).states as Record<string, number>;
    const out: Record<string, number> = {};
    for (const [s, n] of Object.entries(states)) out[KERNEL_STATE[s] ?? s] = n;
    return withoutClosed(out);
  };
  let last = read();
  let lastMessage: CountsMessage = { type: 'counts', t: Date.now(), counts: last, delta: {} };
  const timer = setInterval(() => {
    const now = read();
    const delta: Record<string, number> = {};
    for (const s of new Set([...Object.keys(now), ...Object.keys(last)])) {
      const d = (now[s] ?? 0) - (last[s] ?? 0);
      if (d !== 0) delta[s] = d;
    }
    last = now;
    lastMessage = { type: 'counts', t: Date.now(), counts: now, delta };
    for (const s of subscribers) s(lastMessage);
  }, o.intervalMs);
  return {
    hello: () => ({ type: 'hello', mode: 'host', title: `host kernel${o.netns ? ` (netns ${o.netns})` : ''}: /proc/net/tcp{,6} every ${o.intervalMs / 1000} s` }),
    snapshot: () => [lastMessage],
    subscribe(fn) {
      subscribers.add(fn);
      return () => subscribers.delete(fn);
    },
    close() {
      clearInterval(timer);
      proc.close();
      subscribers.clear();
    },
  };
}
