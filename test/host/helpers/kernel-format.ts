/**
 * Test-side encoder of /proc/net/tcp{,6} lines, written from the kernel's format strings
 * (get_tcp4_sock / get_timewait4_sock / get_openreq4 in net/ipv4/tcp_ipv4.c and the tcp6
 * equivalents), so parser tests do not depend on the parser's own idea of the format.
 */
export interface LineSpec {
  sl: number;
  family: 4 | 6;
  localBytes: number[];
  localPort: number;
  remoteBytes: number[];
  remotePort: number;
  state: number;
  tx: number;
  rx: number;
  timer: number;
  when: number;
  retrnsmt: number;
  uid: number;
  timeout: number;
  inode: number;
  shape: 'full' | 'timewait' | 'openreq';
}

const hex = (n: number, w: number) => n.toString(16).toUpperCase().padStart(w, '0');

/** Kernel-style address: each 32-bit word printed %08X from a little-endian load. */
export function kernelAddr(bytes: number[]): string {
  let s = '';
  for (let w = 0; w < bytes.length; w += 4) {
    const v = (bytes[w]! | (bytes[w + 1]! << 8) | (bytes[w + 2]! << 16) | (bytes[w + 3]! << 24)) >>> 0;
    s += hex(v, 8);
  }
  return s;
}

export function kernelLine(l: LineSpec): string {
  const head =
    `${String(l.sl).padStart(4)}: ${kernelAddr(l.localBytes)}:${hex(l.localPort, 4)} ${kernelAddr(l.remoteBytes)}:${hex(l.remotePort, 4)} ` +
    `${hex(l.state, 2)} ${hex(l.tx, 8)}:${hex(l.rx, 8)} ${hex(l.timer, 2)}:${hex(l.when, 8)} ${hex(l.retrnsmt, 8)} ` +
    `${String(l.uid).padStart(5)} ${String(l.timeout).padStart(8)} ${l.inode}`;
  const tail =
    l.shape === 'full' ? ' 1 0000000000000000 20 4 30 10 -1' : l.shape === 'timewait' ? ' 3 0000000000000000' : ' 0 0000000000000000';
  const line = head + tail;
  // IPv4 lines are padded to 149 characters (seq_setwidth(seq, TMPSZ - 1)); tcp6 lines are not.
  return l.family === 4 ? line.padEnd(149) : line;
}

export const TCP_HEADER =
  '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode                                                     ';
export const TCP6_HEADER =
  '  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode';
