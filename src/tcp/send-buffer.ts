/**
 * Bytes the user has written and the peer has not yet acknowledged, from SND.UNA onward.
 *
 * Writes are copied once, into blocks: small writes fill small blocks (a connection that writes 16
 * bytes does not cost 64 KiB), large ones 64 KiB blocks. Segments are views into the blocks, copied
 * only when the encoder writes them into the wire buffer; a segment that spans two blocks is
 * gathered into one shared scratch buffer instead of a fresh allocation. Acknowledged blocks are
 * recycled through a small pool shared by every connection of the process, so a steady stream of
 * writes — bulk or ping-pong — allocates nothing, and an idle connection holds no block at all.
 */
/** the block for large writes: a window of them is a few dozen */
const LARGE = 64 * 1024;
/** the first small block; each next one doubles, up to SMALL_MAX */
const SMALL_MIN = 256;
const SMALL_MAX = 16 * 1024;
/** writes of at least this much go into LARGE blocks */
const LARGE_WRITE = SMALL_MAX / 2;
/**
 * Blocks kept per size class in the shared pool: 16, or as many as make 128 KiB for the small
 * classes (at most 7 × 128 KiB + 16 × 64 KiB ≈ 2 MiB). Many short connections each hold one small
 * block from their write to its ACK, and a pool smaller than the writes in flight at once would
 * make a new block for most of them.
 */
const POOL_PER_CLASS = 16;
const POOL_CLASS_BYTES = 128 * 1024;

/** shared by every empty buffer (frozen, so an accidental push throws): idle connections allocate no array */
const NONE: Uint8Array[] = Object.freeze([]) as unknown as Uint8Array[];

/** free blocks by size class (log2(size) - 8: 256 B ... 64 KiB) */
const pool: Uint8Array[][] = Array.from({ length: 9 }, () => []);

function sizeClass(size: number): number {
  return 31 - Math.clz32(size) - 8;
}

function takeBlock(size: number): Uint8Array {
  return pool[sizeClass(size)]!.pop() ?? new Uint8Array(size);
}

function giveBlock(block: Uint8Array): void {
  const n = block.length;
  // only whole blocks of a pooled size (never a user's view): their bytes are no longer referenced
  // by anything once acknowledged, as segment views live only through the encoder's call
  if (n < SMALL_MIN || n > LARGE || (n & (n - 1)) !== 0) return;
  const list = pool[sizeClass(n)]!;
  if (list.length < Math.max(POOL_PER_CLASS, POOL_CLASS_BYTES / n)) list.push(block);
}

/** where a segment spanning two blocks is gathered; valid until the next peek on any buffer */
let scratch = new Uint8Array(0);

export class SendBuffer {
  private blocks: Uint8Array[] = NONE;
  /** bytes of blocks[first] already consumed (acknowledged) */
  private head = 0;
  /** index of the first live block (blocks before it are spent, cleared lazily) */
  private first = 0;
  /** bytes used in the last block */
  private tailUsed = 0;
  /** total bytes held (unacknowledged + unsent) */
  length = 0;
  /** size of the next small block */
  private nextSmall = SMALL_MIN;

  push(data: Uint8Array): void {
    let n = data.length;
    if (n === 0) return;
    if (this.blocks === NONE) this.blocks = [];
    this.length += n;
    let from = 0;
    for (;;) {
      const last = this.blocks.length > this.first ? this.blocks[this.blocks.length - 1]! : null;
      const room = last ? last.length - this.tailUsed : 0;
      if (room > 0) {
        const take = Math.min(room, n);
        last!.set(take === data.length ? data : data.subarray(from, from + take), this.tailUsed);
        this.tailUsed += take;
        from += take;
        n -= take;
        if (n === 0) return;
      }
      let size: number;
      if (n >= LARGE_WRITE || this.nextSmall >= SMALL_MAX) {
        size = LARGE;
      } else {
        // small blocks grow with use: a connection that writes 16 bytes should not cost 16 KiB
        size = this.nextSmall;
        while (size < n) size *= 2;
        this.nextSmall = Math.min(SMALL_MAX, size * 2);
      }
      this.blocks.push(takeBlock(size));
      this.tailUsed = 0;
    }
  }

  /** Usable bytes of block i (an index into blocks, at or after `first`). */
  private sizeOf(i: number): number {
    const end = i === this.blocks.length - 1 ? this.tailUsed : this.blocks[i]!.length;
    return end - (i === this.first ? this.head : 0);
  }

  /**
   * `len` bytes starting `offset` bytes after SND.UNA: a view into a block, or into a scratch
   * buffer shared by every SendBuffer when they span two blocks. Either is valid only until the
   * next `peek` or `consume` — long enough for the encoder to copy it into a packet.
   */
  peek(offset: number, len: number): Uint8Array {
    len = Math.min(len, this.length - offset);
    if (len <= 0) return new Uint8Array(0);
    let i = this.first;
    let skip = offset;
    for (let size = this.sizeOf(i); skip >= size; size = this.sizeOf(i)) {
      skip -= size;
      i++;
    }
    const start = (i === this.first ? this.head : 0) + skip;
    if (skip + len <= this.sizeOf(i)) {
      // the view made directly (subarray would look up the species constructor for the same view)
      const b = this.blocks[i]!;
      return new Uint8Array(b.buffer, b.byteOffset + start, len);
    }
    if (scratch.length < len) scratch = new Uint8Array(Math.max(len, LARGE));
    const out = scratch.subarray(0, len);
    let filled = 0;
    let from = start;
    while (filled < len) {
      const b = this.blocks[i]!;
      const avail = (i === this.first ? this.head : 0) + this.sizeOf(i) - from;
      const take = Math.min(avail, len - filled);
      out.set(b.subarray(from, from + take), filled);
      filled += take;
      i++;
      from = 0;
    }
    return out;
  }

  /** Drop `n` acknowledged bytes from the front; blocks wholly acknowledged go back to the pool. */
  consume(n: number): void {
    n = Math.min(n, this.length);
    this.length -= n;
    if (this.length === 0) {
      this.release();
      return;
    }
    while (n > 0) {
      const size = this.sizeOf(this.first);
      if (n < size) {
        this.head += n;
        return;
      }
      n -= size;
      giveBlock(this.blocks[this.first]!);
      this.blocks[this.first] = NONE as unknown as Uint8Array;
      this.first++;
      this.head = 0;
    }
    if (this.first > 64 && this.first * 2 > this.blocks.length) {
      this.blocks = this.blocks.slice(this.first);
      this.first = 0;
    }
  }

  /** Everything acknowledged: every block goes back to the pool, and the next write starts small. */
  private release(): void {
    for (let i = this.first; i < this.blocks.length; i++) giveBlock(this.blocks[i]!);
    this.blocks = NONE;
    this.first = 0;
    this.head = 0;
    this.tailUsed = 0;
    this.nextSmall = SMALL_MIN;
  }
}
