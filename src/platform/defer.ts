/**
 * Deferred work that works in every JavaScript runtime: Node's `process.nextTick` and `setImmediate`
 * where they exist, and otherwise a microtask and a MessageChannel message (a macrotask that, unlike
 * `setTimeout(0)`, browsers do not clamp to 4 ms), with `setTimeout(0)` as the last resort.
 */

type Task = () => void;

interface NodeProcess {
  nextTick?: (fn: Task) => void;
}

const proc = (globalThis as { process?: NodeProcess }).process;

/** Node's process.nextTick where it exists (so ordering with Node streams is Node's), else a microtask. */
export const nextTick: (fn: Task) => void =
  typeof proc?.nextTick === 'function' ? (fn) => proc.nextTick!(fn) : (fn) => queueMicrotask(fn);

/** A handle for cancelImmediate. */
export interface ImmediateHandle {
  cancelled: boolean;
}

const nodeSetImmediate = (globalThis as { setImmediate?: (fn: Task) => unknown }).setImmediate;
const nodeClearImmediate = (globalThis as { clearImmediate?: (h: unknown) => void }).clearImmediate;

interface Port {
  onmessage: ((ev: unknown) => void) | null;
  postMessage(message: unknown): void;
}
const Channel = (globalThis as unknown as { MessageChannel?: new () => { port1: Port; port2: Port } }).MessageChannel;
let channel: { port1: Port; port2: Port } | null = null;
const waiting: { fn: Task; handle: ImmediateHandle }[] = [];

function drainChannel(): void {
  const batch = waiting.splice(0, waiting.length);
  for (const { fn, handle } of batch) if (!handle.cancelled) fn();
}

function postMacrotask(): void {
  if (typeof Channel === 'function') {
    if (channel === null) {
      channel = new Channel();
      channel.port1.onmessage = drainChannel;
    }
    channel.port2.postMessage(null);
  } else {
    setTimeout(drainChannel, 0);
  }
}

/** Run `fn` once the current task and its microtasks are done (setImmediate where it exists). */
export function runSoon(fn: Task): ImmediateHandle {
  if (typeof nodeSetImmediate === 'function') {
    const handle = { cancelled: false, node: undefined as unknown };
    handle.node = nodeSetImmediate(() => {
      if (!handle.cancelled) fn();
    });
    return handle;
  }
  const handle = { cancelled: false };
  waiting.push({ fn, handle });
  if (waiting.length === 1) postMacrotask();
  return handle;
}

export function cancelSoon(handle: ImmediateHandle): void {
  handle.cancelled = true;
  const node = (handle as { node?: unknown }).node;
  if (node !== undefined && typeof nodeClearImmediate === 'function') nodeClearImmediate(node);
}

let ticksOnTimers = false;

/** Called by the stream library's loader where its nextTick is a setTimeout(0) (readable-stream's `process` polyfill). */
export function nextTicksUseTimers(): void {
  ticksOnTimers = true;
}

/**
 * Let the runtime's pending asynchronous work run (SimNetwork's step between virtual events): one
 * setImmediate on Node, where every nextTick and promise job runs before it; a MessageChannel turn
 * elsewhere. When the stream library defers with setTimeout(0), two timer turns instead: timers of
 * equal delay run in order, so its callbacks queued before (and those they queue) have run.
 */
export function settleAsyncWork(): Promise<void> {
  if (ticksOnTimers) return new Promise((resolve) => setTimeout(() => setTimeout(resolve, 0), 0));
  return new Promise((resolve) => runSoon(resolve));
}
