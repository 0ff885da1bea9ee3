/**
 * Install without a compiler: the packed package installs where there is no C toolchain (PATH
 * without cc/gcc/g++/make, CC and CXX pointing nowhere) and with --ignore-scripts; everything but
 * TUN/TAP works there, and TUN/TAP says in one line how to build its addon.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { npmInstall, packTarball, scratchProject, tempDir, toolchainlessBin } from './packed.js';

const dir = tempDir('install');
let tgz = '';
let bin = '';
let env: NodeJS.ProcessEnv = {};
let app = '';
let installOut = '';
let installStatus: number | null = null;

beforeAll(() => {
  tgz = packTarball(dir);
  bin = toolchainlessBin(dir);
  env = { ...process.env, PATH: bin, CC: '/nonexistent', CXX: '/nonexistent' };
  delete env.SYNACK_TUN_ADDON;
  app = scratchProject(dir, 'no-compiler');
  const r = npmInstall(app, [tgz], env);
  installOut = `${r.stdout}${r.stderr}`;
  installStatus = r.status;
}, 300_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

function run(cwd: string, script: string): { status: number | null; out: string } {
  const file = join(cwd, `run-${Math.random().toString(36).slice(2)}.mjs`);
  writeFileSync(file, script);
  const r = spawnSync(process.execPath, [file], { cwd, env, encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

const ECHO = `
import { SimNetwork } from 'synack';
const net = new SimNetwork();
const a = net.host('10.0.0.1'), b = net.host('10.0.0.2');
b.net.createServer((s) => s.pipe(s)).listen(7);
const c = a.net.connect(7, '10.0.0.2');
let got = '';
c.on('data', (d) => (got += d));
c.end('over stack.net');
const server = b.listen('0.0.0.0', { localPort: 9 });
const { readable } = await server.opened;
readable.getReader().read().then(({ value: s }) => s.readable.pipeTo(s.writable));
const w = a.connect('10.0.0.2:9');
const writer = w.writable.getWriter();
writer.write(new TextEncoder().encode('over connect()'));
writer.close();
let web = '';
const pump = (async () => { for await (const chunk of w.readable) web += new TextDecoder().decode(chunk); })();
await net.runUntil(() => got === 'over stack.net' && web === 'over connect()', 10_000);
console.log(JSON.stringify({ got, web }));
`;

describe('npm install of the packed package with no C toolchain', () => {
  it('the sandbox really has no compiler or make', () => {
    for (const cmd of ['cc', 'gcc', 'g++', 'clang', 'make']) {
      expect(spawnSync('sh', ['-c', `command -v ${cmd}`], { env }).status, cmd).not.toBe(0);
    }
  });

  it('succeeds, and the install step says in one line that the addon was not built and how to build it', () => {
    expect(installStatus, installOut).toBe(0);
    const lines = installOut.split('\n').filter((l) => l.startsWith('synack:'));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^synack: TUN\/TAP addon not built \(.+\); everything but TUN\/TAP works — build it later with `npm rebuild synack`/);
    expect(existsSync(join(app, 'node_modules', 'synack', 'build', 'Release', 'synack_tun.node'))).toBe(false);
  });

  it('SimNetwork, stack.net and the web sockets API work there', () => {
    const r = run(app, ECHO);
    expect(r.status, r.out).toBe(0);
    expect(JSON.parse(r.out.trim().split('\n').pop()!)).toEqual({ got: 'over stack.net', web: 'over connect()' });
  });

  it('`synack demo` works there', () => {
    const r = spawnSync(process.execPath, [join(app, 'node_modules', 'synack', 'dist', 'src', 'cli', 'main.js'), 'demo', '-s', 'handshake-and-close', '--no-color'], {
      cwd: app,
      env,
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('TIME_WAIT');
  });

  it('opening a TUN device fails with ERR_TUN_UNAVAILABLE and the one-line build hint', () => {
    const r = run(app, `
import { TunDevice, tunAvailable } from 'synack';
try { TunDevice.open('synack-x'); } catch (e) { console.log(JSON.stringify({ code: e.code, message: e.message, ok: tunAvailable().ok })); }
`);
    expect(r.status, r.out).toBe(0);
    const e = JSON.parse(r.out.trim().split('\n').pop()!) as { code: string; message: string; ok: boolean };
    expect(e.code).toBe('ERR_TUN_UNAVAILABLE');
    expect(e.message).toContain('npm rebuild synack');
    expect(e.message.split('\n')).toHaveLength(1);
    expect(e.ok).toBe(false);
  });
});

describe('npm install --ignore-scripts of the packed package', () => {
  it('succeeds, and SimNetwork, stack.net and the web sockets API work', () => {
    const other = scratchProject(dir, 'ignore-scripts');
    const r = npmInstall(other, ['--ignore-scripts', tgz], env);
    expect(r.status, `${r.stdout}${r.stderr}`).toBe(0);
    const e = run(other, ECHO);
    expect(e.status, e.out).toBe(0);
    expect(JSON.parse(e.out.trim().split('\n').pop()!)).toEqual({ got: 'over stack.net', web: 'over connect()' });
  });
});
