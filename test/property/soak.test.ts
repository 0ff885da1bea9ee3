/**
 * The soak, bounded for CI (test/property/soak.ts). `npm run soak` runs it at full size, seed after
 * seed, for 30 minutes: SYNACK_SOAK_CONNS connections a round (default 10,000), rounds until
 * SYNACK_SOAK_MINUTES have passed.
 */
import { describe, expect, it } from 'vitest';
import { runSoak, type SoakResult } from './soak.js';

const CONNS = Number(process.env.SYNACK_SOAK_CONNS ?? 2000);
const MINUTES = Number(process.env.SYNACK_SOAK_MINUTES ?? 0);
const FIRST_SEED = Number(process.env.SYNACK_SOAK_SEED ?? 20261202);

function check(r: SoakResult): void {
  expect(r.stuck).toEqual([]);
  expect(r.unfinished).toBe(0);
  expect(r.corrupt).toEqual([]);
  expect(r.unexpectedErrors).toEqual([]);
  expect(r.timerBreaches).toEqual([]);
  // after 2MSL: nothing but the listener, no TIME_WAIT record, no timer pending
  expect(r.leftConnections).toBe(0);
  expect(r.leftTimeWait).toBe(0);
  expect(r.serverStates).toEqual({ LISTEN: 1 });
  expect(r.clientStates).toBe(0);
  expect(r.leftTimers).toBe(0);
  expect(r.heapEnd).toBeLessThanOrEqual(r.heapStart * 1.1);
}

function report(seed: number, r: SoakResult): string {
  const modes = Object.entries(r.byMode).map(([k, v]) => `${k} ${v}`).join(', ');
  return (
    `soak seed ${seed}: ${r.connections} connections (${modes}), ${(r.bytesVerified / 2 ** 20).toFixed(1)} MiB verified, ` +
    `${(r.virtualMs / 1000).toFixed(0)} s virtual in ${(r.wallMs / 1000).toFixed(1)} s wall; heap ${(r.heapStart / 2 ** 20).toFixed(1)} → ${(r.heapEnd / 2 ** 20).toFixed(1)} MiB; ` +
    `loss per client ${r.impairments.map((i) => ((i.loss ?? 0) * 100).toFixed(1)).join('/')} %`
  );
}

// on links with no offload, and on links that skip checksums and cut super-segments (link/offload.ts)
for (const offload of [false, true]) {
  describe(`soak: connections opening, moving random sizes under impairments and closing by every path (offload ${offload ? 'on' : 'off'})`, () => {
    it(`${CONNS} connections (loss ≤ 10 %, reordering, duplication, jitter; client-first, server-first, simultaneous, RST, idle timeout): every byte verified, nothing left after 2MSL, heap back within 10 %`, async () => {
      const deadline = Date.now() + MINUTES * 60_000;
      let seed = FIRST_SEED;
      let total = 0;
      for (let round = 0; round === 0 || Date.now() < deadline; round++, seed++) {
        const r = await runSoak({ seed, connections: CONNS, watchEvery: 100, offload });
        console.log(report(seed, r));
        check(r);
        total += r.connections;
        if (MINUTES === 0) break;
      }
      if (MINUTES > 0) console.log(`soak: ${total} connections in ${MINUTES} min`);
    }, (MINUTES > 0 ? MINUTES + 5 : 5) * 60_000);
  });
}
