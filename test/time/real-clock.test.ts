import { afterEach, describe, expect, it, vi } from 'vitest';
import { RealClock } from '../../src/time/real-clock.js';

const clocks: RealClock[] = [];
function makeClock(): RealClock {
  const c = new RealClock({ unref: true });
  clocks.push(c);
  return c;
}
afterEach(() => {
  for (const c of clocks.splice(0)) c.close();
});

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Resolves once `n` callbacks have called the returned `hit`. */
function countdown(n: number): { hit: () => void; done: Promise<void> } {
  let resolve!: () => void;
  const done = new Promise<void>((r) => (resolve = r));
  return {
    hit: () => {
      if (--n === 0) resolve();
    },
    done,
  };
}

describe('RealClock', () => {
  it('fires timers in time order, each no earlier than its time', async () => {
    const c = makeClock();
    const log: number[] = [];
    const early: number[] = [];
    const { hit, done } = countdown(4);
    const t0 = c.now();
    for (const d of [30, 5, 20, 10]) {
      c.schedule(t0 + d, () => {
        log.push(d);
        if (c.now() < t0 + d) early.push(d);
        hit();
      });
    }
    await done;
    expect(log).toEqual([5, 10, 20, 30]);
    expect(early).toEqual([]);
  });

  it('keeps at most one Node timer armed however many timers are scheduled', async () => {
    const c = makeClock();
    const onTimer = (c as unknown as { onTimer: () => void }).onTimer;
    const realSet = globalThis.setTimeout;
    const realClear = globalThis.clearTimeout;
    const live = new Set<unknown>();
    let maxLive = 0;
    let created = 0;
    globalThis.setTimeout = ((fn: () => void, ms?: number) => {
      if (fn !== onTimer) return realSet(fn, ms);
      created++;
      const h = realSet(() => {
        live.delete(h);
        fn();
      }, ms);
      live.add(h);
      maxLive = Math.max(maxLive, live.size);
      return h;
    }) as unknown as typeof setTimeout;
    globalThis.clearTimeout = ((h: Parameters<typeof clearTimeout>[0]) => {
      live.delete(h);
      realClear(h);
    }) as typeof clearTimeout;
    try {
      const log: number[] = [];
      const { hit, done } = countdown(6);
      const t0 = c.now();
      // Increasing order arms once; the later, earlier ones re-arm (replace) the one timer.
      for (const d of [25, 28, 30, 15, 10, 5]) c.schedule(t0 + d, () => (log.push(d), hit()));
      expect(live.size).toBe(1);
      await done;
      expect(log).toEqual([5, 10, 15, 25, 28, 30]);
      expect(maxLive).toBe(1);
      expect(created).toBeLessThan(6 + 6); // arming is per earliest change / firing, not per timer
      expect(live.size).toBe(0); // nothing armed once the heap is empty
    } finally {
      globalThis.setTimeout = realSet;
      globalThis.clearTimeout = realClear;
    }
  });

  it('never runs a cancelled timer', async () => {
    const c = makeClock();
    const log: string[] = [];
    const { hit, done } = countdown(1);
    const t0 = c.now();
    const a = c.schedule(t0 + 5, () => log.push('a'));
    c.schedule(t0 + 15, () => (log.push('b'), hit()));
    c.cancel(a);
    c.cancel(a);
    await done;
    expect(log).toEqual(['b']);
  });

  it('runs deferred calls in one batch, in order, before a timer due later', async () => {
    const c = makeClock();
    const log: string[] = [];
    const { hit, done } = countdown(1);
    c.schedule(c.now() + 2, () => (log.push('timer'), hit()));
    c.defer(() => log.push('d1'));
    c.defer(() => log.push('d2'));
    expect(log).toEqual([]); // asynchronous
    await done;
    expect(log).toEqual(['d1', 'd2', 'timer']);
  });

  it('runs a timer that is already due with the next deferred batch, in scheduling order, without a setTimeout', async () => {
    const c = makeClock();
    const log: string[] = [];
    const { hit, done } = countdown(1);
    const spy = vi.spyOn(globalThis, 'setTimeout');
    try {
      c.schedule(c.now(), () => log.push('timer'));
      c.defer(() => log.push('d1'));
      const cancelled = c.schedule(c.now() - 1, () => log.push('cancelled'));
      c.cancel(cancelled);
      c.defer(() => (log.push('d2'), hit()));
      expect(spy).not.toHaveBeenCalled();
    } finally {
      spy.mockRestore();
    }
    await done;
    expect(log).toEqual(['timer', 'd1', 'd2']);
  });

  it('runs what a deferred call defers in the same turn, before an immediate queued meanwhile', async () => {
    const c = makeClock();
    const log: string[] = [];
    const { hit, done } = countdown(2);
    c.defer(() => {
      log.push('d1');
      setImmediate(() => (log.push('immediate'), hit()));
      c.defer(() => {
        log.push('d1.1');
        c.defer(() => log.push('d1.1.1'));
      });
    });
    c.defer(() => (log.push('d2'), hit()));
    await done;
    expect(log).toEqual(['d1', 'd2', 'd1.1', 'd1.1.1', 'immediate']);
  });

  it("runs each later round after the round before's nextTicks and promise reactions, as a later read callback would", async () => {
    const c = makeClock();
    const log: string[] = [];
    const { hit, done } = countdown(1);
    c.defer(() => {
      log.push('d1');
      c.defer(() => (log.push('d1.1'), hit()));
      void Promise.resolve().then(() => log.push('promise'));
      process.nextTick(() => log.push('tick'));
    });
    await done;
    expect(log).toEqual(['d1', 'tick', 'promise', 'd1.1']);
  });

  it('lets I/O in after four rounds of deferred calls deferring more: the rest waits for the next turn', async () => {
    const c = makeClock();
    const log: string[] = [];
    const { hit, done } = countdown(1);
    let rounds = 0;
    const again = (): void => {
      log.push(`round ${++rounds}`);
      if (rounds === 1) setImmediate(() => log.push('immediate'));
      if (rounds < 6) c.defer(again);
      else hit();
    };
    c.defer(again);
    await done;
    expect(log).toEqual(['round 1', 'round 2', 'round 3', 'round 4', 'immediate', 'round 5', 'round 6']);
  });

  it('a deferred call that throws leaves the rest of its round, and what it deferred, for the next turn', async () => {
    const c = makeClock();
    const log: string[] = [];
    const { hit, done } = countdown(1);
    const onError = (err: Error): void => void log.push(`threw ${err.message}`);
    const listeners = process.listeners('uncaughtException');
    process.removeAllListeners('uncaughtException');
    process.on('uncaughtException', onError);
    try {
      c.defer(() => {
        log.push('d1');
        setImmediate(() => log.push('next turn'));
        c.defer(() => (log.push('d1.1'), hit()));
        throw new Error('boom');
      });
      c.defer(() => log.push('d2'));
      await done;
    } finally {
      process.off('uncaughtException', onError);
      for (const l of listeners) process.on('uncaughtException', l);
    }
    expect(log).toEqual(['d1', 'threw boom', 'next turn', 'd2', 'd1.1']);
  });

  it('close cancels every pending timer and deferred call', async () => {
    const c = makeClock();
    const log: string[] = [];
    c.schedule(c.now() + 5, () => log.push('timer'));
    c.defer(() => log.push('deferred'));
    c.close();
    c.schedule(c.now(), () => log.push('after-close'));
    expect(c.pending()).toBe(0);
    await sleep(30);
    expect(log).toEqual([]);
  });
});
