/**
 * synack in a real browser: the packed package (`npm pack`) installed into a scratch project,
 * bundled by esbuild for the browser, served from 127.0.0.1 and run in Debian's chromium (headless,
 * driven by playwright-core): (a) an echo through stack.net on a SimNetwork and TIME_WAIT held for
 * 2MSL of virtual time, (b) the WinterTC connect() echoing with half-close, (c) 16 MiB byte-exact
 * with the page's real clock. The same bundle then runs under plain Node.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { build } from 'esbuild';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { npmInstall, packTarball, scratchProject, tempDir } from '../package/packed.js';

const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => spawnSync(p, ['--version']).status === 0);
if (!CHROMIUM) console.warn('browser tests skipped: no chromium on this machine (Debian package `chromium`; .ci/run installs it)');

const dir = tempDir('browser');
let app = '';
let bundle = '';
let server: Server | undefined;
let browser: Browser | undefined;
let page: Page | undefined;
const pageErrors: string[] = [];

/** install the packed package and bundle the page's code for the browser, as a user's app would */
async function prepare(): Promise<void> {
  const tgz = packTarball(dir);
  app = scratchProject(dir, 'page-app');
  const r = npmInstall(app, ['--ignore-scripts', tgz]);
  if (r.status !== 0) throw new Error(`npm install of the packed package failed:\n${r.stdout}${r.stderr}`);
  copyFileSync(join(import.meta.dirname, 'page-tests.js'), join(app, 'page-tests.js'));
  bundle = join(app, 'bundle.js');
  await build({ entryPoints: [join(app, 'page-tests.js')], absWorkingDir: app, bundle: true, platform: 'browser', format: 'esm', minify: true, outfile: bundle, logLevel: 'silent' });
}

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.skipIf(!CHROMIUM)('synack in chromium (the packed package, bundled for the browser)', () => {
  beforeAll(async () => {
    await prepare();
    const html = '<!doctype html><meta charset="utf-8"><title>synack</title><script type="module" src="/bundle.js"></script>';
    server = createServer((req, res) => {
      if (req.url === '/bundle.js') {
        res.writeHead(200, { 'content-type': 'text/javascript' });
        res.end(readFileSync(bundle));
      } else {
        res.writeHead(200, { 'content-type': 'text/html' });
        res.end(html);
      }
    });
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    });
    page = await browser.newPage();
    page.on('pageerror', (e) => pageErrors.push(e.message));
    await page.goto(`http://127.0.0.1:${(server!.address() as AddressInfo).port}/`);
    await page.waitForFunction(() => 'synackPageTests' in globalThis, undefined, { timeout: 30_000 });
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  });

  const inPage = <T>(name: string): Promise<T> =>
    page!.evaluate((n) => (globalThis as unknown as Record<string, Record<string, () => Promise<unknown>>>).synackPageTests![n]!(), name) as Promise<T>;

  it('the bundle has no Node built-ins left to resolve and loads without errors', () => {
    expect(readFileSync(bundle, 'utf8')).not.toMatch(/from\s*"node:|require\("node:/);
    expect(pageErrors).toEqual([]);
  });

  it('(a) an echo through stack.net between two SimNetwork hosts, then TIME_WAIT for exactly 2MSL of virtual time', async () => {
    const r = await inPage<{ echoed: boolean; got: string; path: string[]; justBefore: object; after: object; held: number }>('timeWait');
    expect(r.echoed).toBe(true);
    expect(r.got).toBe('hello from the page');
    expect(r.path).toEqual(['SYN_SENT', 'ESTABLISHED', 'FIN_WAIT_1', 'FIN_WAIT_2', 'TIME_WAIT', 'CLOSED']);
    expect(r.justBefore).toEqual({ TIME_WAIT: 1 });
    expect(r.after).toEqual({});
    expect(r.held).toBe(60_000);
  });

  it('(b) WinterTC connect() echoes through streams; writable.close() half-closes and the reply still arrives', async () => {
    const r = await inPage<{ remote: string; afterOurFin: string; text: string; final: object }>('halfClose');
    expect(r.remote).toBe('10.0.0.2:7');
    expect(r.afterOurFin).toMatch(/^(FIN_WAIT_2|TIME_WAIT)$/);
    expect(r.text).toBe('half-closed');
    expect(r.final).toEqual({ TIME_WAIT: 1 });
  });

  it('(c) 16 MiB through connect() with the page\'s real clock arrives byte-exact', async () => {
    const r = await inPage<{ total: number; received: number; mismatches: number; ms: number }>('bulk');
    console.log(`chromium: 16 MiB over synack (real clock, in-page) in ${r.ms} ms`);
    expect(r).toMatchObject({ received: r.total, mismatches: 0 });
  });
});

describe.skipIf(!CHROMIUM)('the same bundle under plain Node', () => {
  it('runs (a), (b) and (c) with the same results', () => {
    const driver = join(app, 'node-driver.mjs');
    writeFileSync(
      driver,
      `await import(${JSON.stringify(bundle)});
const t = globalThis.synackPageTests;
console.log(JSON.stringify({ a: await t.timeWait(), b: await t.halfClose(), c: await t.bulk() }));
`,
    );
    const r = spawnSync(process.execPath, [driver], { encoding: 'utf8', timeout: 120_000 });
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout.trim().split('\n').pop()!);
    expect(out.a).toMatchObject({ echoed: true, got: 'hello from the page', after: {}, held: 60_000 });
    expect(out.b).toMatchObject({ text: 'half-closed', final: { TIME_WAIT: 1 } });
    expect(out.c).toMatchObject({ received: 16 * 1024 * 1024, mismatches: 0 });
  });
});
