/** One error style for every command and for commander's own errors: `synack <command>: message (CODE)`, exit 1. */
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const CLI = join(process.cwd(), 'dist/src/cli/main.js');
const PROC_NET = join(process.cwd(), 'test/host/fixtures/proc-net');
const STYLE = /^synack( [a-z]+)?: .+ \([A-Z][A-Z_]+\)\n$/;

function run(args: string[]): { code: number | null; out: string; err: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 20_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe('one error style everywhere', () => {
  it.each([
    [['demo', '--bogus'], "synack demo: unknown option '--bogus' (ERR_UNKNOWN_OPTION)\n"],
    [['nope'], "synack: unknown command 'nope' (ERR_UNKNOWN_COMMAND)\n"],
    [['demo', '--loss', '2'], 'synack demo: --loss must be a number from 0 to 0.5 (got "2") (ERR_INVALID_ARG_VALUE)\n'],
    [['demo', '--scenario'], "synack demo: option '-s, --scenario <name>' argument missing (ERR_MISSING_OPTION)\n"],
    [['connect'], "synack connect: missing required argument 'host:port' (ERR_MISSING_ARGS)\n"],
    [['stat', '--top', '0'], 'synack stat: option \'--top <n>\' argument \'0\' is invalid. --top must be a whole number from 1 to 100, got "0" (ERR_INVALID_ARG_VALUE)\n'],
    [['stat', '--json', '--prometheus'], 'synack stat: choose one of --json and --prometheus (ERR_USAGE)\n'],
    [['serve', '--tun', 'x0'], "synack serve: --ip ADDR is required: synack's own address on the link (ERR_INVALID_ARG_VALUE)\n"],
  ])('%j', (args, line) => {
    const r = run(args);
    expect(r.code).toBe(1);
    expect(r.out).toBe('');
    expect(r.err).toBe(line);
    expect(r.err).toMatch(STYLE);
  });

  it('--help and --version still exit 0 on stdout', () => {
    expect(run(['--version'])).toMatchObject({ code: 0, out: '0.1.0\n', err: '' });
    const h = run(['demo', '--help']);
    expect(h.code).toBe(0);
    expect(h.out).toContain('Usage: synack demo');
  });
});

describe('demo options', () => {
  it.each(['1.5', '-1', 'abc', ''])('--seed %j is refused: a seed is a whole number', (seed) => {
    const r = run(['demo', '--scenario', 'refused', '--seed', seed]);
    expect(r.code).toBe(1);
    expect(r.err).toBe(`synack demo: --seed must be a whole number from 0 to 4294967295 (got "${seed}") (ERR_INVALID_ARG_VALUE)\n`);
  });

  it('demo --json has one shape: { scenarios: [...] } for the tour and for one scenario', () => {
    for (const args of [['demo', '--json'], ['demo', '--json', '--scenario', 'refused']]) {
      const body = JSON.parse(run(args).out) as Record<string, unknown>;
      expect(Object.keys(body)).toEqual(['scenarios']);
      expect(Array.isArray(body.scenarios)).toBe(true);
    }
  });

  it('the demo text explains itself: no reference to "the article"', () => {
    expect(run(['demo']).out).not.toMatch(/the article/i);
  });
});

describe('a closed pipe ends quietly', () => {
  it.each(['demo', 'demo --json'])('synack %s | head -3: three lines, exit 0, nothing on stderr (no EPIPE trace)', async (cmd) => {
    const r = await new Promise<{ code: number | null; out: string; err: string }>((resolve) => {
      // the shell pipeline is the user's: demo's stdout is a pipe that head closes after 3 lines
      // demo's stderr is the shell's, so a trace would show up in `err` (--json writes more than a pipe holds)
      const child = spawn('sh', ['-c', `"${process.execPath}" "${CLI}" ${cmd} | head -3`], { stdio: ['ignore', 'pipe', 'pipe'], timeout: 20_000 });
      let out = '';
      let err = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr.on('data', (d: Buffer) => (err += d.toString()));
      child.on('close', (code) => resolve({ code, out, err }));
    });
    expect(r.out.split('\n')).toHaveLength(4); // three lines and the final newline
    expect(r.out).toMatch(cmd === 'demo' ? /^━━ handshake-and-close/ : /^\{\n  "scenarios": \[/);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
  });

  it('the demo process itself exits 0 when its reader goes away', async () => {
    const code = await new Promise<number | null>((resolve) => {
      const child = spawn(process.execPath, [CLI, 'demo'], { stdio: ['ignore', 'pipe', 'pipe'], timeout: 20_000 });
      let err = '';
      child.stderr.on('data', (d: Buffer) => (err += d.toString()));
      child.stdout.once('data', () => child.stdout.destroy());
      child.on('close', (c) => {
        expect(err).toBe('');
        resolve(c);
      });
    });
    expect(code).toBe(0);
  });
});

describe('stat --diagnose exit codes, like monitoring plugins', () => {
  it('1 when the worst finding is a WARNING (the saved fixture: CLOSE_WAIT piling up)', () => {
    const r = run(['stat', '--diagnose', '--sample', '0', '--proc-net', PROC_NET]);
    expect(r.out).toMatch(/^CLOSE_WAIT\s+WARNING/m);
    expect(r.out).not.toMatch(/CRITICAL/);
    expect(r.code).toBe(1);
  });

  it('0 without --diagnose, and with --json the same code as the text', () => {
    expect(run(['stat', '--proc-net', PROC_NET]).code).toBe(0);
    expect(run(['stat', '--diagnose', '--json', '--sample', '0', '--proc-net', PROC_NET]).code).toBe(1);
  });
});
