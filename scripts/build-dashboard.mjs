// Bundles the dashboard page's script (src/dashboard/client) into dist/src/dashboard/assets/app.js.
// Part of `npm run build` and `prepare`; it never fails an install: without esbuild (a
// devDependency, absent when synack is installed as a dependency) it says so and the dashboard
// answers /app.js with that explanation.
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
let esbuild;
try {
  esbuild = await import('esbuild');
} catch {
  console.warn('synack: esbuild is not installed; the dashboard page is not built (npm install -D esbuild, then npm run build)');
  process.exit(0);
}
try {
  await esbuild.build({
    absWorkingDir: root,
    entryPoints: ['src/dashboard/client/app.ts'],
    outfile: 'dist/src/dashboard/assets/app.js',
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    minify: false,
    sourcemap: false,
    logLevel: 'warning',
  });
} catch (err) {
  console.warn(`synack: the dashboard page was not built: ${err.message}`);
}
