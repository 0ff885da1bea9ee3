/**
 * Prometheus metrics for a running stack (`synack serve --metrics HOST:PORT`): the stack's counters
 * and its connections by TCP state, read at scrape time (nothing is counted twice or kept here).
 */
import http from 'node:http';
import { createRequire } from 'node:module';
import type { Counter, Registry } from 'prom-client';
import { makeError } from '../errors.js';
import type { Stack } from '../stack/stack.js';
import { TCP_STATES } from '../tcp/state.js';

/**
 * Extra numbers to expose (link statistics...): name → [help, read], or [help, read, labelNames]
 * where `read` gives one value per set of label values (`{ direction: 'out', reason: 'loss' }`).
 */
export type ExtraCounters = Record<string, [string, () => number] | [string, () => [Record<string, string>, number][], string[]]>;

const STACK_COUNTERS: [keyof Stack['counters'], string, string][] = [
  ['packetsIn', 'synack_packets_in_total', 'IP packets given to the stack'],
  ['packetsOut', 'synack_packets_out_total', 'IP packets the stack sent'],
  ['segmentsIn', 'synack_tcp_segments_in_total', 'TCP segments received for our addresses'],
  ['segmentsOut', 'synack_tcp_segments_out_total', 'TCP segments sent'],
  ['activeOpens', 'synack_tcp_active_opens_total', 'connections opened by connect()'],
  ['passiveOpens', 'synack_tcp_passive_opens_total', 'connections opened by a SYN to a listener'],
  ['resetsSent', 'synack_tcp_resets_sent_total', 'RST segments sent'],
  ['listenOverflows', 'synack_tcp_listen_overflows_total', 'handshakes dropped on a full accept queue'],
  ['listenDrops', 'synack_tcp_listen_drops_total', 'SYNs or final ACKs a listener dropped'],
  ['resetsRateLimited', 'synack_tcp_resets_rate_limited_total', 'RSTs to connections that do not exist not sent (tcp_rst_msgs_per_sec)'],
];

/** prom-client counters only go up; the stack's own counter is the truth, so set it absolutely. */
function absolute(c: Counter, value: number): void {
  c.reset();
  c.inc(value);
}

/** The prom-client module's type. */
export type PromClient = typeof import('prom-client');
let promClient: PromClient | null = null;

/**
 * prom-client is an optional dependency, loaded on first use: importing synack (or SimNetwork)
 * does not load it, and an install without it fails here with what to do.
 */
export function loadPromClient(): PromClient {
  if (promClient) return promClient;
  try {
    promClient = createRequire(import.meta.url)('prom-client') as PromClient;
  } catch (err) {
    throw makeError('ERR_MODULE_NOT_FOUND', 'metrics need the optional dependency prom-client: npm install prom-client', { cause: err } as object);
  }
  return promClient;
}

/** Add a counter to `registry` whose values are read at scrape time: `fill` sets them from a source's own counters. */
export function addScrapedCounter(registry: Registry, name: string, help: string, labelNames: string[], fill: (counter: Counter) => void): void {
  const { Counter } = loadPromClient();
  new Counter({
    name,
    help,
    labelNames,
    registers: [registry],
    collect() {
      this.reset();
      fill(this);
    },
  });
}

/** A prom-client Registry with the stack's counters and its connections by state (plus `extra` counters), for `serveMetrics` or your own endpoint. */
export function createMetricsRegistry(stack: Stack, extra: ExtraCounters = {}): Registry {
  const { Counter, Gauge, Registry } = loadPromClient();
  const registry = new Registry();
  for (const [key, name, help] of STACK_COUNTERS) {
    new Counter({
      name,
      help,
      registers: [registry],
      collect() {
        const v = stack.counters[key];
        if (typeof v === 'number') absolute(this, v);
      },
    });
  }
  new Counter({
    name: 'synack_packets_dropped_total',
    help: 'packets dropped before reaching a connection, by reason',
    labelNames: ['reason'],
    registers: [registry],
    collect() {
      this.reset();
      for (const [reason, n] of Object.entries(stack.counters.drops)) this.inc({ reason }, n);
    },
  });
  new Counter({
    name: 'synack_tcp_ext_total',
    help: "TCP events by Linux's TcpExt name (TCPChallengeACK, TCPACKSkippedSeq, TCPOFODrop, ...)",
    labelNames: ['name'],
    registers: [registry],
    collect() {
      this.reset();
      for (const [name, n] of Object.entries(stack.counters.tcp)) this.inc({ name }, n);
    },
  });
  new Counter({
    name: 'synack_icmp_total',
    help: 'ICMP/ICMPv6 messages by kind (in, out, echo requests, errors in, PMTU, unreachables sent)',
    labelNames: ['kind'],
    registers: [registry],
    collect() {
      this.reset();
      for (const [kind, n] of Object.entries(stack.ip.counters)) this.inc({ kind }, n);
    },
  });
  new Counter({
    name: 'synack_tcp_retransmits_total',
    help: 'segments retransmitted, by what triggered it: fast (duplicate ACKs/NewReno), rto (timeout), tlp (tail loss probe), rack (RACK-detected loss)',
    labelNames: ['kind'],
    registers: [registry],
    collect() {
      this.reset();
      for (const [kind, n] of Object.entries(stack.counters.loss.retransmits)) this.inc({ kind }, n);
    },
  });
  const loss: [Exclude<keyof Stack['counters']['loss'], 'retransmits'>, string, string][] = [
    ['rtoTimeouts', 'synack_tcp_rto_timeouts_total', 'retransmission timeouts with data outstanding'],
    ['tlpProbes', 'synack_tcp_loss_probes_total', 'tail loss probes sent (RFC 8985)'],
    ['recoveries', 'synack_tcp_recoveries_total', 'fast-recovery episodes entered'],
    ['recoveryMs', 'synack_tcp_recovery_milliseconds_total', 'time spent in fast or timeout recovery'],
    ['dsacksReceived', 'synack_tcp_dsacks_received_total', 'D-SACK blocks received (RFC 2883)'],
    ['spuriousRetransmits', 'synack_tcp_spurious_retransmits_total', 'retransmissions a D-SACK showed unnecessary'],
    ['renegings', 'synack_tcp_sack_renegings_total', 'receivers that discarded SACKed data'],
  ];
  for (const [key, name, help] of loss) {
    new Counter({
      name,
      help,
      registers: [registry],
      collect() {
        absolute(this, stack.counters.loss[key]);
      },
    });
  }
  new Gauge({
    name: 'synack_tcp_connections',
    help: 'connections by TCP state (LISTEN counts listeners)',
    labelNames: ['state'],
    registers: [registry],
    collect() {
      const counts = stack.stateCounts();
      for (const s of TCP_STATES) this.set({ state: s }, counts[s] ?? 0);
    },
  });
  for (const [name, [help, read, labelNames]] of Object.entries(extra)) {
    new Counter({
      name,
      help,
      registers: [registry],
      ...(labelNames ? { labelNames } : {}),
      collect() {
        const v = read();
        if (typeof v === 'number') return absolute(this, v);
        this.reset();
        for (const [labels, n] of v) this.inc(labels, n);
      },
    });
  }
  return registry;
}

/** Serve `registry` at http://HOST:PORT/metrics (on the host's own network, not over synack). */
export function serveMetrics(registry: Registry, host: string, port: number): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    if (req.url !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('metrics are at /metrics\n');
      return;
    }
    registry.metrics().then(
      (text) => {
        res.writeHead(200, { 'content-type': registry.contentType });
        res.end(text);
      },
      (err: Error) => {
        res.writeHead(500, { 'content-type': 'text/plain' });
        res.end(`${err.message}\n`);
      },
    );
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve(server);
    });
  });
}

/** "HOST:PORT" or "[v6]:PORT" → [host, port]. */
export function parseHostPort(text: string): [string, number] {
  const m = /^\[([^\]]+)\]:(\d+)$/.exec(text) ?? /^([^:]+):(\d+)$/.exec(text);
  const port = m ? Number(m[2]) : NaN;
  if (!m || !(port >= 0 && port <= 65535)) throw new Error(`expected HOST:PORT (or [IPv6]:PORT), got "${text}"`);
  return [m[1]!, port];
}
