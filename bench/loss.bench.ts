/**
 * Loss recovery and congestion control: goodput of one bulk flow in the simulator, virtual time,
 * through issue 12's bottleneck: 20 ms RTT, 50 Mbit/s, a one-BDP (125 kB) drop-tail queue each
 * way, seeded random loss on both directions. 20 s per run, median of 5 seeds, for NewReno and
 * CUBIC with SACK on and off; every run's bytes are checked at the receiver. Beside each line,
 * Linux CUBIC's figure measured through the same impairments (issue 12): 96.1, 40.3, 11.7, 4.2
 * and 1.9 % of the cap.
 */
import { SimLinkNetwork } from '../src/link/sim.js';
import type { Conn } from '../src/stack/conn.js';
import { ipFromText } from '../src/stack/ip-addr.js';
import { Stack, type StackOptions } from '../src/stack/stack.js';
import { VirtualClock } from '../src/time/virtual-clock.js';
import type { BenchTable } from './index.js';

export const title = 'Loss recovery: one bulk flow, 20 ms RTT, 50 Mbit/s, one-BDP drop-tail queue (simulator, virtual time)';

const RATE = 50e6;
const RTT_MS = 20;
const BDP = (RATE * RTT_MS) / 1000 / 8; // 125,000 bytes
const DURATION_MS = 20_000;
const SEEDS = [1, 2, 3, 4, 5];
const LOSSES = [0, 0.001, 0.01, 0.05, 0.1];
const LINUX_CUBIC: Record<number, number> = { 0: 96.1, 0.001: 40.3, 0.01: 11.7, 0.05: 4.2, 0.1: 1.9 };
const CHUNK = 64 * 1024;

/** The byte at stream offset i: a pattern the receiver can check without keeping a copy. */
const byteAt = (i: number): number => (i * 31 + (i >>> 11) * 7 + 13) & 0xff;

export interface FlowResult {
  goodputBps: number;
  bytes: number;
  retransmits: number;
  rtos: number;
  tlps: number;
  recoveryMs: number;
  spurious: number;
  queueDrops: number;
}

export function runFlow(cc: 'cubic' | 'reno', sack: boolean, loss: number, seed: number, durationMs = DURATION_MS): FlowResult {
  const clock = new VirtualClock();
  const link = new SimLinkNetwork({
    clock,
    seed,
    impairments: { delayMs: RTT_MS / 2, bandwidthBps: RATE, queueBytes: BDP, ...(loss > 0 ? { loss } : {}) },
  });
  // Linux autotunes its buffers to several MB; here they are fixed large enough that only the
  // path limits the flow
  const sysctl: StackOptions['sysctl'] = {
    tcp_congestion_control: cc,
    tcp_sack: sack ? 1 : 0,
    tcp_rmem: [4096, 4 << 20, 6 << 20],
    tcp_wmem: [4096, 4 << 20, 6 << 20],
  };
  const sender = new Stack({ addresses: ['10.0.0.1'], clock, seed: seed * 2, sysctl });
  const receiver = new Stack({ addresses: ['10.0.0.2'], clock, seed: seed * 2 + 1, sysctl });
  const ps = link.attach('10.0.0.1', (p) => sender.input(p));
  const pr = link.attach('10.0.0.2', (p) => receiver.input(p));
  sender.on('packet', (p: Uint8Array) => ps.send(p));
  receiver.on('packet', (p: Uint8Array) => pr.send(p));

  let received = 0;
  let corrupt = -1;
  receiver.listen('10.0.0.2', 5001, 16, (conn: Conn) => {
    receiver.attachUser(conn, {
      onEstablished() {},
      onWritable() {},
      onError() {},
      onClosed() {},
      onReadable() {
        for (const chunk of conn.tcb.receive(Infinity, clock.now())) {
          for (let i = 0; i < chunk.length; i++) {
            if (chunk[i] !== byteAt(received + i) && corrupt < 0) corrupt = received + i;
          }
          received += chunk.length;
        }
        receiver.settle(conn);
      },
    });
  });

  let written = 0;
  const buf = new Uint8Array(CHUNK);
  const conn = sender.openConnection(ipFromText('10.0.0.2')!, 5001);
  const fill = () => {
    for (let guard = 0; guard < 1000 && conn.tcb.canSend && conn.tcb.sendSpace >= CHUNK; guard++) {
      for (let i = 0; i < CHUNK; i++) buf[i] = byteAt(written + i);
      conn.tcb.send(buf, clock.now());
      written += CHUNK;
    }
    sender.settle(conn);
  };
  sender.attachUser(conn, { onEstablished: fill, onWritable: fill, onError() {}, onClosed() {}, onReadable() {} });
  clock.advance(durationMs);
  if (corrupt >= 0) throw new Error(`byte ${corrupt} arrived wrong (cc=${cc} sack=${sack} loss=${loss} seed=${seed})`);
  if (received === 0) throw new Error(`nothing arrived (cc=${cc} sack=${sack} loss=${loss} seed=${seed})`);
  const l = sender.counters.loss;
  return {
    goodputBps: (received * 8 * 1000) / durationMs,
    bytes: received,
    retransmits: l.retransmits.fast + l.retransmits.rto + l.retransmits.tlp + l.retransmits.rack,
    rtos: l.rtoTimeouts,
    tlps: l.tlpProbes,
    recoveryMs: l.recoveryMs,
    spurious: l.spuriousRetransmits,
    queueDrops: link.stats.queueDrops,
  };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1]!;
}

export async function run(): Promise<BenchTable> {
  const rows: (string | number)[][] = [];
  for (const loss of LOSSES) {
    for (const [cc, sack] of [
      ['cubic', true],
      ['cubic', false],
      ['reno', true],
      ['reno', false],
    ] as const) {
      const runs = SEEDS.map((seed) => runFlow(cc, sack, loss, seed));
      const m = (f: (r: FlowResult) => number) => median(runs.map(f));
      const pct = (m((r) => r.goodputBps) / RATE) * 100;
      rows.push([
        `${loss * 100} %`,
        `${cc}${sack ? '+sack' : ''}`,
        `${pct.toFixed(1)} %`,
        `${LINUX_CUBIC[loss]} %`,
        `${(pct / LINUX_CUBIC[loss]!).toFixed(2)}x`,
        m((r) => r.retransmits),
        m((r) => r.rtos),
        m((r) => r.tlps),
        `${((m((r) => r.recoveryMs) / DURATION_MS) * 100).toFixed(0)} %`,
        m((r) => r.spurious),
        m((r) => r.queueDrops),
      ]);
    }
  }
  return {
    columns: ['loss', 'sender', 'goodput/cap', 'Linux CUBIC', 'ratio', 'retrans', 'RTOs', 'TLPs', 'in recovery', 'spurious', 'queue drops'],
    rows,
    notes: [
      `median of ${SEEDS.length} seeds, ${DURATION_MS / 1000} s each; counters are the medians per run; every run byte-exact at the receiver`,
      'Linux CUBIC: its sender through the same impairments (a user-space bridge), issue 12',
    ],
  };
}
