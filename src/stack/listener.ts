/**
 * A listening socket's two queues, as Linux keeps them: the SYN queue (connections in SYN_RCVD,
 * bounded by tcp_max_syn_backlog) and the accept queue (established, waiting for the application,
 * bounded by min(backlog, somaxconn)).
 */
import type { Conn } from './conn.js';
import type { IpAddr } from './ip-addr.js';

export class Listener {
  /** half-open children (SYN_RCVD) */
  synQueue = 0;
  /** established children not yet handed to the application */
  readonly acceptQueue: Conn[] = [];
  closed = false;
  drainScheduled = false;
  /** when this listener last answered with a SYN cookie (cookies are honoured for a while after) */
  lastCookieAt = -Infinity;
  /** the application has paused accepting: established connections wait in the accept queue */
  paused = false;

  constructor(
    /** null: every address of the stack (0.0.0.0 / ::) */
    readonly addr: IpAddr | null,
    readonly port: number,
    public backlog: number,
    /** hands an established connection to the application */
    readonly accept: (conn: Conn) => void,
    /** IPv6 wildcard listeners also take IPv4 (dual stack) unless ipv6Only */
    readonly family: 4 | 6 | 0,
  ) {}
}
