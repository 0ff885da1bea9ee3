/**
 * The address argument of the WinterTC Sockets API's connect(): "host:port" ("[v6]:port" for
 * IPv6), or { hostname, port }. synack resolves no names, so the host must be an IP address.
 */
import { ipFromText, type IpAddr } from '../stack/ip-addr.js';
import { argumentError } from './errors.js';

/** An address as an object: an IP address (synack resolves no names) and a port. */
export interface SocketAddress {
  hostname: string;
  port: number;
}

export interface ParsedAddress {
  host: IpAddr;
  hostname: string;
  port: number;
}

export function parseAddress(address: string | SocketAddress): ParsedAddress {
  let hostname: string;
  let port: unknown;
  if (typeof address === 'string') {
    const m = /^\[([^\]]+)\]:(\d{1,5})$/.exec(address) ?? /^([^:[\]]+):(\d{1,5})$/.exec(address);
    if (!m) throw argumentError(`address must be "host:port" or "[IPv6]:port" (got "${address}")`);
    hostname = m[1]!;
    port = Number(m[2]);
  } else if (typeof address === 'object' && address !== null) {
    hostname = address.hostname;
    port = address.port;
    if (typeof hostname !== 'string') throw argumentError(`address.hostname must be a string (got ${typeof hostname})`);
  } else {
    throw argumentError(`address must be a string or { hostname, port } (got ${address === null ? 'null' : typeof address})`);
  }
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535) {
    throw argumentError(`port must be an integer from 1 to 65535 (got ${String(port)})`, 'ERR_SOCKET_BAD_PORT');
  }
  const host = ipFromText(hostname);
  if (!host) {
    throw argumentError(`"${hostname}" is not an IP address (synack resolves no names)`, 'ERR_INVALID_IP_ADDRESS');
  }
  return { host, hostname, port };
}
