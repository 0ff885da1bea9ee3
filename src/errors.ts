/** Node-style errors: every error a user can cause carries a `code` (and errno/syscall where Node has them). */

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

/** A system-call style error as Node prints it: `connect ECONNREFUSED 10.0.0.2:80`. */
export function sysError(code: string, syscall: string, address?: string, port?: number): SynackError {
  const where = address !== undefined ? ` ${address}${port !== undefined ? `:${port}` : ''}` : '';
  const extra: Partial<SynackError> = { syscall };
  if (address !== undefined) extra.address = address;
  if (port !== undefined) extra.port = port;
  return makeError(code, `${syscall} ${code}${where}`, extra);
}
