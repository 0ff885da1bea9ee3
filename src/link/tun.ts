/**
 * TunDevice: a Linux TUN (IP packets) or TAP (Ethernet frames) device, through the native addon.
 *
 *   const tun = TunDevice.open('synack0');            // attaches by name, creating it if absent
 *   tun.on('packet', (p) => stack.input(p));          // p is valid until the batch's 'batch' event
 *                                                      // (for good when its third argument, owned, is true)
 *   stack.on('packet', (p) => tun.write(p));          // copied; sent in one batch per tick
 *   tun.close();
 *
 * Reads arrive in batches (one call from the addon per batch, each packet a view into one shared
 * buffer, valid until 'batch' is emitted after the batch's last packet, so a consumer may hand the
 * whole batch on at once: attachTun gives it to `stack.inputBatch`). A packet of `handOverBytes`
 * or more (the kernel's 64 KiB TSO segments) is instead handed over: its own ArrayBuffer, never
 * reused by the device (the addon reads each packet into a slot of its own and gives a large one's
 * slot to JavaScript, as Node's socket reads do), so a consumer may keep views of it without a copy;
 * 'packet' says so with its third argument, `owned`.
 * Writes are copied into an output buffer and handed to the kernel in one addon call once the
 * event loop's I/O callbacks of this turn are done (`setImmediate`, the check phase), or at once
 * when the buffer fills or `flush()` is called: what the stack answers to a read batch and what
 * its deferred work (accepts, socket events, the application's replies) sends in the same turn
 * leave together, as a NIC driver rings its doorbell once for a burst (Linux's xmit_more). Each
 * write batch is a wake-up of whoever reads on the kernel side; with a microtask per batch, a
 * `Connection: close` HTTP load made 1.9 write batches per read batch, and 1.0 with this.
 *
 * With the virtio-net header (`vnetHdr`, the default for TUN) each packet carries what the kernel
 * knows of its checksum, both ways (include/uapi/linux/virtio_net.h): 'packet' gets it as its
 * second argument (TUN_RX_*), and `write(packet, info)` may ask the kernel to complete a checksum
 * or to split a TCP super-segment (TUN_TX_*). attachTun turns that into the stack's offload.
 */
import { EventEmitter } from 'node:events';
import { makeError, type SynackError } from '../errors.js';
import { loadTunAddon, type TunAddon } from './native.js';

/** TUNSETOFFLOAD bit (include/uapi/linux/if_tun.h): we accept packets with a partial checksum. */
export const TUN_F_CSUM = 0x01;
/** TUNSETOFFLOAD bit: we accept unsegmented IPv4 TCP (TSO4). */
export const TUN_F_TSO4 = 0x02;
/** TUNSETOFFLOAD bit: we accept unsegmented IPv6 TCP (TSO6). */
export const TUN_F_TSO6 = 0x04;

/**
 * 'packet' info (second argument), from the packet's virtio-net header: 0 = nothing known, verify
 * the checksum; TUN_RX_CSUM_PARTIAL = the local kernel's own packet, its TCP/UDP checksum field
 * holding only the pseudo-header sum (VIRTIO_NET_HDR_F_NEEDS_CSUM: nothing to verify, and nothing
 * was computed); TUN_RX_CSUM_VALID = checked by the kernel or a NIC (DATA_VALID), or completed by
 * the addon. The high 16 bits: the segment size of a packet the kernel did not segment (GSO).
 */
export const TUN_RX_CSUM_PARTIAL = 1;
/** 'packet' info: the checksum was checked by the kernel or a NIC, or completed by the addon (see TUN_RX_CSUM_PARTIAL). */
export const TUN_RX_CSUM_VALID = 2;
/** the addon's info bit for a handed-over packet (native/vnet.h RX_OWNED); 'packet' gets it as its third argument instead */
const RX_OWNED = 0x80;
/** handOverBytes' default: the payload size from which the stack keeps views (tcp/input.ts KEEP_VIEW_BYTES) */
const HAND_OVER_BYTES = 16 * 1024;
/**
 * `write(packet, info)`: TUN_TX_NEEDS_CSUM = the TCP/UDP checksum field holds the pseudo-header
 * sum and the kernel completes it (VIRTIO_NET_HDR_F_NEEDS_CSUM); plus `gsoSize << 16` for a TCP
 * super-segment the kernel splits into segments of gsoSize payload bytes (with NEEDS_CSUM).
 */
export const TUN_TX_NEEDS_CSUM = 1;

/** Options of `TunDevice.open(name, options)`: TUN or TAP, multi-queue, offload, buffer sizes. */
export interface TunOpenOptions {
  /** 'tun' (default): IFF_TUN, raw IP packets. 'tap': IFF_TAP, Ethernet frames. */
  mode?: 'tun' | 'tap';
  /** IFF_MULTI_QUEUE: open one more queue of a multi-queue device (each open is one queue). */
  multiQueue?: boolean;
  /**
   * TUN only, default true: the virtio-net header (IFF_VNET_HDR), and ask the kernel for its TCP
   * segments unsegmented (TSO4/TSO6 and checksum offload), up to 64 KiB per packet, as GRO gives
   * them to Linux's own TCP. Packets reach 'packet' as ordinary valid IP packets (the addon
   * completes checksums unless `setChecksumCompletion(false)`), only larger than the MTU. Where
   * the kernel refuses, the device is opened in plain mode (`vnetHdr` false).
   */
  offload?: boolean;
  /** The TUNSETOFFLOAD bits asked with `offload` (default TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6). */
  offloadFlags?: number;
  /** Bytes of the read batch buffer (default 4 MiB; at least 64 KiB + 64). */
  readBufferBytes?: number;
  /** Bytes of the write batch buffer (default 1 MiB: sixteen 64 KiB super-segments). */
  writeBufferBytes?: number;
  /**
   * Packets of this many bytes or more are handed over ('packet' with `owned` true: a buffer of
   * their own that the device never reuses) instead of being views into the shared read buffer;
   * default 16 KiB (what the stack keeps as views, tcp/input.ts), 0: never.
   */
  handOverBytes?: number;
}

/** A device's counters (`device.stats`): packets and bytes in and out, batches, packets the kernel refused. */
export interface TunStats {
  packetsIn: number;
  bytesIn: number;
  readBatches: number;
  packetsOut: number;
  bytesOut: number;
  writeBatches: number;
  /** packets the kernel refused (EAGAIN/ENOBUFS/EIO while the link is down...) */
  writeDrops: number;
  lastWriteErrno: number;
  /** packets the kernel handed over unsegmented (gso_size set), and super-segments we asked it to split */
  gsoIn: number;
  gsoOut: number;
  /** packets handed over (`handOverBytes`): buffers of their own instead of views into the read buffer */
  handedOver: number;
}

const MAX_WRITE_BATCH = 1024;
const COMPLETION_MODES = ['all', 'except-tcp', 'none'] as const;

/**
 * A Linux TUN or TAP device through the N-API addon: `TunDevice.open(name)` creates or attaches
 * it, `'packet'` events bring what the kernel sends, `write()` sends to the kernel. Needs
 * CAP_NET_ADMIN; the addon loads on first open.
 */
export class TunDevice extends EventEmitter {
  readonly name: string;
  readonly mode: 'tun' | 'tap';
  /** whether the kernel hands us unsegmented (offloaded) TCP segments */
  readonly offload: boolean;
  /** whether packets carry the virtio-net header: checksum states in, checksum and GSO requests out */
  readonly vnetHdr: boolean;
  readonly stats: TunStats = {
    packetsIn: 0,
    bytesIn: 0,
    readBatches: 0,
    packetsOut: 0,
    bytesOut: 0,
    writeBatches: 0,
    writeDrops: 0,
    lastWriteErrno: 0,
    gsoIn: 0,
    gsoOut: 0,
    handedOver: 0,
  };
  private fd: number;
  private readonly addon: TunAddon;
  private reader: object | null = null;
  private readonly inBuf: ArrayBuffer;
  private readonly inBytes: Uint8Array;
  private readonly inLens = new Uint32Array(256);
  private readonly inInfo = new Uint32Array(256);
  private readonly outBuf: ArrayBuffer;
  private readonly outBytes: Uint8Array;
  private readonly outLens = new Uint32Array(MAX_WRITE_BATCH);
  private readonly outInfo = new Uint32Array(MAX_WRITE_BATCH);
  private outCount = 0;
  private outUsed = 0;
  private flushQueued = false;
  private closed = false;

  /** Open (or create) the device `name`. Throws ERR_TUN_UNAVAILABLE when TUN/TAP cannot be had here. */
  static open(name: string, opts: TunOpenOptions = {}): TunDevice {
    return new TunDevice(name, opts);
  }

  private constructor(name: string, opts: TunOpenOptions) {
    super();
    if (typeof name !== 'string' || name.length === 0 || Buffer.byteLength(name) > 15 || /[\s/:%]/.test(name)) {
      throw makeError('ERR_INVALID_ARG_VALUE', `invalid interface name "${name}" (1 to 15 bytes, no spaces, '/', ':' or '%')`);
    }
    this.mode = opts.mode ?? 'tun';
    this.addon = loadTunAddon();
    const flags = opts.offloadFlags ?? TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6;
    if (!Number.isInteger(flags) || flags < 0 || flags > 0xffffffff) {
      throw makeError('ERR_INVALID_ARG_VALUE', `offloadFlags must be TUN_F_* bits (an unsigned 32-bit integer), got ${String(opts.offloadFlags)}`);
    }
    let opened: ReturnType<TunAddon['open']>;
    try {
      opened = this.addon.open(name, this.mode === 'tap' ? 1 : 0, opts.multiQueue ?? false, this.mode === 'tun' && (opts.offload ?? true), flags);
    } catch (err) {
      throw explainOpenError(err as SynackError, name, this.mode);
    }
    this.fd = opened.fd;
    this.name = opened.name;
    this.offload = opened.offload;
    this.vnetHdr = opened.vnetHdr;
    const inSize = Math.max(65600, opts.readBufferBytes ?? 4 << 20);
    this.inBuf = new ArrayBuffer(inSize);
    this.inBytes = new Uint8Array(this.inBuf);
    this.outBuf = new ArrayBuffer(Math.max(65536, opts.writeBufferBytes ?? 1 << 20));
    this.outBytes = new Uint8Array(this.outBuf);
    const handOver = opts.handOverBytes ?? HAND_OVER_BYTES;
    if (!Number.isInteger(handOver) || handOver < 0) {
      throw makeError('ERR_INVALID_ARG_VALUE', `handOverBytes must be a non-negative integer, got ${String(opts.handOverBytes)}`);
    }
    this.reader = this.addon.startReading(
      this.fd,
      this.inBuf,
      this.inLens,
      (n, errno, owned) => this.onBatch(n, errno, owned),
      this.vnetHdr,
      this.inInfo,
      Math.min(handOver, 0xffffffff),
    );
  }

  /**
   * Which checksums the kernel left partial (TUN_RX_CSUM_PARTIAL) the addon completes before
   * 'packet': 'all' (the default: every packet is a valid IP packet), 'except-tcp' (for a stack
   * that skips TCP verification on trusted packets but checks UDP and ICMP), or 'none'.
   */
  setChecksumCompletion(mode: 'all' | 'except-tcp' | 'none'): void {
    const m = COMPLETION_MODES.indexOf(mode);
    if (m < 0) throw makeError('ERR_INVALID_ARG_VALUE', `checksum completion must be 'all', 'except-tcp' or 'none', got ${String(mode)}`);
    if (this.reader) this.addon.setCompleteChecksums(this.reader, m);
  }

  private onBatch(count: number, errno: number, owned: ArrayBuffer[] | undefined): void {
    if (this.closed) return;
    // Handed-over buffers are external to V8, which frees them when a collection finds them dead;
    // they die young (a receive queue is read within the turn), but V8 only checks the young
    // generation's external bytes, to scavenge early (2 semispaces' worth), when it allocates a
    // backing store itself (Heap::AllocateExternalBackingStore). Nothing else here does, so the
    // external count ran up to its 64 MiB mark and full mark-compacts freed them instead. One tiny
    // allocation per batch lets V8 look: with a consumer that allocates little per packet, 29
    // mark-compacts in 2 GB became 1 (and 70 scavenges), 13 % less CPU, half the memory at peak.
    if (owned !== undefined) void new ArrayBuffer(8);
    this.stats.readBatches++;
    let off = 0;
    let k = 0;
    const stats = this.stats;
    for (let i = 0; i < count; i++) {
      const len = this.inLens[i]!;
      const info = this.inInfo[i]!;
      stats.packetsIn++;
      stats.bytesIn += len;
      if (info > 0xffff) stats.gsoIn++;
      if ((info & RX_OWNED) !== 0) {
        stats.handedOver++;
        this.emit('packet', new Uint8Array(owned![k++]!, 0, len), info - RX_OWNED, true);
      } else {
        this.emit('packet', this.inBytes.subarray(off, off + len), info, false);
        off += len;
      }
      if (this.closed) return;
    }
    if (count > 0) this.emit('batch');
    if (errno !== 0) {
      // the device is gone or broken (EBADFD once `ip link del` removed it, EIO...): reading again
      // would fail again at once, so stop, close, and say why once
      const err = makeError('ERR_TUN_READ', `reading ${this.mode} device ${this.name} failed (errno ${errno}); closed`, {
        errno: -errno,
        syscall: 'read',
      });
      this.close();
      this.emit('error', err);
    }
  }

  /**
   * Queue one packet (copied). `info` (TUN_TX_NEEDS_CSUM | gsoSize << 16) asks the kernel to
   * complete its checksum or split it, and needs `vnetHdr`. Returns false if the device is closed,
   * the packet too big, or an offload asked of a device without the header.
   */
  write(packet: Uint8Array, info = 0): boolean {
    if (this.closed) return false;
    const n = packet.length;
    if (n === 0 || n > this.outBytes.length || (info !== 0 && !this.vnetHdr)) return false;
    if (this.outUsed + n > this.outBytes.length || this.outCount === MAX_WRITE_BATCH) this.flush();
    this.outBytes.set(packet, this.outUsed);
    this.outInfo[this.outCount] = info;
    this.outLens[this.outCount++] = n;
    this.outUsed += n;
    if (info > 0xffff) this.stats.gsoOut++;
    if (!this.flushQueued) {
      this.flushQueued = true;
      setImmediate(this.flushSoon);
    }
    return true;
  }

  private readonly flushSoon = (): void => {
    if (this.flushQueued) this.flush();
  };

  /** Hand every queued packet to the kernel now. */
  flush(): void {
    this.flushQueued = false;
    if (this.outCount === 0 || this.closed) return;
    const count = this.outCount;
    const r = this.addon.writeBatch(this.fd, this.outBuf, this.outLens, count, this.vnetHdr, this.outInfo);
    const written = r % 65536;
    const errno = (r - written) / 65536;
    this.stats.writeBatches++;
    this.stats.packetsOut += written;
    this.stats.bytesOut += this.outUsed;
    if (written < count) {
      this.stats.writeDrops += count - written;
      this.stats.lastWriteErrno = errno;
    }
    this.outCount = 0;
    this.outUsed = 0;
  }

  /** Let the process exit while the device is open (like socket.unref()). */
  unref(): this {
    if (this.reader) this.addon.unref(this.reader);
    return this;
  }

  /** Let the open device keep the process alive (the default). */
  ref(): this {
    if (this.reader) this.addon.ref(this.reader);
    return this;
  }

  get isOpen(): boolean {
    return !this.closed;
  }

  /** Flush, stop reading and close the fd. A device this open created disappears with it. */
  close(): void {
    if (this.closed) return;
    this.flush();
    this.closed = true;
    if (this.reader) this.addon.stopReading(this.reader);
    this.reader = null;
    this.addon.close(this.fd);
    this.fd = -1;
    this.emit('close');
  }
}

function explainOpenError(err: SynackError, name: string, mode: string): SynackError {
  const code = err.code;
  if (code === 'ENOENT' || code === 'ENODEV') {
    return makeError('ERR_TUN_UNAVAILABLE', `cannot open /dev/net/tun (${code}): the tun module is not loaded, or this container has no /dev/net/tun`, { cause: err } as Partial<SynackError>);
  }
  if (code === 'EPERM' || code === 'EACCES') {
    return makeError('ERR_TUN_UNAVAILABLE', `not allowed to attach ${mode} device ${name} (${code}): it needs root or CAP_NET_ADMIN`, { cause: err } as Partial<SynackError>);
  }
  if (code === 'EBUSY') {
    return makeError('EBUSY', `${mode} device ${name} is busy: another process is attached (single-queue device)`, { cause: err } as Partial<SynackError>);
  }
  if (code === 'EINVAL') {
    return makeError('EINVAL', `cannot attach ${name} as ${mode}: it exists with another type or queue mode, or is not a tun/tap device`, { cause: err } as Partial<SynackError>);
  }
  return err;
}
