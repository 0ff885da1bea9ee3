/**
 * The events of Socket and Server with their listeners' arguments, as node:net documents them, so
 * `socket.on('close', (hadError) => ...)` is typed. Any other name falls back to Node's untyped form.
 */
import type { Socket } from './socket.js';

export interface SocketEvents {
  close: (hadError: boolean) => void;
  connect: () => void;
  connectionAttempt: (ip: string, port: number, family: number) => void;
  connectionAttemptFailed: (ip: string, port: number, family: number, error: Error) => void;
  connectionAttemptTimeout: (ip: string, port: number, family: number) => void;
  data: (data: Buffer) => void;
  drain: () => void;
  end: () => void;
  error: (err: Error) => void;
  lookup: (err: Error | null, address: string, family: string | number, host: string) => void;
  ready: () => void;
  timeout: () => void;
}

export interface DropArgument {
  localAddress?: string;
  localPort?: number;
  localFamily?: string;
  remoteAddress?: string;
  remotePort?: number;
  remoteFamily?: string;
}

export interface ServerEvents {
  close: () => void;
  connection: (socket: Socket) => void;
  error: (err: Error) => void;
  listening: () => void;
  drop: (data?: DropArgument) => void;
}

/** `unknown` for an event name outside the map `M`, `never` (no match) for one inside it */
export type OtherEvent<E, M> = E extends keyof M ? never : unknown;
