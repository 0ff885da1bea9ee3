/**
 * Loads the TUN/TAP addon (native/tun.c, built by node-gyp on `npm install`) lazily, the first time
 * a device is opened, so that everything else in synack works on machines without it.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeError, type SynackError } from '../errors.js';

/** The addon's functions (see native/tun.c for the contract of each). */
export interface TunAddon {
  open(
    name: string,
    mode: number,
    multiQueue: boolean,
    offload: boolean,
    offloadFlags: number,
  ): { fd: number; name: string; offload: boolean; vnetHdr: boolean; offloadFlags: number };
  close(fd: number): void;
  startReading(
    fd: number,
    buffer: ArrayBuffer,
    lengths: Uint32Array,
    onBatch: (count: number, errno: number, owned: ArrayBuffer[] | undefined) => void,
    vnetHdr: boolean,
    info: Uint32Array,
    /** packets of this many bytes or more are handed over (`owned`, RX_OWNED in info); 0: never */
    handOverBytes?: number,
  ): object;
  /** 0: complete every partial checksum, 1: all but TCP's, 2: none */
  setCompleteChecksums(handle: object, mode: number): void;
  stopReading(handle: object): void;
  ref(handle: object): void;
  unref(handle: object): void;
  /** returns written + 65536 * (errno of the last failure, or 0) */
  writeBatch(fd: number, buffer: ArrayBuffer, lengths: Uint32Array, count: number, vnetHdr: boolean, info: Uint32Array): number;
  /** V8's count of external memory in bytes, as the collector's heuristics see it (for tests) */
  externalMemory(): number;
}

const ADDON = join('build', 'Release', 'synack_tun.node');

let cached: TunAddon | SynackError | null = null;

/** Where the compiled addon is: $SYNACK_TUN_ADDON, or build/Release under the package root. */
export function addonPath(): string | null {
  const env = process.env.SYNACK_TUN_ADDON;
  if (env) return env;
  // this file is src/link/native.ts (tests) or dist/src/link/native.js (the package)
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    const candidate = join(dir, ADDON);
    if (existsSync(candidate)) return candidate;
    dir = dirname(dir);
  }
  return null;
}

/** The addon, or a thrown ERR_TUN_UNAVAILABLE that says why it cannot be had and what to do. */
export function loadTunAddon(): TunAddon {
  if (cached === null) cached = tryLoad();
  if (cached instanceof Error) throw cached;
  return cached;
}

function tryLoad(): TunAddon | SynackError {
  if (process.platform !== 'linux') {
    return makeError('ERR_TUN_UNAVAILABLE', `TUN/TAP devices need Linux (this is ${process.platform})`);
  }
  const path = addonPath();
  if (!path) {
    return makeError(
      'ERR_TUN_UNAVAILABLE',
      `the TUN addon is not built (no ${ADDON} in the package): run \`npm rebuild synack\` ` +
        '(it needs python3, make and a C compiler, as node-gyp does)',
    );
  }
  try {
    return createRequire(import.meta.url)(path) as TunAddon;
  } catch (err) {
    return makeError('ERR_TUN_UNAVAILABLE', `the TUN addon at ${path} failed to load: ${(err as Error).message.split('\n')[0]}`, {
      cause: err,
    } as Partial<SynackError>);
  }
}

/** Whether a TUN device can be opened here: the addon loads, /dev/net/tun exists, and we may open it. */
export function tunAvailable(): { ok: true } | { ok: false; reason: string } {
  try {
    loadTunAddon();
  } catch (err) {
    return { ok: false, reason: (err as Error).message };
  }
  if (!existsSync('/dev/net/tun')) return { ok: false, reason: '/dev/net/tun does not exist (modprobe tun, or a container without it)' };
  if (typeof process.getuid === 'function' && process.getuid() !== 0) {
    return { ok: false, reason: 'opening a TUN device needs root (CAP_NET_ADMIN)' };
  }
  return { ok: true };
}
