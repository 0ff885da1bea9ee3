/**
 * Capture files on disk (Node): the pcap writer (pcap-writer.ts) into a file, with buffered
 * synchronous writes.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { PcapWriter, type PcapFile, type PcapWriterOptions } from './pcap-writer.js';

export { LINKTYPE_ETHERNET, LINKTYPE_RAW, PcapWriter, readPcap } from './pcap-writer.js';
export type { PcapCapture, PcapFile, PcapWriterOptions } from './pcap-writer.js';

/** Create (truncate) a capture file at `path`; writes are buffered and synchronous. */
export function openPcapFile(path: string, opts: PcapWriterOptions = {}): PcapFile {
  let fd: number | undefined = openSync(path, 'w');
  const buf = new Uint8Array(64 * 1024);
  let used = 0;
  const flush = (): void => {
    if (fd === undefined || used === 0) return;
    let off = 0;
    while (off < used) off += writeSync(fd, buf, off, used - off);
    used = 0;
  };
  const write = (chunk: Uint8Array): void => {
    if (fd === undefined) throw new Error(`pcap file ${path} is closed`);
    if (used + chunk.length > buf.length) flush();
    if (chunk.length > buf.length) {
      let off = 0;
      while (off < chunk.length) off += writeSync(fd, chunk, off, chunk.length - off);
    } else {
      buf.set(chunk, used);
      used += chunk.length;
    }
  };
  const writer = new PcapWriter(write, opts);
  const close = (): void => {
    if (fd === undefined) return;
    flush();
    closeSync(fd);
    fd = undefined;
  };
  return Object.assign(writer, { flush, close });
}

