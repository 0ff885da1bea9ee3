/**
 * The README and docs run as written: every code block of README.md and docs/*.md is extracted
 * (test/docs/blocks.ts) and run, its shown output compared, or it carries an explicit
 * `<!-- not-run: reason -->` that this test lists.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ts from 'typescript';
import { afterAll, describe, expect, it } from 'vitest';
import { CI_COMMANDS, extractBlocks, markdownFiles, normalise, sessionSteps, synackArgv, type Block } from './blocks.js';

const ROOT = join(import.meta.dirname, '..', '..');
const CLI = join(ROOT, 'dist', 'src', 'cli', 'main.js');
const blocks: Block[] = markdownFiles(ROOT).flatMap((f) => extractBlocks(ROOT, f));
const where = (b: Block): string => `${b.file}:${b.line}`;

// Programs import 'synack': a scratch directory whose node_modules/synack is this repository.
const scratch = mkdtempSync(join(tmpdir(), 'synack-docs-'));
mkdirSync(join(scratch, 'node_modules'));
symlinkSync(ROOT, join(scratch, 'node_modules', 'synack'), 'dir');
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/**
 * Runs synack as the docs show it: stdout and stderr together, as on a terminal. Output shown as
 * an error line (`synack stat: ... (CODE)`) means exit code 1; anything else must exit 0.
 */
function runSynack(argv: string[], shown?: string): string {
  const r = spawnSync(process.execPath, [CLI, ...argv], { encoding: 'utf8', timeout: 60_000, cwd: ROOT });
  const isError = shown !== undefined && /^synack( [a-z]+)?: .*\([A-Z_]+\)\n$/.test(shown);
  expect(r.status, `synack ${argv.join(' ')}: exit code`).toBe(isError ? 1 : 0);
  return r.stdout + r.stderr;
}

describe('README.md and docs/*.md code blocks', () => {
  it('every block is classified; the ones that cannot run in CI say why, and are listed here', () => {
    const notRun = blocks.filter((b) => b.kind === 'not-run');
    const counts = Object.fromEntries(['program', 'session', 'commands', 'not-run', 'text'].map((k) => [k, blocks.filter((b) => b.kind === k).length]));
    console.log(`code blocks: ${JSON.stringify(counts)}; not run in CI (${notRun.length}):\n${notRun.map((b) => `  ${where(b)}: ${b.reason}`).join('\n')}`);
    for (const b of notRun) expect(b.reason!.length, where(b)).toBeGreaterThan(10);
    expect(blocks.filter((b) => b.kind === 'program').length).toBeGreaterThan(0);
  });

  it('the README starts with exactly two set-up commands: npm install and the demo, then npm test', () => {
    const first = blocks.find((b) => b.file === 'README.md')!;
    expect(first.kind).toBe('commands');
    expect(first.body.split('\n')).toEqual(['npm install && npm run demo', 'npm test']);
  });

  for (const b of blocks.filter((x) => x.kind === 'program')) {
    it(`${where(b)}: the ${b.lang} example runs${b.output !== undefined ? ' and prints what is shown' : ''}`, () => {
      const isTs = b.lang === 'ts' || b.lang === 'typescript';
      const code = isTs ? ts.transpileModule(b.body, { compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 } }).outputText : b.body;
      const file = join(scratch, `block-${b.file.replace(/\W/g, '_')}-${b.line}.mjs`);
      writeFileSync(file, code);
      const r = spawnSync(process.execPath, [file], { encoding: 'utf8', timeout: 30_000, cwd: scratch });
      expect(r.stderr, `${where(b)}: stderr`).toBe('');
      expect(r.status, `${where(b)}: exit code`).toBe(0);
      if (b.output !== undefined) expect(normalise(r.stdout)).toBe(normalise(`${b.output}\n`));
    });
  }

  for (const b of blocks.filter((x) => x.kind === 'session')) {
    it(`${where(b)}: every $ command is synack's and prints what is shown`, () => {
      for (const step of sessionSteps(b.body)) {
        const argv = synackArgv(step.command);
        expect(argv, `${where(b)}: "$ ${step.command}" is not a synack command: run it here or mark the block <!-- not-run: reason -->`).not.toBeNull();
        expect(normalise(runSynack(argv!, step.output)), `${where(b)}: $ ${step.command}`).toBe(normalise(step.output));
      }
    });
  }

  for (const b of blocks.filter((x) => x.kind === 'commands')) {
    it(`${where(b)}: every command is CI's own or synack's, and runs`, () => {
      for (const line of b.body.split('\n').filter((l) => l.trim() && !l.trim().startsWith('#'))) {
        for (const command of line.split('&&').map((c) => c.trim())) {
          if (CI_COMMANDS.has(command)) continue;
          const argv = synackArgv(command);
          expect(argv, `${where(b)}: "${command}" is neither CI's own nor synack's: mark the block <!-- not-run: reason -->`).not.toBeNull();
          runSynack(argv!);
        }
      }
    });
  }
});

describe('the extractor', () => {
  it('reads a program with its output, a session, a not-run block and plain text', () => {
    const dir = mkdtempSync(join(tmpdir(), 'synack-docs-x-'));
    try {
      mkdirSync(join(dir, 'docs'));
      writeFileSync(
        join(dir, 'README.md'),
        ['```js', 'console.log(1)', '```', '', '```text', '1', '```', '', '```text', '$ synack demo --list', 'x', '```', '<!-- not-run: needs root and a namespace -->', '```sh', 'ip netns add x', '```', '```', 'a diagram', '```'].join('\n'),
      );
      const got = extractBlocks(dir, 'README.md').map((b) => [b.kind, b.output ?? b.reason ?? '']);
      expect(got).toEqual([
        ['program', '1'],
        ['session', ''],
        ['not-run', 'needs root and a namespace'],
        ['text', ''],
      ]);
      expect(synackArgv('npx synack demo --scenario refused')).toEqual(['demo', '--scenario', 'refused']);
      expect(synackArgv('netstat -n | awk')).toBeNull();
      expect(synackArgv('synack demo | head')).toBeNull();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

// The CLI must be built for these (npm install / npm ci build it).
execFileSync(process.execPath, [CLI, '--version']);
