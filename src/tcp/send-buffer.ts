/**
 * Bytes the user has written and the peer has not yet acknowledged, from SND.UNA onward.
 * Small writes are coalesced into blocks so a stream of tiny writes does not become a
 * long array of tiny chunks; larger writes are kept as one copied chunk each.
 */
const BLOCK = 16 * 1024;
/** shared by every empty buffer (frozen, so an accidental push throws): idle connections allocate no array */
const NONE: Uint8Array[] = Object.freeze([]) as unknown as Uint8Array[];

export class SendBuffer {
  private chunks: Uint8Array[] = NONE;
  /** bytes of chunks[0] already consumed (acknowledged) */
  private head = 0;
  /** bytes used in the last chunk when it is a coalescing block */
  private tailUsed = -1;
  /** total bytes held (unacknowledged + unsent) */
  length = 0;
  /** size of the next coalescing block */
  private nextBlock = 256;

  push(data: Uint8Array): void {
    const n = data.length;
    if (n === 0) return;
    if (this.chunks === NONE) this.chunks = [];
    this.length += n;
    const last = this.chunks[this.chunks.length - 1];
    if (last && this.tailUsed >= 0 && this.tailUsed + n <= last.length) {
      last.set(data, this.tailUsed);
      this.tailUsed += n;
      return;
    }
    if (this.tailUsed >= 0 && last) {
      // seal the current block at its used size
      this.chunks[this.chunks.length - 1] = last.subarray(0, this.tailUsed);
    }
    if (n < BLOCK / 2) {
      // blocks grow with use: a connection that writes 16 bytes should not cost 16 KiB
      this.nextBlock = Math.min(BLOCK, Math.max(this.nextBlock * 2, 2 * n));
      const block = new Uint8Array(this.nextBlock);
      block.set(data, 0);
      this.chunks.push(block);
      this.tailUsed = n;
    } else {
      this.chunks.push(data.slice());
      this.tailUsed = -1;
    }
  }

  /** Usable bytes of chunk i. */
  private sizeOf(i: number): number {
    const c = this.chunks[i]!;
    const end = i === this.chunks.length - 1 && this.tailUsed >= 0 ? this.tailUsed : c.length;
    return end - (i === 0 ? this.head : 0);
  }

  /** `len` bytes starting `offset` bytes after SND.UNA: a view when they sit in one chunk, else a copy. */
  peek(offset: number, len: number): Uint8Array {
    len = Math.min(len, this.length - offset);
    if (len <= 0) return new Uint8Array(0);
    let i = 0;
    let skip = offset;
    while (skip >= this.sizeOf(i)) {
      skip -= this.sizeOf(i);
      i++;
    }
    const start = (i === 0 ? this.head : 0) + skip;
    if (skip + len <= this.sizeOf(i)) return this.chunks[i]!.subarray(start, start + len);
    const out = new Uint8Array(len);
    let filled = 0;
    let from = start;
    while (filled < len) {
      const c = this.chunks[i]!;
      const avail = (i === 0 ? this.head : 0) + this.sizeOf(i) - from;
      const take = Math.min(avail, len - filled);
      out.set(c.subarray(from, from + take), filled);
      filled += take;
      i++;
      from = 0;
    }
    return out;
  }

  /** Drop `n` acknowledged bytes from the front. */
  consume(n: number): void {
    n = Math.min(n, this.length);
    this.length -= n;
    while (n > 0) {
      const size = this.sizeOf(0);
      if (n < size) {
        this.head += n;
        return;
      }
      n -= size;
      this.chunks.shift();
      this.head = 0;
      if (this.chunks.length === 0) this.tailUsed = -1;
    }
    if (this.length === 0) {
      this.chunks = NONE;
      this.head = 0;
      this.tailUsed = -1;
    }
  }
}
