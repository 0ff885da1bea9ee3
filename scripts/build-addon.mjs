#!/usr/bin/env node
/**
 * The install step: build the TUN/TAP addon (native/tun.c) with node-gyp when this machine can, and
 * never fail the install. Everything but TUN/TAP works without the addon; when it is not built,
 * one line says why and how to build it later.
 */
import { spawnSync } from 'node:child_process';

const LATER = 'build it later with `npm rebuild synack` (needs python3, make and a C compiler)';

function done(line) {
  console.log(`synack: ${line}`);
  process.exit(0);
}

if (process.env.SYNACK_SKIP_ADDON) done(`TUN/TAP addon not built (SYNACK_SKIP_ADDON is set); ${LATER}`);
if (process.platform !== 'linux') done(`TUN/TAP addon skipped: it needs Linux (this is ${process.platform}); everything else works`);

// npm tells install scripts where its own node-gyp is (and puts it on PATH); a global one works too
const gyp = process.env.npm_config_node_gyp;
const [cmd, args] = gyp ? [process.execPath, [gyp, 'rebuild']] : ['node-gyp', ['rebuild']];
const r = spawnSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 300_000 });
if (r.status === 0) done('TUN/TAP addon built');

function reason() {
  if (r.error) return r.error.code === 'ENOENT' ? 'node-gyp not found' : r.error.message;
  const text = `${r.stdout ?? ''}\n${r.stderr ?? ''}`;
  let m = /No such file or directory: '([^']+)'/.exec(text);
  if (m) return `${m[1]} not found`;
  m = /not found: (\S+)/.exec(text) ?? /(\S+): (?:command )?not found/.exec(text);
  if (m) return `${m[1]} not found`;
  if (/gyp ERR! find Python/.test(text)) return 'python3 not found';
  m = /gyp ERR! stack Error: (.+)/.exec(text);
  return m ? m[1].trim() : `node-gyp exited with ${r.status ?? r.signal}`;
}

done(`TUN/TAP addon not built (${reason()}); everything but TUN/TAP works — ${LATER}`);
