/**
 * The API reference: TypeDoc builds it from the JSDoc (`npm run docs:api`), and every public export
 * of src/index.ts must have a doc comment. typedoc.json turns on validation.notDocumented with
 * treatWarningsAsErrors, so an undocumented export fails this run.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');

describe('API reference (TypeDoc)', () => {
  it('typedoc.json validates that every export is documented and treats a warning as an error', () => {
    const cfg = JSON.parse(readFileSync(join(ROOT, 'typedoc.json'), 'utf8')) as Record<string, unknown>;
    expect(cfg.entryPoints).toEqual(['src/index.ts']);
    expect(cfg.validation).toMatchObject({ notDocumented: true, invalidLink: true });
    expect(cfg.treatWarningsAsErrors).toBe(true);
    expect(cfg.requiredToBeDocumented).toEqual(expect.arrayContaining(['Class', 'Function', 'Interface', 'TypeAlias', 'Variable']));
  });

  it('builds with no warnings: every public export has a doc comment', () => {
    const bin = join(ROOT, 'node_modules', '.bin', 'typedoc');
    const r = spawnSync(bin, ['--emit', 'none'], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
    expect(`${r.stdout}${r.stderr}`).not.toMatch(/\[warning\]|\[error\]/);
    expect(r.status).toBe(0);
  }, 130_000);

  it('the README links the reference and says how to build it', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    expect(readme).toContain('npm run docs:api');
    expect(readme).toContain('docs/api/index.html');
  });
});
