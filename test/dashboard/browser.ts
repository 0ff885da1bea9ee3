/**
 * Headless Chromium for the dashboard's browser tests: Debian's `chromium` driven by playwright-core
 * (no browser download). Tests skip with the reason when it is absent. `inNetns` starts the browser
 * inside a test's network namespace, to reach a dashboard that listens on that namespace's loopback.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const RESULTS = join(ROOT, 'test-results');
const CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser'];

export function chromiumPath(): string | null {
  return CANDIDATES.find((p) => existsSync(p)) ?? null;
}

/** Why browser tests cannot run here, or null. */
export function browserUnavailable(): string | null {
  if (!chromiumPath()) return 'chromium is not installed (apt-get install chromium)';
  const assets = ['app.js', 'runner.js'].map((f) => join(ROOT, 'dist', 'src', 'dashboard', 'assets', f));
  if (!assets.every((f) => existsSync(f))) {
    // build them now (esbuild is a devDependency; runner.js bundles the compiled core in dist/)
    spawnSync(process.execPath, [join(ROOT, 'scripts', 'build-dashboard.mjs')], { encoding: 'utf8', timeout: 120_000 });
    if (!assets.every((f) => existsSync(f))) return 'the dashboard bundles could not be built (esbuild missing, or dist/ not built?)';
  }
  return null;
}

export interface Launched {
  browser: Browser;
  page: Page;
  /** page errors seen: a test expects none */
  errors: string[];
  close(): Promise<void>;
}

export async function launch(opts: { netns?: string } = {}): Promise<Launched> {
  let executablePath = chromiumPath()!;
  let tmp: string | null = null;
  if (opts.netns) {
    tmp = mkdtempSync(join(tmpdir(), 'synack-chromium-'));
    executablePath = join(tmp, 'chromium-in-netns');
    writeFileSync(executablePath, `#!/bin/sh\nexec ip netns exec ${opts.netns} ${chromiumPath()} "$@"\n`);
    chmodSync(executablePath, 0o755);
  }
  const browser = await chromium.launch({
    executablePath,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    timeout: 30_000,
  });
  const page = await browser.newPage({ viewport: { width: 1400, height: 920 } });
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  return {
    browser,
    page,
    errors,
    async close() {
      await browser.close();
      if (tmp) rmSync(tmp, { recursive: true, force: true });
    },
  };
}

export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(RESULTS, { recursive: true });
  const path = join(RESULTS, name);
  await page.screenshot({ path, fullPage: true });
  return path;
}

/** The count a state's node shows. */
export async function stateCount(page: Page, state: string): Promise<number> {
  return Number(await page.locator(`g.state[data-state="${state}"]`).getAttribute('data-count'));
}

/** How many times an edge was taken, as the diagram shows it. */
export async function edgeCount(page: Page, edge: string): Promise<number> {
  return Number(await page.locator(`g.edge[data-edge="${edge}"]`).getAttribute('data-count'));
}
