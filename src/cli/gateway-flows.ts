/**
 * The relayed flows of a running `synack gateway`, as `synack ss --from` shows them: each flow's
 * guest leg (synack's own TCP state, on the guest's link) beside its host leg (the kernel's
 * socket, its state read from /proc/net/tcp{,6} of the gateway's namespace by the 4-tuple, so
 * the two state machines are seen side by side: the guest's FIN arriving shows as CLOSE-WAIT on
 * the guest leg and, once relayed, FIN-WAIT-2 on the host leg).
 */
import type { GatewayFlowInfo } from '../gateway/flow.js';
import { AddressDecoder } from '../host/addr.js';
import { parseProcNetTcp } from '../host/proc-net-tcp.js';
import { tryReadProcText } from '../host/read-proc.js';

/** One flow as `GET /ss` carries it: the library's snapshot, and the host socket's kernel state when found. */
export interface RelayedFlow extends GatewayFlowInfo {
  /** netstat's name of the host leg's kernel socket (ESTABLISHED, FIN_WAIT2...); absent for UDP or when the socket is gone */
  hostKernelState?: string;
}

/** The kernel's TCP sockets of this namespace by "local|remote" endpoint text. */
export function kernelStates(read: (path: string) => string | undefined = tryReadProcText): Map<string, string> {
  const byTuple = new Map<string, string>();
  const dec = new AddressDecoder();
  for (const [path, family] of [
    ['/proc/net/tcp', 4],
    ['/proc/net/tcp6', 6],
  ] as const) {
    const text = read(path);
    if (text === undefined) continue;
    for (const s of parseProcNetTcp(text, family).sockets) {
      byTuple.set(`${dec.decode(s.localHex)}:${s.localPort}|${dec.decode(s.remoteHex)}:${s.remotePort}`, s.state);
    }
  }
  return byTuple;
}

/** The flows with their host legs' kernel states. */
export function relayedFlows(flows: GatewayFlowInfo[], states: Map<string, string> = flows.some((f) => f.protocol === 'tcp') ? kernelStates() : new Map()): RelayedFlow[] {
  return flows.map((f) => {
    if (f.protocol !== 'tcp' || f.host.localAddress === undefined) return f;
    const st = states.get(`${f.host.localAddress}:${f.host.localPort}|${f.host.remoteAddress}:${f.host.remotePort}`) ?? states.get(`::ffff:${f.host.localAddress}:${f.host.localPort}|::ffff:${f.host.remoteAddress}:${f.host.remotePort}`);
    return st ? { ...f, hostKernelState: st } : f;
  });
}

/** ss's spelling of a state, whichever machine's name it is given in (RFC / synack, or netstat / kernel). */
const SS_SPELLING: Record<string, string> = {
  ESTABLISHED: 'ESTAB',
  SYN_SENT: 'SYN-SENT',
  SYN_RCVD: 'SYN-RECV',
  SYN_RECV: 'SYN-RECV',
  FIN_WAIT_1: 'FIN-WAIT-1',
  FIN_WAIT1: 'FIN-WAIT-1',
  FIN_WAIT_2: 'FIN-WAIT-2',
  FIN_WAIT2: 'FIN-WAIT-2',
  TIME_WAIT: 'TIME-WAIT',
  CLOSE_WAIT: 'CLOSE-WAIT',
  LAST_ACK: 'LAST-ACK',
  CLOSED: 'UNCONN',
  CLOSE: 'UNCONN',
  SYN_PENDING: 'SYN-PENDING',
};

function endpoint(address: string | undefined, port: number | undefined): string {
  if (address === undefined) return '*';
  return address.includes(':') ? `[${address}]:${port ?? '*'}` : `${address}:${port ?? '*'}`;
}

/**
 * The flows table: protocol, the guest's end, the destination it asked for, the guest leg's state,
 * the host socket's own end, the host leg's state (the kernel's when known, else node:net's
 * readyState), and bytes each way.
 */
export function formatFlows(flows: readonly RelayedFlow[]): string {
  const head = ['Proto', 'Guest Address:Port', 'Destination:Port', 'Guest-State', 'Host Local:Port', 'Host-State', 'To-Host', 'To-Guest'];
  const rows = flows.map((f) => [
    f.protocol,
    endpoint(f.guest.remoteAddress, f.guest.remotePort),
    endpoint(f.guest.localAddress, f.guest.localPort),
    SS_SPELLING[f.guest.state] ?? f.guest.state,
    endpoint(f.host.localAddress, f.host.localPort),
    f.hostKernelState ? (SS_SPELLING[f.hostKernelState] ?? f.hostKernelState) : f.host.state,
    String(f.bytesToHost),
    String(f.bytesToGuest),
  ]);
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (c: string[]): string => c.map((x, i) => (i >= 6 ? x.padStart(w[i]!) : x.padEnd(w[i]!))).join(' ').trimEnd();
  return [`Relayed flows: ${flows.length} (guest leg: synack's state; host leg: the kernel socket's)`, line(head), ...rows.map(line)].join('\n') + '\n';
}
