/** Congestion control by name: the sysctl tcp_congestion_control and the per-socket choice. */
import { Cubic } from './cubic.js';
import { Reno } from './reno.js';
import type { CcName, CongestionControl } from './types.js';

export function createCongestionControl(name: CcName): CongestionControl {
  return name === 'reno' ? new Reno() : new Cubic();
}

export { CC_NAMES, initialWindow, type AckSample, type CcName, type CongestionControl } from './types.js';
