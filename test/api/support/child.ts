/**
 * Run a small ES module in a child `node` process, as a user's program runs, and see what it did
 * before the process exited: the lines it logged (each with the ms since start) and when it exited.
 * Scripts import synack from the built dist/ (test/setup/build.ts builds it before the tests).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

export const DIST = pathToFileURL(join(import.meta.dirname, '..', '..', '..', 'dist', 'src', 'index.js')).href;

export interface ChildRun {
  code: number | null;
  /** what the script logged with log(), in order */
  events: string[];
  /** ms from the script's start to each event, parallel to events */
  at: number[];
  /** ms from the script's start to the process's exit */
  exitAt: number;
  stderr: string;
}

/** Prelude every script gets: `log(...)` records an event with its time; the exit time is printed last. */
const PRELUDE = `
const __t0 = performance.now();
globalThis.log = (...a) => process.stdout.write(JSON.stringify([performance.now() - __t0, a.join(' ')]) + '\\n');
process.on('exit', () => process.stdout.write(JSON.stringify([performance.now() - __t0, '@exit']) + '\\n'));
`;

/** Run `body` (ESM; `synack` is the package, `net` is node:net) and collect what happened; killed after `limitMs`. */
export async function runChild(body: string, limitMs = 20_000): Promise<ChildRun> {
  const dir = mkdtempSync(join(tmpdir(), `synack-child-${process.pid}-`));
  const file = join(dir, 'main.mjs');
  writeFileSync(file, `import * as synack from '${DIST}';\nimport net from 'node:net';\nimport http from 'node:http';\n${PRELUDE}\n${body}\n`);
  try {
    return await new Promise<ChildRun>((resolve) => {
      const child = spawn(process.execPath, [file], { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr.on('data', (d: Buffer) => (err += d.toString()));
      const killer = setTimeout(() => child.kill('SIGKILL'), limitMs);
      child.on('close', (code) => {
        clearTimeout(killer);
        const events: string[] = [];
        const at: number[] = [];
        let exitAt = Infinity;
        for (const line of out.split('\n')) {
          if (!line) continue;
          const [t, ev] = JSON.parse(line) as [number, string];
          if (ev === '@exit') exitAt = t;
          else {
            events.push(ev);
            at.push(t);
          }
        }
        resolve({ code, events, at, exitAt, stderr: err });
      });
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
