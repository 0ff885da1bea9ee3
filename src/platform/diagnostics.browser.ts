/**
 * `#diagnostics` where there is no `node:diagnostics_channel` (browsers, workers): named channels with
 * the same subscribe/publish contract, shared by every copy of synack in the page through a
 * globalThis registry, so subscribers see every stack as they would on Node.
 */
import type { ChannelLike, ChannelListener } from './channel.js';

class Channel implements ChannelLike {
  private listeners: ChannelListener[] = [];
  constructor(readonly name: string) {}

  get hasSubscribers(): boolean {
    return this.listeners.length > 0;
  }

  publish(message: unknown): void {
    for (const l of this.listeners) l(message, this.name);
  }

  subscribe(listener: ChannelListener): void {
    this.listeners = [...this.listeners, listener];
  }

  unsubscribe(listener: ChannelListener): boolean {
    const i = this.listeners.indexOf(listener);
    if (i < 0) return false;
    this.listeners = this.listeners.filter((_, j) => j !== i);
    return true;
  }
}

const KEY = Symbol.for('synack.diagnostics_channel');

export function channel(name: string): ChannelLike {
  const g = globalThis as { [KEY]?: Map<string, Channel> };
  const registry = (g[KEY] ??= new Map());
  let c = registry.get(name);
  if (!c) registry.set(name, (c = new Channel(name)));
  return c;
}
