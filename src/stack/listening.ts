/**
 * listen(2) for a stack: where a listener binds (a specific address, or a wildcard by family, as
 * Linux with bindv6only = 0), which port 0 gets, and the accept queue handed to the application.
 */
import { sysError } from '../errors.js';
import type { Conn } from './conn.js';
import { ipFromText, isLoopback, type IpAddr } from './ip-addr.js';
import { Listener, listenError, type ListenerTable } from './listener.js';
import type { Stack } from './stack.js';
import type { TransitionCause } from '../observe/cause.js';

const LISTENER_CLOSED: TransitionCause = { kind: 'stack', reason: 'listener closed' };

/**
 * A new listener. `null` is Node's default (:: dual-stack when the host has IPv6, else 0.0.0.0);
 * 0.0.0.0 takes IPv4 only; :: takes IPv6 and IPv4 unless `ipv6Only`. Throws EADDRINUSE /
 * EADDRNOTAVAIL like bind(2); port 0 picks a free port from ip_local_port_range.
 */
export function newListener(
  stack: Stack,
  table: ListenerTable,
  host: string | null,
  port: number,
  backlog: number,
  accept: (conn: Conn) => void,
  ipv6Only: boolean,
  /** where the search for a free port starts (the stack's port counter: deterministic runs) */
  counter: number,
  /** without SO_REUSEADDR: whether a connection or TIME_WAIT record still holds the port (listener.ts portHeld) */
  held?: (addr: IpAddr | null, port: number) => boolean,
): Listener {
  let addr: IpAddr | null = null;
  const v6Host = stack.addresses.some((a) => a.version === 6 && !isLoopback(a));
  const any = host ?? (v6Host ? '::' : '0.0.0.0');
  let family: 4 | 6 | 0 = any === '0.0.0.0' ? 4 : ipv6Only ? 6 : 0;
  if (any !== '0.0.0.0' && any !== '::') {
    const ip = ipFromText(any);
    addr = ip && stack.ownAddress(ip);
    if (!addr) throw listenError('EADDRNOTAVAIL', any, port);
    family = addr.version;
  }
  if (port === 0) port = freePort(stack, table, counter);
  if (table.clashes(addr, port, family) || held?.(addr, port)) throw listenError('EADDRINUSE', any, port);
  return new Listener(addr, port, Math.max(1, backlog), accept, family, any === '0.0.0.0' ? any : '::');
}

function freePort(stack: Stack, table: ListenerTable, counter: number): number {
  const [low, high] = stack.sysctl.ip_local_port_range;
  for (let i = 0; i <= high - low; i++) {
    const p = low + ((counter + i) % (high - low + 1));
    if (!table.has(p)) return p;
  }
  throw sysError('EADDRNOTAVAIL', 'listen');
}

/** Hand the accept queue to the application, asynchronously and once per turn, while it accepts. */
export function scheduleAccept(stack: Stack, l: Listener): void {
  if (l.drainScheduled) return;
  l.drainScheduled = true;
  stack.clock.defer(() => {
    l.drainScheduled = false;
    while (l.acceptQueue.length > 0 && !l.closed && !l.paused) {
      const c = l.acceptQueue.shift()!;
      c.listener = null;
      if (c.gone) continue;
      l.accept(c);
      stack.touch(c);
    }
    stack.flush();
  });
}

/** A listening socket closed: connections not yet accepted are reset, as Linux does. */
export function closeListener(stack: Stack, l: Listener, conns: Iterable<Conn>): void {
  l.closed = true;
  const now = stack.clock.now();
  for (const c of [...l.acceptQueue]) {
    c.tcb.abort(now, LISTENER_CLOSED);
    stack.touch(c);
  }
  l.acceptQueue.length = 0;
  for (const c of [...conns]) {
    if (c.listener !== l) continue;
    c.tcb.abort(now, LISTENER_CLOSED);
    stack.touch(c);
  }
  stack.flush();
}
