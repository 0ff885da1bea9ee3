/**
 * `synack gateway --guest-netns NS --guest-ip ADDR/PREFIX`: make a network namespace the guest.
 * The TUN device synack opened moves into NS (its file descriptor stays with synack, so packets
 * keep flowing), gets the guest's addresses, comes up, and becomes the namespace's default route
 * via the gateway's address. synack's own host sockets stay in the namespace it runs in, so
 * nothing the guest sends can route back into the guest. What an operator would type:
 *
 *   ip link set dev tun0 netns guest
 *   ip -n guest addr add 10.0.2.15/24 dev tun0
 *   ip -n guest link set dev tun0 up
 *   ip -n guest route replace default via 10.0.2.2 dev tun0 onlink
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { makeError } from '../errors.js';
import { parseCidr } from '../link/iface.js';
import { ipFromText } from '../stack/ip-addr.js';

export interface GuestNetns {
  /** the namespace's name, as `ip netns` lists it */
  netns: string;
  /** the TUN device, in the gateway's namespace until moved */
  ifname: string;
  /** the guest's ADDR/PREFIX, IPv4 and/or IPv6 */
  cidrs: string[];
  /** the gateway's addresses: the default route of each family goes via the one of that family */
  gateways: string[];
  mtu?: number;
}

function ip(args: string[]): void {
  try {
    execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (err) {
    const e = err as { code?: string; stderr?: Buffer };
    if (e.code === 'ENOENT') throw makeError('ERR_TUN_CONFIG', 'the `ip` command (iproute2) is needed for --guest-netns');
    throw makeError('ERR_TUN_CONFIG', `ip ${args.join(' ')}: ${e.stderr?.toString().trim() || String(err)}`);
  }
}

/**
 * Check --guest-netns / --guest-ip before anything is opened: both or neither, addresses that
 * parse, a guest address other than the gateway's, and a namespace that exists.
 */
export function checkGuestFlags(netns: string | undefined, cidrs: string[], gateways: string[], netnsDir = '/run/netns'): void {
  if (netns === undefined && cidrs.length === 0) return;
  if (netns === undefined) {
    throw makeError('ERR_INVALID_ARG_VALUE', '--guest-ip needs --guest-netns NS: the guest address is set inside that namespace (a default route via the gateway in synack\'s own namespace would loop)');
  }
  if (cidrs.length === 0) throw makeError('ERR_INVALID_ARG_VALUE', '--guest-netns needs --guest-ip ADDR/PREFIX: the address the guest namespace gets on the device');
  if (!/^[\w.-]+$/.test(netns) || netns === '.' || netns === '..') throw makeError('ERR_INVALID_ARG_VALUE', `--guest-netns: not a namespace name: "${netns}"`);
  for (const c of cidrs) {
    const [addr, , v] = parseCidr(c);
    if (gateways.some((g) => ipFromText(g)?.text === ipFromText(addr)?.text)) {
      throw makeError('ERR_INVALID_ARG_VALUE', `--guest-ip ${c} is the gateway's own address (--ip): give the guest another address`);
    }
    if (!gateways.some((g) => ipFromText(g)?.version === v)) {
      throw makeError('ERR_INVALID_ARG_VALUE', `--guest-ip ${c} is IPv${v}, and no --ip of that family is the gateway for it`);
    }
  }
  if (!existsSync(`${netnsDir}/${netns}`)) {
    throw makeError('ERR_GUEST_NETNS', `--guest-netns ${netns}: no such network namespace (create it with: ip netns add ${netns})`);
  }
}

/** Move the device into the guest namespace and configure it there (see the module comment). */
export function moveIntoGuestNetns(g: GuestNetns): void {
  ip(['link', 'set', 'dev', g.ifname, 'netns', g.netns]);
  if (g.mtu !== undefined) ip(['-n', g.netns, 'link', 'set', 'dev', g.ifname, 'mtu', String(g.mtu)]);
  const families = new Set<number>();
  for (const c of g.cidrs) {
    const [, , v] = parseCidr(c);
    families.add(v);
    // nodad: a point-to-point TUN link has nobody to detect, and DAD would hold the address
    // tentative for a second or more (RFC 4862 §5.4)
    ip(['-n', g.netns, 'addr', 'replace', c, 'dev', g.ifname, ...(v === 6 ? ['nodad'] : [])]);
  }
  ip(['-n', g.netns, 'link', 'set', 'dev', g.ifname, 'up']);
  for (const v of families) {
    const via = g.gateways.find((a) => ipFromText(a)?.version === v)!;
    // onlink: the gateway need not be inside the guest's prefix; on a TUN every address is on the link
    ip(['-n', g.netns, ...(v === 6 ? ['-6'] : []), 'route', 'replace', 'default', 'via', via, 'dev', g.ifname, 'onlink']);
  }
}
