/**
 * Where a snapshot is read from: this process's namespace (/proc/net), a named namespace
 * (through a helper process living in it, see netns.ts), or a directory holding copies of the files
 * (tcp, tcp6, netstat, snmp, sockstat, optionally sys/net/... for sysctls) such as a support bundle.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { UsageError } from './errors.js';
import { readListenBacklogs, type ListenBacklogs } from './listen-backlog.js';
import { enterNetns } from './netns.js';
import { tryReadProcText } from './read-proc.js';

export interface ProcSource {
  /** Human description: "this namespace", 'netns "blue"', "files in /tmp/x". */
  readonly label: string;
  readonly netns: string | null;
  /** Directory with tcp, tcp6, netstat, snmp, sockstat, softnet_stat. */
  readonly netDir: string;
  /** Sysctl values as the namespace sees them, keyed by dotted name; absent knobs are left out. */
  readSysctls(keys: readonly string[]): Map<string, string>;
  /** Listener backlogs (from ss), or null when they cannot be had. */
  listenBacklogs(): Promise<ListenBacklogs | null>;
  close(): void;
}

export function sysctlPath(key: string, root = '/proc/sys'): string {
  return `${root}/${key.replace(/\./g, '/')}`;
}

function readSysctlsFrom(root: string, keys: readonly string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const k of keys) {
    const v = tryReadProcText(sysctlPath(k, root));
    if (v !== undefined) out.set(k, v.trim().replace(/\s+/g, ' '));
  }
  return out;
}

export function currentNamespace(): ProcSource {
  return {
    label: 'this namespace',
    netns: null,
    netDir: '/proc/net',
    readSysctls: (keys) => readSysctlsFrom('/proc/sys', keys),
    listenBacklogs: () => readListenBacklogs(),
    close: () => {},
  };
}

export function fromDirectory(dir: string): ProcSource {
  if (!existsSync(`${dir}/tcp`)) throw new UsageError(`no tcp file in ${dir} (expected a copy of /proc/net)`);
  return {
    label: `files in ${dir}`,
    netns: null,
    netDir: dir,
    readSysctls: (keys) => readSysctlsFrom(`${dir}/sys`, keys),
    listenBacklogs: () => Promise.resolve(null),
    close: () => {},
  };
}

/**
 * Sysctls inside a namespace: /proc/sys/net shows the namespace of the process that opens it, so
 * they are read by `ip netns exec NAME grep` (one child for all keys). Knobs that are not
 * namespaced (net.core.netdev_max_backlog, net.ipv4.tcp_max_orphans) do not exist there; their
 * host-wide value, read here, is the one that applies.
 */
function readNetnsSysctls(name: string, keys: readonly string[]): Map<string, string> {
  const paths = keys.map((k) => sysctlPath(k));
  const r = spawnSync('ip', ['netns', 'exec', name, 'grep', '-sH', '', ...paths], { encoding: 'utf8', timeout: 5000 });
  const out = new Map<string, string>();
  for (const line of (r.stdout ?? '').split('\n')) {
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    const key = line.slice('/proc/sys/'.length, colon).replace(/\//g, '.');
    out.set(key, line.slice(colon + 1).trim().replace(/\s+/g, ' '));
  }
  const missing = keys.filter((k) => !out.has(k));
  for (const [k, v] of readSysctlsFrom('/proc/sys', missing)) out.set(k, v);
  return out;
}

export async function namedNamespace(name: string): Promise<ProcSource> {
  const h = await enterNetns(name);
  return {
    label: `netns "${name}"`,
    netns: name,
    netDir: h.netDir,
    readSysctls: (keys) => readNetnsSysctls(name, keys),
    listenBacklogs: () => readListenBacklogs(['ip', 'netns', 'exec', name]),
    close: () => h.close(),
  };
}
