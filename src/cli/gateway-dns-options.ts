/**
 * `synack gateway`'s DNS options: which resolver the guest's queries go to. By default the host's
 * (node:dns lookup, as a program on the host resolves); `--hosts FILE` answers from an
 * /etc/hosts-style file alone (names not in it are NXDOMAIN); `--no-dns` answers nothing on port
 * 53, so the guest's queries to the gateway get ICMP port unreachable.
 */
import { readFileSync } from 'node:fs';
import { makeError } from '../errors.js';
import type { DnsResolver } from '../gateway/dns-answer.js';
import { hostResolver, hostsFileResolver, parseHostsFile } from '../gateway/dns-resolver.js';

/** The resolver the flags name, or null for --no-dns. Reads --hosts now: a bad file fails the start. */
export function resolverFromFlags(flags: { dns: boolean; hosts?: string }): DnsResolver | null {
  if (!flags.dns) {
    if (flags.hosts !== undefined) throw makeError('ERR_INVALID_ARG_VALUE', '--hosts and --no-dns contradict each other: --hosts FILE is what the DNS responder answers from');
    return null;
  }
  if (flags.hosts === undefined) return hostResolver();
  let text: string;
  try {
    text = readFileSync(flags.hosts, 'utf8');
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw makeError(e.code ?? 'ERR_INVALID_ARG_VALUE', `--hosts ${flags.hosts}: ${e.code === 'ENOENT' ? 'no such file' : e.message}`);
  }
  return hostsFileResolver(parseHostsFile(text, flags.hosts));
}
