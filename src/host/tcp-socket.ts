/** One socket line of /proc/net/tcp{,6}, as an object (see proc-net-tcp.ts for the fields' meaning). */
import type { StateName } from './tcp-states.js';

export const TIMER_KINDS = ['none', 'retransmit', 'keepalive', 'time_wait', 'zero_window_probe'] as const;
export type TimerKind = (typeof TIMER_KINDS)[number];

export interface TcpSocket {
  family: 4 | 6;
  state: StateName;
  /** Kernel-printed hex of the local address (8 or 32 digits); decode with addr.ts. */
  localHex: string;
  localPort: number;
  remoteHex: string;
  remotePort: number;
  txQueue: number;
  rxQueue: number;
  timer: TimerKind;
  /** Seconds until the pending timer fires (0 when none). */
  timerSeconds: number;
  retransmits: number;
  uid: number;
  probes: number;
  /** Socket inode, the key into /proc/PID/fd; 0 = no owning file descriptor. */
  inode: number;
}
