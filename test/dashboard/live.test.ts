/**
 * The dashboard against real TCP: `synack serve --dashboard` on a TUN device with curl (the Linux
 * kernel) as the client, and `synack stat --dashboard` showing a known kernel socket population.
 * Everything runs in network namespaces these tests create; the browser is started inside the
 * namespace whose loopback the dashboard listens on.
 */
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Netns, Output, interopUnavailable } from '../interop/helpers.js';
import { TestNamespace, netnsUnavailable } from '../host/helpers/netns.js';
import { STATE_NAMES, emptyCounts, stateFromSsName } from '../../src/host/tcp-states.js';
import { browserUnavailable, edgeCount, launch, screenshot, stateCount, ROOT, type Launched } from './browser.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const CLI = join(ROOT, 'dist', 'src', 'cli', 'main.js');
const CONTROL = join(tmpdir(), `synack-control-${process.pid}.sock`);
const whyLive = browserUnavailable() ?? interopUnavailable(['curl']);
const whyHost = browserUnavailable() ?? netnsUnavailable();

describe.skipIf(whyLive !== null)(`serve --dashboard with curl as the client${whyLive ? ` (skipped: ${whyLive})` : ''}`, () => {
  const ns = new Netns();
  let b: Launched;

  beforeAll(async () => {
    ns.create();
    await ns.serve(['--tun', 'synack0', '--ip', '10.99.0.2', '--peer-ip', '10.99.0.1/24', '--services', 'http', '--dashboard', '127.0.0.1:8765', '--control', CONTROL]);
    b = await launch({ netns: ns.name });
  }, 60_000);

  afterAll(async () => {
    await b?.close();
    await ns.destroy();
  });

  it("curl's request lights the server path and its segments appear in order, the kernel's SYN first", async () => {
    const { page } = b;
    await page.goto('http://127.0.0.1:8765/');
    await page.waitForSelector('#status:has-text("connected")', { timeout: 20_000 });
    expect(await stateCount(page, 'LISTEN')).toBe(1);
    const r = await ns.run(['curl', '-sS', '--max-time', '10', '-o', '/dev/null', '-w', '%{http_code}', 'http://10.99.0.2/']);
    expect(r.stdout.toString()).toBe('200');
    // curl closes first: synack goes CLOSE_WAIT → LAST_ACK → CLOSED
    await page.waitForFunction(() => document.querySelector('g.edge[data-edge="LAST_ACK>CLOSED"]')?.getAttribute('data-count') === '1', null, { timeout: 20_000 });
    for (const e of ['CLOSED>LISTEN', 'LISTEN>SYN_RCVD', 'SYN_RCVD>ESTABLISHED', 'ESTABLISHED>CLOSE_WAIT', 'CLOSE_WAIT>LAST_ACK']) expect(await edgeCount(page, e), e).toBe(1);
    expect(await stateCount(page, 'ESTABLISHED')).toBe(0);
    await page.locator('#connections li').first().click();
    const flags = await page.locator('#sequence g.seg').evaluateAll((gs) => gs.map((g) => g.getAttribute('data-flags')));
    expect(flags.slice(0, 3)).toEqual(['S', 'S.', '.']);
    expect(flags.filter((f) => f!.includes('F'))).toHaveLength(2);
    await screenshot(page, 'dashboard-serve.png');
    expect(b.errors).toEqual([]);
  });

  it('synack ss --from the --control socket: a transfer in progress is ESTAB with the timer column and its TCP info', async () => {
    // 3 MB at 2 KB/s: far more than the kernel's receive buffer holds, so the server's side stays
    // ESTABLISHED while ss looks (a 30 kB reply fits whole and the server goes on to FIN_WAIT_2)
    const keep = ns.start(['curl', '-sS', '--max-time', '20', '--limit-rate', '2k', '-o', '/dev/null', 'http://10.99.0.2/bytes/3000000']);
    let text = '';
    for (let i = 0; i < 50 && !/ESTAB/.test(text); i++) {
      const r = await ns.run([process.execPath, CLI, 'ss', '--from', CONTROL, '-i', '-o']);
      expect(r.code, r.stderr).toBe(0);
      text = r.stdout.toString();
      if (!/ESTAB/.test(text)) await new Promise((res) => setTimeout(res, 100));
    }
    expect(text).toMatch(/^State\s+Recv-Q\s+Send-Q\s+Local Address:Port\s+Peer Address:Port\s+Timer/);
    expect(text).toMatch(/ESTAB\s+\d+\s+\d+\s+10\.99\.0\.2:80\s+10\.99\.0\.1:\d+/);
    expect(text).toMatch(/\t rto:[\d.]+ rtt:[\d.]+\/[\d.]+ mss:\d+ cwnd:\d+/);
    keep.kill('SIGKILL');
  });

  it('synack ss --from the dashboard address lists the listener', async () => {
    const r = await ns.run([process.execPath, CLI, 'ss', '--from', '127.0.0.1:8765', '-l']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.toString()).toMatch(/LISTEN\s+0\s+511\s+0\.0\.0\.0:80\s+0\.0\.0\.0:\*/);
  });
});

function ssCounts(ns: TestNamespace): Record<string, number> {
  const c = emptyCounts() as Record<string, number>;
  for (const line of ns.exec(['ss', '-tanH']).split('\n')) {
    const name = line.trim().split(/\s+/)[0];
    if (name) c[stateFromSsName(name)!]!++;
  }
  return c;
}

describe.skipIf(whyHost !== null)(`stat --dashboard: the kernel's counts${whyHost ? ` (skipped: ${whyHost})` : ''}`, () => {
  const ns = new TestNamespace();
  let stat: ChildProcess;
  let b: Launched;
  let url = '';

  beforeAll(async () => {
    ns.create();
    stat = spawn(process.execPath, [CLI, 'stat', '--dashboard', '127.0.0.1:0', '--netns', ns.name, '--watch', '0.3'], { stdio: ['ignore', 'pipe', 'pipe'] });
    url = (await new Output(stat).waitFor(/^synack stat: dashboard at /, 20_000)).split(' at ')[1]!.trim();
    b = await launch();
  }, 60_000);

  afterAll(async () => {
    await b?.close();
    if (stat?.pid && stat.exitCode === null) process.kill(stat.pid, 'SIGTERM');
    await ns.destroy();
  });

  it('shows the population ss -tan counts in the namespace, with the change since the last reading', async () => {
    const { page } = b;
    await page.goto(url);
    await page.waitForSelector('body[data-mode="host"]', { timeout: 20_000 });
    expect(await stateCount(page, 'ESTABLISHED')).toBe(0);
    // note each reading's change beside ESTABLISHED as the page shows it
    await page.evaluate(() => {
      const seen: string[] = [];
      (globalThis as unknown as { deltas: string[] }).deltas = seen;
      const delta = document.querySelector('g.state[data-state="ESTABLISHED"] .delta')!;
      new MutationObserver(() => seen.push(delta.textContent ?? '')).observe(delta, { childList: true, characterData: true, subtree: true });
    });
    const pop = ns.start(['node', join(ROOT, 'examples', 'stat-population', 'population.mjs'), JSON.stringify({ estab4: 6, timeWait: 4, lifetime: 60 })]);
    await ns.waitFor(pop, /^READY /);
    const want = ssCounts(ns);
    const names: Record<string, string> = { SYN_RECV: 'SYN_RCVD', FIN_WAIT1: 'FIN_WAIT_1', FIN_WAIT2: 'FIN_WAIT_2' };
    await page.waitForFunction((n) => document.querySelector('g.state[data-state="ESTABLISHED"]')?.getAttribute('data-count') === String(n), want.ESTABLISHED, {
      timeout: 10_000,
    });
    // the readings showed each change beside the count (+k as they arrived; the TIME_WAIT clients'
    // connections come and go), adding up to the population
    const deltas = (await page.evaluate(() => (globalThis as unknown as { deltas: string[] }).deltas)).filter((d) => d !== '');
    expect(deltas.some((d) => d.startsWith('+'))).toBe(true);
    expect(deltas.reduce((sum, d) => sum + Number(d), 0)).toBe(want.ESTABLISHED);
    for (const s of STATE_NAMES) {
      if (s === 'CLOSE') continue;
      expect(await stateCount(page, names[s] ?? s), s).toBe(want[s]);
    }
    expect(want.ESTABLISHED).toBe(12);
    expect(want.TIME_WAIT).toBe(4);
    // edges cannot be known from /proc: the host mode shows none
    expect(await page.locator('svg.diagram.no-edges').count()).toBe(1);
    await screenshot(page, 'dashboard-stat.png');
    expect(b.errors).toEqual([]);
  });
});
