/**
 * The kernel side of a TUN/TAP link, for `--peer-ip`: what an operator would type with iproute2
 * (`ip addr add 10.99.0.1/24 dev synack0; ip link set synack0 up`). synack's own address is not
 * set here: it lives in the user-space stack, on the other side of the device.
 */
import { execFileSync } from 'node:child_process';
import { makeError } from '../errors.js';
import { ipVersion } from '../wire/addr.js';

/** Check "ADDR/PREFIX" (IPv4 /0-32, IPv6 /0-128); returns [address, prefix, version]. */
export function parseCidr(text: string): [string, number, 4 | 6] {
  const m = /^([^/]+)\/(\d{1,3})$/.exec(text.trim());
  const v = m ? ipVersion(m[1]!) : 0;
  const prefix = m ? Number(m[2]) : -1;
  if (!m || v === 0 || prefix > (v === 4 ? 32 : 128)) {
    throw makeError('ERR_INVALID_ARG_VALUE', `expected ADDRESS/PREFIX such as 10.99.0.1/24 or fd00:99::1/64, got "${text}"`);
  }
  return [m[1]!, prefix, v];
}

function ip(args: string[]): void {
  try {
    execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (err) {
    const e = err as { code?: string; stderr?: Buffer };
    if (e.code === 'ENOENT') throw makeError('ERR_TUN_CONFIG', 'the `ip` command (iproute2) is needed for --peer-ip');
    throw makeError('ERR_TUN_CONFIG', `ip ${args.join(' ')}: ${e.stderr?.toString().trim() || String(err)}`);
  }
}

/** Give the kernel side of `ifname` its addresses and MTU, and bring it up. */
export function configurePeer(ifname: string, cidrs: string[], mtu?: number): void {
  if (mtu !== undefined) ip(['link', 'set', 'dev', ifname, 'mtu', String(mtu)]);
  for (const c of cidrs) {
    const [, , v] = parseCidr(c);
    // nodad: on a point-to-point TUN link there is nobody to detect, and waiting for DAD
    // would hold the address "tentative" (unusable) for a second or more (RFC 4862 §5.4)
    ip(['addr', 'replace', c, 'dev', ifname, ...(v === 6 ? ['nodad'] : [])]);
  }
  ip(['link', 'set', 'dev', ifname, 'up']);
}
