/**
 * One demo scenario run on the simulated network and kept as the dashboard's messages, in time
 * order: every state transition (with the sockets per state right after it) and every segment on
 * the wire, lost ones marked. The page's player steps through it; the run is deterministic, so the
 * same scenario, loss, delay and seed reproduce it exactly.
 */
import { SimNetwork } from '../api/sim-network.js';
import { Recorder } from '../cli/demo/recorder.js';
import { CLIENT, SERVER, type DemoContext, type Scenario } from '../cli/demo/scenarios.js';
import type { TransitionEvent } from '../observe/events.js';
import type { Stack } from '../stack/stack.js';
import type { CountsMessage, RecordedRun, SegmentMessage, TransitionMessage } from './protocol.js';

export interface RunOptions {
  loss: number;
  delay: number;
  seed: number;
}

/** Both hosts' sockets per state, CLOSED left out (a closed connection is no socket). */
function countsOf(stacks: Stack[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const s of stacks) {
    for (const [state, n] of Object.entries(s.stateCounts())) if (state !== 'CLOSED' && n) out[state] = (out[state] ?? 0) + n;
  }
  return out;
}

export async function recordRun(sc: Scenario, o: RunOptions): Promise<RecordedRun> {
  const net = new SimNetwork({ seed: o.seed, impairments: { loss: o.loss, delayMs: o.delay } });
  const client = net.host(CLIENT, sc.client ?? {});
  const server = net.host(SERVER, sc.server ?? {});
  const rec = new Recorder(net, client, server);
  const transitions: (TransitionMessage | CountsMessage)[] = [];
  let countPending = false;
  const onTransition = (e: TransitionEvent): void => {
    transitions.push({ type: 'transition', t: e.t, host: e.host, local: e.local, remote: e.remote, from: e.from, to: e.to, edge: e.edge, cause: e.cause });
    if (countPending) return;
    countPending = true;
    // counted once the stack has finished the step (a TIME_WAIT record leaves its table after the event)
    net.clock.defer(() => {
      countPending = false;
      transitions.push({ type: 'counts', t: net.now(), counts: countsOf([client, server]) });
    });
  };
  client.on('transition', onTransition);
  server.on('transition', onTransition);
  const notes: string[] = [];
  const ctx: DemoContext = { net, client, server, notes, snapshot: () => {} };
  try {
    await sc.run(ctx);
    await net.run(1);
  } finally {
    rec.stop();
    net.close();
  }
  const segments: SegmentMessage[] = rec.segments.map((s) => ({
    type: 'segment',
    t: s.t,
    src: s.src,
    dst: s.dst,
    flags: s.flags,
    seq: s.seq,
    ack: s.ack,
    win: s.win,
    len: s.len,
    ...(s.dropped ? { dropped: true } : {}),
    states: s.sender === 'client' ? { [s.src]: s.states[0], [s.dst]: s.states[1] } : { [s.src]: s.states[1], [s.dst]: s.states[0] },
  }));
  // a segment is shown arriving before the transitions it causes at the same instant
  const messages = [...segments, ...transitions].map((m, i) => ({ m, i, k: m.type === 'segment' ? 0 : 1 }));
  messages.sort((a, b) => a.m.t - b.m.t || a.k - b.k || a.i - b.i);
  messages.push({ m: { type: 'counts', t: net.now(), counts: countsOf([client, server]) }, i: messages.length, k: 1 });
  return { scenario: sc.name, title: sc.title, about: sc.about, options: o, messages: messages.map((x) => x.m), notes };
}
