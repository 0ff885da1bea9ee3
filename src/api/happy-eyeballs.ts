/**
 * connect() to a host name, as node:net does it: the `lookup` function (dns.lookup's signature) is
 * called synchronously from connect() and every answer is reported by a 'lookup' event; with
 * `autoSelectFamily` (Node 20's default, RFC 8305 "happy eyeballs") all addresses are asked for,
 * ordered alternating families starting with the first answer's, and tried one after the other,
 * each given `autoSelectFamilyAttemptTimeout` ms before the next is tried (the last has no limit).
 * Node emits 'connectionAttempt', 'connectionAttemptFailed' and 'connectionAttemptTimeout' on the
 * way and fails with an AggregateError of every attempt's error.
 */
import { isIP } from '#platform/net';
import { nextTick } from '../platform/defer.js';
import { invalidAddressFamily, invalidIpAddress, sysError } from '../errors.js';
import type { Clock, TimerHandle } from '../time/clock.js';
import {
  defaultLookup,
  getDefaultAutoSelectFamily,
  getDefaultAutoSelectFamilyAttemptTimeout,
  type LookupAddress,
  type LookupFunction,
} from './lookup.js';

/** What the attempts need of the socket. */
export interface Connector {
  readonly connecting: boolean;
  readonly clock: Clock;
  autoSelectFamilyAttemptedAddresses?: string[];
  emit(event: string | symbol, ...args: unknown[]): boolean;
  /** Start connecting to one address; an error when it fails at once (no route, port 0). */
  attempt(ip: string, port: number, family: number, failed: ((err: Error) => void) | null): Error | null;
  /** Drop the attempt in progress (its timeout passed). */
  abandonAttempt(): void;
  fail(err: Error): void;
}

export interface NameConnectOptions {
  lookup?: LookupFunction | undefined;
  family?: number | undefined;
  hints?: number | undefined;
  localAddress?: string | undefined;
  autoSelectFamily?: boolean | undefined;
  autoSelectFamilyAttemptTimeout?: number | undefined;
}

/** Resolve `host` with the lookup and connect (lookupAndConnect in Node's net.js). */
export function lookupAndConnect(s: Connector, host: string, port: number, o: NameConnectOptions): void {
  const lookup = o.lookup ?? defaultLookup;
  const family = o.family === 4 || o.family === 6 ? o.family : 0;
  const auto = family === 0 && !o.localAddress && (o.autoSelectFamily ?? getDefaultAutoSelectFamily());
  const dnsopts = { family, hints: o.hints ?? 0, ...(auto ? { all: true } : {}) };
  lookup(host, dnsopts, (err, address, addressType) => {
    if (!s.connecting) return;
    if (err) {
      s.emit('lookup', err, undefined, undefined, host);
      return nextTick(() => s.fail(err));
    }
    if (auto && Array.isArray(address)) return connectMultiple(s, host, port, address, o.autoSelectFamilyAttemptTimeout);
    const ip = Array.isArray(address) ? address[0]?.address : address;
    const fam = Array.isArray(address) ? address[0]?.family : addressType;
    s.emit('lookup', null, ip, fam, host);
    if (!s.connecting) return;
    connectOne(s, host, ip, port, fam);
  });
}

/** One address from the lookup: Node's TypeError ERR_INVALID_IP_ADDRESS or RangeError ERR_INVALID_ADDRESS_FAMILY (naming the host asked for) when the answer is unusable. */
function connectOne(s: Connector, host: string, ip: string | undefined, port: number, fam: number | undefined): void {
  if (!ip || !isIP(ip)) return nextTick(() => s.fail(invalidIpAddress(ip)));
  if (fam !== 4 && fam !== 6) return nextTick(() => s.fail(invalidAddressFamily(fam, host, port)));
  const err = s.attempt(ip, port, fam, null);
  if (err) nextTick(() => s.fail(err));
}

function connectMultiple(s: Connector, host: string, port: number, addresses: LookupAddress[], timeout?: number): void {
  const groups: [LookupAddress[], LookupAddress[]] = [[], []];
  let first: number | undefined;
  for (const a of addresses) {
    s.emit('lookup', null, a.address, a.family, host);
    if (!s.connecting) return;
    if (isIP(a.address) && (a.family === 4 || a.family === 6)) {
      first ??= a.family;
      const g = groups[a.family === first ? 0 : 1];
      if (!g.some((x) => x.address === a.address)) g.push(a);
    }
  }
  const order: LookupAddress[] = [];
  for (let i = 0; i < Math.max(groups[0].length, groups[1].length); i++) {
    if (groups[0][i]) order.push(groups[0][i]!);
    if (groups[1][i]) order.push(groups[1][i]!);
  }
  if (order.length <= 1) return connectOne(s, host, order[0]?.address ?? addresses[0]?.address, port, order[0]?.family ?? addresses[0]?.family);
  s.autoSelectFamilyAttemptedAddresses = [];
  new Attempts(s, order, port, Math.max(10, timeout ?? getDefaultAutoSelectFamilyAttemptTimeout())).next();
}

/** One address after another (internalConnectMultiple in Node's net.js). */
class Attempts {
  private current = 0;
  private readonly errors: Error[] = [];
  private timer: TimerHandle | null = null;

  constructor(
    private readonly s: Connector,
    private readonly order: LookupAddress[],
    private readonly port: number,
    private readonly timeoutMs: number,
  ) {}

  next(): void {
    this.clearTimer();
    const s = this.s;
    if (!s.connecting) return;
    if (this.current === this.order.length) {
      const all = new AggregateError(this.errors, '') as AggregateError & { code?: string };
      all.code = (this.errors[0] as { code?: string } | undefined)?.code;
      s.fail(all);
      return;
    }
    const { address, family } = this.order[this.current++]!;
    s.autoSelectFamilyAttemptedAddresses!.push(`${address}:${this.port}`);
    s.emit('connectionAttempt', address, this.port, family);
    const err = s.attempt(address, this.port, family, (e) => this.failed(address, family, e));
    if (err) return this.failed(address, family, err);
    if (this.current < this.order.length) {
      this.timer = s.clock.schedule(s.clock.now() + this.timeoutMs, () => {
        this.timer = null;
        if (!s.connecting) return; // connected (or destroyed) meanwhile
        s.emit('connectionAttemptTimeout', address, this.port, family);
        this.errors.push(sysError('ETIMEDOUT', 'connect', address, this.port));
        s.abandonAttempt();
        this.next();
      });
    }
  }

  private failed(address: string, family: number, err: Error): void {
    this.errors.push(err);
    this.s.emit('connectionAttemptFailed', address, this.port, family, err);
    this.next();
  }

  private clearTimer(): void {
    if (this.timer) this.s.clock.cancel(this.timer);
    this.timer = null;
  }
}
