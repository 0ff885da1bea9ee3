/**
 * Sockets in columns. At 100,000 sockets, one object per socket costs more in allocation and
 * garbage collection than parsing the text does; typed-array columns live outside the JS heap and
 * addresses are interned once (a host has few distinct addresses). The summary reads the columns
 * directly; `socket(i)` / `toSockets()` give TcpSocket objects to code that wants them (diagnosis,
 * tests), built on demand.
 */
import { STATE_NAMES, codeOfState } from './tcp-states.js';
import { TIMER_KINDS, type TcpSocket, type TimerKind } from './tcp-socket.js';

export class SocketTable {
  n = 0;
  family = new Uint8Array(0);
  /** Kernel state code 1..11 (STATE_NAMES[code - 1]). */
  state = new Uint8Array(0);
  /** Address ids, see `addrs`. */
  local = new Uint32Array(0);
  remote = new Uint32Array(0);
  localPort = new Uint16Array(0);
  remotePort = new Uint16Array(0);
  tx = new Float64Array(0);
  rx = new Float64Array(0);
  timer = new Uint8Array(0);
  /** Timer expiry in USER_HZ ticks (1/100 s). */
  when = new Float64Array(0);
  retransmits = new Float64Array(0);
  uid = new Float64Array(0);
  probes = new Float64Array(0);
  inode = new Float64Array(0);
  /** Address id -> kernel hex (8 or 32 digits). */
  readonly addrs: string[] = [];
  private readonly ids = new Map<string, number>();
  private readonly ids4 = new Map<number, number>();

  constructor(capacity = 64) {
    this.grow(capacity);
  }

  intern(hex: string): number {
    let id = this.ids.get(hex);
    if (id === undefined) {
      id = this.addrs.length;
      this.addrs.push(hex);
      this.ids.set(hex, id);
    }
    return id;
  }

  /**
   * Interns an IPv4 address given as the numeric value of its 8 hex digits at text[from, from+8):
   * the string is only cut out the first time the address is seen.
   */
  intern4(value: number, text: string, from: number): number {
    let id = this.ids4.get(value);
    if (id === undefined) {
      id = this.intern(text.slice(from, from + 8));
      this.ids4.set(value, id);
    }
    return id;
  }

  /** Makes room for `extra` more rows. */
  reserve(extra: number): void {
    if (this.n + extra > this.state.length) this.grow(Math.max(this.n + extra, this.state.length * 2));
  }

  private grow(cap: number): void {
    const g = <T extends Uint8Array | Uint16Array | Uint32Array | Float64Array>(a: T, make: (n: number) => T): T => {
      const b = make(cap);
      b.set(a.subarray(0, this.n) as never);
      return b;
    };
    this.family = g(this.family, (k) => new Uint8Array(k));
    this.state = g(this.state, (k) => new Uint8Array(k));
    this.local = g(this.local, (k) => new Uint32Array(k));
    this.remote = g(this.remote, (k) => new Uint32Array(k));
    this.localPort = g(this.localPort, (k) => new Uint16Array(k));
    this.remotePort = g(this.remotePort, (k) => new Uint16Array(k));
    this.tx = g(this.tx, (k) => new Float64Array(k));
    this.rx = g(this.rx, (k) => new Float64Array(k));
    this.timer = g(this.timer, (k) => new Uint8Array(k));
    this.when = g(this.when, (k) => new Float64Array(k));
    this.retransmits = g(this.retransmits, (k) => new Float64Array(k));
    this.uid = g(this.uid, (k) => new Float64Array(k));
    this.probes = g(this.probes, (k) => new Float64Array(k));
    this.inode = g(this.inode, (k) => new Float64Array(k));
  }

  /** Appends one socket given as an object (tests, synthetic data). */
  add(s: TcpSocket): void {
    this.reserve(1);
    const i = this.n++;
    this.family[i] = s.family;
    this.state[i] = codeOfState(s.state);
    this.local[i] = this.intern(s.localHex);
    this.remote[i] = this.intern(s.remoteHex);
    this.localPort[i] = s.localPort;
    this.remotePort[i] = s.remotePort;
    this.tx[i] = s.txQueue;
    this.rx[i] = s.rxQueue;
    this.timer[i] = Math.max(0, TIMER_KINDS.indexOf(s.timer));
    this.when[i] = Math.round(s.timerSeconds * 100);
    this.retransmits[i] = s.retransmits;
    this.uid[i] = s.uid;
    this.probes[i] = s.probes;
    this.inode[i] = s.inode;
  }

  static from(sockets: readonly TcpSocket[]): SocketTable {
    const t = new SocketTable(Math.max(16, sockets.length));
    for (const s of sockets) t.add(s);
    return t;
  }

  socket(i: number): TcpSocket {
    return {
      family: this.family[i] as 4 | 6,
      state: STATE_NAMES[this.state[i]! - 1]!,
      localHex: this.addrs[this.local[i]!]!,
      localPort: this.localPort[i]!,
      remoteHex: this.addrs[this.remote[i]!]!,
      remotePort: this.remotePort[i]!,
      txQueue: this.tx[i]!,
      rxQueue: this.rx[i]!,
      timer: (TIMER_KINDS[this.timer[i]!] ?? 'none') as TimerKind,
      timerSeconds: this.when[i]! / 100,
      retransmits: this.retransmits[i]!,
      uid: this.uid[i]!,
      probes: this.probes[i]!,
      inode: this.inode[i]!,
    };
  }

  toSockets(): TcpSocket[] {
    const out = new Array<TcpSocket>(this.n);
    for (let i = 0; i < this.n; i++) out[i] = this.socket(i);
    return out;
  }

  /** Same identity as connKey(socket(i)), without building the object. */
  key(i: number): string {
    return `${this.family[i]}|${this.addrs[this.local[i]!]}:${this.localPort[i]}|${this.addrs[this.remote[i]!]}:${this.remotePort[i]}`;
  }
}
