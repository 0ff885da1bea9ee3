/**
 * What `synack serve` and `synack connect` share: the link options (--tun/--tap, --ip, --peer-ip,
 * --mtu, --sysctl, --pcap, and the impairments of impair-options.ts), and opening a Stack on the
 * device they name.
 */
import { readFileSync } from 'node:fs';
import { InvalidArgumentError, type Command } from 'commander';
import { makeError, type SynackError } from '../errors.js';
import { ipFromText, type IpAddr } from '../stack/ip-addr.js';
import { Stack } from '../stack/stack.js';
import { parseSysctlAssignment } from '../tcp/sysctl.js';
import { attachTun, type AttachedLink } from '../link/attach.js';
import { configurePeer, parseCidr } from '../link/iface.js';
import type { LinkImpairments } from '../link/impair-pipe.js';
import { TunDevice } from '../link/tun.js';
import { attachTap } from '../link/tap.js';
import { addImpairOptions, impairWarnings, linkImpairments, type ImpairFlags } from './impair-options.js';

export interface LinkFlags extends ImpairFlags {
  tun?: string;
  tap?: string;
  ip: string[];
  peerIp: string[];
  mtu?: number;
  sysctl: string[];
  pcap?: string;
  mac?: string;
  verbose?: boolean;
  /** where `synack ss --from` reads this stack's sockets (cli/control.ts) */
  control?: string;
}

function collect(v: string, prev: string[]): string[] {
  return [...prev, v];
}

function mtuArg(v: string): number {
  const n = Number(v);
  if (!/^\d+$/.test(v) || n < 576 || n > 65535) throw new InvalidArgumentError(`--mtu must be a whole number from 576 to 65535, got "${v}"`);
  return n;
}

export function addLinkOptions(cmd: Command): Command {
  cmd
    .option('--tun <ifname>', 'attach to this TUN device (IP packets), creating it if absent')
    .option('--tap <ifname>', 'attach to this TAP device (Ethernet frames, ARP), creating it if absent')
    .option('--ip <addr>', "synack's own address, IPv4 or IPv6 (repeatable)", collect, [])
    .option('--peer-ip <addr/prefix>', "set the kernel side's address on the device and bring it up (repeatable)", collect, [])
    .option('--mtu <bytes>', 'link MTU (default 1500); with --peer-ip also set on the device', mtuArg)
    .option('--mac <aa:bb:cc:dd:ee:ff>', "with --tap: synack's MAC address (default: a random local one)")
    .option('--sysctl <name=value>', 'a TCP tunable, Linux name (repeatable), e.g. tcp_fin_timeout=30', collect, [])
    .option('--pcap <file>', 'write every packet in and out to a pcap file')
    .option('-v, --verbose', 'log a line whenever the count of connections by state changes')
    .option('--control <path|host:port>', 'answer `synack ss --from` on this unix socket or host TCP address');
  return addImpairOptions(cmd);
}

export interface OpenedLink {
  stack: Stack;
  link: AttachedLink;
  ifname: string;
  mode: 'tun' | 'tap';
  /** what the link's impairments are (--loss, --delay...), if any */
  impairments: LinkImpairments | undefined;
  close(): void;
}

/** Whether `addr` lies in `net`/`prefix` (same family). */
function inSubnet(addr: IpAddr, net: IpAddr, prefix: number): boolean {
  if (addr.version !== net.version) return false;
  if (addr.version === 4) {
    const mask = prefix === 0 ? 0 : (~0 << (32 - prefix)) >>> 0;
    return ((addr.v4 & mask) >>> 0) === ((net.v4 & mask) >>> 0);
  }
  for (let bit = 0; bit < prefix; bit++) {
    const byte = bit >> 3;
    const m = 0x80 >> (bit & 7);
    if ((addr.v6![byte]! & m) !== (net.v6![byte]! & m)) return false;
  }
  return true;
}

/**
 * Checks the link options before anything is opened: errors for what cannot work, and `warn` for
 * what works but is probably not meant (an --ip the kernel cannot reach through --peer-ip's subnet).
 */
export function checkLinkFlags(flags: LinkFlags, warn: (message: string) => void): void {
  if (!flags.tun === !flags.tap) throw makeError('ERR_INVALID_ARG_VALUE', 'give exactly one of --tun IFNAME or --tap IFNAME');
  if (flags.mac !== undefined && flags.tun) {
    throw makeError('ERR_INVALID_ARG_VALUE', '--mac applies to --tap only: a TUN device carries IP packets, with no Ethernet addresses');
  }
  if (flags.ip.length === 0) throw makeError('ERR_INVALID_ARG_VALUE', "--ip ADDR is required: synack's own address on the link");
  const ips: IpAddr[] = [];
  for (const a of flags.ip) {
    const ip = ipFromText(a);
    if (!ip) throw makeError('ERR_INVALID_IP_ADDRESS', `--ip: not an IP address: "${a}"`);
    ips.push(ip);
  }
  const peers = flags.peerIp.map((c) => {
    const [addr, prefix] = parseCidr(c);
    return { text: c, addr: ipFromText(addr)!, prefix };
  });
  for (const ip of ips) {
    const sameFamily = peers.filter((p) => p.addr.version === ip.version);
    if (sameFamily.length === 0) continue;
    const equal = sameFamily.find((p) => p.addr.text === ip.text);
    if (equal) {
      warn(`--ip ${ip.text} is the kernel's own address (--peer-ip ${equal.text}): packets to it stay in the kernel and never reach synack; give synack another address in that subnet`);
    } else if (!sameFamily.some((p) => inSubnet(ip, p.addr, p.prefix))) {
      warn(`--ip ${ip.text} is outside --peer-ip ${sameFamily.map((p) => p.text).join(', ')}: the kernel has no route to it through the device unless you add one`);
    }
  }
  linkImpairments(flags, flags.mtu);
  for (const w of impairWarnings(flags, flags.mtu)) warn(w);
}

/** Whether the kernel side of `ifname` is up (IFF_UP in /sys/class/net/IFNAME/flags); null when unknown. */
export function deviceIsUp(ifname: string): boolean | null {
  try {
    return (Number(readFileSync(`/sys/class/net/${ifname}/flags`, 'utf8').trim()) & 0x1) !== 0;
  } catch {
    return null;
  }
}

/** True when this process runs in a user namespace (its uid 0 is not the host's root). */
export function inUserNamespace(uidMap: string | null = readUidMap()): boolean {
  if (uidMap === null) return false;
  const fields = uidMap.trim().split(/\s+/);
  return !(fields.length === 3 && fields[0] === '0' && fields[1] === '0' && fields[2] === '4294967295');
}

function readUidMap(): string | null {
  try {
    return readFileSync('/proc/self/uid_map', 'utf8');
  } catch {
    return null;
  }
}

/**
 * A device that may not be opened, said for where this process is: inside a user namespace uid 0
 * is root of that namespace only, so "needs root" would be confusing.
 */
export function explainDeviceError(err: unknown, uid = process.getuid?.(), userns = inUserNamespace()): unknown {
  const e = err as SynackError;
  const cause = (e as { cause?: SynackError }).cause;
  if (e?.code !== 'ERR_TUN_UNAVAILABLE' || (cause?.code !== 'EPERM' && cause?.code !== 'EACCES')) return err;
  if (uid !== 0 || !userns) return err;
  return makeError(
    'ERR_TUN_UNAVAILABLE',
    `${e.message.replace(/: it needs root or CAP_NET_ADMIN$/, '')}: uid 0 here is root of a user namespace, which has no CAP_NET_ADMIN ` +
      'over the network namespace it runs in; run it in a network namespace of its own (unshare -rn), or as root of the host',
    { cause: err } as Partial<SynackError>,
  );
}

/** The Stack the link options describe (--ip, --sysctl, --mtu), not attached to anything yet. */
export function buildStack(flags: LinkFlags): Stack {
  const sysctl: Record<string, string> = {};
  for (const s of flags.sysctl) {
    const [k, v] = parseSysctlAssignment(s);
    sysctl[k] = v;
  }
  return new Stack({ addresses: flags.ip, sysctl, ...(flags.mtu ? { mtu: flags.mtu } : {}) });
}

/**
 * Opens the device the flags name and attaches `stack` (built from the flags when not given). On
 * failure nothing is left open: the device is closed and the stack destroyed.
 */
export function openLink(flags: LinkFlags, given?: Stack): OpenedLink {
  checkLinkFlags(flags, () => {});
  const stack = given ?? buildStack(flags);
  const mode = flags.tap ? 'tap' : 'tun';
  const ifname = (flags.tap ?? flags.tun)!;
  const impair = linkImpairments(flags, flags.mtu);
  let device: TunDevice;
  try {
    // Impaired, the kernel's segments must reach synack as the wire would carry them, one
    // decision per packet: no receive offload (64 KiB GRO-style segments) on the device.
    device = TunDevice.open(ifname, { mode, ...(impair?.in ? { offload: false } : {}) });
  } catch (err) {
    stack.destroy();
    throw explainDeviceError(err);
  }
  let link: AttachedLink;
  try {
    const pcapAndImpair = { ...(flags.pcap ? { pcap: flags.pcap } : {}), ...(impair ? { impair } : {}) };
    link = mode === 'tap' ? attachTap(stack, device, { ...pcapAndImpair, ...(flags.mac ? { mac: flags.mac } : {}) }) : attachTun(stack, device, pcapAndImpair);
    if (flags.peerIp.length > 0) configurePeer(device.name, flags.peerIp, flags.mtu);
  } catch (err) {
    device.close();
    stack.destroy();
    throw err;
  }
  return {
    stack,
    link,
    ifname: device.name,
    mode,
    impairments: impair,
    close() {
      link.close();
      stack.destroy();
    },
  };
}

/** With --verbose: one line each time the count of connections by state changes. */
export function logStateChanges(stack: Stack, write: (line: string) => void): () => void {
  let last = '';
  let queued = false;
  const check = (): void => {
    queued = false;
    const counts = stack.stateCounts();
    const line = Object.entries(counts)
      .map(([s, n]) => `${s} ${n}`)
      .join(', ');
    if (line !== last) {
      last = line;
      write(`${new Date().toISOString()} states: ${line || 'none'}\n`);
    }
  };
  const onTransition = (): void => {
    if (!queued) {
      queued = true;
      setImmediate(check);
    }
  };
  stack.on('transition', onTransition);
  return () => stack.off('transition', onTransition);
}
