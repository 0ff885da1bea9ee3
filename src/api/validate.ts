/**
 * Argument validation at node:net's entry points, with Node's error classes, codes and messages
 * (test/api/validation.test.ts calls real node:net beside synack and compares them). The checks run
 * in the order Node's net.js runs them, so a call with several wrong arguments reports the same one.
 */
import { isIP } from '#platform/net';
import { invalidArgType, invalidArgValue, invalidIpAddress, missingArgs, outOfRange, socketBadPort } from '../errors.js';

export function validateFunction(value: unknown, name: string): asserts value is (...args: never[]) => unknown {
  if (typeof value !== 'function') throw invalidArgType(name, 'function', value);
}

export function validateNumber(value: unknown, name: string, min?: number, max?: number): asserts value is number {
  if (typeof value !== 'number') throw invalidArgType(name, 'number', value);
  if ((min !== undefined && value < min) || (max !== undefined && value > max) || ((min !== undefined || max !== undefined) && Number.isNaN(value))) {
    const range = min !== undefined && max !== undefined ? `>= ${min} && <= ${max}` : min !== undefined ? `>= ${min}` : `<= ${max}`;
    throw outOfRange(name, range, value);
  }
}

export function validateInt32(value: unknown, name: string, min = -2147483648, max = 2147483647): asserts value is number {
  if (typeof value !== 'number') throw invalidArgType(name, 'number', value);
  if (!Number.isInteger(value)) throw outOfRange(name, 'an integer', value);
  if (value < min || value > max) throw outOfRange(name, `>= ${min} && <= ${max}`, value);
}

export function validateBoolean(value: unknown, name: string): asserts value is boolean {
  if (typeof value !== 'boolean') throw invalidArgType(name, 'boolean', value);
}

/** Node accepts anything with an `aborted` property (its own check) as an AbortSignal. */
export function validateAbortSignal(value: unknown, name: string): asserts value is AbortSignal | undefined {
  if (value !== undefined && (value === null || typeof value !== 'object' || !('aborted' in value))) {
    throw invalidArgType(name, 'AbortSignal', value);
  }
}

/**
 * A port as node:net takes it: a number or its decimal text ('8080', as from process.env.PORT),
 * an integer from 0 (or 1) to 65535. Returns the number.
 */
export function validatePort(port: unknown, name = 'Port', allowZero = true): number {
  const bad =
    (typeof port !== 'number' && typeof port !== 'string') ||
    (typeof port === 'string' && port.trim().length === 0) ||
    +port !== +port >>> 0 ||
    +port > 0xffff ||
    (+port === 0 && !allowZero);
  if (bad) throw socketBadPort(name, port, allowZero);
  return +port | 0;
}

/**
 * `setTimeout(msecs)`'s duration: a non-negative finite number; above 2^31-1 ms Node's timers
 * clamp it (with a TimeoutOverflowWarning), and so does this.
 */
export function validateTimerDuration(msecs: unknown, name = 'msecs'): number {
  validateNumber(msecs, name);
  if (msecs < 0 || !Number.isFinite(msecs)) throw outOfRange(name, 'a non-negative finite number', msecs);
  return Math.min(msecs, 2147483647);
}

/** What a connect()/listen() call means, after Node's normalizeArgs. */
export interface NormalizedArgs {
  options: Record<string, unknown>;
  cb: ((...args: never[]) => unknown) | null;
}

/** A string that is not a port number names a pipe (Unix socket) in node:net. */
function isPipeName(s: unknown): s is string {
  return typeof s === 'string' && !(Number(s) >= 0);
}

/**
 * connect(options[, cb]), connect(port[, host][, cb]), connect(path[, cb]), and listen()'s same
 * forms: one options object and the callback, as Node's normalizeArgs reads them.
 */
export function normalizeArgs(args: readonly unknown[]): NormalizedArgs {
  if (args.length === 0) return { options: {}, cb: null };
  const first = args[0];
  let options: Record<string, unknown> = {};
  if (typeof first === 'object' && first !== null) options = first as Record<string, unknown>;
  else if (isPipeName(first)) options.path = first;
  else {
    options.port = first;
    if (args.length > 1 && typeof args[1] === 'string') options.host = args[1];
  }
  const last = args[args.length - 1];
  return { options, cb: typeof last === 'function' ? (last as (...a: never[]) => unknown) : null };
}

/** isIP's last text and its answer (connect() asks about the same text two or three times, and
 * a client usually connects to the same host again) */
let lastIpText: string | null = null;
let lastIpFamily = 0;

/** node:net's `isIP` (0, 4 or 6), remembering the last text asked about. */
export function ipFamily(text: string): number {
  if (text !== lastIpText) {
    lastIpFamily = isIP(text);
    lastIpText = text;
  }
  return lastIpFamily;
}

/** The options of Socket#connect that node:net checks before it starts (lookupAndConnect). */
export function validateConnectOptions(o: Record<string, unknown>): void {
  if (o.port === undefined && o.path == null) throw missingArgs(['options', 'port', 'path']);
  if (o.path != null) {
    throw invalidArgValue('options.path', o.path, 'is not supported: synack has TCP sockets only, no IPC (Unix domain) sockets');
  }
  if (o.localAddress && !isIP(o.localAddress as string)) throw invalidIpAddress(o.localAddress);
  if (o.localPort) validateNumber(o.localPort, 'options.localPort');
  if (o.port !== undefined) {
    if (typeof o.port !== 'number' && typeof o.port !== 'string') throw invalidArgType('options.port', ['number', 'string'], o.port);
    validatePort(o.port);
  }
  if (o.autoSelectFamily != null) validateBoolean(o.autoSelectFamily, 'options.autoSelectFamily');
  if (o.autoSelectFamilyAttemptTimeout != null) validateInt32(o.autoSelectFamilyAttemptTimeout, 'options.autoSelectFamilyAttemptTimeout', 1);
  const host = o.host || 'localhost';
  if (typeof host === 'string' && ipFamily(host)) return;
  if (o.lookup != null) {
    validateFunction(o.lookup, 'options.lookup');
    return; // the user's lookup gets the rest as it is
  }
  // dns.lookup's own checks, which node:net meets through its default lookup
  if (typeof host !== 'string') throw invalidArgType('hostname', 'string', host);
  if (o.family != null && o.family !== 0 && o.family !== 4 && o.family !== 6 && o.family !== 'IPv4' && o.family !== 'IPv6') {
    throw invalidArgValue('options.family', o.family, 'must be one of: 0, 4, 6');
  }
  if (o.hints != null && o.hints !== 0) validateNumber(o.hints, 'options.hints');
}

/** new Socket(options): what node:net checks itself (the stream checks highWaterMark). */
export function validateSocketOptions(o: Record<string, unknown>): void {
  if (o.signal) validateAbortSignal(o.signal, 'signal');
  if (o.fd !== undefined || o.handle !== undefined) {
    throw invalidArgValue(o.fd !== undefined ? 'options.fd' : 'options.handle', o.fd ?? o.handle, 'is not supported: a synack socket has no file descriptor');
  }
}

/** createServer(options): the options node:net's Server constructor checks. */
export function validateServerOptions(options: unknown): void {
  if (options == null || typeof options === 'function') return;
  if (typeof options !== 'object') throw invalidArgType('options', 'object', options);
  const o = options as Record<string, unknown>;
  if (o.keepAliveInitialDelay !== undefined) validateNumber(o.keepAliveInitialDelay, 'options.keepAliveInitialDelay');
  if (o.highWaterMark !== undefined) validateNumber(o.highWaterMark, 'options.highWaterMark');
}

/**
 * listen()'s options after normalizeArgs: a port (number or text) or an error as Node's. Returns
 * the port (0: any free one).
 */
export function validateListenOptions(args: readonly unknown[], o: Record<string, unknown>): number {
  if (o.signal) validateAbortSignal(o.signal, 'options.signal');
  // listen(), listen(cb), listen(null) and { port: undefined } or { port: null } take any free port
  const anyPort = args.length === 0 || typeof args[0] === 'function' || (o.port === undefined && 'port' in o) || o.port === null;
  if (anyPort || typeof o.port === 'number' || typeof o.port === 'string') {
    const port = anyPort ? 0 : validatePort(o.port, 'options.port');
    if (o.host != null && typeof o.host !== 'string') throw invalidArgType('hostname', 'string', o.host);
    return port;
  }
  if (o.path != null) {
    throw invalidArgValue('options.path', o.path, 'is not supported: synack has TCP sockets only, no IPC (Unix domain) sockets');
  }
  if (!('port' in o) && !('path' in o)) throw invalidArgValue('options', o, 'must have the property "port" or "path"');
  throw invalidArgValue('options', o);
}
