/**
 * One demo scenario run on the simulated network and kept as the dashboard's messages, in time
 * order: every state transition (with the sockets per state right after it) and every segment on
 * the wire, lost ones marked. The page's player steps through it; the run is deterministic, so the
 * same scenario, loss, delay and seed reproduce it exactly.
 */
import { SimNetwork } from '../api/sim-network.js';
import { Recorder, type SegmentRecord } from '../cli/demo/recorder.js';
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
  // everything in the order it happened: a segment reaches its receiver (the recorder's tap, which
  // runs before this one), the receiver's transitions follow, then the counts once it has settled
  const order: ({ seg: number } | TransitionMessage | CountsMessage)[] = [];
  let taken = 0;
  const offPacket = net.onPacket(() => {
    for (; taken < rec.segments.length; taken++) order.push({ seg: taken });
  });
  let countPending = false;
  const onTransition = (e: TransitionEvent): void => {
    order.push({ type: 'transition', t: e.t, host: e.host, local: e.local, remote: e.remote, from: e.from, to: e.to, edge: e.edge, cause: e.cause });
    if (countPending) return;
    countPending = true;
    // counted once the stack has finished the step (a TIME_WAIT record leaves its table after the event)
    net.clock.defer(() => {
      countPending = false;
      order.push({ type: 'counts', t: net.now(), counts: countsOf([client, server]) });
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
    offPacket();
    rec.stop();
    net.close();
  }
  const messages = order.map((m): SegmentMessage | TransitionMessage | CountsMessage => ('seg' in m ? segmentMessage(rec.segments[m.seg]!) : m));
  messages.push({ type: 'counts', t: net.now(), counts: countsOf([client, server]) });
  return { scenario: sc.name, title: sc.title, about: sc.about, options: o, messages, notes };
}

function segmentMessage(s: SegmentRecord): SegmentMessage {
  return {
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
    // the recorder's states are [client, server]
    states: s.sender === 'client' ? { [s.src]: s.states[0], [s.dst]: s.states[1] } : { [s.src]: s.states[1], [s.dst]: s.states[0] },
  };
}
