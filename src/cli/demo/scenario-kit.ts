/** What the demo's scenarios are made of: the context they run in and small steps they share. */
import type { HostOptions, SimNetwork } from '../../api/sim-network.js';
import type { Socket } from '../../api/socket.js';
import type { Stack } from '../../stack/stack.js';

export const CLIENT = '10.0.0.1';
export const SERVER = '10.0.0.2';

export interface DemoContext {
  net: SimNetwork;
  client: Stack;
  server: Stack;
  /** lines worth saying under the diagram (errors seen, what to notice) */
  notes: string[];
  /** netstat-style counts taken at the scenario's telling moment */
  snapshot(label: string): void;
}

export interface Scenario {
  name: string;
  title: string;
  /** the states it passes and why, in a few sentences */
  about: string;
  client?: HostOptions;
  server?: HostOptions;
  run(ctx: DemoContext): Promise<void>;
}

const LIMIT = 600_000;

/**
 * Thrown when a scenario cannot go on (under loss a handshake may time out): the runner stops that
 * scenario there, reports why, and the tour continues with the next one.
 */
export class ScenarioStopped extends Error {
  override readonly name = 'ScenarioStopped';
}

export async function until(ctx: DemoContext, what: string, pred: () => boolean, limit = LIMIT): Promise<boolean> {
  if (await ctx.net.runUntil(pred, limit)) return true;
  ctx.notes.push(`(gave up waiting for ${what} after ${limit / 1000} s of virtual time)`);
  return false;
}

/** Like `until`, for a step the rest of the scenario depends on. */
export async function must(ctx: DemoContext, what: string, pred: () => boolean, limit = LIMIT): Promise<void> {
  if (!(await until(ctx, what, pred, limit))) throw new ScenarioStopped(`no ${what}`);
}

export function closed(s: Socket): () => boolean {
  let done = false;
  s.once('close', () => (done = true));
  return () => done;
}

export function errorNote(ctx: DemoContext, who: string, s: Socket): void {
  s.on('error', (e: NodeJS.ErrnoException) => ctx.notes.push(`${who} socket error: ${e.code} (${e.message})`));
}

/** A server that answers each chunk; accepted sockets are handed to `onSocket`. */
export function serve(ctx: DemoContext, port: number, opts: { allowHalfOpen?: boolean; pauseOnConnect?: boolean }, onSocket: (s: Socket) => void): void {
  const srv = ctx.server.net.createServer(opts, (s) => {
    errorNote(ctx, 'server', s);
    onSocket(s);
  });
  srv.listen(port, SERVER);
}

export async function connect(ctx: DemoContext, port: number, opts: { allowHalfOpen?: boolean } = {}): Promise<Socket> {
  const c = ctx.client.net.connect({ port, host: SERVER, ...opts });
  errorNote(ctx, 'client', c);
  let up = false;
  c.once('connect', () => (up = true));
  await until(ctx, 'the handshake', () => up || c.destroyed);
  if (!up) throw new ScenarioStopped('the connection was not established');
  return c;
}

/** A half-open-capable connection on port 80, both ends reading everything: the start of the close scenarios. */
export async function halfOpenPair(ctx: DemoContext): Promise<{ client: Socket; server: Socket }> {
  let server: Socket | null = null;
  serve(ctx, 80, { allowHalfOpen: true }, (s) => {
    server = s;
    s.resume();
  });
  const client = await connect(ctx, 80, { allowHalfOpen: true });
  client.resume();
  await must(ctx, 'accept', () => server !== null);
  return { client, server: server! };
}

/** Let 2MSL pass so TIME_WAIT ends in CLOSED. */
export async function waitTimeWait(ctx: DemoContext): Promise<void> {
  await ctx.net.run(61_000);
}
