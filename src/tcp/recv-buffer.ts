/**
 * The receive side's first queue: bytes in order waiting for the user to read them. (Out-of-order
 * data waits in reassembly.ts.) Segment payloads arrive as views into packets, so everything kept
 * here is a copy.
 */

/** shared by every empty queue (frozen, so an accidental push throws): idle connections allocate no array */
const NONE: never[] = Object.freeze([]) as unknown as never[];

export class ReadQueue {
  private chunks: Uint8Array[] = NONE;
  length = 0;

  push(data: Uint8Array): void {
    if (data.length === 0) return;
    // an empty queue's first piece: an array of one (a push onto [] would grow it to 17 slots)
    if (this.chunks === NONE) this.chunks = [data];
    else this.chunks.push(data);
    this.length += data.length;
  }

  /** Bytes in the first piece held (what one segment brought), 0 when empty. */
  get firstLength(): number {
    return this.chunks.length > 0 ? this.chunks[0]!.length : 0;
  }

  /** Take up to `max` bytes (all when omitted) as chunks. */
  take(max = Infinity): Uint8Array[] {
    const one = this.chunks.length === 1 ? this.chunks[0]! : null;
    if (one !== null && one.length <= max) {
      // the common read: the one piece held, whole (in an array of one, the queue left empty)
      this.chunks = NONE;
      this.length -= one.length;
      return [one];
    }
    const out: Uint8Array[] = [];
    while (this.chunks.length > 0 && max > 0) {
      const c = this.chunks[0]!;
      if (c.length <= max) {
        out.push(c);
        this.chunks.shift();
        max -= c.length;
        this.length -= c.length;
      } else {
        out.push(c.subarray(0, max));
        this.chunks[0] = c.subarray(max);
        this.length -= max;
        max = 0;
      }
    }
    return out;
  }
}

