/**
 * What `synack serve` and `synack connect` share: the link options (--tun/--tap, --ip, --peer-ip,
 * --mtu, --sysctl, --pcap), and opening a Stack on the device they name.
 */
import { InvalidArgumentError, type Command } from 'commander';
import { makeError } from '../errors.js';
import { ipFromText } from '../stack/ip-addr.js';
import { Stack } from '../stack/stack.js';
import { parseSysctlAssignment } from '../tcp/sysctl.js';
import { attachTun, type AttachedLink } from '../link/attach.js';
import { configurePeer, parseCidr } from '../link/iface.js';
import { TunDevice } from '../link/tun.js';
import { attachTap } from '../link/tap.js';

export interface LinkFlags {
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
  return cmd
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
}

export interface OpenedLink {
  stack: Stack;
  link: AttachedLink;
  ifname: string;
  mode: 'tun' | 'tap';
  close(): void;
}

export function openLink(flags: LinkFlags): OpenedLink {
  if (!flags.tun === !flags.tap) throw makeError('ERR_INVALID_ARG_VALUE', 'give exactly one of --tun IFNAME or --tap IFNAME');
  if (flags.ip.length === 0) throw makeError('ERR_INVALID_ARG_VALUE', "--ip ADDR is required: synack's own address on the link");
  for (const a of flags.ip) {
    if (!ipFromText(a)) throw makeError('ERR_INVALID_IP_ADDRESS', `--ip: not an IP address: "${a}"`);
  }
  for (const c of flags.peerIp) parseCidr(c);
  const sysctl: Record<string, string> = {};
  for (const s of flags.sysctl) {
    const [k, v] = parseSysctlAssignment(s);
    sysctl[k] = v;
  }
  const stack = new Stack({ addresses: flags.ip, sysctl, ...(flags.mtu ? { mtu: flags.mtu } : {}) });
  const mode = flags.tap ? 'tap' : 'tun';
  const ifname = (flags.tap ?? flags.tun)!;
  const device = TunDevice.open(ifname, { mode });
  let link: AttachedLink;
  try {
    link =
      mode === 'tap'
        ? attachTap(stack, device, { ...(flags.pcap ? { pcap: flags.pcap } : {}), ...(flags.mac ? { mac: flags.mac } : {}) })
        : attachTun(stack, device, flags.pcap ? { pcap: flags.pcap } : {});
    if (flags.peerIp.length > 0) configurePeer(device.name, flags.peerIp, flags.mtu);
  } catch (err) {
    device.close();
    throw err;
  }
  return {
    stack,
    link,
    ifname: device.name,
    mode,
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
