/**
 * The listener methods of Socket typed per event (events.ts), merged into the class: a wrong
 * listener for a known event is a compile-time error, and Node's untyped form remains for other
 * event names only. A type-only module; socket.ts imports it so the published types carry it.
 */
import type { OtherEvent, SocketEvents } from './events.js';

/* eslint-disable @typescript-eslint/no-unsafe-declaration-merging, @typescript-eslint/no-explicit-any */
declare module './socket.js' {
  export interface Socket {
    /** Add a listener for one of the documented events; the listener's arguments are typed (SocketEvents). */
    on<K extends keyof SocketEvents>(event: K, listener: SocketEvents[K]): this;
    /** Add a listener for any other event (untyped, as Node's). */
    on<E extends string | symbol>(event: E & OtherEvent<E, SocketEvents>, listener: (...args: any[]) => void): this;
    /** Add a one-time listener for one of the documented events; the listener's arguments are typed (SocketEvents). */
    once<K extends keyof SocketEvents>(event: K, listener: SocketEvents[K]): this;
    /** Add a one-time listener for any other event (untyped, as Node's). */
    once<E extends string | symbol>(event: E & OtherEvent<E, SocketEvents>, listener: (...args: any[]) => void): this;
    /** Add a listener for one of the documented events; the listener's arguments are typed (SocketEvents). */
    addListener<K extends keyof SocketEvents>(event: K, listener: SocketEvents[K]): this;
    /** Add a listener for any other event (untyped, as Node's). */
    addListener<E extends string | symbol>(event: E & OtherEvent<E, SocketEvents>, listener: (...args: any[]) => void): this;
    /** Add a listener first in line for one of the documented events; the listener's arguments are typed (SocketEvents). */
    prependListener<K extends keyof SocketEvents>(event: K, listener: SocketEvents[K]): this;
    /** Add a listener first in line for any other event (untyped, as Node's). */
    prependListener<E extends string | symbol>(event: E & OtherEvent<E, SocketEvents>, listener: (...args: any[]) => void): this;
    /** Add a one-time listener first in line for one of the documented events; the listener's arguments are typed (SocketEvents). */
    prependOnceListener<K extends keyof SocketEvents>(event: K, listener: SocketEvents[K]): this;
    /** Add a one-time listener first in line for any other event (untyped, as Node's). */
    prependOnceListener<E extends string | symbol>(event: E & OtherEvent<E, SocketEvents>, listener: (...args: any[]) => void): this;
    /** Remove a listener for one of the documented events; the listener's arguments are typed (SocketEvents). */
    off<K extends keyof SocketEvents>(event: K, listener: SocketEvents[K]): this;
    /** Remove a listener for any other event (untyped, as Node's). */
    off<E extends string | symbol>(event: E & OtherEvent<E, SocketEvents>, listener: (...args: any[]) => void): this;
    /** Remove a listener for one of the documented events; the listener's arguments are typed (SocketEvents). */
    removeListener<K extends keyof SocketEvents>(event: K, listener: SocketEvents[K]): this;
    /** Remove a listener for any other event (untyped, as Node's). */
    removeListener<E extends string | symbol>(event: E & OtherEvent<E, SocketEvents>, listener: (...args: any[]) => void): this;
  }
}
/* eslint-enable @typescript-eslint/no-unsafe-declaration-merging, @typescript-eslint/no-explicit-any */

export {};
