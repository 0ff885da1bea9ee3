/**
 * Where `stack.dgram` comes from: api/dgram.ts (node:dgram's API) registers itself here when it is
 * loaded, as api/net.ts does for `stack.net` (stack/net-provider.ts), so the stack imports nothing
 * from the API layer above it.
 */
import { makeError } from '../errors.js';
import type { DgramApi } from '../api/dgram.js';
import type { Stack } from '../stack/stack.js';

export type { DgramApi };

let factory: ((stack: Stack) => DgramApi) | null = null;

/** Called once by api/dgram.ts when it loads. */
export function provideDgramApi(make: (stack: Stack) => DgramApi): void {
  factory = make;
}

/** The dgram API for `stack`, or ERR_DGRAM_API_NOT_LOADED when api/dgram.ts is not in the bundle. */
export function dgramApiFor(stack: Stack): DgramApi {
  if (!factory) {
    throw makeError('ERR_DGRAM_API_NOT_LOADED', "stack.dgram is not in this bundle: import from 'synack' instead of 'synack/web'");
  }
  return factory(stack);
}
