/**
 * Transition events on node:diagnostics_channel, the ecosystem's convention (Node core, undici):
 * any process can watch every synack connection change state without a reference to its stack.
 *
 *   import diagnostics_channel from 'node:diagnostics_channel';
 *   diagnostics_channel.subscribe('synack:tcp:transition', (ev) => console.log(ev));
 */
import { channel } from '#platform/diagnostics';
import type { TcpState } from '../tcp/state.js';

/** A connection changed state: `stack.on('transition', e)` and the `synack:tcp:transition` diagnostics channel. */
export interface TransitionEvent {
  /** the stack's clock, ms */
  t: number;
  /** the stack's name (its first address unless named) */
  host: string;
  /** "addr:port" ("[v6]:port" for IPv6) */
  local: string;
  remote: string;
  from: TcpState;
  to: TcpState;
}

/**
 * The diagnostics channel `synack:tcp:transition` (node:diagnostics_channel where the runtime has
 * one, else an in-page equivalent): every stack publishes each TransitionEvent on it.
 */
export const transitionChannel = channel('synack:tcp:transition');

export function endpoint(addr: string, port: number): string {
  return addr.includes(':') ? `[${addr}]:${port}` : `${addr}:${port}`;
}
