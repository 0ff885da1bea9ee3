/**
 * Transition events on node:diagnostics_channel, the ecosystem's convention (Node core, undici):
 * any process can watch every synack connection change state without a reference to its stack.
 *
 *   import diagnostics_channel from 'node:diagnostics_channel';
 *   diagnostics_channel.subscribe('synack:tcp:transition', (ev) => console.log(ev));
 */
import { channel } from '#platform/diagnostics';
import type { TcpState } from '../tcp/state.js';

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

/** node:diagnostics_channel's channel where the runtime has one, else an in-page equivalent */
export const transitionChannel = channel('synack:tcp:transition');

export function endpoint(addr: string, port: number): string {
  return addr.includes(':') ? `[${addr}]:${port}` : `${addr}:${port}`;
}
