/**
 * LiveList (stack/live-list.ts): a server's open items, added and removed in O(1), walked at
 * shutdown — what a Set did, without keeping closed connections alive across scavenges.
 */
import { describe, expect, it } from 'vitest';
import { LiveList } from '../../src/stack/live-list.js';

describe('LiveList', () => {
  it('holds what was added and not removed, newest first, with its size', () => {
    const l = new LiveList<string>();
    const a = l.add('a');
    l.add('b');
    const c = l.add('c');
    expect(l.items()).toEqual(['c', 'b', 'a']);
    expect([...l]).toEqual(['c', 'b', 'a']);
    expect(l.size).toBe(3);
    l.remove(a);
    expect(l.items()).toEqual(['c', 'b']);
    l.remove(c);
    expect(l.items()).toEqual(['b']);
    expect(l.size).toBe(1);
  });

  it('removing a node twice, or one that is not in the list, changes nothing', () => {
    const l = new LiveList<number>();
    const one = l.add(1);
    l.add(2);
    l.remove(one);
    l.remove(one);
    expect(l.items()).toEqual([2]);
    expect(l.size).toBe(1);
    const other = new LiveList<number>().add(3);
    l.remove(other);
    expect(l.items()).toEqual([2]);
  });

  it('items() is a copy: removing while walking it reaches every item', () => {
    const l = new LiveList<number>();
    const nodes = [1, 2, 3, 4].map((n) => l.add(n));
    const seen: number[] = [];
    for (const n of l.items()) {
      seen.push(n);
      l.remove(nodes[n - 1]!);
    }
    expect(seen.sort()).toEqual([1, 2, 3, 4]);
    expect(l.size).toBe(0);
    expect(l.items()).toEqual([]);
  });

  it('matches a Set under random adds and removes (1,000 steps)', () => {
    const l = new LiveList<number>();
    const model = new Set<number>();
    const nodes = new Map<number, ReturnType<LiveList<number>['add']>>();
    let seed = 7;
    const rand = (n: number): number => (seed = (seed * 1103515245 + 12345) >>> 0) % n;
    for (let i = 0; i < 1000; i++) {
      const k = rand(50);
      if (rand(2) === 0 && !model.has(k)) {
        nodes.set(k, l.add(k));
        model.add(k);
      } else if (nodes.has(k)) {
        l.remove(nodes.get(k)!);
        nodes.delete(k);
        model.delete(k);
      }
      expect(l.size).toBe(model.size);
    }
    expect(new Set(l.items())).toEqual(model);
  });
});
