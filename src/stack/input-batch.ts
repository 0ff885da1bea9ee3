/**
 * One input batch (`Stack.inputBatch`): packets that arrived together are demultiplexed one by
 * one, and each connection they feed sends the ACK its in-order data made due once, at the batch's
 * end — as GRO and delayed ACK give Linux one ACK per aggregate (tcp/output.ts scheduleAck).
 */
import type { Conn } from './conn.js';

export class InputBatch {
  /** a batch is being taken */
  active = false;
  /** the packet being taken was handed over by the link: a large payload may be kept as a view */
  owned = false;
  /** when it arrived: one reading of the clock serves all its packets */
  now = 0;
  private readonly conns: Conn[] = [];

  begin(owned: boolean, now: number): void {
    this.active = true;
    this.owned = owned;
    this.now = now;
  }

  /** A connection the batch feeds: its due ACK waits for `end`. */
  enlist(conn: Conn): void {
    if (conn.tcb.inputBatch) return;
    conn.tcb.inputBatch = true;
    this.conns.push(conn);
  }

  /** The last packet is in. */
  close(): void {
    this.active = false;
    this.owned = false;
  }

  /**
   * Each connection fed sends its due ACK at `now` (read after the application ran: a TCB's time
   * never goes back); `after` refiles it and reports what a TCB threw.
   */
  end(now: number, after: (c: Conn, err: unknown) => void): void {
    const conns = this.conns;
    for (let i = 0; i < conns.length; i++) {
      const c = conns[i]!;
      if (!c.tcb.inputBatch) continue;
      let err: unknown = null;
      try {
        c.tcb.endInputBatch(now);
      } catch (e) {
        err = e;
      }
      after(c, err);
    }
    conns.length = 0;
  }
}
