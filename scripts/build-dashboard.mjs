// Bundles the dashboard's two scripts into dist/src/dashboard/assets/: app.js, the page
// (src/dashboard/client), and runner.js, the stack and simulator for the in-page scenario player,
// from the compiled core in dist/ (run after tsc) so each `#platform` module's browser build is
// taken. Part of `npm run build` and `prepare`; it never fails an install: without esbuild (a
// devDependency, absent when synack is installed as a dependency) it says so and the dashboard
// answers /app.js with that explanation.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
let esbuild;
try {
  esbuild = await import('esbuild');
} catch {
  console.warn('synack: esbuild is not installed; the dashboard page is not built (npm install -D esbuild, then npm run build)');
  process.exit(0);
}
const common = { absWorkingDir: root, bundle: true, format: 'esm', platform: 'browser', target: 'es2022', logLevel: 'warning',
  // socket.ts imports its type-only listener declarations (socket-listeners.js, empty at run time) for
  // the published .d.ts; esbuild rightly drops that import, and need not say so at every install.
  logOverride: { 'ignored-bare-import': 'silent' } };
try {
  await esbuild.build({ ...common, entryPoints: ['src/dashboard/client/app.ts'], outfile: 'dist/src/dashboard/assets/app.js' });
  if (existsSync(`${root}/dist/src/dashboard/runner.js`)) {
    await esbuild.build({ ...common, entryPoints: ['dist/src/dashboard/runner.js'], outfile: 'dist/src/dashboard/assets/runner.js', minify: true });
  } else console.warn('synack: dist/src/dashboard/runner.js is missing (run tsc first); the in-page player is not built');
} catch (err) {
  console.warn(`synack: the dashboard page was not built: ${err.message}`);
}
