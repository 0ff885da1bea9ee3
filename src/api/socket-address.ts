/**
 * A socket's ends as node:net reports them (address(), remoteAddress, localPort...): from the
 * connection while there is one, and from the 4-tuple kept when it was let go.
 */
import type { Conn } from '../stack/conn.js';
import type { IpAddr } from '../stack/ip-addr.js';

/** The 4-tuple of a connection, kept after the connection itself is released. */
export type Ends = Pick<Conn, 'local' | 'localPort' | 'remote' | 'remotePort'>;

/** Keep a connection's 4-tuple in `into` (the socket's side object), so the buffers behind the connection can be freed. */
export function keepEnds(into: { local: IpAddr | null; localPort: number; remote: IpAddr | null; remotePort: number }, c: Conn): void {
  const tcb = c.tcb;
  into.local = c.local;
  into.localPort = tcb.localPort;
  into.remote = c.remote;
  into.remotePort = tcb.remotePort;
}

/** node:net's family name of an address (undefined without one). */
export function familyOf(ip: IpAddr | undefined): 'IPv4' | 'IPv6' | undefined {
  return ip === undefined ? undefined : ip.version === 4 ? 'IPv4' : 'IPv6';
}

/** `socket.address()`: the local address, family and port, `{}` without a connection. */
export function localAddressInfo(c: Ends | null): { address: string; family: string; port: number } | Record<string, never> {
  if (!c) return {};
  return { address: c.local.text, family: familyOf(c.local)!, port: c.localPort };
}
