/**
 * Classic libpcap capture files (the .pcap format tcpdump and Wireshark read):
 * a 24-byte global header, then per packet a 16-byte record header and the bytes.
 * Written little-endian with microsecond timestamps. Portable: bytes in, bytes out; the file
 * writer is pcap.ts (Node).
 */
export const LINKTYPE_ETHERNET = 1;
/** Raw IP: each packet begins with an IPv4 or IPv6 header. */
export const LINKTYPE_RAW = 101;

const MAGIC_US = 0xa1b2c3d4;
const MAGIC_NS = 0xa1b23c4d;

export interface PcapWriterOptions {
  /** Longest packet prefix stored; default 262144. */
  snaplen?: number;
  /** Default 101 (LINKTYPE_RAW); 1 for Ethernet frames. */
  linktype?: number;
}

/** Writes a classic pcap capture (global header, then one record per packet) through `write`. */
export class PcapWriter {
  readonly snaplen: number;
  readonly linktype: number;

  constructor(
    private readonly write: (chunk: Uint8Array) => void,
    opts: PcapWriterOptions = {},
  ) {
    this.snaplen = opts.snaplen ?? 262144;
    this.linktype = opts.linktype ?? LINKTYPE_RAW;
    const h = new Uint8Array(24);
    const v = new DataView(h.buffer);
    v.setUint32(0, MAGIC_US, true);
    v.setUint16(4, 2, true); // version 2.4
    v.setUint16(6, 4, true);
    // thiszone (8) and sigfigs (12) stay 0
    v.setUint32(16, this.snaplen, true);
    v.setUint32(20, this.linktype, true);
    this.write(h);
  }

  /** Append one packet captured at `timeMs` (ms; negative clamps to 0). The bytes are copied. */
  packet(timeMs: number, data: Uint8Array): void {
    const us = Math.max(0, Math.round(timeMs * 1000));
    const incl = Math.min(data.length, this.snaplen);
    const rec = new Uint8Array(16 + incl);
    const v = new DataView(rec.buffer);
    v.setUint32(0, Math.floor(us / 1e6), true);
    v.setUint32(4, us % 1e6, true);
    v.setUint32(8, incl, true);
    v.setUint32(12, data.length, true);
    rec.set(data.subarray(0, incl), 16);
    this.write(rec);
  }
}

/** A capture being written: `flush()` hands buffered bytes over, `close()` ends it. */
export type PcapFile = PcapWriter & {
  /** Write out what is buffered. */
  flush(): void;
  /** Flush and end the capture. */
  close(): void;
};

export interface PcapCapture {
  linktype: number;
  packets: { timeMs: number; data: Uint8Array }[];
}

/** Parse a classic pcap (either byte order, micro- or nanosecond timestamps). */
export function readPcap(buf: Uint8Array): PcapCapture {
  if (buf.length < 24) throw new Error('pcap: truncated global header');
  const v = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  let le: boolean;
  let nanos: boolean;
  const magicLe = v.getUint32(0, true);
  const magicBe = v.getUint32(0, false);
  if (magicLe === MAGIC_US || magicLe === MAGIC_NS) [le, nanos] = [true, magicLe === MAGIC_NS];
  else if (magicBe === MAGIC_US || magicBe === MAGIC_NS) [le, nanos] = [false, magicBe === MAGIC_NS];
  else throw new Error(`pcap: bad magic 0x${magicBe.toString(16)}`);
  const linktype = v.getUint32(20, le) & 0x0fffffff; // upper bits may carry FCS info
  const packets: PcapCapture['packets'] = [];
  let off = 24;
  while (off < buf.length) {
    if (off + 16 > buf.length) throw new Error(`pcap: truncated record header at ${off}`);
    const sec = v.getUint32(off, le);
    const frac = v.getUint32(off + 4, le);
    const incl = v.getUint32(off + 8, le);
    if (off + 16 + incl > buf.length) throw new Error(`pcap: truncated record at ${off}`);
    const timeMs = sec * 1000 + (nanos ? frac / 1e6 : frac / 1e3);
    packets.push({ timeMs, data: buf.slice(off + 16, off + 16 + incl) });
    off += 16 + incl;
  }
  return { linktype, packets };
}
