/**
 * The kernel's TCP state codes (include/net/tcp_states.h) and the ways they are spelled: netstat
 * (`ESTABLISHED`, `FIN_WAIT1`...), ss (`ESTAB`, `FIN-WAIT-1`...), node_exporter's `state` label
 * (`established`, `fin_wait1`...), and the one place that maps them to synack's own names (the
 * RFC's, as the library and `synack demo` print them: `SYN_RCVD`, `FIN_WAIT_1`, `CLOSED`...).
 * Where the kernel's sockets are shown (`synack stat`) the kernel's names are kept, as netstat and
 * ss print them, and the output says so once.
 */
import type { TcpState } from '../tcp/state.js';


/** netstat's names, in the kernel's code order 01..0B (the order netstat and this tool print). */
export const STATE_NAMES = [
  'ESTABLISHED',
  'SYN_SENT',
  'SYN_RECV',
  'FIN_WAIT1',
  'FIN_WAIT2',
  'TIME_WAIT',
  'CLOSE',
  'CLOSE_WAIT',
  'LAST_ACK',
  'LISTEN',
  'CLOSING',
] as const;

export type StateName = (typeof STATE_NAMES)[number];

/** Kernel code (1..11) to netstat name; index 0 is unused. Code 0x0C (NEW_SYN_RECV) prints as SYN_RECV. */
const BY_CODE: (StateName | undefined)[] = [undefined, ...STATE_NAMES, 'SYN_RECV'];

export function stateFromCode(code: number): StateName | undefined {
  return BY_CODE[code];
}

export function codeOfState(name: StateName): number {
  return STATE_NAMES.indexOf(name) + 1;
}

const SS_NAMES: Record<string, StateName> = {
  ESTAB: 'ESTABLISHED',
  'SYN-SENT': 'SYN_SENT',
  'SYN-RECV': 'SYN_RECV',
  'FIN-WAIT-1': 'FIN_WAIT1',
  'FIN-WAIT-2': 'FIN_WAIT2',
  'TIME-WAIT': 'TIME_WAIT',
  UNCONN: 'CLOSE',
  CLOSE: 'CLOSE',
  'CLOSE-WAIT': 'CLOSE_WAIT',
  'LAST-ACK': 'LAST_ACK',
  LISTEN: 'LISTEN',
  CLOSING: 'CLOSING',
};

/** ss prints `ESTAB`, `SYN-RECV`, `UNCONN`...; returns the netstat name, or undefined for anything else. */
export function stateFromSsName(name: string): StateName | undefined {
  return SS_NAMES[name];
}

/** node_exporter's tcpstat label value: lower case, e.g. `fin_wait1`, `close_wait`. */
export function prometheusLabel(name: StateName): string {
  return name.toLowerCase();
}

export type StateCounts = Record<StateName, number>;

export function emptyCounts(): StateCounts {
  const c = {} as StateCounts;
  for (const s of STATE_NAMES) c[s] = 0;
  return c;
}

/** synack's state names (RFC 9293, as the library and the demo print them) to the kernel's (netstat). */
const KERNEL_NAME: Record<TcpState, StateName> = {
  CLOSED: 'CLOSE',
  LISTEN: 'LISTEN',
  SYN_SENT: 'SYN_SENT',
  SYN_RCVD: 'SYN_RECV',
  ESTABLISHED: 'ESTABLISHED',
  FIN_WAIT_1: 'FIN_WAIT1',
  FIN_WAIT_2: 'FIN_WAIT2',
  CLOSE_WAIT: 'CLOSE_WAIT',
  CLOSING: 'CLOSING',
  LAST_ACK: 'LAST_ACK',
  TIME_WAIT: 'TIME_WAIT',
};

/** The kernel's (netstat's) name for one of synack's states: `SYN_RCVD` → `SYN_RECV`. */
export function kernelStateName(s: TcpState): StateName {
  return KERNEL_NAME[s];
}

/** synack's name for one of the kernel's states: `FIN_WAIT1` → `FIN_WAIT_1`. */
export function synackStateName(s: StateName): TcpState {
  for (const [ours, theirs] of Object.entries(KERNEL_NAME)) if (theirs === s) return ours as TcpState;
  throw new RangeError(`not a kernel state name: ${String(s)}`);
}

const DIFFERING = Object.entries(KERNEL_NAME).filter(([ours, theirs]) => ours !== theirs);

/** The sentence `synack stat` prints once: its names are the kernel's, and how they map to synack's. */
export const KERNEL_NAMES_NOTE =
  `States in the kernel's names (netstat, ss); synack's own sockets and its demo spell ` +
  `${DIFFERING.map(([, k]) => k).join(', ')} as ${DIFFERING.map(([ours]) => ours).join(', ')}.`;
