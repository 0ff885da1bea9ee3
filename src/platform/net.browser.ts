/** `#net` where there is no `node:net`: its address predicates, from synack's own parser (wire/addr). */
import { makeError } from '../errors.js';
import { ipVersion, isIPv4, isIPv6 } from '../wire/addr.js';

export { isIPv4, isIPv6 };

export function isIP(input: string): 0 | 4 | 6 {
  return typeof input === 'string' ? ipVersion(input) : 0;
}

/** node:net's BlockList and SocketAddress are Node's own classes; elsewhere they are not provided. */
function unavailable(name: string): new () => never {
  return class {
    constructor() {
      throw makeError('ERR_NOT_AVAILABLE', `net.${name} is Node's own class and is not available in this runtime`);
    }
  } as unknown as new () => never;
}
export const BlockList = unavailable('BlockList');
export const SocketAddress = unavailable('SocketAddress');
