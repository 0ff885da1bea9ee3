/**
 * The listener's side of the handshake: a SYN becomes a half-open connection in the SYN queue, or,
 * when the SYN queue overflows (tcp_syncookies = 1) or always (= 2), a stateless SYN-ACK carrying a
 * cookie; an ACK that returns a valid cookie becomes a connection as if it had been queued.
 */
import { windowScaleFor } from '../tcp/tcb.js';
import { ACK, SYN, type Segment, type TcpOptions } from '../wire/segment.js';
import { tupleWords, type IpAddr } from './ip-addr.js';
import type { Listener } from './listener.js';
import {
  COOKIE_MSS,
  checkCookie,
  cookieMssIndex,
  cookieTimestamp,
  decodeCookieTimestamp,
  makeCookie,
} from './syncookies.js';
import type { Stack } from './stack.js';

const EMPTY = new Uint8Array(0);
/** Linux honours cookies only while the listener has overflowed recently. */
const COOKIE_WINDOW_MS = 120_000;

/** A SYN for `l` with no connection behind it. `issHint` continues a TIME_WAIT's sequence space. */
export function onSyn(stack: Stack, l: Listener, local: IpAddr, remote: IpAddr, seg: Segment, now: number, issHint?: number): void {
  const sc = stack.sysctl;
  if (l.acceptQueue.length >= stack.acceptLimit(l)) {
    // Linux drops SYNs while the accept queue is full, cookies or not
    stack.counters.listenOverflows++;
    stack.counters.listenDrops++;
    stack.drop('accept_queue_full');
    return;
  }
  // a SYN that took over a TIME_WAIT 4-tuple is never answered with a cookie (its ISN must continue
  // past the old connection's, RFC 6191) nor bounded by the SYN queue: Linux tcp_conn_request, "TW
  // buckets are converted to open requests without limitations ... peer is evidently real one"
  const recycled = issHint !== undefined;
  const synQueueFull = !recycled && l.synQueue >= sc.tcp_max_syn_backlog;
  if (!recycled && (sc.tcp_syncookies === 2 || (synQueueFull && sc.tcp_syncookies === 1))) {
    sendCookie(stack, l, local, remote, seg, now);
    return;
  }
  if (synQueueFull) {
    stack.counters.listenDrops++;
    stack.drop('syn_queue_full');
    return;
  }
  const conn = stack.createConn(local, seg.dstPort, remote, seg.srcPort, now, issHint);
  conn.listener = l;
  l.synQueue++;
  stack.counters.passiveOpens++;
  conn.tcb.openPassive(now);
  conn.tcb.segmentArrives(seg, now);
  stack.touch(conn);
}

/** The stateless SYN-ACK (RFC 4987 §3.6). */
function sendCookie(stack: Stack, l: Listener, local: IpAddr, remote: IpAddr, seg: Segment, now: number): void {
  const sc = stack.sysctl;
  const tuple = tupleWords(local, seg.dstPort, remote, seg.srcPort);
  const peer = seg.options;
  const mssIndex = cookieMssIndex(peer.mss ?? 536);
  const cookie = makeCookie(stack.cookieKeys, tuple, seg.seq, mssIndex, now);
  const options: TcpOptions = { mss: stack.newConn.mssFor(local) };
  // without timestamps to carry them, window scale and SACK cannot survive the round trip
  if (sc.tcp_timestamps && peer.tsVal !== undefined) {
    const wscale = sc.tcp_window_scaling && peer.wscale !== undefined ? peer.wscale : -1;
    const sack = sc.tcp_sack === 1 && peer.sackPermitted === true;
    const tsNow = (Math.floor(now) + stack.newConn.tsOffsetFor(tuple)) >>> 0;
    if (sack) options.sackPermitted = true;
    options.tsVal = cookieTimestamp(tsNow, { wscale, sack });
    options.tsEcr = peer.tsVal;
    if (wscale >= 0) options.wscale = windowScaleFor(sc.tcp_rmem[2]);
  }
  l.lastCookieAt = now;
  stack.counters.syncookiesSent++;
  stack.sendRaw(local, remote, {
    srcPort: seg.dstPort,
    dstPort: seg.srcPort,
    seq: cookie,
    ack: (seg.seq + 1) >>> 0,
    flags: SYN | ACK,
    window: cookieWindow(stack),
    urgent: 0,
    options,
    payload: EMPTY,
  });
}

function cookieWindow(stack: Stack): number {
  return Math.min(0xffff, stack.sysctl.tcp_rmem[1]);
}

/**
 * An ACK for a listener with no connection: if it returns one of our cookies, build the
 * connection. Returns false when it is not a valid cookie (the caller answers with RST).
 */
export function onCookieAck(stack: Stack, l: Listener, local: IpAddr, remote: IpAddr, seg: Segment, now: number): boolean {
  const sc = stack.sysctl;
  if (sc.tcp_syncookies === 0) return false;
  if (sc.tcp_syncookies === 1 && !(now - l.lastCookieAt < COOKIE_WINDOW_MS)) return false;
  const tuple = tupleWords(local, seg.dstPort, remote, seg.srcPort);
  const synSeq = (seg.seq - 1) >>> 0;
  const iss = (seg.ack - 1) >>> 0;
  const mssIndex = checkCookie(stack.cookieKeys, tuple, iss, synSeq, now);
  if (mssIndex < 0) {
    stack.counters.syncookiesFailed++;
    return false;
  }
  if (l.acceptQueue.length >= stack.acceptLimit(l)) {
    stack.counters.listenOverflows++;
    stack.counters.listenDrops++;
    stack.drop('accept_queue_full');
    return true;
  }
  stack.counters.syncookiesRecv++;
  // the SYN as the cookie remembers it
  const options: TcpOptions = { mss: COOKIE_MSS[mssIndex] };
  if (sc.tcp_timestamps && seg.options.tsVal !== undefined && seg.options.tsEcr !== undefined) {
    const back = decodeCookieTimestamp(seg.options.tsEcr);
    options.tsVal = seg.options.tsVal;
    if (back.wscale >= 0) options.wscale = back.wscale;
    if (back.sack) options.sackPermitted = true;
  }
  const syn: Segment = { ...seg, seq: synSeq, ack: 0, flags: SYN, options, payload: EMPTY };
  const conn = stack.createConn(local, seg.dstPort, remote, seg.srcPort, now, iss);
  conn.listener = l;
  l.synQueue++;
  stack.counters.passiveOpens++;
  conn.tcb.restoreFromCookie(now, syn, cookieWindow(stack));
  conn.tcb.segmentArrives(seg, now);
  stack.touch(conn);
  return true;
}
