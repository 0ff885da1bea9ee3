/**
 * What only some sockets need, kept out of every Socket's own fields so that an idle connection
 * stays small: three flags in one number, and one object made on first use for happy eyeballs, the
 * onread option, a destroyed socket's 4-tuple and connect()'s local binding.
 */
import type { Conn } from '../stack/conn.js';
import type { OnRead } from './reads.js';

/** Node's ref()/unref(): the socket keeps the process alive while active */
export const FLAG_REFD = 1;
/** feed() is running (an ACK delivered meanwhile must not start another) */
export const FLAG_FEEDING = 2;
/** with onread: reading stopped by the callback (false) or pause() */
export const FLAG_ONREAD_PAUSED = 4;

export interface SocketExtra {
  /** happy eyeballs: where a failed attempt's error goes instead of destroy() */
  attemptFailed: ((err: Error) => void) | null;
  /** the onread option: reads go to one buffer and a callback, not to 'data' */
  onread: OnRead | null;
  /** the 4-tuple once the connection is let go (destroy), so the buffers behind it can be freed */
  ends: Pick<Conn, 'local' | 'localPort' | 'remote' | 'remotePort'> | null;
  /** connect()'s localAddress / localPort, for each attempt */
  bindTo: { localAddress?: string | undefined; localPort?: number | undefined } | null;
}

export function newExtra(): SocketExtra {
  return { attemptFailed: null, onread: null, ends: null, bindTo: null };
}
