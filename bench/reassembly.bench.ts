/**
 * Out-of-order data a peer never completes: one-byte segments at every other byte of the window
 * (the hole at RCV.NXT never filled), SACK on, into one ESTABLISHED TCB. Reported: heap held per
 * byte of out-of-order data, and the cost of one more such segment (its duplicate ACK and SACK
 * blocks included) when 1,000 and when 30,000 pieces are already held. The baseline is the same
 * TCB given whole-MSS segments with the same hole (what a lossy but honest peer sends).
 */
import { runInNewContext } from 'node:vm';
import v8 from 'node:v8';
import { SYSCTL_DEFAULTS, applySysctl } from '../src/tcp/sysctl.js';
import { Tcb, type TcbHooks } from '../src/tcp/tcb.js';
import { ACK, SYN, type Segment } from '../src/wire/segment.js';
import type { BenchTable } from './index.js';

export const title = 'Out-of-order data that never fills its hole (one TCB, 1 MiB window, SACK on)';

v8.setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const WINDOW = 1 << 20;
const hooks: TcbHooks = {
  send() {},
  transition() {},
  established() {},
  readable() {},
  writable() {},
  error() {},
};

const REMOTE_ISS = 7_000_000;

function seg(seq: number, flags: number, payload: Uint8Array, ack = 0): Segment {
  return { srcPort: 40000, dstPort: 80, seq: seq >>> 0, ack: ack >>> 0, flags, window: 65535, urgent: 0, options: flags & SYN ? { sackPermitted: true, wscale: 7, mss: 1460 } : {}, payload };
}

function establishedTcb(): Tcb {
  const sysctl = applySysctl(SYSCTL_DEFAULTS, { tcp_rmem: [4096, WINDOW, WINDOW], tcp_timestamps: 0 });
  const tcb = new Tcb(hooks, { sysctl, localPort: 80, remotePort: 40000, iss: 1000, mss: 1460, rcvBuf: WINDOW });
  tcb.openPassive(0);
  tcb.segmentArrives(seg(REMOTE_ISS, SYN, new Uint8Array(0)), 0);
  tcb.segmentArrives(seg(REMOTE_ISS + 1, ACK, new Uint8Array(0), 1001), 1);
  if (tcb.state !== 'ESTABLISHED') throw new Error(`setup reached ${tcb.state}`);
  return tcb;
}

function heap(): number {
  gc();
  gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

interface Figures {
  pieces: number;
  held: number;
  bytesPerByte: number;
  /** mean µs per segment over the 200 segments fed after `at` pieces, for each `at` */
  us: Map<number, number>;
}

/** Feed `total` segments of `size` bytes, `stride` bytes apart, past a one-byte hole at RCV.NXT. */
function feedPieces(size: number, stride: number, total: number, timeAt: number[]): Figures {
  const tcb = establishedTcb();
  const base = heap();
  const data = new Uint8Array(size).fill(0x61);
  let t = 2;
  let fed = 0;
  const feed = (n: number): number => {
    const start = process.hrtime.bigint();
    for (let i = fed; i < fed + n; i++) tcb.segmentArrives(seg(REMOTE_ISS + 2 + i * stride, ACK, data, 1001), t++);
    fed += n;
    return Number(process.hrtime.bigint() - start) / 1000 / n;
  };
  const us = new Map<number, number>();
  for (const at of timeAt) {
    feed(at - fed);
    us.set(at, feed(200));
  }
  feed(total - fed);
  const held = tcb.reassembly.bytes;
  const grown = heap() - base;
  if (tcb.readable !== 0) throw new Error('the hole was filled');
  return { pieces: total, held, bytesPerByte: grown / held, us };
}

export async function run(): Promise<BenchTable> {
  for (let i = 0; i < 3; i++) feedPieces(1, 2, 5000, [1000, 3000]); // warm up the JIT
  const tiny = feedPieces(1, 2, 36_900, [1000, 30_000]);
  const mss = feedPieces(1460, 1461, 700, [400]);
  const at1k = tiny.us.get(1000)!;
  const at30k = tiny.us.get(30_000)!;
  return {
    columns: ['peer', 'pieces held', 'bytes held', 'heap B per byte held', 'µs/segment at 1k pieces', 'µs/segment at 30k pieces', '30k / 1k'],
    rows: [
      ['1-byte pieces, every other byte', tiny.pieces, tiny.held, tiny.bytesPerByte, at1k, at30k, at30k / at1k],
      ['1460-byte segments, 1-byte gaps', mss.pieces, mss.held, mss.bytesPerByte, '-', '-', '-'],
    ],
    notes: [
      'heap = V8 heap used + ArrayBuffers after two full collections, growth over the TCB before the first piece',
      'µs/segment: mean over 200 segments, each answered at once by a duplicate ACK carrying SACK blocks',
      `1460-byte segments: ${mss.us.get(400)!.toFixed(2)} µs/segment at 400 held`,
    ],
  };
}
