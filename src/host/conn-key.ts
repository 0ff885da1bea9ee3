import type { TcpSocket } from './proc-net-tcp.js';

/** Identity of a connection across readings (inodes are 0 for TIME_WAIT, SYN_RECV and orphans). */
export function connKey(s: TcpSocket): string {
  return `${s.family}|${s.localHex}:${s.localPort}|${s.remoteHex}:${s.remotePort}`;
}
