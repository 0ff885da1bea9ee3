/**
 * The edges of the TCP state diagram, in one table: every transition RFC 9293's Figure 5 draws
 * (with the event / action label it prints), the ones RFC 793's figure and the classic texts
 * (Stevens, TCP/IP Illustrated vol. 1, fig. 18.12) draw besides, and the reset / abort / timeout
 * edges to CLOSED that §3.10.5 (ABORT), §3.10.7.4 (the RST bit) and §3.10.8 (timeouts) take from
 * every synchronized state without a line in the figure.
 *
 * An edge is named by its two states; `edgeOf(from, to)` finds the one a transition takes.
 * Platform-neutral (no Node imports): the dashboard page bundles it too.
 */
import type { TcpState } from '../tcp/state.js';

/**
 * Which drawing an edge belongs to:
 *  - 'figure': RFC 9293 Figure 5 (and RFC 793 Figure 6), with its label;
 *  - 'classic': drawn by the classic texts from RFC 793's event processing (Stevens fig. 18.12);
 *  - 'reset': an RST received, an ABORT, or a timeout that gives up (§3.10.5, §3.10.7.4, §3.10.8).
 */
export type EdgeSource = 'figure' | 'classic' | 'reset';

/**
 * The two paths the classic texts draw bold: the client's (active open, active close) and the
 * server's (passive open, passive close). Other edges are 'other'.
 */
export type EdgePath = 'client' | 'server' | 'other';

export interface Edge {
  /** "FROM>TO", e.g. "ESTABLISHED>FIN_WAIT_1" */
  id: string;
  from: TcpState;
  to: TcpState;
  /** the figure's label: event / action */
  label: string;
  source: EdgeSource;
  path: EdgePath;
}

function e(from: TcpState, to: TcpState, label: string, source: EdgeSource, path: EdgePath = 'other'): Edge {
  return { id: `${from}>${to}`, from, to, label, source, path };
}

export const EDGES: readonly Edge[] = [
  // opening (RFC 9293 Figure 5)
  e('CLOSED', 'LISTEN', 'passive OPEN / create TCB', 'figure', 'server'),
  e('CLOSED', 'SYN_SENT', 'active OPEN / create TCB, snd SYN', 'figure', 'client'),
  e('LISTEN', 'SYN_RCVD', 'rcv SYN / snd SYN,ACK', 'figure', 'server'),
  e('LISTEN', 'SYN_SENT', 'SEND / snd SYN', 'figure'),
  e('LISTEN', 'CLOSED', 'CLOSE / delete TCB', 'figure'),
  e('SYN_RCVD', 'LISTEN', 'rcv RST (passive OPEN)', 'figure'),
  e('SYN_RCVD', 'ESTABLISHED', 'rcv ACK of SYN', 'figure', 'server'),
  e('SYN_RCVD', 'FIN_WAIT_1', 'CLOSE / snd FIN', 'figure'),
  e('SYN_SENT', 'SYN_RCVD', 'rcv SYN / snd SYN,ACK (simultaneous open)', 'figure'),
  e('SYN_SENT', 'ESTABLISHED', 'rcv SYN,ACK / snd ACK', 'figure', 'client'),
  e('SYN_SENT', 'CLOSED', 'CLOSE or timeout / delete TCB', 'figure'),
  // closing (RFC 9293 Figure 5)
  e('ESTABLISHED', 'FIN_WAIT_1', 'CLOSE / snd FIN', 'figure', 'client'),
  e('ESTABLISHED', 'CLOSE_WAIT', 'rcv FIN / snd ACK', 'figure', 'server'),
  e('FIN_WAIT_1', 'FIN_WAIT_2', 'rcv ACK of FIN', 'figure', 'client'),
  e('FIN_WAIT_1', 'CLOSING', 'rcv FIN / snd ACK (simultaneous close)', 'figure'),
  e('FIN_WAIT_1', 'TIME_WAIT', 'rcv FIN,ACK / snd ACK', 'classic'),
  e('FIN_WAIT_2', 'TIME_WAIT', 'rcv FIN / snd ACK', 'figure', 'client'),
  e('CLOSING', 'TIME_WAIT', 'rcv ACK of FIN', 'figure'),
  e('CLOSE_WAIT', 'LAST_ACK', 'CLOSE / snd FIN', 'figure', 'server'),
  e('LAST_ACK', 'CLOSED', 'rcv ACK of FIN / delete TCB', 'figure', 'server'),
  e('TIME_WAIT', 'CLOSED', 'timeout = 2MSL / delete TCB', 'figure', 'client'),
  // resets, aborts and timeouts that give up (no line in Figure 5)
  e('SYN_RCVD', 'CLOSED', 'rcv RST or ABORT / snd RST', 'reset'),
  e('ESTABLISHED', 'CLOSED', 'rcv RST, ABORT or timeout / snd RST', 'reset'),
  e('FIN_WAIT_1', 'CLOSED', 'rcv RST, ABORT or timeout / snd RST', 'reset'),
  e('FIN_WAIT_2', 'CLOSED', 'rcv RST, ABORT or FIN_WAIT_2 timeout', 'reset'),
  e('CLOSE_WAIT', 'CLOSED', 'rcv RST, ABORT or timeout / snd RST', 'reset'),
  e('CLOSING', 'CLOSED', 'rcv RST or timeout', 'reset'),
];

const BY_ID = new Map(EDGES.map((x) => [x.id, x]));

/** The edge a transition takes, or undefined for one the diagram has no line for. */
export function edgeOf(from: TcpState, to: TcpState): Edge | undefined {
  return BY_ID.get(`${from}>${to}`);
}

/** The edges of one classic path, in the order a connection takes them. */
export function pathEdges(path: 'client' | 'server'): Edge[] {
  return EDGES.filter((x) => x.path === path);
}
