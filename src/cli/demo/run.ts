/** Runs demo scenarios on a fresh simulated network each and collects what happened. */
import { SimNetwork } from '../../api/sim-network.js';
import { openPcapFile, type PcapFile } from '../../link/pcap.js';
import { Recorder, type SegmentRecord, type TransitionRecord } from './recorder.js';
import { CLIENT, SERVER, ScenarioStopped, type DemoContext, type Scenario } from './scenarios.js';

export interface DemoOptions {
  /** probability a packet is lost, each direction */
  loss?: number;
  /** one-way delay in ms (default 5) */
  delay?: number;
  seed?: number;
}

export interface CountSnapshot {
  label: string;
  t: number;
  client: Record<string, number>;
  server: Record<string, number>;
}

export interface ScenarioResult {
  name: string;
  title: string;
  about: string;
  transitions: TransitionRecord[];
  segments: SegmentRecord[];
  paths: { host: string; local: string; remote: string; path: string[] }[];
  counts: CountSnapshot[];
  notes: string[];
  /** virtual ms the scenario took */
  duration: number;
  /** why the scenario stopped early (a step it needed did not happen under the impairments); absent when it ran to the end */
  stopped?: string;
}

export async function runScenario(sc: Scenario, opts: DemoOptions, pcap?: { file: PcapFile; offset: number }): Promise<ScenarioResult> {
  const net = new SimNetwork({
    seed: opts.seed ?? 1,
    impairments: { loss: opts.loss ?? 0, delayMs: opts.delay ?? 5 },
  });
  const client = net.host(CLIENT, sc.client ?? {});
  const server = net.host(SERVER, sc.server ?? {});
  const rec = new Recorder(net, client, server);
  if (pcap) {
    const base = pcap.offset;
    net.onPacket((ev) => pcap.file.packet(base + ev.t, ev.packet));
  }
  const counts: CountSnapshot[] = [];
  const ctx: DemoContext = {
    net,
    client,
    server,
    notes: [],
    snapshot: (label) =>
      counts.push({ label, t: net.now(), client: { ...client.stateCounts() }, server: { ...server.stateCounts() } }),
  };
  let stopped: string | undefined;
  try {
    await sc.run(ctx);
  } catch (err) {
    // Under loss a step may never happen (a handshake times out): report it, keep the tour going.
    // Anything else is a bug in the scenario and still surfaces.
    if (!(err instanceof ScenarioStopped)) throw err;
    stopped = err.message;
    ctx.notes.push(`scenario stopped: ${err.message}`);
  }
  await net.run(1);
  counts.push({ label: 'at the end', t: net.now(), client: { ...client.stateCounts() }, server: { ...server.stateCounts() } });
  rec.stop();
  net.close();
  const result: ScenarioResult = {
    name: sc.name,
    title: sc.title,
    about: sc.about,
    transitions: rec.transitions,
    segments: rec.segments,
    paths: rec.paths(),
    counts,
    notes: ctx.notes,
    duration: net.now(),
  };
  if (stopped !== undefined) result.stopped = stopped;
  return result;
}

export async function runScenarios(list: Scenario[], opts: DemoOptions, pcapPath?: string): Promise<ScenarioResult[]> {
  const file = pcapPath ? openPcapFile(pcapPath) : undefined;
  const results: ScenarioResult[] = [];
  let offset = 0;
  try {
    for (const sc of list) {
      const r = await runScenario(sc, opts, file ? { file, offset } : undefined);
      results.push(r);
      offset += Math.ceil(r.duration) + 1000;
    }
  } finally {
    file?.close();
  }
  return results;
}

/** The `--json` shape, always the same: `{ scenarios: [...] }`, one entry per scenario run (one with --scenario). */
export function toJsonDocument(results: ScenarioResult[]): { scenarios: object[] } {
  return { scenarios: results.map(toJson) };
}

/** One scenario in `--json`: `{ name, title, transitions, segments, paths, counts, notes }` and `stopped` when it ended early. */
export function toJson(r: ScenarioResult): object {
  return {
    name: r.name,
    title: r.title,
    transitions: r.transitions,
    segments: r.segments.map(({ sender: _s, states, ...seg }) => ({ ...seg, states: { client: states[0], server: states[1] } })),
    paths: r.paths,
    counts: r.counts,
    notes: r.notes,
    ...(r.stopped !== undefined ? { stopped: r.stopped } : {}),
  };
}
