/**
 * Types a user can trust: checked by `tsc --noEmit -p test/types/tsconfig.json` (run from
 * test/types/types.test.ts) against the published declarations in dist/ (built with stripInternal).
 * Each `@ts-expect-error` is a mistake the types must catch: if it compiled, tsc fails the test.
 */
import http from 'node:http';
import type net from 'node:net';
import type { buildConnector } from 'undici';
import { Stack, type NetApi, type Server, type Socket, type StackOptions } from '../../dist/src/index.js';

declare const stack: Stack;

// ---- stack.net where code expects Node's net functions ----
export const connectLikeNode: typeof net.connect = stack.net.connect;
export const createConnectionLikeNode: typeof net.createConnection = stack.net.createConnection;
export const isIPLikeNode: typeof net.isIP = stack.net.isIP;

// an http.Agent's createConnection, and http.request's option
const agent = new http.Agent({ keepAlive: true });
agent.createConnection = (options, cb) => stack.net.createConnection({ port: Number(options.port), host: options.host ?? undefined }, () => cb?.(null, socket)) ;
const socket: Socket = stack.net.connect(80, '10.0.0.2');
http.request({ host: '10.0.0.2', createConnection: () => stack.net.connect(80, '10.0.0.2') });

// undici's connect hook hands back a synack socket where it expects net.Socket
export const connector: buildConnector.connector = (opts, cb) => {
  const s = stack.net.connect({ host: opts.hostname, port: Number(opts.port) });
  s.once('connect', () => cb(null, s));
  s.once('error', (err) => cb(err, null));
};

// ---- Socket satisfies net.Socket's public interface ----
export const asNodeSocket: net.Socket = socket;
export const fromCallable: Socket = stack.net.Socket();
export const fromNew: Socket = new stack.net.Socket({ allowHalfOpen: true, highWaterMark: 1 << 16 });
export const stream: Socket = new stack.net.Stream();

// ---- events are typed ----
socket.on('close', (hadError) => {
  const b: boolean = hadError;
  void b;
});
socket.on('data', (chunk) => {
  const b: Buffer = chunk;
  void b;
});
socket.on('connectionAttemptFailed', (ip, port, family, error) => {
  const t: [string, number, number, Error] = [ip, port, family, error];
  void t;
});
// @ts-expect-error 'close' passes a boolean, not a string
socket.on('close', (hadError: string) => void hadError);
// @ts-expect-error 'data' passes a Buffer, not a number
socket.on('data', (chunk: number) => void chunk);
// any other event name still takes Node's untyped listener
socket.on('custom', (...args: unknown[]) => void args);

const server: Server = stack.net.createServer((s) => {
  const peer: Socket = s;
  void peer;
});
server.on('connection', (s) => {
  const n: net.Socket = s;
  void n;
});
// @ts-expect-error 'listening' has no arguments to take a Socket from
server.on('listening', (s: Socket) => void s);
export const fromCallableServer: Server = stack.net.Server();

// ---- StackOptions.sysctl is the typed tunables object ----
export const options: StackOptions = { addresses: ['10.0.0.1'], sysctl: { tcp_syn_retries: 2, ip_local_port_range: [1024, 65535], tcp_rfc1337: 1 } };
// @ts-expect-error a misspelt tunable is a compile-time error
export const misspelt: StackOptions = { addresses: ['10.0.0.1'], sysctl: { tcp_syn_retires: 2 } };
// @ts-expect-error a tunable of the wrong type
export const wrongType: StackOptions = { addresses: ['10.0.0.1'], sysctl: { tcp_syn_retries: true } };

// ---- @internal members are not in the published declarations ----
// @ts-expect-error the stack's notification hooks are internal
socket.onEstablished();
// @ts-expect-error attaching a raw connection is internal
socket.attach;
// @ts-expect-error happy eyeballs' attempt is internal
socket.attempt;

export const api: NetApi = stack.net;
