/**
 * Choosing the local end of an active open: the local address for a destination, and whether a
 * 4-tuple still in TIME_WAIT may be taken over by a new connect (tcp_tw_reuse).
 */
import { sysError } from '../errors.js';
import type { Conn } from './conn.js';
import { seqAdd } from '../tcp/seq.js';
import { ipFromText, ipSame, isLoopback, putWords, type IpAddr } from './ip-addr.js';
import type { Stack } from './stack.js';
import type { TransitionCause } from '../observe/events.js';

const DEST: number[] = [];

const TW_REUSED: TransitionCause = { kind: 'stack', reason: 'tcp_tw_reuse: the 4-tuple taken over by a new connect' };

/**
 * The local address for a connection to `remote`: the one asked for (bind); else, as Linux's route
 * lookup gives it, the loopback address for a loopback destination (127.0.0.1 for all of
 * 127.0.0.0/8), the destination itself when it is one of ours, or the first address of its family.
 */
export function pickLocal(stack: Stack, remote: IpAddr, localAddress?: string): IpAddr {
  const addresses = stack.addresses;
  if (localAddress !== undefined) {
    const ip = ipFromText(localAddress);
    const own = ip && stack.ownAddress(ip);
    if (!own) throw sysError('EADDRNOTAVAIL', 'bind', localAddress);
    if (own.version !== remote.version) throw sysError('EADDRNOTAVAIL', 'connect', remote.text);
    return own;
  }
  // (loops rather than find() with a closure: this runs for every connect)
  if (isLoopback(remote)) {
    for (const a of addresses) if (a.version === remote.version && isLoopback(a)) return a;
  }
  for (const a of addresses) if (ipSame(a, remote)) return a;
  for (const a of addresses) if (a.version === remote.version && !isLoopback(a)) return a;
  throw sysError('ENETUNREACH', 'connect', remote.text);
}

/**
 * True when no TIME_WAIT record holds this 4-tuple, or when tcp_tw_reuse lets the connect take it
 * over (Linux tcp_twsk_unique): timestamps protect the new connection from the old one's segments
 * (PAWS) and the old one's last timestamp is over 1 s old. A taken-over record ends, and the new
 * connection's ISN continues past its SND.NXT (stack.reuseIss).
 */
export function takeTimeWaitTuple(stack: Stack, local: IpAddr, port: number, remote: IpAddr, remotePort: number): boolean {
  const tw = stack.timeWait;
  const slot = tw.lookup(stack.addresses.indexOf(local), port, remote.v4, remote.v6, remotePort);
  if (slot < 0) return true;
  const reuse = stack.sysctl.tcp_tw_reuse;
  const allowed = reuse === 1 || (reuse === 2 && isLoopback(remote));
  if (!allowed || !tw.tsOk(slot) || !(stack.clock.now() - tw.tsRecentAge(slot) > 1000)) return false;
  stack.reuseIss = seqAdd(tw.sndNxt(slot), 65535 + 2);
  stack.counters.timeWaitReused++;
  stack.endTimeWait(slot, TW_REUSED);
  return true;
}

/**
 * An active open: the local address (pickLocal), the local port — the one bound, or an ephemeral
 * one from `ephemeral` (RFC 6056's keyed hash over the destination, ports.ts) — then a TCB that
 * sends its SYN (RFC 9293 §3.10.1). A 4-tuple still in TIME_WAIT is taken over only as
 * tcp_tw_reuse allows, its ISN continuing past the old connection's.
 */
export function openActive(
  stack: Stack,
  remote: IpAddr,
  remotePort: number,
  ephemeral: (dest: number[]) => number,
  localAddress?: string,
  localPort?: number,
): Conn {
  const local = pickLocal(stack, remote, localAddress);
  let port = localPort ?? 0;
  stack.reuseIss = undefined;
  if (port !== 0) {
    if (!stack.portFreeFor(local, port, remote, remotePort)) throw sysError('EADDRINUSE', 'connect', local.text, port);
  } else {
    // the hash's input, written into one array for every connect (the hash keeps none of it)
    const dest = DEST;
    let n = putWords(dest, 0, local);
    n = putWords(dest, n, remote);
    dest[n++] = remotePort;
    if (dest.length !== n) dest.length = n;
    // candidates from the keyed offset on, the first whose 4-tuple is free (ports.ts)
    const offset = ephemeral(dest);
    const range = stack.sysctl.ip_local_port_range;
    const low = range[0];
    const size = range[1] - low + 1;
    let found = false;
    for (let i = 0; i < size && !found; i++) {
      port = low + ((offset + i) % size);
      found = stack.portFreeFor(local, port, remote, remotePort);
    }
    if (!found) throw sysError('EADDRNOTAVAIL', 'connect', remote.text, remotePort);
  }
  const now = stack.clock.now();
  const conn = stack.createConn(local, port, remote, remotePort, now, stack.reuseIss);
  stack.reuseIss = undefined;
  stack.counters.activeOpens++;
  conn.tcb.openActive(now);
  stack.touch(conn);
  stack.flush();
  return conn;
}
