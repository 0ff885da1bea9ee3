/**
 * A Socket's private state kept compact (socket.ts): its booleans as bits of one small integer,
 * and a side object for what most sockets never set, so an idle connected socket carries one
 * field for ten booleans and one (null) for six rarely used values.
 */
import type { OnRead } from './reads.js';
import type { IpAddr } from '../stack/ip-addr.js';
import type { SocketConnectOptions } from './socket-options.js';
import type { SocketTuning } from './socket-tuning.js';

// Socket.bits_: the socket's private booleans, one bit each (all clear in a new socket)
export const F_WANT_READ = 1;
export const F_EOF_PUSHED = 2;
export const F_RESET_ON_DESTROY = 4;
/** unref() was called (the bit is clear for the default, ref'd) */
export const F_UNREFD = 8;
export const F_CONNECT_COMPLETED = 16;
export const F_ONREAD_PAUSED = 32;
export const F_PEER_ENDED = 64;
export const F_CLOSE_HAD_ERROR = 128;
export const F_END_CALLED = 256;
/** an accepted socket's data came before the accept: the stack's notification of it is on its way */
export const F_NOTICE_PENDING = 512;
/** what a socket keeps of its bits when it connects again after destroy: only ref()/unref() */
export const F_KEPT_ON_RECONNECT = F_UNREFD;

/**
 * A socket's rarely set state, kept out of the Socket object so an idle connected socket does
 * not carry a field for each: TCP options asked before a connection exists, the onread option,
 * the ends kept after destroy, and the state of a connect in progress (dropped once connected).
 */
export class SocketExtra {
  tuning: SocketTuning | null = null;
  attemptFailed: ((err: Error) => void) | null = null;
  onread: OnRead | null = null;
  /**
   * The 4-tuple kept when the connection is let go (destroy), so the buffers behind it can be
   * freed: fields of this object (an Ends when `local` is set) rather than a record of their own,
   * so a destroyed socket makes one object, not two
   */
  local: IpAddr | null = null;
  localPort = 0;
  remote: IpAddr | null = null;
  remotePort = 0;
  connectOpts: SocketConnectOptions | null = null;
  announceAttempt: (() => void) | null = null;
}

/** Whether anything is left in the side object (if not, the socket lets it go). */
export function extraInUse(x: SocketExtra): boolean {
  return !!(x.tuning || x.attemptFailed || x.onread || x.local || x.connectOpts || x.announceAttempt);
}
