/**
 * `#diagnostics` where `node:diagnostics_channel` exists (Node, Deno, Bun): the process-wide named
 * channels, so any code can watch synack without a reference to a stack.
 */
import diagnostics_channel from 'node:diagnostics_channel';
import type { ChannelLike } from './channel.js';

export function channel(name: string): ChannelLike {
  return diagnostics_channel.channel(name);
}
