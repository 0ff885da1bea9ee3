/**
 * The soak (issue 10): many connections on the simulated network in virtual time, opening, moving
 * random amounts both ways under random impairments (loss up to 10 %, reordering, duplication,
 * jitter), and closing by every path — client first, server first, simultaneous, RST, and the
 * server's idle timeout. Every byte is checked as it arrives (nothing is kept but a count), and at
 * the end, after 2MSL: no connection but the listener, no TIME_WAIT record, no timer pending, the
 * timer rule kept after every event (TimerWatch), and the heap back within 10 % of its start.
 */
import { runInNewContext } from 'node:vm';
import v8 from 'node:v8';
import { SimNetwork, type Impairments, type Stack } from '../../src/index.js';
import type { Socket } from '../../src/api/socket.js';
import { Prng } from '../../src/link/prng.js';
import { TimerWatch } from './harness.js';

export type CloseMode = 'client-first' | 'server-first' | 'simultaneous' | 'rst' | 'idle';
const MODES: CloseMode[] = ['client-first', 'server-first', 'simultaneous', 'rst', 'idle'];
const SERVER = '10.1.0.1';
const PORT = 80;
const IDLE_MS = 5_000;
/** the first bytes of every stream: mode (1 byte) and payload size (4 bytes) */
const HEADER = 5;

export interface SoakOptions {
  seed: number;
  connections: number;
  /** most connections open at once */
  concurrency?: number;
  clients?: number;
  /** largest payload one way */
  maxSize?: number;
  /** check the timer rule after every `watchEvery`-th event (0: never) */
  watchEvery?: number;
  /** offloads on every link: no checksums, super-segments cut by the network (SimNetworkOptions.offload) */
  offload?: boolean;
}

export interface SoakResult {
  connections: number;
  byMode: Record<CloseMode, number>;
  bytesVerified: number;
  /** errors other than the ECONNRESET a RST close is meant to cause */
  unexpectedErrors: string[];
  corrupt: string[];
  unfinished: number;
  /** the first connections that never finished, described */
  stuck: string[];
  virtualMs: number;
  wallMs: number;
  /** after 2MSL: connections, TIME_WAIT records, timers pending, over every stack */
  leftConnections: number;
  leftTimeWait: number;
  leftTimers: number;
  serverStates: Record<string, number>;
  /** states still listed by the clients (none expected) */
  clientStates: number;
  heapStart: number;
  heapEnd: number;
  timerBreaches: string[];
  impairments: Impairments[];
}

v8.setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

function heapNow(): number {
  gc();
  gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

/** The byte at stream offset `i` of connection `id`'s payload (cheap, position-dependent). */
function byteAt(id: number, i: number): number {
  return (Math.imul(i + 1, 2654435761) ^ Math.imul(id + 7, 40503)) >>> 24;
}

function payload(id: number, mode: number, size: number): Buffer {
  const b = Buffer.allocUnsafe(HEADER + size);
  b[0] = mode;
  b.writeUInt32BE(size, 1);
  for (let i = 0; i < size; i++) b[HEADER + i] = byteAt(id, i);
  return b;
}

interface Conn {
  id: number;
  mode: CloseMode;
  size: number;
  client: Socket;
  server: Socket | null;
  /** bytes of the echo the client has checked */
  echoed: number;
  serverGot: number;
  closed: boolean;
}

export async function runSoak(opts: SoakOptions): Promise<SoakResult> {
  const wallStart = Date.now();
  const rng = new Prng(opts.seed);
  const rand = (n: number) => rng.nextU32() % n;
  const concurrency = opts.concurrency ?? 400;
  const clientCount = opts.clients ?? 8;
  const maxSize = opts.maxSize ?? 65_536;
  const net = new SimNetwork({ seed: opts.seed, offload: opts.offload === true });
  const keep = { sysctl: { ip_local_port_range: '1024 65535' } };
  const server = net.host(SERVER, keep);
  const clients: Stack[] = [];
  const impairments: Impairments[] = [];
  for (let i = 0; i < clientCount; i++) {
    const addr = `10.2.0.${i + 1}`;
    clients.push(net.host(addr, keep));
    const imp: Impairments = {
      loss: rand(101) / 1000,
      duplicate: rand(51) / 1000,
      reorder: rand(101) / 1000,
      delayMs: 1 + rand(30),
      jitterMs: rand(20),
    };
    impairments.push(imp);
    net.impair(addr, SERVER, imp);
    net.impair(SERVER, addr, imp);
  }
  const stacks = [server, ...clients];
  const watch = new TimerWatch(stacks);
  const byMode = Object.fromEntries(MODES.map((m) => [m, 0])) as Record<CloseMode, number>;
  const unexpectedErrors: string[] = [];
  const corrupt: string[] = [];
  let bytesVerified = 0;
  const live = new Map<number, Conn>();
  /** server sockets waiting for their client's record, by client port and address */
  const byTuple = new Map<string, Conn>();

  const srv = server.net.createServer({ allowHalfOpen: true }, (s: Socket) => {
    const key = `${s.remoteAddress}:${s.remotePort}`;
    const c = byTuple.get(key);
    if (!c) {
      s.destroy(); // a stale SYN's connection
      return;
    }
    byTuple.delete(key);
    c.server = s;
    let header = Buffer.alloc(0);
    s.on('error', (e: NodeJS.ErrnoException) => {
      if (!(c.mode === 'rst' && e.code === 'ECONNRESET')) unexpectedErrors.push(`server #${c.id} (${c.mode}): ${e.code}`);
    });
    s.on('data', (d: Buffer) => {
      let body = d;
      if (header.length < HEADER) {
        const need = HEADER - header.length;
        header = Buffer.concat([header, d.subarray(0, need)]);
        body = d.subarray(need);
      }
      for (let i = 0; i < body.length; i++) {
        if (body[i] !== byteAt(c.id, c.serverGot + i)) {
          corrupt.push(`server #${c.id} byte ${c.serverGot + i}`);
          break;
        }
      }
      c.serverGot += body.length;
      bytesVerified += body.length;
      if (!s.destroyed) s.write(d);
      if (c.serverGot === c.size) {
        if (c.mode === 'server-first') s.end();
        if (c.mode === 'simultaneous') maybeSimultaneous(c);
      }
    });
    s.on('end', () => {
      if (c.mode === 'client-first' || c.mode === 'rst') s.end();
    });
    if (c.mode === 'idle') {
      // the server's idle timeout closes a connection whose exchange is over and that then sits
      // idle (a stall under loss is not the end of the exchange: the timer re-arms on activity)
      s.setTimeout(IDLE_MS);
      s.on('timeout', () => {
        if (c.serverGot === c.size && !s.writableEnded) s.end();
      });
    }
    // a server that keeps a socket open must learn of a peer gone without a trace (its RST lost)
    s.setKeepAlive(true, 30_000);
    s.on('close', () => {
      if (!s.destroyed) s.destroy();
    });
  });
  srv.listen(PORT);
  await net.run(1);

  function maybeSimultaneous(c: Conn): void {
    // both ends call end() in the same instant, once each has everything
    if (c.serverGot === c.size && c.echoed === c.size && c.server && !c.closed) {
      c.client.end();
      c.server.end();
    }
  }

  let started = 0;
  let finished = 0;
  const startOne = (): void => {
    const id = started++;
    const mode = MODES[rand(MODES.length)]!;
    const size = rand(20) === 0 ? rand(4 * maxSize) : rand(maxSize + 1);
    byMode[mode]++;
    const stack = clients[id % clientCount]!;
    const client = stack.net.connect({ port: PORT, host: SERVER, allowHalfOpen: true, keepAlive: true, keepAliveInitialDelay: 30_000 });
    const c: Conn = { id, mode, size, client, server: null, echoed: 0, serverGot: 0, closed: false };
    live.set(id, c);
    client.on('connect', () => {
      byTuple.set(`${client.localAddress}:${client.localPort}`, c);
      client.write(payload(id, MODES.indexOf(mode), size));
      if (mode === 'client-first') client.end();
    });
    let skip = HEADER;
    client.on('data', (d: Buffer) => {
      let body = d;
      if (skip > 0) {
        const n = Math.min(skip, d.length);
        skip -= n;
        body = d.subarray(n);
      }
      for (let i = 0; i < body.length; i++) {
        if (body[i] !== byteAt(id, c.echoed + i)) {
          corrupt.push(`client #${id} byte ${c.echoed + i}`);
          break;
        }
      }
      c.echoed += body.length;
      bytesVerified += body.length;
      if (c.echoed >= size / 2 && mode === 'rst' && !client.destroyed) client.resetAndDestroy();
      if (c.echoed === size && mode === 'simultaneous') maybeSimultaneous(c);
    });
    client.on('end', () => {
      if (mode === 'server-first' || mode === 'idle') client.end();
    });
    client.on('error', (e: NodeJS.ErrnoException) => unexpectedErrors.push(`client #${id} (${mode}): ${e.code}`));
    client.on('close', () => {
      c.closed = true;
      live.delete(id);
      finished++;
      if (c.mode !== 'rst' && c.echoed !== c.size) corrupt.push(`client #${id} (${mode}) closed with ${c.echoed} of ${c.size} bytes echoed`);
      startMore();
    });
  };
  const every = opts.watchEvery ?? 0;
  const quiet = () => stacks.every((s) => s.connectionCount === 0 && s.timeWait.size === 0) && net.clock.pending() === 0;
  const t0 = net.now();
  // warm-up: the first 5 % (at least 100) run to the end and 2MSL before the heap's start is taken,
  // so that it counts what the soak retains, not the code the JIT compiles meanwhile
  let limit = Math.min(opts.connections, Math.max(100, Math.ceil(opts.connections / 20)));
  const startMore = (): void => {
    while (started < limit && started - finished < concurrency) startOne();
  };
  startMore();
  await net.runUntil(() => finished === limit, 24 * 3_600_000);
  await net.runUntil(quiet, 3_600_000);
  const heapStart = heapNow();
  limit = opts.connections;
  startMore();
  const pred = () => finished === opts.connections;
  const done = await net.runUntil(every > 0 ? watch.wrap(pred, every) : pred, 24 * 3_600_000);
  const virtualMs = net.now() - t0;
  const stuck = [...live.values()].slice(0, 5).map((c) => {
    const info = (st: Stack) => st.sockets().filter((k) => k.remotePort === c.client.localPort || k.localPort === c.client.localPort).map((k) => `${k.state}${k.timer ? '/' + k.timer.name : ''} sendQ ${k.sendQ} recvQ ${k.recvQ}`);
    return `#${c.id} ${c.mode} size ${c.size} echoed ${c.echoed} serverGot ${c.serverGot}: client ${info(clients[c.id % clientCount]!).join(',')} server ${info(server).join(',')} server socket ${c.server ? (c.server.destroyed ? 'destroyed' : 'open') : 'none'}`;
  });
  // 2MSL and whatever orphans still have to finish (FIN_WAIT_2 bounded by tcp_fin_timeout)
  await net.runUntil(every > 0 ? watch.wrap(quiet, every) : quiet, 3_600_000);
  const left = stacks.flatMap((st) =>
    st.sockets().filter((k) => k.state !== 'LISTEN').map((k) => `${st.name} ${k.localPort}→${k.remoteAddress}:${k.remotePort} ${k.state}${k.timer ? '/' + k.timer.name : ''} orphan ${k.orphan} sendQ ${k.sendQ} recvQ ${k.recvQ}`),
  );
  stuck.push(...left.slice(0, 5));
  const serverStates = server.stateCounts() as Record<string, number>;
  const clientStates = clients.reduce((n, s) => n + Object.keys(s.stateCounts()).length, 0);
  const result: SoakResult = {
    connections: finished,
    byMode,
    bytesVerified,
    unexpectedErrors: unexpectedErrors.slice(0, 20),
    corrupt: corrupt.slice(0, 20),
    unfinished: done ? 0 : opts.connections - finished,
    stuck,
    virtualMs,
    wallMs: Date.now() - wallStart,
    leftConnections: stacks.reduce((n, s) => n + s.connectionCount, 0),
    leftTimeWait: stacks.reduce((n, s) => n + s.timeWait.size, 0),
    leftTimers: 0,
    serverStates,
    clientStates,
    heapStart,
    heapEnd: 0,
    timerBreaches: watch.breaches,
    impairments,
  };
  srv.close();
  await net.run(1);
  result.leftTimers = net.clock.pending();
  live.clear();
  byTuple.clear();
  result.heapEnd = heapNow();
  return result;
}
