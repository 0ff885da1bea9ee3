/**
 * A stack's new connections: a Conn with its TCB, given the initial sequence number of RFC 6528
 * (a keyed hash of the 4-tuple plus a 4 µs clock), the timestamp offset of RFC 7323 §5.4 (a keyed
 * hash of the 4-tuple, as Linux's secure_tcp_ts_off), the MSS to advertise (the MTU less the IP
 * and TCP headers) and what all the stack's TCBs share (hooks, counters, the challenge ACK budget).
 *
 * One connection is made per handshake on each side, so nothing here is made per call but the Conn
 * and its TCB: the 4-tuple's hash words and the TCB's options are one record each, refilled.
 */
import { halfSipHash, initialSequenceNumber, type HashKey } from '../tcp/halfsiphash.js';
import type { TcpNetns } from '../tcp/ack-throttle.js';
import type { LossCounters } from '../tcp/loss-counters.js';
import type { Sysctl } from '../tcp/sysctl.js';
import { Tcb, type TcbHooks, type TcbOptions } from '../tcp/tcb.js';
import { Conn } from './conn.js';
import { tupleWords, type IpAddr } from './ip-addr.js';

export class ConnFactory {
  /** the 4-tuple as hash words, rewritten for every connection */
  private readonly tuple: number[] = [];
  /** the TCB's options, refilled for every connection (the TCB keeps none of the record) */
  private readonly opts: TcbOptions;

  constructor(
    private readonly isnKey: HashKey,
    private readonly tsKey: HashKey,
    private readonly mtu: number,
    private readonly hooks: TcbHooks,
    lossCounters: LossCounters,
    netns: TcpNetns,
  ) {
    this.opts = { sysctl: null as unknown as Sysctl, localPort: 0, remotePort: 0, iss: 0, mss: 0, tsOffset: 0, lossCounters, owner: undefined, netns };
  }

  /** A new connection and its TCB (CLOSED); `iss` overrides RFC 6528's choice. */
  make(sysctl: Sysctl, local: IpAddr, localPort: number, remote: IpAddr, remotePort: number, now: number, iss?: number): Conn {
    const conn = new Conn(local, remote);
    const words = tupleWords(local, localPort, remote, remotePort, this.tuple);
    const o = this.opts;
    o.sysctl = sysctl;
    o.localPort = localPort;
    o.remotePort = remotePort;
    o.iss = iss ?? initialSequenceNumber(this.isnKey, words, now);
    o.mss = this.mssFor(local);
    o.tsOffset = this.tsOffsetFor(words);
    o.owner = conn;
    conn.tcb = new Tcb(this.hooks, o);
    o.owner = undefined;
    return conn;
  }

  /** RFC 7323 §5.4: a per-connection random offset for our timestamps */
  tsOffsetFor(words: number[]): number {
    return halfSipHash(this.tsKey, words);
  }

  /** the MSS we advertise from `local`: the MTU less the IP and TCP headers */
  mssFor(local: IpAddr): number {
    return this.mtu - (local.version === 4 ? 40 : 60);
  }
}
