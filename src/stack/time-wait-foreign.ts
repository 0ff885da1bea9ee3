/**
 * Foreign local addresses of TIME_WAIT records. A connection the forwarder accepted for a foreign
 * destination (a gateway relaying a guest's connection to any address) reaches TIME_WAIT like any
 * other, and its record needs its local address. The TIME_WAIT table names a record's local address
 * by an index: the position in `stack.addresses` for the stack's own, and FOREIGN_BASE + i here for
 * the others, counted by the records that use them and forgotten with the last.
 *
 * Before this, such a connection kept its whole TCB through 2MSL: at 8,000 relayed connections a
 * second, 60 s of them are 480,000 TCBs (~4 KB of heap each, measured), where a record is 82 bytes.
 */
import type { IpAddr } from './ip-addr.js';

/** The first index of a foreign address: past any stack's own addresses, within the table's 24 bits. */
export const FOREIGN_BASE = 1 << 16;

export class ForeignTimeWaitAddresses {
  private readonly byText = new Map<string, number>();
  private readonly addrs: (IpAddr | null)[] = [];
  private readonly refs: number[] = [];
  private readonly spare: number[] = [];

  /** Foreign addresses some record uses. */
  get size(): number {
    return this.byText.size;
  }

  /** The index of `a` for a new record (counted until `release`). */
  acquire(a: IpAddr): number {
    let i = this.byText.get(a.text);
    if (i === undefined) {
      i = this.spare.pop() ?? this.addrs.length;
      this.addrs[i] = a;
      this.refs[i] = 0;
      this.byText.set(a.text, i);
    }
    this.refs[i]!++;
    return FOREIGN_BASE + i;
  }

  /** The index of `a` if a record uses it, else -1. */
  find(a: IpAddr): number {
    const i = this.byText.get(a.text);
    return i === undefined ? -1 : FOREIGN_BASE + i;
  }

  /** The address behind a foreign index. */
  address(index: number): IpAddr {
    return this.addrs[index - FOREIGN_BASE]!;
  }

  /** A record with this index is gone. */
  release(index: number): void {
    const i = index - FOREIGN_BASE;
    const a = this.addrs[i];
    if (!a) return;
    if (--this.refs[i]! > 0) return;
    this.byText.delete(a.text);
    this.addrs[i] = null;
    this.spare.push(i);
  }
}
