/**
 * The kernel's TCP state codes (include/net/tcp_states.h) and the three ways operators spell them:
 * netstat (`ESTABLISHED`, `FIN_WAIT1`...), ss (`ESTAB`, `FIN-WAIT-1`...) and node_exporter's
 * `state` label (`established`, `fin_wait1`...).
 */

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
