/** Every demo scenario survives every impairment `synack demo`'s options allow, and says what happened. */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEMO_LIMITS } from '../../src/cli/demo.js';
import { chooseLayout } from '../../src/cli/demo/layout.js';
import { makeStyle, renderScenario } from '../../src/cli/demo/render.js';
import { runScenario } from '../../src/cli/demo/run.js';
import { SCENARIOS } from '../../src/cli/demo/scenarios.js';

const CLI = join(process.cwd(), 'dist/src/cli/main.js');

describe('synack demo under impairments', () => {
  it('demo --loss 0.5 --seed 3 (a handshake times out in simultaneous-close) finishes the tour and exits 0', () => {
    const out = execFileSync(process.execPath, [CLI, 'demo', '--loss', '0.5', '--seed', '3'], { encoding: 'utf8' });
    expect(out).toContain('━━ states entered over the whole tour');
    for (const s of SCENARIOS) expect(out).toContain(`━━ ${s.name}:`);
  });

  it('a scenario that cannot go on reports why in its notes and in --json, and the next one runs', () => {
    const body = JSON.parse(execFileSync(process.execPath, [CLI, 'demo', '--json', '--loss', '0.5', '--seed', '3'], { encoding: 'utf8' })) as {
      scenarios: { name: string; stopped?: string; notes: string[] }[];
    };
    expect(body.scenarios).toHaveLength(SCENARIOS.length);
    const stopped = body.scenarios.filter((s) => s.stopped !== undefined);
    expect(stopped.length).toBeGreaterThan(0);
    for (const s of stopped) expect(s.notes).toContain(`scenario stopped: ${s.stopped}`);
  });

  it('every scenario survives any seed, loss and delay the options allow (50 random runs, virtual time)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...SCENARIOS),
        fc.integer({ min: DEMO_LIMITS.seed[0], max: DEMO_LIMITS.seed[1] }),
        fc.double({ min: DEMO_LIMITS.loss[0], max: DEMO_LIMITS.loss[1], noNaN: true }),
        fc.integer({ min: DEMO_LIMITS.delay[0], max: DEMO_LIMITS.delay[1] }),
        async (sc, seed, loss, delay) => {
          const r = await runScenario(sc, { seed, loss, delay });
          expect(r.name).toBe(sc.name);
          if (r.stopped !== undefined) expect(r.notes).toContain(`scenario stopped: ${r.stopped}`);
          // and it draws, at any width
          for (const w of [80, 120, undefined]) expect(() => renderScenario(r, makeStyle(false), chooseLayout(w))).not.toThrow();
        },
      ),
      { numRuns: 50, seed: 20261202 },
    );
  }, 120_000);

  it('the extremes of every range: loss 0.5 with delay 0 and with delay 10 s, every scenario', async () => {
    for (const delay of [DEMO_LIMITS.delay[0], DEMO_LIMITS.delay[1]]) {
      for (const sc of SCENARIOS) {
        const r = await runScenario(sc, { seed: 3, loss: DEMO_LIMITS.loss[1], delay });
        expect(r.name).toBe(sc.name);
      }
    }
  }, 120_000);
});
