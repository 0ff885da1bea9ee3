/** The eleven TCP states (RFC 9293 §3.3.2), spelled the way this project prints them. */
export const TCP_STATES = [
  'CLOSED',
  'LISTEN',
  'SYN_SENT',
  'SYN_RCVD',
  'ESTABLISHED',
  'FIN_WAIT_1',
  'FIN_WAIT_2',
  'CLOSE_WAIT',
  'CLOSING',
  'LAST_ACK',
  'TIME_WAIT',
] as const;

/** One of the eleven TCP states, as synack spells them (`SYN_RCVD`, `FIN_WAIT_1`...). */
export type TcpState = (typeof TCP_STATES)[number];

/** States in which both sides' initial sequence numbers are known (RFC 9293 §3.10.7.4). */
export function isSynchronized(state: TcpState): boolean {
  return state !== 'CLOSED' && state !== 'LISTEN' && state !== 'SYN_SENT' && state !== 'SYN_RCVD';
}
