/**
 * TunDevice's errors are clear and carry codes: a bad name is refused before the addon is touched,
 * and an addon that cannot be loaded gives ERR_TUN_UNAVAILABLE with what to do, while the rest of
 * synack (a Stack, its net API) works without it.
 */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { TunDevice } from '../../src/link/tun.js';
import { Stack } from '../../src/index.js';

describe('TunDevice errors', () => {
  it('refuses invalid interface names with ERR_INVALID_ARG_VALUE', () => {
    for (const name of ['', 'a/b', 'has space', 'x'.repeat(16)]) {
      expect(() => TunDevice.open(name)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }));
    }
  });

  it('without the addon: ERR_TUN_UNAVAILABLE naming the fix, and the stack still works', () => {
    const script = `
      import { TunDevice } from './dist/src/link/tun.js';
      import { Stack } from './dist/src/index.js';
      const s = new Stack({ addresses: ['10.0.0.2'] });
      s.net.createServer(() => {}).listen(80);
      try { TunDevice.open('synack-none'); } catch (e) { console.log(JSON.stringify({ code: e.code, message: e.message })); }
      s.destroy();
    `;
    // the compiled package (the vitest global setup builds dist/), as a user would load it
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
      encoding: 'utf8',
      env: { ...process.env, SYNACK_TUN_ADDON: '/nonexistent/synack_tun.node' },
      timeout: 20_000,
    });
    expect(r.status, r.stderr).toBe(0);
    const lines = r.stdout.trim().split('\n');
    const out = JSON.parse(lines[lines.length - 1]!) as { code: string; message: string };
    expect(out.code).toBe('ERR_TUN_UNAVAILABLE');
    expect(out.message).toMatch(/failed to load/);
    expect(new Stack({ addresses: ['10.0.0.2'] })).toBeInstanceOf(Stack);
  });
});
