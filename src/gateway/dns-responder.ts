/**
 * The gateway's DNS server for its guest: port 53 on the gateway's own addresses, over UDP
 * (`stack.dgram`) and TCP (`stack.net`, each message behind a two-byte length, RFC 1035 §4.2.2),
 * answering from a resolver (the host's by default, dns-resolver.ts). A guest with a static
 * configuration (`nameserver GATEWAY_IP`) resolves names as the host does.
 *
 * TCP follows RFC 7766: several queries on one connection, pipelined, each answered as soon as it
 * is resolved (§6.2.1.1: out of order, the IDs match them up); a connection idle for `tcpIdleMs`
 * is closed by us with a FIN (§6.2.3); a zero length prefix cannot frame a message, so the
 * connection is closed. At most `maxPending` queries are resolved at once over every transport;
 * a query beyond that is answered SERVFAIL at once, and on TCP a connection with 16 queries in
 * flight is not read until one is answered. Nothing is cached here: the host's resolver caches.
 *
 * Malformed input never throws: it is counted in `counters.malformed` by reason and answered or
 * dropped as dns-answer.ts says.
 */
import '../api/net.js'; // stack.net
import '../api/dgram.js'; // stack.dgram
import type { DgramRemoteInfo, DgramSocket } from '../api/dgram.js';
import type { Server } from '../api/server.js';
import type { Socket } from '../api/socket.js';
import { makeError } from '../errors.js';
import type { Stack } from '../stack/stack.js';
import { isLoopback } from '../stack/ip-addr.js';
import { answerQuery, type DnsAnswerOptions, type DnsOutcome, type DnsResolver, type RcodeName } from './dns-answer.js';
import { hostResolver } from './dns-resolver.js';

/** Options of `startDnsResponder()`. */
export interface DnsResponderOptions {
  /** where to answer: the gateway's addresses (default: every non-loopback address of the stack) */
  addresses?: string[];
  /** default 53 */
  port?: number;
  /** default: the host's resolver through node:dns (`hostResolver()`) */
  resolver?: DnsResolver;
  /** TTL of answers whose resolver gives none, seconds (default 30) */
  ttl?: number;
  /** a resolution taking longer is answered SERVFAIL, ms (default 5000) */
  timeoutMs?: number;
  /** queries resolved at once, over every transport (default 256) */
  maxPending?: number;
  /** a TCP connection with no query for this long is closed, ms (default 10000, RFC 7766 §6.2.3) */
  tcpIdleMs?: number;
}

/** What a DNS responder has seen and answered (`responder.counters`). */
export interface DnsResponderCounters {
  /** messages taken in, by transport */
  udpQueries: number;
  tcpQueries: number;
  /** responses sent, by RCODE name */
  responses: Record<RcodeName, number>;
  /** messages that could not be decoded, by reason (answered FORMERR when they were queries with a whole header) */
  malformed: Record<string, number>;
  /** messages not answered: responses, undecodable headers, a UDP source port of 0 */
  dropped: number;
  /** UDP responses cut to the question with TC set */
  truncated: number;
  /** resolutions that took longer than `timeoutMs` */
  timeouts: number;
  /** queries answered SERVFAIL because `maxPending` were already being resolved */
  overloaded: number;
  /** TCP connections accepted */
  tcpConnections: number;
}

/** Queries in flight on one TCP connection before it is no longer read. */
const TCP_PIPELINE = 16;

/** The DNS responder on a stack (`startDnsResponder`). */
export class DnsResponder {
  readonly counters: DnsResponderCounters = {
    udpQueries: 0,
    tcpQueries: 0,
    responses: { NOERROR: 0, FORMERR: 0, SERVFAIL: 0, NXDOMAIN: 0, NOTIMP: 0, REFUSED: 0, BADVERS: 0 },
    malformed: {},
    dropped: 0,
    truncated: 0,
    timeouts: 0,
    overloaded: 0,
    tcpConnections: 0,
  };
  readonly #stack: Stack;
  readonly #answer: DnsAnswerOptions;
  readonly #maxPending: number;
  readonly #idleMs: number;
  readonly #udp: DgramSocket[] = [];
  readonly #tcp: Server[] = [];
  readonly #conns = new Set<Socket>();
  #pending = 0;
  #closed = false;

  /** @internal use `startDnsResponder` */
  constructor(stack: Stack, o: Required<Omit<DnsResponderOptions, 'addresses' | 'port'>>) {
    this.#stack = stack;
    this.#maxPending = o.maxPending;
    this.#idleMs = o.tcpIdleMs;
    this.#answer = {
      resolver: o.resolver,
      ttl: o.ttl,
      timeoutMs: o.timeoutMs,
      after: (ms, fn) => {
        const h = stack.clock.schedule(stack.clock.now() + ms, fn);
        return () => stack.clock.cancel(h);
      },
    };
  }

  /** Queries being resolved now. */
  get pending(): number {
    return this.#pending;
  }

  /** @internal */
  async listen(addresses: string[], port: number): Promise<void> {
    for (const address of addresses) {
      const type = address.includes(':') ? 'udp6' : 'udp4';
      const udp = this.#stack.dgram.createSocket(type);
      this.#udp.push(udp);
      udp.on('message', (msg: Buffer, rinfo: DgramRemoteInfo) => this.#onDatagram(udp, msg, rinfo));
      await new Promise<void>((resolve, reject) => {
        udp.once('error', reject);
        udp.bind(port, address, () => {
          udp.off('error', reject);
          udp.on('error', () => {}); // an ICMP error for a reply: the stub has gone, nothing to do
          resolve();
        });
      });
      const server = this.#stack.net.createServer({ allowHalfOpen: true }, (s) => this.#onConnection(s));
      this.#tcp.push(server);
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, address, () => {
          server.off('error', reject);
          resolve();
        });
      });
    }
  }

  #onDatagram(udp: DgramSocket, msg: Buffer, rinfo: DgramRemoteInfo): void {
    this.counters.udpQueries++;
    if (rinfo.port === 0) {
      this.counters.dropped++; // nowhere to answer
      return;
    }
    void this.#resolve(msg, true).then((bytes) => {
      if (bytes && !this.#closed) udp.send(bytes, rinfo.port, rinfo.address);
    });
  }

  #onConnection(s: Socket): void {
    this.counters.tcpConnections++;
    if (this.#closed) {
      s.destroy();
      return;
    }
    this.#conns.add(s);
    let buf: Buffer = Buffer.alloc(0);
    let inFlight = 0;
    let peerEnded = false;
    const finishIfDone = (): void => {
      if (peerEnded && inFlight === 0 && !s.writableEnded) s.end();
    };
    s.setTimeout(this.#idleMs, () => {
      if (inFlight === 0) s.end();
    });
    s.on('error', () => {}); // a reset from the stub: the connection is gone, so are its answers
    s.on('close', () => this.#conns.delete(s));
    s.on('end', () => {
      peerEnded = true;
      finishIfDone();
    });
    s.on('data', (chunk: Buffer) => {
      buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
      while (buf.length >= 2) {
        const len = buf.readUInt16BE(0);
        if (len === 0) {
          this.counters.tcpQueries++;
          this.#malformed('zero_length');
          buf = Buffer.alloc(0);
          s.end(); // a frame that holds no message: nothing after it can be trusted to be framed
          return;
        }
        if (buf.length < 2 + len) break;
        const msg = buf.subarray(2, 2 + len);
        buf = buf.subarray(2 + len);
        this.counters.tcpQueries++;
        inFlight++;
        if (inFlight >= TCP_PIPELINE) s.pause();
        void this.#resolve(msg, false).then((bytes) => {
          inFlight--;
          if (bytes && !s.destroyed && !s.writableEnded) {
            const frame = Buffer.allocUnsafe(2 + bytes.length);
            frame.writeUInt16BE(bytes.length, 0);
            frame.set(bytes, 2);
            s.write(frame);
          }
          if (inFlight < TCP_PIPELINE && s.isPaused() && !peerEnded) s.resume();
          finishIfDone();
        });
      }
    });
  }

  /** The response bytes for one message, or null when it is dropped. */
  async #resolve(msg: Uint8Array, udp: boolean): Promise<Uint8Array | null> {
    let outcome: DnsOutcome;
    if (this.#pending >= this.#maxPending) {
      this.counters.overloaded++;
      outcome = await answerQuery(msg, udp, { ...this.#answer, resolver: OVERLOADED });
    } else {
      this.#pending++;
      try {
        outcome = await answerQuery(msg, udp, this.#answer);
      } finally {
        this.#pending--;
      }
    }
    if (outcome.kind === 'drop') {
      if (outcome.reason !== 'response') this.#malformed(outcome.reason);
      this.counters.dropped++;
      return null;
    }
    if (outcome.rcode === 'FORMERR' && outcome.malformed) this.#malformed(outcome.malformed);
    this.counters.responses[outcome.rcode]++;
    if (outcome.truncated) this.counters.truncated++;
    if (outcome.timedOut) this.counters.timeouts++;
    return outcome.bytes;
  }

  #malformed(reason: string): void {
    this.counters.malformed[reason] = (this.counters.malformed[reason] ?? 0) + 1;
  }

  /** Stop answering: the UDP sockets close, the listeners close, open TCP connections end with a FIN. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const u of this.#udp) u.close();
    for (const s of this.#conns) s.end();
    await Promise.all(this.#tcp.map((server) => new Promise<void>((resolve) => server.close(() => resolve()))));
  }
}

/** Answers SERVFAIL at once: what a query gets while `maxPending` others are resolved. */
const OVERLOADED: DnsResolver = {
  resolve: () => Promise.reject(makeError('EBUSY', 'too many queries in flight')),
};

/**
 * Start answering DNS on `stack`'s addresses (port 53 unless told), over UDP and TCP. Rejects
 * (having closed what it opened) when a port cannot be bound.
 */
export async function startDnsResponder(stack: Stack, options: DnsResponderOptions = {}): Promise<DnsResponder> {
  const addresses = options.addresses ?? stack.addresses.filter((a) => !isLoopback(a)).map((a) => a.text);
  if (addresses.length === 0) throw makeError('ERR_INVALID_ARG_VALUE', 'startDnsResponder: the stack has no address to answer on');
  const port = options.port ?? 53;
  const positive = (name: string, v: number | undefined, dflt: number): number => {
    if (v === undefined) return dflt;
    if (!Number.isFinite(v) || v < 0) throw makeError('ERR_INVALID_ARG_VALUE', `startDnsResponder: ${name} must be a number >= 0, got ${String(v)}`);
    return v;
  };
  const responder = new DnsResponder(stack, {
    resolver: options.resolver ?? hostResolver(),
    ttl: positive('ttl', options.ttl, 30),
    timeoutMs: positive('timeoutMs', options.timeoutMs, 5000),
    maxPending: Math.max(1, positive('maxPending', options.maxPending, 256)),
    tcpIdleMs: positive('tcpIdleMs', options.tcpIdleMs, 10_000),
  });
  try {
    await responder.listen(addresses, port);
  } catch (err) {
    await responder.close();
    throw err;
  }
  return responder;
}
