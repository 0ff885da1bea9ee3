/** `#net` where there is no `node:net`: its address predicates, from synack's own parser (wire/addr). */
import { ipVersion, isIPv4, isIPv6 } from '../wire/addr.js';

export { isIPv4, isIPv6 };

export function isIP(input: string): 0 | 4 | 6 {
  return typeof input === 'string' ? ipVersion(input) : 0;
}
