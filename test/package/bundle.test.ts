/**
 * The package bundles for every runtime: esbuild --platform=browser takes the core graph without a
 * single Node built-in (the metafile's inputs are walked), the core + simulator + web sockets API
 * stays within its size budget (minified and gzipped), and a Node bundle of the full package runs.
 * Bundles are made from dist/ (built by the test setup), which is what the package ships.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { build, type Metafile, type Plugin } from 'esbuild';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');
const BUDGET = 60 * 1024;
const NODE_BUILTINS = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));

/**
 * Leave Node built-ins outside the bundle and remember who asked, instead of failing the build. A
 * bare name that is also an npm package ('events', 'buffer') is fine when it resolves to one.
 */
function recordBuiltins(seen: string[]): Plugin {
  return {
    name: 'record-builtins',
    setup(b) {
      b.onResolve({ filter: /.*/ }, async (args) => {
        if (args.pluginData === 'inner' || !(args.path.startsWith('node:') || NODE_BUILTINS.has(args.path))) return undefined;
        if (!args.path.startsWith('node:')) {
          const r = await b.resolve(args.path, { kind: args.kind, importer: args.importer, resolveDir: args.resolveDir, pluginData: 'inner' });
          if (r.errors.length === 0 && r.path.includes('node_modules')) return r;
        }
        seen.push(`${args.path} (imported by ${args.importer})`);
        return { path: args.path, external: true };
      });
    },
  };
}

async function browserBundle(entry: string): Promise<{ gz: number; min: number; meta: Metafile; builtins: string[] }> {
  const builtins: string[] = [];
  const r = await build({
    entryPoints: [join(ROOT, 'dist', 'src', entry)],
    bundle: true,
    platform: 'browser',
    format: 'esm',
    minify: true,
    write: false,
    metafile: true,
    logLevel: 'silent',
    plugins: [recordBuiltins(builtins)],
  });
  const code = r.outputFiles[0]!.contents;
  return { gz: gzipSync(code, { level: 9 }).length, min: code.length, meta: r.metafile, builtins };
}

/** Every module in the bundle and every import it makes that stayed outside it. */
function nodeInputs(meta: Metafile): string[] {
  const bad: string[] = [];
  for (const [path, input] of Object.entries(meta.inputs)) {
    if (path.startsWith('node:') || NODE_BUILTINS.has(path)) bad.push(path);
    for (const imp of input.imports) {
      if (imp.external && (imp.path.startsWith('node:') || NODE_BUILTINS.has(imp.path))) bad.push(`${imp.path} (imported by ${path})`);
    }
  }
  return bad;
}

const kb = (n: number): string => `${(n / 1024).toFixed(1)} KB`;

describe('the browser bundle', () => {
  it('the core graph (synack/web: stack, simulator, web sockets API) imports no node: module or Node built-in', async () => {
    const b = await browserBundle('web.js');
    expect(b.builtins).toEqual([]);
    expect(nodeInputs(b.meta)).toEqual([]);
    // the walk is real: synack's own modules are inputs, and the stream library is not
    const inputs = Object.keys(b.meta.inputs);
    expect(inputs.some((p) => p.endsWith('dist/src/tcp/tcb.js'))).toBe(true);
    expect(inputs.some((p) => p.endsWith('dist/src/platform/diagnostics.browser.js'))).toBe(true);
    expect(inputs.some((p) => p.includes('readable-stream'))).toBe(false);
  });

  it('the default browser entry (with stack.net over readable-stream) imports no node: module either', async () => {
    const b = await browserBundle('portable.js');
    expect(b.builtins).toEqual([]);
    expect(nodeInputs(b.meta)).toEqual([]);
    expect(Object.keys(b.meta.inputs).some((p) => p.includes('readable-stream'))).toBe(true);
  });

  it(`core + simulator + web sockets API, minified and gzipped, is at most ${kb(BUDGET)}`, async () => {
    const web = await browserBundle('web.js');
    const full = await browserBundle('portable.js');
    console.log(
      `bundle sizes (min+gz): synack/web ${kb(web.gz)} (min ${kb(web.min)}); ` +
        `synack with stack.net over readable-stream ${kb(full.gz)} (min ${kb(full.min)})`,
    );
    expect(web.gz).toBeLessThanOrEqual(BUDGET);
  });
});

describe('the Node bundle', () => {
  const dir = mkdtempSync(join(tmpdir(), `synack-bundle-${process.pid}-`));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('esbuild --platform=node bundles the full package, and the bundle runs an echo in virtual time', async () => {
    const entry = join(dir, 'entry.mjs');
    writeFileSync(
      entry,
      `import { SimNetwork } from ${JSON.stringify(join(ROOT, 'dist', 'src', 'index.js'))};
const net = new SimNetwork();
const a = net.host('10.0.0.1'), b = net.host('10.0.0.2');
b.net.createServer((s) => s.pipe(s)).listen(7);
const c = a.net.connect(7, '10.0.0.2');
let got = '';
c.on('data', (d) => (got += d));
c.end('bundled');
await net.runUntil(() => got === 'bundled', 10_000);
console.log(got);
`,
    );
    const out = join(dir, 'out.mjs');
    await build({ entryPoints: [entry], bundle: true, platform: 'node', format: 'esm', outfile: out, logLevel: 'silent' });
    expect(execFileSync(process.execPath, [out], { encoding: 'utf8', timeout: 30_000 }).trim()).toBe('bundled');
  });
});
