/**
 * The stack's events as its per-packet path needs them: whether 'segment', 'drop' and 'transition'
 * have listeners, and the 'packet' listeners themselves, kept between changes of the listeners, so
 * that a packet asks nothing of EventEmitter (no `listenerCount` per segment, no array of arguments
 * per `emit`). Every way a listener is added or removed goes through the overrides below (`once` and
 * `prependOnceListener` through `on`/`prependListener` in some runtimes and not in others, so both
 * are overridden; a once-wrapper removes itself through `removeListener`).
 *
 * 'packet' listeners behave as under `emit`: each runs from the list as it stood when the call
 * began, with the emitter as `this`. With captureRejections on (EventEmitter's default when the
 * stack was made), where `emit` catches a listener's rejected promise, 'packet' goes through `emit`.
 */
import { EventEmitter } from '#platform/events';

/** bits of `hears`: events whose listeners the stack checks for before building what they are given */
export const HEARS_SEGMENT = 1;
export const HEARS_DROP = 2;
export const HEARS_TRANSITION = 4;

/** a 'packet' listener: (packet, gsoSize) */
type PacketListener = (this: HeardEvents, packet: Uint8Array, gsoSize: number) => void;

/** The stack's EventEmitter, which knows what is listened to. */
export class HeardEvents extends EventEmitter {
  /** the 'packet' listeners (rawListeners: a copy, once-wrappers included), or null once they change */
  private packetOut: PacketListener[] | null = null;
  /** HEARS_* bits of the events with listeners, or -1 once the listeners change */
  private heard = -1;
  /** EventEmitter.captureRejections as it was when this emitter was made (node:events' kCapture) */
  private readonly capturesRejections = (EventEmitter as { captureRejections?: boolean }).captureRejections === true;

  /** whether `bit`'s event (HEARS_*) has a listener */
  protected hears(bit: number): boolean {
    let h = this.heard;
    if (h < 0) {
      h = 0;
      if (this.listenerCount('segment') > 0) h |= HEARS_SEGMENT;
      if (this.listenerCount('drop') > 0) h |= HEARS_DROP;
      if (this.listenerCount('transition') > 0) h |= HEARS_TRANSITION;
      this.heard = h;
    }
    return (h & bit) !== 0;
  }

  /** what emit('packet', pkt, gsoSize) does, without its array of arguments per packet */
  protected emitPacket(pkt: Uint8Array, gsoSize: number): void {
    if (this.capturesRejections) {
      this.emit('packet', pkt, gsoSize);
      return;
    }
    const ls = this.packetOut ?? (this.packetOut = this.rawListeners('packet') as PacketListener[]);
    for (let i = 0; i < ls.length; i++) ls[i]!.call(this, pkt, gsoSize);
  }

  private listenersChanged(): void {
    this.packetOut = null;
    this.heard = -1;
  }

  override on(event: string | symbol, listener: (...args: any[]) => void): this {
    super.on(event, listener);
    this.listenersChanged();
    return this;
  }

  override addListener(event: string | symbol, listener: (...args: any[]) => void): this {
    super.addListener(event, listener);
    this.listenersChanged();
    return this;
  }

  override prependListener(event: string | symbol, listener: (...args: any[]) => void): this {
    super.prependListener(event, listener);
    this.listenersChanged();
    return this;
  }

  override once(event: string | symbol, listener: (...args: any[]) => void): this {
    super.once(event, listener);
    this.listenersChanged();
    return this;
  }

  override prependOnceListener(event: string | symbol, listener: (...args: any[]) => void): this {
    super.prependOnceListener(event, listener);
    this.listenersChanged();
    return this;
  }

  override removeListener(event: string | symbol, listener: (...args: any[]) => void): this {
    super.removeListener(event, listener);
    this.listenersChanged();
    return this;
  }

  override off(event: string | symbol, listener: (...args: any[]) => void): this {
    super.off(event, listener);
    this.listenersChanged();
    return this;
  }

  override removeAllListeners(event?: string | symbol): this {
    if (event === undefined) super.removeAllListeners();
    else super.removeAllListeners(event);
    this.listenersChanged();
    return this;
  }
}
