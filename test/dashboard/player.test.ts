/**
 * The dashboard's scenario player in headless Chromium: play handshake-and-close step by step and
 * watch the diagram count, light its edges and draw the connection's sequence diagram.
 */
import { copyFileSync, mkdirSync } from 'node:fs';
import type http from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDashboardServer, listenDashboard } from '../../src/dashboard/server.js';
import type { RecordedRun } from '../../src/dashboard/protocol.js';
import { pathEdges } from '../../src/observe/edges.js';
import { ROOT, browserUnavailable, edgeCount, launch, screenshot, stateCount, type Launched } from './browser.js';

const why = browserUnavailable();

describe.skipIf(why !== null)(`the scenario player in the browser${why ? ` (skipped: ${why})` : ''}`, () => {
  let server: http.Server;
  let base: string;
  let b: Launched;

  beforeAll(async () => {
    server = createDashboardServer({});
    await listenDashboard(server, '127.0.0.1', 0);
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    b = await launch();
  }, 60_000);

  afterAll(async () => {
    await b?.close();
    server?.close();
    server?.closeAllConnections();
  });

  it('handshake-and-close, one segment per step: ESTABLISHED rises then falls, TIME_WAIT is 1 then 0 after 2MSL, each classic edge lit once', async () => {
    const { page } = b;
    await page.goto(`${base}/?scenario=handshake-and-close`);
    await page.waitForSelector('body[data-player="loaded"]', { timeout: 20_000 });
    const seen: { est: number; tw: number; t: number }[] = [];
    for (let i = 0; i < 40; i++) {
      await page.click('#step');
      seen.push({
        est: await stateCount(page, 'ESTABLISHED'),
        tw: await stateCount(page, 'TIME_WAIT'),
        t: Number((await page.textContent('#clock'))!.match(/[\d.]+/)![0]),
      });
      if (i === 5) await screenshot(page, 'dashboard-player-mid.png');
      if ((await page.getAttribute('body', 'data-player')) === 'done') break;
    }
    expect(await page.getAttribute('body', 'data-player')).toBe('done');
    // the simulator ran in the page (the browser build of the core), not on the server
    expect(await page.getAttribute('body', 'data-runner')).toBe('page');
    const firstEst = seen.findIndex((s) => s.est > 0);
    expect(firstEst).toBeGreaterThanOrEqual(0);
    expect(seen.slice(firstEst).some((s) => s.est === 0)).toBe(true);
    const twOn = seen.findIndex((s) => s.tw === 1);
    const twOff = seen.findIndex((s, i) => i > twOn && s.tw === 0);
    expect(twOn).toBeGreaterThanOrEqual(0);
    expect(twOff).toBeGreaterThan(twOn);
    expect(seen[twOff]!.t - seen[twOn]!.t).toBeGreaterThanOrEqual(60);
    for (const e of [...pathEdges('client'), ...pathEdges('server')]) expect(await edgeCount(page, e.id), e.id).toBe(1);
    expect(b.errors).toEqual([]);
  });

  it("selecting the connection draws its segments in the run's order, the same run Node records (the page's run is the server's)", async () => {
    const { page } = b;
    const run = (await (await fetch(`${base}/run?scenario=handshake-and-close`)).json()) as RecordedRun;
    const flags = run.messages.filter((m) => m.type === 'segment').map((m) => (m as { flags: string }).flags);
    await page.locator('#connections li').first().click();
    expect(await page.locator('#connections li').count()).toBe(1);
    const drawn = await page.locator('#sequence g.seg').evaluateAll((gs) => gs.map((g) => g.getAttribute('data-flags')));
    expect(drawn).toEqual(flags);
    expect(drawn.slice(0, 3)).toEqual(['S', 'S.', '.']);
    const shot = await screenshot(page, 'dashboard-player-done.png');
    expect(shot).toMatch(/test-results/);
  });

  it('play runs to the end by itself; a lost segment is drawn dashed and crossed out', async () => {
    const { page } = b;
    await page.goto(`${base}/?scenario=lost-final-ack&autoplay=1`);
    await page.selectOption('#speed', '40');
    await page.waitForSelector('body[data-player="done"]', { timeout: 60_000 });
    await page.locator('#connections li').first().click();
    expect(await page.locator('#sequence g.seg[data-dropped="true"]').count()).toBe(1);
    expect(await page.getAttribute('#link', 'href')).toMatch(/scenario=lost-final-ack&loss=0&delay=5&seed=1&autoplay=1/);
    expect(b.errors).toEqual([]);
  }, 90_000);

  it('the README screenshot: simultaneous-close mid-run', async () => {
    const { page } = b;
    await page.goto(`${base}/?scenario=simultaneous-close`);
    await page.waitForSelector('body[data-player="loaded"]', { timeout: 20_000 });
    for (let i = 0; i < 6; i++) await page.click('#step');
    await page.locator('#connections li').first().click();
    const shot = await screenshot(page, 'dashboard.png');
    if (process.env.SYNACK_UPDATE_DOCS) {
      mkdirSync(join(ROOT, 'docs'), { recursive: true });
      copyFileSync(shot, join(ROOT, 'docs', 'dashboard.png'));
    }
    expect(await stateCount(page, 'CLOSING')).toBeGreaterThan(0);
  });
});
