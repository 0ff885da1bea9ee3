/**
 * Where `stack.net` comes from. node:net's API over synack (api/net.ts) needs Node's streams, or the
 * readable-stream package in a browser; the stack does not import it, so a bundle that uses only
 * the core, the simulator and the web sockets API (`synack/web`) carries no stream library.
 * api/net.ts registers itself here when it is loaded, which every entry but `synack/web` does.
 */
import { makeError } from '../errors.js';
import type { NetApi } from '../api/net.js';
import type { Stack } from './stack.js';

let factory: ((stack: Stack) => NetApi) | null = null;

export function provideNetApi(make: (stack: Stack) => NetApi): void {
  factory = make;
}

export function netApiFor(stack: Stack): NetApi {
  if (!factory) {
    throw makeError(
      'ERR_NET_API_NOT_LOADED',
      "stack.net is not in this bundle: import from 'synack' instead of 'synack/web' (which leaves out node:net's API and its stream library)",
    );
  }
  return factory(stack);
}
