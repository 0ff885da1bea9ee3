/**
 * The wiring issue 13 measured from, shared by the in-process benchmarks: two stacks joined by
 * their packet interface by hand — a copy of each packet, delivered by setImmediate, no offload
 * (checksums computed and verified). `pairStacks()` (link/pair.ts) is what it is compared with.
 */
import type { Stack } from '../src/index.js';

export function naiveLink(a: Stack, b: Stack): { close(): void } {
  const wire = (from: Stack, to: Stack): void => {
    from.on('packet', (p: Uint8Array) => {
      const q = p.slice();
      setImmediate(() => to.input(q));
    });
  };
  wire(a, b);
  wire(b, a);
  return { close() {} };
}
