/**
 * Names for `connect()`: the `lookup` option (dns.lookup's signature), Node's own dns.lookup by
 * default when running in Node (loaded lazily, so the core has no `node:dns` import), `localhost`
 * on the loopback interface, and the process-wide autoSelectFamily defaults of node:net.
 */
import { loadDnsLookup } from '#platform/dns';
import { invalidArgType, makeError } from '../errors.js';
import { validateInt32 } from './validate.js';

export interface LookupAddress {
  address: string;
  family: number;
}

export interface LookupOptions {
  family?: number;
  hints?: number;
  all?: boolean;
}

/** dns.lookup's signature: one address (all: false) or a list (all: true). */
export type LookupFunction = (
  hostname: string,
  options: LookupOptions,
  callback: (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void,
) => void;

let autoSelectFamilyDefault = true; // Node 20's default
let attemptTimeoutDefault = 250;

export function getDefaultAutoSelectFamily(): boolean {
  return autoSelectFamilyDefault;
}

export function setDefaultAutoSelectFamily(value: boolean): void {
  if (typeof value !== 'boolean') throw invalidArgType('value', 'boolean', value);
  autoSelectFamilyDefault = value;
}

export function getDefaultAutoSelectFamilyAttemptTimeout(): number {
  return attemptTimeoutDefault;
}

/** As Node: an int32 >= 1 (Node's validateInt32 errors); values below 10 become 10. */
export function setDefaultAutoSelectFamilyAttemptTimeout(value: number): void {
  validateInt32(value, 'value', 1);
  attemptTimeoutDefault = Math.max(10, value);
}

/** RFC 6761 §6.3: localhost (and any name under .localhost) is the loopback interface. */
export function isLocalhost(name: string): boolean {
  const n = name.toLowerCase().replace(/\.$/, '');
  return n === 'localhost' || n.endsWith('.localhost');
}

type DnsLookup = (hostname: string, options: LookupOptions, cb: Parameters<LookupFunction>[2]) => void;
let dnsLookup: Promise<DnsLookup | null> | undefined;

/** Node's dns.lookup, imported on first use and only where the runtime has it; null elsewhere. */
function nodeDnsLookup(): Promise<DnsLookup | null> {
  dnsLookup ??= loadDnsLookup() as Promise<DnsLookup | null>;
  return dnsLookup;
}

/**
 * The lookup used when the caller gives none: localhost on the loopback interface (127.0.0.1, then
 * ::1), any other name through Node's dns.lookup (outside Node: ENOTFOUND, pass a `lookup`).
 */
export const defaultLookup: LookupFunction = (hostname, options, callback) => {
  if (isLocalhost(hostname)) {
    const all: LookupAddress[] = [
      { address: '127.0.0.1', family: 4 },
      { address: '::1', family: 6 },
    ].filter((a) => !options.family || a.family === options.family);
    queueMicrotask(() => (options.all ? callback(null, all) : callback(null, all[0]!.address, all[0]!.family)));
    return;
  }
  void nodeDnsLookup().then((lookup) => {
    if (lookup) return lookup(hostname, options, callback);
    const err = makeError('ENOTFOUND', `getaddrinfo ENOTFOUND ${hostname}`, { syscall: 'getaddrinfo' }) as NodeJS.ErrnoException;
    (err as { hostname?: string }).hostname = hostname;
    callback(err, options.all ? [] : '', undefined);
  });
};
