/**
 * The receive-path fuzzer's loop: worlds one after another (each a fresh target stack with
 * connections in every state and a legitimate transfer running), a few hundred generated inputs
 * into each, the invariants checked after every one (bench/fuzz/world.ts). A breach is a finding:
 * the world's seed and the concrete inputs that led to it, shrunk, ready to be saved to the corpus
 * and replayed as a regression test without the generator.
 */
import { Prng } from '../../src/link/prng.js';
import { InputGen, type Action, type UserOp } from './inputs.js';
import { fromHex, toHex } from './packets.js';
import { World } from './world.js';

export interface Finding {
  /** the world's seed */
  seed: number;
  /** the first invariant broken */
  breach: string;
  actions: Action[];
}

export interface FuzzOptions {
  seed: number;
  /** stop after this many packets fed to stack.input() */
  inputs?: number;
  /** ... or after this many seconds of wall time */
  seconds?: number;
  actionsPerWorld?: number;
  /** shrink each finding (replays it up to a few hundred times) */
  shrink?: boolean;
  /** called every second or so */
  progress?: (s: FuzzStats) => void;
}

export interface FuzzStats {
  worlds: number;
  actions: number;
  /** packets fed to stack.input() */
  inputs: number;
  transfers: number;
  bytesVerified: number;
  packetsOut: number;
  /** fuzzed TCP segments that reached S's demultiplexing (past every IP and TCP check) */
  segmentsIn: number;
  ms: number;
  findings: Finding[];
  /** the states S held connections in after each world's setup (and CLOSED 4-tuples, always aimed at) */
  states: Set<string>;
  /** S's drop counters, summed over the worlds */
  drops: Record<string, number>;
  datagramsReassembled: number;
}

/** Feed one action to the world and check the invariants; returns the packets fed. */
export function apply(w: World, a: Action): number {
  switch (a.k) {
    case 'in':
      for (const p of a.packets) {
        w.label = `a ${p.length}-byte packet`;
        w.s.input(p);
        w.check();
      }
      return a.packets.length;
    case 'wait':
      w.label = `waiting ${a.ms} ms`;
      w.clock.advance(a.ms);
      w.check();
      return 0;
    case 'user': {
      const sc = w.scripted[a.i];
      if (!sc || sc.conn.gone) return 0;
      const c = sc.conn;
      const now = w.clock.now();
      w.label = `the application's ${a.op} on a connection in ${c.tcb.state}`;
      userCall(c.tcb, a.op, a.n, now, () => (c.user = null));
      w.s.settle(c);
      w.check();
      return 0;
    }
  }
}

function userCall(t: World['scripted'][number]['conn']['tcb'], op: UserOp, n: number, now: number, detach: () => void): void {
  switch (op) {
    case 'close':
      t.close(now);
      break;
    case 'release':
      detach();
      t.release(now);
      break;
    case 'abort':
      t.abort(now);
      break;
    case 'write':
      if (t.canSend) t.send(new Uint8Array(n).fill(0x5a), now);
      break;
    case 'read':
      t.receive(n, now);
      break;
  }
}

/** Replay a finding from its bytes: the invariants broken, or [] when it no longer breaks any. */
export function replay(f: { seed: number; actions: Action[] }): string[] {
  const w = new World(f.seed);
  for (const a of f.actions) {
    apply(w, a);
    if (w.breaches.length > 0) return w.breaches;
  }
  w.finish();
  return w.breaches;
}

/** Remove chunks of actions while the first breach stays the same kind (bounded number of replays). */
export function shrink(f: Finding, budget = 300): Finding {
  const kind = breachKind(f.breach);
  let actions = f.actions;
  let tries = 0;
  for (let size = Math.max(1, actions.length >> 1); size >= 1 && tries < budget; size >>= 1) {
    for (let i = 0; i < actions.length && tries < budget; ) {
      const candidate = actions.slice(0, i).concat(actions.slice(i + size));
      tries++;
      const b = replay({ seed: f.seed, actions: candidate });
      if (b.length > 0 && breachKind(b[0]!) === kind) actions = candidate;
      else i += size;
    }
  }
  const breaches = replay({ seed: f.seed, actions });
  return { seed: f.seed, breach: breaches[0] ?? f.breach, actions };
}

function breachKind(b: string): string {
  return b.replace(/\(after .*\)$/, '').replace(/[0-9a-f.:]+:\d+/g, '').replace(/\d+/g, 'N');
}

export function runFuzz(o: FuzzOptions): FuzzStats {
  const stats: FuzzStats = { worlds: 0, actions: 0, inputs: 0, transfers: 0, bytesVerified: 0, packetsOut: 0, segmentsIn: 0, ms: 0, findings: [], states: new Set(['CLOSED']), drops: {}, datagramsReassembled: 0 };
  const perWorld = o.actionsPerWorld ?? 400;
  const maxInputs = o.inputs ?? Infinity;
  const maxMs = (o.seconds ?? Infinity) * 1000;
  const t0 = performance.now();
  let lastProgress = t0;
  for (let seed = o.seed >>> 0; stats.inputs < maxInputs && stats.ms < maxMs; seed = (seed + 1) >>> 0) {
    const w = new World(seed);
    for (const s of Object.keys(w.s.stateCounts())) stats.states.add(s);
    const gen = new InputGen(w, new Prng(seed ^ 0x5bd1e995));
    const actions: Action[] = [];
    for (let i = 0; i < perWorld && w.breaches.length === 0; i++) {
      const a = gen.next();
      actions.push(a);
      stats.inputs += apply(w, a);
      stats.actions++;
    }
    if (w.breaches.length === 0) w.finish();
    if (w.breaches.length > 0) {
      const f: Finding = { seed, breach: w.breaches[0]!, actions };
      stats.findings.push(o.shrink === false ? f : shrink(f));
    }
    stats.worlds++;
    stats.transfers += w.transfers;
    stats.bytesVerified += w.bytesVerified;
    stats.packetsOut += w.packetsOut;
    stats.segmentsIn += w.s.counters.segmentsIn - w.legitIn;
    stats.datagramsReassembled += w.s.ip.reassembly.counters.datagrams;
    for (const [k, v] of Object.entries(w.s.counters.drops)) stats.drops[k] = (stats.drops[k] ?? 0) + v;
    const now = performance.now();
    stats.ms = now - t0;
    if (o.progress && now - lastProgress >= 1000) {
      lastProgress = now;
      o.progress(stats);
    }
  }
  return stats;
}

// ===================== the corpus: findings as JSON =====================

type StoredAction = { k: 'in'; packets: string[] } | { k: 'wait'; ms: number } | { k: 'user'; i: number; op: UserOp; n: number };

export interface StoredFinding {
  /** what broke when it was found, and what it was about */
  breach: string;
  note?: string;
  seed: number;
  actions: StoredAction[];
}

export function toStored(f: Finding, note?: string): StoredFinding {
  return {
    breach: f.breach,
    ...(note ? { note } : {}),
    seed: f.seed,
    actions: f.actions.map((a) => (a.k === 'in' ? { k: 'in', packets: a.packets.map(toHex) } : a)),
  };
}

export function fromStored(s: StoredFinding): Finding {
  return {
    seed: s.seed,
    breach: s.breach,
    actions: s.actions.map((a) => (a.k === 'in' ? { k: 'in', packets: a.packets.map(fromHex) } : a)),
  };
}
