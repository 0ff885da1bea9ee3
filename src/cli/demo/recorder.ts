/**
 * Records a demo run: every segment on the simulated wire (with both sides' state right after the
 * receiver processed it, or at send time when the link lost it) and every state transition.
 */
import type { SimNetwork } from '../../api/sim-network.js';
import type { TransitionEvent } from '../../observe/events.js';
import { formatFlags, formatOptionList, relU32 } from '../../observe/format.js';
import type { Stack } from '../../stack/stack.js';
import { formatIPv4, formatIPv6 } from '../../wire/addr.js';
import { decodeTcpPacket } from '../../wire/packet.js';
import { SYN } from '../../wire/segment.js';

export interface SegmentRecord {
  /** virtual ms: arrival time, or send time for a lost segment */
  t: number;
  src: string;
  dst: string;
  /** which host sent it */
  sender: 'client' | 'server';
  flags: string;
  /** relative to the sender's initial sequence number, as tcpdump prints */
  seq: number;
  /** relative to the receiver's initial sequence number */
  ack: number;
  win: number;
  len: number;
  options: string;
  dropped?: true;
  duplicate?: true;
  /** connection states after the segment: [client, server] */
  states: [string, string];
}

export interface TransitionRecord {
  t: number;
  host: string;
  local: string;
  remote: string;
  from: string;
  to: string;
}

function hostPort(addr: string, port: number): string {
  return addr.includes(':') ? `[${addr}]:${port}` : `${addr}:${port}`;
}

export class Recorder {
  readonly segments: SegmentRecord[] = [];
  readonly transitions: TransitionRecord[] = [];
  /** initial sequence numbers by sending endpoint "addr:port" */
  private readonly isn = new Map<string, number>();
  /** connections ("local remote") that have existed: once gone they are CLOSED, not LISTEN */
  private readonly known = new Set<string>();
  private readonly unsubscribe: () => void;

  constructor(
    net: SimNetwork,
    private readonly client: Stack,
    private readonly server: Stack,
  ) {
    const onTransition = (e: TransitionEvent) => {
      this.transitions.push({ ...e });
      this.known.add(`${e.local} ${e.remote}`);
    };
    client.on('transition', onTransition);
    server.on('transition', onTransition);
    this.unsubscribe = net.onPacket((ev) => {
      const d = decodeTcpPacket(ev.packet);
      if (typeof d === 'string') return;
      const { pkt, seg } = d;
      const srcAddr = pkt.version === 4 ? formatIPv4(pkt.src4) : formatIPv6(pkt.src6!);
      const dstAddr = pkt.version === 4 ? formatIPv4(pkt.dst4) : formatIPv6(pkt.dst6!);
      const src = hostPort(srcAddr, seg.srcPort);
      const dst = hostPort(dstAddr, seg.dstPort);
      if (seg.flags & SYN) this.isn.set(src, seg.seq);
      const sender: 'client' | 'server' = client.addresses.some((a) => a.text === srcAddr) ? 'client' : 'server';
      const rec: SegmentRecord = {
        t: round(ev.t),
        src,
        dst,
        sender,
        flags: formatFlags(seg.flags),
        seq: relU32(seg.seq, this.isn.get(src) ?? 0),
        ack: relU32(seg.ack, this.isn.get(dst) ?? 0),
        win: seg.window,
        len: seg.payload.length,
        options: formatOptionList(seg.options, this.isn.get(dst) ?? 0),
        states: ['', ''],
      };
      if (ev.dropped) rec.dropped = true;
      if (ev.reason === 'duplicate') rec.duplicate = true;
      this.segments.push(rec);
      const tuple = { srcAddr, srcPort: seg.srcPort, dstAddr, dstPort: seg.dstPort };
      // delivered: the receiver processes it right after this tap; look once it has (a lost
      // segment: once its sender has finished the step that sent it)
      net.clock.defer(() => (rec.states = this.snapshot(tuple, sender)));
    });
  }

  /** Both sides' state for the connection this segment belongs to. */
  private snapshot(
    t: { srcAddr: string; srcPort: number; dstAddr: string; dstPort: number },
    sender: 'client' | 'server',
  ): [string, string] {
    const src = hostPort(t.srcAddr, t.srcPort);
    const dst = hostPort(t.dstAddr, t.dstPort);
    const senderState = stateOf(sender === 'client' ? this.client : this.server, t.srcAddr, t.srcPort, t.dstAddr, t.dstPort, this.known.has(`${src} ${dst}`));
    const receiverState = stateOf(sender === 'client' ? this.server : this.client, t.dstAddr, t.dstPort, t.srcAddr, t.srcPort, this.known.has(`${dst} ${src}`));
    return sender === 'client' ? [senderState, receiverState] : [receiverState, senderState];
  }

  /** The state path of each connection endpoint on a host, in order. */
  paths(): { host: string; local: string; remote: string; path: string[] }[] {
    const byConn = new Map<string, { host: string; local: string; remote: string; path: string[] }>();
    for (const e of this.transitions) {
      const key = `${e.host} ${e.local} ${e.remote}`;
      let p = byConn.get(key);
      if (!p) {
        p = { host: e.host, local: e.local, remote: e.remote, path: [e.from] };
        byConn.set(key, p);
      }
      p.path.push(e.to);
    }
    return [...byConn.values()];
  }

  stop(): void {
    this.unsubscribe();
  }
}

function stateOf(stack: Stack, localAddr: string, localPort: number, remoteAddr: string, remotePort: number, existed: boolean): string {
  let listening = false;
  for (const s of stack.sockets()) {
    if (s.localPort !== localPort) continue;
    if (s.state === 'LISTEN') listening = true;
    else if (s.localAddress === localAddr && s.remoteAddress === remoteAddr && s.remotePort === remotePort) return s.state;
  }
  return listening && !existed ? 'LISTEN' : 'CLOSED';
}

function round(t: number): number {
  return Math.round(t * 1000) / 1000;
}
