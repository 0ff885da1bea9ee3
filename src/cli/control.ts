/**
 * The control endpoint of a running `synack serve` / `synack connect` (--control PATH|HOST:PORT):
 * a small HTTP server on a unix socket or a host TCP port (the host's network, not synack's) that
 * answers `GET /ss` with the stack's sockets as JSON, what `synack ss --from` reads.
 */
import { existsSync, rmSync, statSync } from 'node:fs';
import http from 'node:http';
import { makeError } from '../errors.js';
import { parseHostPort } from '../observe/metrics.js';
import type { Stack } from '../stack/stack.js';
import type { SocketInfo } from '../stack/socket-table.js';
import type { RelayedFlow } from './gateway-flows.js';

/** `GET /ss`'s body. */
export interface SsReply {
  host: string;
  /** the stack's clock, ms */
  t: number;
  sockets: SocketInfo[];
  counts: Record<string, number>;
  /** `synack gateway`: its relayed flows, both legs */
  flows?: RelayedFlow[];
}

/** What a command adds to its /ss reply (the gateway's relayed flows). */
export type SsExtra = () => Partial<SsReply>;

export function ssReply(stack: Stack, extra?: SsExtra): SsReply {
  return { host: stack.name, t: stack.clock.now(), sockets: stack.sockets(), counts: stack.stateCounts(), ...extra?.() };
}

/** A unix socket path (contains '/') or HOST:PORT. */
export type ControlAddress = { path: string } | { host: string; port: number };

export function parseControlAddress(text: string): ControlAddress {
  if (text.includes('/')) return { path: text };
  try {
    const [host, port] = parseHostPort(text);
    return { host, port };
  } catch {
    throw makeError('ERR_INVALID_ARG_VALUE', `expected a unix socket path (with a "/") or HOST:PORT, got "${text}"`);
  }
}

/** Answer /ss for `stack`; other routes 404. */
export function handleSs(stack: Stack, req: http.IncomingMessage, res: http.ServerResponse, extra?: SsExtra): boolean {
  if (req.method !== 'GET' || (req.url ?? '').split('?')[0] !== '/ss') return false;
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify(ssReply(stack, extra)));
  return true;
}

export function serveControl(stack: Stack, where: ControlAddress, extra?: SsExtra): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    if (handleSs(stack, req, res, extra)) return;
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('the control endpoint answers GET /ss\n');
  });
  if ('path' in where && existsSync(where.path) && statSync(where.path).isSocket()) rmSync(where.path); // a stale socket of an earlier run
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    const ready = (): void => {
      server.off('error', reject);
      resolve(server);
    };
    if ('path' in where) {
      server.listen(where.path, ready);
      process.once('exit', () => rmSync(where.path, { force: true }));
    }
    else server.listen(where.port, where.host, ready);
  });
}

/** --control for serve/connect: null when not asked for. */
export async function startControl(stack: Stack, text: string | undefined): Promise<http.Server | null> {
  return text ? serveControl(stack, parseControlAddress(text)) : null;
}

/** GET /ss from a control endpoint (or a dashboard, which answers it too). */
export function fetchSs(where: ControlAddress, timeoutMs = 5000): Promise<SsReply> {
  return new Promise((resolve, reject) => {
    const opts: http.RequestOptions = { path: '/ss', timeout: timeoutMs, ...('path' in where ? { socketPath: where.path } : { host: where.host, port: where.port }) };
    const req = http.get(opts, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => {
        if (res.statusCode !== 200) return reject(makeError('ERR_SYNACK_CONTROL', `${describe(where)} answered ${res.statusCode}: ${body.trim()}`));
        try {
          resolve(JSON.parse(body) as SsReply);
        } catch {
          reject(makeError('ERR_SYNACK_CONTROL', `${describe(where)} did not answer with JSON`));
        }
      });
    });
    req.on('timeout', () => req.destroy(makeError('ETIMEDOUT', `${describe(where)} did not answer in ${timeoutMs} ms`)));
    req.on('error', (err: NodeJS.ErrnoException) =>
      reject(err.code === 'ETIMEDOUT' ? err : makeError(err.code ?? 'ERR_SYNACK_CONTROL', `cannot reach ${describe(where)}: ${err.message}`)),
    );
  });
}

function describe(where: ControlAddress): string {
  return 'path' in where ? where.path : `${where.host}:${where.port}`;
}
