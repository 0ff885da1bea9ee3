/**
 * The dashboard in the browser, three ways:
 *
 *   synack dashboard [--listen HOST:PORT]       the scenario player (the simulator, virtual time)
 *   synack serve ... --dashboard HOST:PORT      a running stack, live
 *   synack stat --dashboard HOST:PORT           the host kernel's counts from /proc, refreshed
 *
 * The page and its event stream are served on the host's own network (src/dashboard/server.ts).
 */
import type { Command } from 'commander';
import type http from 'node:http';
import { parseHostPort } from '../observe/metrics.js';
import type { Stack } from '../stack/stack.js';
import { makeError } from '../errors.js';

function where(text: string, flag: string): [string, number] {
  try {
    return parseHostPort(text);
  } catch (err) {
    throw makeError('ERR_INVALID_ARG_VALUE', `${flag}: ${(err as Error).message}`);
  }
}

function url(server: http.Server): string {
  const a = server.address();
  if (!a || typeof a === 'string') return String(a);
  return `http://${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}/`;
}

/** serve --dashboard: the running stack's page; resolves to its URL. */
export async function startLiveDashboard(stack: Stack, text: string): Promise<{ server: http.Server; url: string }> {
  const [host, port] = where(text, '--dashboard');
  const { createDashboardServer, listenDashboard } = await import('../dashboard/server.js');
  const { liveSource } = await import('../dashboard/sources.js');
  const server = createDashboardServer({ source: liveSource(stack), stack });
  await listenDashboard(server, host, port);
  return { server, url: url(server) };
}

/** stat --dashboard: the host kernel's counts, every `intervalMs`; runs until SIGINT/SIGTERM. */
export async function runHostDashboard(text: string, o: { netns?: string; procNet?: string; intervalMs: number }): Promise<void> {
  const [host, port] = where(text, '--dashboard');
  const { createDashboardServer, listenDashboard } = await import('../dashboard/server.js');
  const { hostSource } = await import('../dashboard/sources.js');
  const server = createDashboardServer({ source: await hostSource(o) });
  await listenDashboard(server, host, port);
  process.stdout.write(`synack stat: dashboard at ${url(server)}\n`);
  await stopOnSignal(server);
}

function stopOnSignal(server: http.Server): Promise<void> {
  return new Promise((resolve) => {
    const stop = (): void => {
      server.close(() => resolve());
      server.closeAllConnections();
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}

export function registerDashboard(program: Command): void {
  program
    .command('dashboard')
    .description("The state diagram in the browser: play the demo's scenarios step by step in virtual time (serve --dashboard and stat --dashboard show a live stack and the host)")
    .option('--listen <host:port>', 'where to serve the page (the host network)', '127.0.0.1:8080')
    .action(async (f: { listen: string }) => {
      const [host, port] = where(f.listen, '--listen');
      const { createDashboardServer, listenDashboard } = await import('../dashboard/server.js');
      const server = createDashboardServer({});
      await listenDashboard(server, host, port);
      process.stdout.write(`synack dashboard: ${url(server)}\n`);
      await stopOnSignal(server);
    });
}
