/**
 * Resolvers for the gateway's DNS responder (dns-answer.ts's `DnsResolver`):
 *
 * - `hostResolver()`: the host's own view of names, through node:dns `lookup` (getaddrinfo:
 *   /etc/hosts, nsswitch, the host's DNS servers and their cache), so the guest resolves exactly
 *   as a program on the host would. getaddrinfo says only "not found" for both a name that does
 *   not exist and a name without addresses of the family asked; the other family is asked to tell
 *   them apart (NXDOMAIN vs NODATA, RFC 2308 §2.2), since a stub that asks A and AAAA in parallel
 *   may give up on the name when one of them says NXDOMAIN.
 * - `hostsFileResolver(text)`: answers from an /etc/hosts-style table alone (hosts(5): an address,
 *   then names; '#' starts a comment), for a guest that must see fixed names, and for tests that
 *   must not depend on the machine's DNS. A name the table lacks is NXDOMAIN, or goes to
 *   `fallback` when one is given.
 */
import dns from 'node:dns';
import { makeError } from '../errors.js';
import { ipVersion } from '../wire/addr.js';
import type { DnsResolver, ResolvedName } from './dns-answer.js';
import { canonicalName } from './dns-wire.js';

/** node:dns `promises.lookup` with `all: true`, or a stand-in for it. */
export type LookupAll = (hostname: string, options: { family: 4 | 6; all: true }) => Promise<{ address: string; family: number }[]>;

/** The host's resolver through node:dns `lookup` (getaddrinfo). */
export function hostResolver(options: { lookup?: LookupAll } = {}): DnsResolver {
  const lookup: LookupAll = options.lookup ?? ((name, o) => dns.promises.lookup(name, o));
  const ask = async (name: string, family: 4 | 6): Promise<string[] | null> => {
    try {
      // getaddrinfo may answer a v4 literal asked for v6 with the v4 address: keep the family asked
      return (await lookup(name, { family, all: true })).filter((a) => a.family === family).map((a) => a.address);
    } catch (err) {
      const code = (err as { code?: unknown }).code;
      if (code === 'ENOTFOUND' || code === 'ENODATA') return null;
      throw err;
    }
  };
  return {
    async resolve(name: string, family: 4 | 6): Promise<ResolvedName> {
      const addresses = await ask(name, family);
      if (addresses && addresses.length > 0) return { addresses };
      const other = await ask(name, family === 4 ? 6 : 4).catch(() => null);
      if (other && other.length > 0) return { addresses: [] }; // the name exists: NODATA
      throw makeError('ENOTFOUND', `getaddrinfo ENOTFOUND ${name}`);
    },
  };
}

/** An /etc/hosts-style table: lower-case name → its addresses, in file order. */
export type HostsTable = Map<string, string[]>;

/**
 * Parse hosts(5) text. A line whose first field is not an IP address is an error naming the line
 * (ERR_INVALID_ARG_VALUE), so a typo does not silently make a name NXDOMAIN.
 */
export function parseHostsFile(text: string, source = 'hosts file'): HostsTable {
  const table: HostsTable = new Map();
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const fields = lines[i]!.replace(/#.*/, '').trim().split(/\s+/).filter(Boolean);
    if (fields.length === 0) continue;
    const [address, ...names] = fields;
    const v = ipVersion(address!.replace(/%.*$/, ''));
    if (v === 0) throw makeError('ERR_INVALID_ARG_VALUE', `${source}:${i + 1}: "${address}" is not an IP address (hosts(5): ADDRESS NAME [ALIAS...])`);
    if (names.length === 0) throw makeError('ERR_INVALID_ARG_VALUE', `${source}:${i + 1}: ${address} has no name after it`);
    for (const name of names) {
      const key = canonicalName(name);
      const list = table.get(key) ?? [];
      if (!list.includes(address!)) list.push(address!);
      table.set(key, list);
    }
  }
  return table;
}

/** Answers from `table` (parseHostsFile); names it lacks are NXDOMAIN, or asked of `fallback`. */
export function hostsFileResolver(table: HostsTable, options: { fallback?: DnsResolver } = {}): DnsResolver {
  return {
    resolve(name: string, family: 4 | 6): Promise<ResolvedName> {
      const list = table.get(canonicalName(name));
      if (!list) {
        if (options.fallback) return options.fallback.resolve(name, family);
        return Promise.reject(makeError('ENOTFOUND', `${name} is not in the hosts table`));
      }
      return Promise.resolve({ addresses: list.filter((a) => ipVersion(a) === family) });
    },
  };
}
