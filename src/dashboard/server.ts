/**
 * The dashboard's HTTP server (on the host's network, not synack's): the page, its script, the
 * event stream (Server-Sent Events on /events), `/ss` for a live stack (what `synack ss --from`
 * reads), and in player mode `/run?scenario=&loss=&delay=&seed=`, a recorded scenario run.
 */
import { existsSync, readFileSync } from 'node:fs';
import http from 'node:http';
import { fileURLToPath } from 'node:url';
import { handleSs } from '../cli/control.js';
import { SCENARIOS, findScenario } from '../cli/demo/scenarios.js';
import type { Stack } from '../stack/stack.js';
import { PAGE } from './page.js';
import type { DashboardMessage, HelloMessage } from './protocol.js';
import { recordRun } from './recorded-run.js';
import type { Source } from './sources.js';

/** The page's script: built next to this module in dist/, or in dist/ when this runs from src/. */
const ASSETS = [new URL('./assets/', import.meta.url), new URL('../../dist/src/dashboard/assets/', import.meta.url)];

/** app.js (the page) or runner.js (the simulator for the page), once built. */
export function bundlePath(name: 'app.js' | 'runner.js'): string | null {
  for (const dir of ASSETS) {
    const p = fileURLToPath(new URL(name, dir));
    if (existsSync(p)) return p;
  }
  return null;
}

export interface DashboardOptions {
  /** live or host mode; absent in player mode */
  source?: Source;
  /** live mode: answer /ss too */
  stack?: Stack;
}

const PLAYER_HELLO: HelloMessage = {
  type: 'hello',
  mode: 'player',
  title: 'scenario player: the simulator in virtual time',
  scenarios: SCENARIOS.map((s) => ({ name: s.name, title: s.title, about: s.about })),
};

function bad(res: http.ServerResponse, code: number, text: string): void {
  res.writeHead(code, { 'content-type': 'text/plain; charset=utf-8' });
  res.end(`${text}\n`);
}

/** A query number within [min, max], or the default when absent; null when invalid. */
function num(q: URLSearchParams, name: string, def: number, min: number, max: number): number | null {
  const v = q.get(name);
  if (v === null || v === '') return def;
  const n = Number(v);
  return Number.isFinite(n) && n >= min && n <= max ? n : null;
}

async function runRoute(q: URLSearchParams, res: http.ServerResponse): Promise<void> {
  const name = q.get('scenario') ?? 'handshake-and-close';
  const sc = findScenario(name);
  if (!sc) return bad(res, 400, `unknown scenario "${name}"; choose one of: ${SCENARIOS.map((s) => s.name).join(', ')}`);
  const loss = num(q, 'loss', 0, 0, 0.5);
  const delay = num(q, 'delay', 5, 0, 10_000);
  const seed = num(q, 'seed', 1, 0, 2 ** 32 - 1);
  if (loss === null) return bad(res, 400, 'loss must be a number from 0 to 0.5');
  if (delay === null) return bad(res, 400, 'delay must be a number of ms from 0 to 10000');
  if (seed === null) return bad(res, 400, 'seed must be a whole number from 0 to 2^32-1');
  const run = await recordRun(sc, { loss, delay, seed });
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify(run));
}

export function createDashboardServer(o: DashboardOptions): http.Server {
  const clients = new Set<http.ServerResponse>();
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://dashboard');
    if (req.method !== 'GET') return bad(res, 405, 'GET only');
    if (o.stack && handleSs(o.stack, req, res)) return;
    switch (url.pathname) {
      case '/':
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
        res.end(PAGE);
        return;
      case '/favicon.ico':
        res.writeHead(204);
        res.end();
        return;
      case '/app.js':
      case '/runner.js': {
        const p = bundlePath(url.pathname === '/app.js' ? 'app.js' : 'runner.js');
        if (!p) return bad(res, 500, "the dashboard's script was not built: run `npm run build` (it needs the esbuild devDependency)");
        res.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8' });
        res.end(readFileSync(p));
        return;
      }
      case '/events': {
        res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
        const send = (m: DashboardMessage): void => void res.write(`data: ${JSON.stringify(m)}\n\n`);
        send(o.source ? o.source.hello() : PLAYER_HELLO);
        if (!o.source) return void clients.add(res);
        for (const m of o.source.snapshot()) send(m);
        const off = o.source.subscribe(send);
        clients.add(res);
        req.on('close', () => {
          off();
          clients.delete(res);
        });
        return;
      }
      case '/run':
        if (o.source) return bad(res, 404, 'scenario runs are served by `synack dashboard` (player mode)');
        runRoute(url.searchParams, res).catch((err: Error) => bad(res, 500, err.message));
        return;
      default:
        bad(res, 404, 'not found');
    }
  });
  server.on('close', () => {
    for (const c of clients) c.end();
    o.source?.close();
  });
  return server;
}

/** Listen on HOST:PORT; resolves once listening. */
export function listenDashboard(server: http.Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}
