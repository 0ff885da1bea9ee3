/**
 * Build dist/ once before the tests that run the CLI as users do (`node dist/src/cli/main.js`).
 * Type errors are printed but do not stop the tests: tsc still emits, and `npm ci`/`npm run build`
 * (the prepare script) is where a type error fails the build.
 */
import { spawnSync } from 'node:child_process';

export default function setup(): void {
  const r = spawnSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.json'], { encoding: 'utf8' });
  if (r.status !== 0) process.stderr.write(`tsc reported errors (tests run on what it emitted):\n${r.stdout}${r.stderr}`);
}
