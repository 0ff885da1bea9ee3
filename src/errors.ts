/** Node-style errors: every error a user can cause carries a `code` (and errno/syscall where Node has them). */
import { inspect as inspectFn } from '#platform/inspect';

const ERRNO: Record<string, number> = {
  ECONNREFUSED: -111,
  ECONNRESET: -104,
  ETIMEDOUT: -110,
  EADDRINUSE: -98,
  EADDRNOTAVAIL: -99,
  EPIPE: -32,
  ENETUNREACH: -101,
  EHOSTUNREACH: -113,
  ECONNABORTED: -103,
  ENOPROTOOPT: -92,
  EPROTO: -71,
  EACCES: -13,
  EHOSTDOWN: -112,
  ENONET: -64,
  EOPNOTSUPP: -95,
  EALREADY: -114,
  EISCONN: -106,
  // getaddrinfo's EAI_NONAME as libuv numbers it (UV_EAI_NONAME), which Node reports for ENOTFOUND
  ENOTFOUND: -3008,
};

export interface SynackError extends Error {
  code: string;
  errno?: number;
  syscall?: string;
  address?: string;
  port?: number;
}

export function makeError(code: string, message: string, extra: Partial<SynackError> = {}): SynackError {
  const err = new Error(message) as SynackError;
  err.code = code;
  if (code in ERRNO) err.errno = ERRNO[code]!;
  Object.assign(err, extra);
  return err;
}

/**
 * A system-call style error as Node prints it: `connect ECONNREFUSED 10.0.0.2:80`. `local` is the
 * socket's own address when connect() failed at once on a bound socket, which Node appends as
 * ` - Local (10.0.0.1:49152)` (exceptionWithHostPort's `additional`).
 */
export function sysError(code: string, syscall: string, address?: string, port?: number, local?: string): SynackError {
  let where = address !== undefined ? ` ${address}${port !== undefined ? `:${port}` : ''}` : '';
  if (local !== undefined) where += ` - Local (${local})`;
  const extra: Partial<SynackError> = { syscall };
  if (address !== undefined) extra.address = address;
  if (port !== undefined) extra.port = port;
  return makeError(code, `${syscall} ${code}${where}`, extra);
}

// ===================== Node's internal errors (ERR_*), as node:net throws them =====================

/**
 * Node's `ERR_*` errors are instances of Error, TypeError or RangeError whose stack and toString()
 * read `TypeError [ERR_X]: message`, with `code` as an own property. One subclass per base,
 * named as the base (Node's `err.constructor.name` is 'TypeError' too).
 */
function codedClass<B extends ErrorConstructor>(Base: B): new (code: string, message: string) => SynackError {
  class Coded extends (Base as ErrorConstructor) {
    code: string;
    constructor(code: string, message: string) {
      super(message);
      this.code = code;
      const head = `${this.name}: `;
      if (typeof this.stack === 'string' && this.stack.startsWith(head)) {
        this.stack = `${this.name} [${code}]: ${this.stack.slice(head.length)}`;
      }
    }
    override toString(): string {
      return `${this.name} [${this.code}]: ${this.message}`;
    }
  }
  Object.defineProperty(Coded, 'name', { value: Base.name });
  return Coded as unknown as new (code: string, message: string) => SynackError;
}

const NodeError = codedClass(Error);
const NodeTypeError = codedClass(TypeError);
const NodeRangeError = codedClass(RangeError);

function inspect(value: unknown, opts: { depth?: number } = {}): string {
  return inspectFn(value, { colors: false, ...opts });
}

/** How Node names a wrong value in "Received ...": `type string ('x')`, `an instance of Date`, `null`. */
export function describeReceived(value: unknown): string {
  if (value === null || value === undefined) return String(value);
  if (typeof value === 'function' && value.name) return `function ${value.name}`;
  if (typeof value === 'object') {
    const ctor = (value as { constructor?: { name?: string } }).constructor;
    if (ctor?.name) return `an instance of ${ctor.name}`;
    return inspect(value, { depth: -1 });
  }
  let text = inspect(value);
  if (text.length > 28) text = `${text.slice(0, 25)}...`;
  return `type ${typeof value} (${text})`;
}

const PRIMITIVES = new Set(['string', 'function', 'number', 'object', 'boolean', 'bigint', 'symbol']);

/** "one of type a or b", "of type a", "an instance of X", "of type a or an instance of X" */
function expected(list: string[]): string {
  const types = list.filter((t) => PRIMITIVES.has(t));
  const instances = list.filter((t) => !PRIMITIVES.has(t));
  const parts: string[] = [];
  const join = (xs: string[]): string => (xs.length <= 2 ? xs.join(' or ') : `${xs.slice(0, -1).join(', ')}, or ${xs[xs.length - 1]}`);
  if (types.length > 0) parts.push(`${types.length > 1 ? 'one of type' : 'of type'} ${join(types)}`);
  if (instances.length > 0) parts.push(`an instance of ${join(instances)}`);
  return parts.join(' or ');
}

/** TypeError ERR_INVALID_ARG_TYPE: `The "name" argument must be of type number. Received ...` */
export function invalidArgType(name: string, types: string | string[], actual: unknown): SynackError {
  const what = name.endsWith(' argument') ? name : `"${name}" ${name.includes('.') ? 'property' : 'argument'}`;
  const list = Array.isArray(types) ? types : [types];
  return new NodeTypeError('ERR_INVALID_ARG_TYPE', `The ${what} must be ${expected(list)}. Received ${describeReceived(actual)}`);
}

/** TypeError ERR_INVALID_ARG_VALUE: `The property 'options.family' must be one of: 0, 4, 6. Received 5` */
export function invalidArgValue(name: string, value: unknown, reason = 'is invalid'): SynackError {
  let shown = inspect(value);
  if (shown.length > 128) shown = `${shown.slice(0, 128)}...`;
  const kind = name.includes('.') ? 'property' : 'argument';
  return new NodeTypeError('ERR_INVALID_ARG_VALUE', `The ${kind} '${name}' ${reason}. Received ${shown}`);
}

/** RangeError ERR_OUT_OF_RANGE: `The value of "msecs" is out of range. It must be <range>. Received <n>` */
export function outOfRange(name: string, range: string, value: unknown): SynackError {
  let shown: string;
  if (typeof value === 'number' && Number.isInteger(value) && Math.abs(value) > 2 ** 32) shown = groupDigits(String(value));
  else if (typeof value === 'bigint') shown = `${value > 2n ** 32n || value < -(2n ** 32n) ? groupDigits(String(value)) : String(value)}n`;
  else shown = inspect(value);
  return new NodeRangeError('ERR_OUT_OF_RANGE', `The value of "${name}" is out of range. It must be ${range}. Received ${shown}`);
}

/** 1_099_511_627_776, as Node prints large out-of-range integers */
function groupDigits(text: string): string {
  const sign = text.startsWith('-') ? '-' : '';
  let digits = sign ? text.slice(1) : text;
  let out = '';
  while (digits.length > 3) {
    out = `_${digits.slice(-3)}${out}`;
    digits = digits.slice(0, -3);
  }
  return `${sign}${digits}${out}`;
}

/** RangeError ERR_SOCKET_BAD_PORT: `Port should be >= 0 and < 65536. Received type number (-1).` */
export function socketBadPort(name: string, port: unknown, allowZero = true): SynackError {
  return new NodeRangeError('ERR_SOCKET_BAD_PORT', `${name} should be ${allowZero ? '>=' : '>'} 0 and < 65536. Received ${describeReceived(port)}.`);
}

/** TypeError ERR_MISSING_ARGS: `The "options" or "port" or "path" argument must be specified` */
export function missingArgs(...names: (string | string[])[]): SynackError {
  const quoted = names.map((n) => (Array.isArray(n) ? n.map((x) => `"${x}"`).join(' or ') : `"${n}"`));
  let list: string;
  if (quoted.length <= 2) list = quoted.join(' and ');
  else list = `${quoted.slice(0, -1).join(', ')}, and ${quoted[quoted.length - 1]}`;
  return new NodeTypeError('ERR_MISSING_ARGS', `The ${list} argument${names.length > 1 ? 's' : ''} must be specified`);
}

/** TypeError ERR_INVALID_IP_ADDRESS: `Invalid IP address: x` */
export function invalidIpAddress(value: unknown): SynackError {
  return new NodeTypeError('ERR_INVALID_IP_ADDRESS', `Invalid IP address: ${String(value)}`);
}

/** RangeError ERR_INVALID_ADDRESS_FAMILY: `Invalid address family: 5 example.com:80`, with `host` and `port` as Node sets them. */
export function invalidAddressFamily(family: unknown, host: string, port: number): SynackError {
  const err = new NodeRangeError('ERR_INVALID_ADDRESS_FAMILY', `Invalid address family: ${String(family)} ${host}:${port}`);
  return Object.assign(err, { host, port });
}

/** TypeError ERR_SOCKET_BAD_TYPE: dgram.createSocket() with a type other than udp4 or udp6. */
export function socketBadType(): SynackError {
  return new NodeTypeError('ERR_SOCKET_BAD_TYPE', 'Bad socket type specified. Valid types are: udp4, udp6');
}

/** An Error with one of Node's ERR_* codes (no argument involved): ERR_SOCKET_CLOSED and friends. */
export function nodeError(code: keyof typeof NODE_MESSAGES): SynackError {
  return new NodeError(code, NODE_MESSAGES[code]);
}

const NODE_MESSAGES = {
  ERR_SOCKET_CLOSED: 'Socket is closed',
  ERR_SOCKET_CLOSED_BEFORE_CONNECTION: 'Socket closed before the connection was established',
  ERR_SERVER_ALREADY_LISTEN: 'Listen method has been called more than once without closing.',
  ERR_SERVER_NOT_RUNNING: 'Server is not running.',
  ERR_SOCKET_ALREADY_BOUND: 'Socket is already bound',
  ERR_SOCKET_DGRAM_IS_CONNECTED: 'Already connected',
  ERR_SOCKET_DGRAM_NOT_CONNECTED: 'Not connected',
  ERR_SOCKET_DGRAM_NOT_RUNNING: 'Not running',
} as const;

/** EPIPE after the peer's FIN on a socket that is not half-open (Node's writeAfterFIN). */
export function endedByPeer(): SynackError {
  const err = new Error('This socket has been ended by the other party') as SynackError;
  err.code = 'EPIPE'; // a code and no errno or syscall, as Node's
  return err;
}
