/** The part of a `node:diagnostics_channel` Channel synack uses and exposes, without Node's types. */
export type ChannelListener = (message: unknown, name: string | symbol) => void;

export interface ChannelLike {
  readonly name: string | symbol;
  readonly hasSubscribers: boolean;
  publish(message: unknown): void;
  subscribe(listener: ChannelListener): void;
  unsubscribe(listener: ChannelListener): boolean | void;
}
