/**
 * Reading /proc text files fast. They report size 0, so a plain readFileSync grows its buffer in
 * small steps; with 100,000 sockets /proc/net/tcp is ~15 MB. Reading in 1 MiB requests lets
 * seq_file fill each read with many lines.
 */
import { closeSync, openSync, readSync } from 'node:fs';

const CHUNK = 1 << 20;
let scratch: Buffer | undefined;

export function readProcText(path: string): string {
  const fd = openSync(path, 'r');
  try {
    scratch ??= Buffer.allocUnsafe(CHUNK);
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const n = readSync(fd, scratch, 0, CHUNK, null);
      if (n === 0) break;
      chunks.push(Buffer.from(scratch.subarray(0, n)));
      total += n;
    }
    // The files are ASCII; latin1 decoding is the cheapest exact one.
    return chunks.length === 1 ? chunks[0]!.toString('latin1') : Buffer.concat(chunks, total).toString('latin1');
  } finally {
    closeSync(fd);
  }
}

/** The text, or undefined when the file is absent or unreadable. */
export function tryReadProcText(path: string): string | undefined {
  try {
    return readProcText(path);
  } catch {
    return undefined;
  }
}
