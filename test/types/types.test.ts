/**
 * Types a user can trust: test/types/net-types.ts is compiled against the published declarations
 * (dist/, built by the test setup with stripInternal). Its assignments prove that stack.net fits
 * where Node's net functions are expected and that Socket satisfies net.Socket; its
 * `@ts-expect-error` lines prove that typed events, typed sysctl and hidden internals catch mistakes.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

describe('published types', () => {
  it('test/types/net-types.ts compiles against dist/ with tsc --noEmit', () => {
    const r = spawnSync(process.execPath, ['node_modules/typescript/bin/tsc', '--noEmit', '-p', 'test/types/tsconfig.json'], { encoding: 'utf8', timeout: 120_000 });
    expect(`${r.stdout}${r.stderr}`).toBe('');
    expect(r.status).toBe(0);
  });

  it('members marked @internal are not in the published socket declarations', () => {
    const dts = readFileSync('dist/src/api/socket.d.ts', 'utf8');
    for (const name of ['onEstablished', 'onReadable', 'onWritable', 'onError', 'onClosed', 'attach', 'attempt', 'abandonAttempt']) {
      expect(dts).not.toMatch(new RegExp(`\\b${name}\\(`));
    }
    expect(dts).toMatch(/\bsetTimeout\(/); // the public API is still there
  });
});
