/**
 * Drives one Tcb with a packetdrill-style script in virtual time: `<` lines are delivered to the
 * TCB, `>` lines must be exactly the next segment it sends, at the written time, and nothing may
 * go out that the script does not expect. Transitions, errors and events are recorded.
 */
import { expect } from 'vitest';
import { formatSegment } from '../../src/observe/format.js';
import type { TcpState } from '../../src/tcp/state.js';
import { SYSCTL_DEFAULTS, applySysctl, type Sysctl } from '../../src/tcp/sysctl.js';
import { Tcb, type TcbErrorCode, type TcbHooks } from '../../src/tcp/tcb.js';
import type { Segment } from '../../src/wire/segment.js';
import { buildInbound, formatScriptLine, matchOutbound, parseScript, type Bases } from './script.js';

export interface Sent {
  t: number;
  seg: Segment;
}

export interface HarnessOptions {
  sysctl?: Partial<Record<keyof Sysctl, unknown>>;
  iss?: number;
  remoteIss?: number;
  mss?: number;
  rcvBuf?: number;
  noDelay?: boolean;
  localPort?: number;
  remotePort?: number;
}

export const LOCAL_PORT = 8080;
export const REMOTE_PORT = 40000;

export class TcbHarness implements TcbHooks {
  readonly tcb: Tcb;
  now = 0;
  /** segments sent and not yet matched by a `>` line */
  pending: Sent[] = [];
  sentAll: Sent[] = [];
  transitions: { t: number; from: TcpState; to: TcpState }[] = [];
  errors: TcbErrorCode[] = [];
  establishedCount = 0;
  readableCount = 0;
  writableCount = 0;
  readonly base: Bases;
  private scriptTime = 0;

  constructor(opts: HarnessOptions = {}) {
    const sysctl = applySysctl(SYSCTL_DEFAULTS, opts.sysctl as Record<string, unknown>);
    this.base = { localIss: opts.iss ?? 1_000_000, remoteIss: opts.remoteIss ?? 5_000 };
    this.tcb = new Tcb(this, {
      sysctl,
      localPort: opts.localPort ?? LOCAL_PORT,
      remotePort: opts.remotePort ?? REMOTE_PORT,
      iss: this.base.localIss,
      mss: opts.mss ?? 1460,
      ...(opts.rcvBuf !== undefined ? { rcvBuf: opts.rcvBuf } : {}),
      ...(opts.noDelay !== undefined ? { noDelay: opts.noDelay } : {}),
    });
  }

  // --- TcbHooks ---
  send(_tcb: Tcb, seg: Segment): void {
    const copy: Segment = { ...seg, options: { ...seg.options }, payload: seg.payload.slice() };
    this.pending.push({ t: this.now, seg: copy });
    this.sentAll.push({ t: this.now, seg: copy });
  }
  transition(_tcb: Tcb, from: TcpState, to: TcpState): void {
    this.transitions.push({ t: this.now, from, to });
  }
  established(): void {
    this.establishedCount++;
  }
  readable(): void {
    this.readableCount++;
  }
  writable(): void {
    this.writableCount++;
  }
  error(_tcb: Tcb, code: TcbErrorCode): void {
    this.errors.push(code);
  }

  get state(): TcpState {
    return this.tcb.state;
  }

  /** The state path, e.g. ['CLOSED', 'SYN_SENT', 'ESTABLISHED']. */
  get path(): TcpState[] {
    const p: TcpState[] = this.transitions.length ? [this.transitions[0]!.from] : [this.tcb.state];
    for (const t of this.transitions) p.push(t.to);
    return p;
  }

  /** Advance virtual time to `t`, firing the TCB's timers on the way. */
  advanceTo(t: number): void {
    for (let guard = 0; guard < 100_000; guard++) {
      const d = this.tcb.nextDeadline();
      if (d > t) break;
      this.now = Math.max(this.now, d);
      this.tcb.onTimer(this.now);
    }
    this.now = Math.max(this.now, t);
  }

  advance(ms: number): void {
    this.advanceTo(this.now + ms);
  }

  /** User calls in virtual time. */
  connect(): void {
    this.tcb.openActive(this.now);
  }
  listen(): void {
    this.tcb.openPassive(this.now);
  }
  write(data: string | Uint8Array): void {
    this.tcb.send(typeof data === 'string' ? new TextEncoder().encode(data) : data, this.now);
  }
  close(): void {
    this.tcb.close(this.now);
  }
  read(max = Infinity): string {
    return Buffer.concat(this.tcb.receive(max, this.now)).toString('latin1');
  }

  /**
   * Run a script. Times are relative to the previous line (`+x`) or to the script's start (`x`).
   * Segments sent before a line's time must have been matched by then; `>` lines match in order.
   */
  run(text: string): void {
    const start = this.now;
    for (const line of parseScript(text)) {
      const t = line.time === null ? this.now : line.time.relative ? this.scriptTime + line.time.ms : start + line.time.ms;
      if (line.dir === 'in') {
        this.expectNothingPending(`before ${formatScriptLine(line)}`);
        this.advanceTo(t);
        this.expectNothingPending(`before ${formatScriptLine(line)}`);
        const seg = buildInbound(line, this.base, { local: this.tcb.localPort, remote: this.tcb.remotePort });
        this.tcb.segmentArrives(seg, this.now);
      } else {
        if (this.pending.length === 0) this.advanceTo(t);
        const sent = this.pending.shift();
        if (!sent) throw new Error(`script line ${line.lineNo}: expected "${formatScriptLine(line)}" but nothing was sent by t=${t} ms`);
        const why = matchOutbound(line, sent.seg, this.base);
        if (why) throw new Error(`${why} (at t=${sent.t} ms)`);
        if (line.time !== null) {
          const tol = Math.max(2, Math.abs(t - start) * 0.02);
          if (Math.abs(sent.t - t) > tol) {
            throw new Error(`script line ${line.lineNo}: "${formatScriptLine(line)}" was sent at t=${sent.t} ms, expected t=${t} ms`);
          }
        }
      }
      this.scriptTime = t;
    }
    this.expectNothingPending('at the end of the script');
  }

  expectNothingPending(where: string): void {
    if (this.pending.length > 0) {
      const list = this.pending.map((s) => `t=${s.t} ${this.fmt(s.seg)}`).join('; ');
      throw new Error(`unexpected segment(s) sent ${where}: ${list}`);
    }
  }

  fmt(seg: Segment): string {
    return formatSegment(seg, { seqBase: this.base.localIss, ackBase: this.base.remoteIss });
  }

  expectPath(...states: TcpState[]): void {
    expect(this.path).toEqual(states);
  }
}

// ===================== fixtures: a TCB already in a given state =====================

/** Passive open: LISTEN. */
export function listening(opts?: HarnessOptions): TcbHarness {
  const h = new TcbHarness(opts);
  h.listen();
  return h;
}

/** Passive open that has answered a SYN: SYN_RCVD. */
export function synReceived(opts?: HarnessOptions): TcbHarness {
  const h = listening(opts);
  h.run(`
    0 < S 0:0(0) win 65535 <mss 1460>
   +0 > S. 0:0(0) ack 1 <mss 1460>
  `);
  return h;
}

/** Active open, SYN sent: SYN_SENT. */
export function synSent(opts?: HarnessOptions): TcbHarness {
  const h = new TcbHarness(opts);
  h.connect();
  h.run(`0 > S 0:0(0) <mss 1460,sackOK,TS val * ecr 0,wscale *>`);
  return h;
}

/** A passive connection after the three-way handshake: ESTABLISHED (no options, so lines stay short). */
export function established(opts?: HarnessOptions): TcbHarness {
  const h = synReceived(opts);
  h.run(`+0 < . 1:1(0) ack 1 win 65535`);
  return h;
}

/** We closed first and the peer acknowledged our FIN: FIN_WAIT_2. */
export function finWait2(opts?: HarnessOptions): TcbHarness {
  const h = established(opts);
  h.close();
  h.run(`
    +0 > F. 1:1(0) ack 1
    +0 < . 1:1(0) ack 2 win 65535
  `);
  return h;
}

/** The peer closed first: CLOSE_WAIT. */
export function closeWait(opts?: HarnessOptions): TcbHarness {
  const h = established(opts);
  h.run(`
    +0 < F. 1:1(0) ack 1 win 65535
    +0 > . 1:1(0) ack 2
  `);
  return h;
}

/** We closed first, the peer's FIN followed: TIME_WAIT. */
export function timeWait(opts?: HarnessOptions): TcbHarness {
  const h = finWait2(opts);
  h.run(`
    +0 < F. 1:1(0) ack 2 win 65535
    +0 > . 2:2(0) ack 2
  `);
  return h;
}
