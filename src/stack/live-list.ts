/**
 * The open items of an owner (a server's connections, a gateway's flows), for walking them at
 * shutdown: a doubly linked list of small nodes, added and removed in O(1).
 *
 * Why not a `Set`: measured, a server adding and deleting tens of thousands of connections a
 * second through a `Set` made V8 promote what passed through it (the median scavenge promoted
 * ~770 KB on the simulated network and 1.7 MB over TUN under `Connection: close` load, all of it
 * dead by the next mark-compact, whose marking ran on V8's helper threads at ~3 µs of CPU per
 * connection); the same list of nodes promotes next to nothing (test/services/http-server-gc.test.ts).
 * The demux table had met the same with a `Map` (stack/conn-table.ts).
 */
export interface LiveNode<T> {
  readonly item: T;
  /** @internal */ prev: LiveNode<T> | null;
  /** @internal */ next: LiveNode<T> | null;
}

export class LiveList<T> {
  private head: LiveNode<T> | null = null;
  private count = 0;

  get size(): number {
    return this.count;
  }

  /** Add `item`; the node is what `remove` takes. */
  add(item: T): LiveNode<T> {
    const node: LiveNode<T> = { item, prev: null, next: this.head };
    if (this.head) this.head.prev = node;
    this.head = node;
    this.count++;
    return node;
  }

  /** Remove a node added here; a node already removed is ignored. */
  remove(node: LiveNode<T>): void {
    if (node.prev) node.prev.next = node.next;
    else if (this.head === node) this.head = node.next;
    else return;
    if (node.next) node.next.prev = node.prev;
    node.prev = null;
    node.next = null;
    this.count--;
  }

  /** The items, newest first, as they are now: removing any of them while walking the copy is safe. */
  items(): T[] {
    const out: T[] = [];
    for (let n = this.head; n !== null && out.length <= this.count; n = n.next) out.push(n.item);
    return out;
  }

  /** Iterates a copy (`items()`), as a Set's `for...of` would, and as safely while removing. */
  [Symbol.iterator](): Iterator<T> {
    return this.items()[Symbol.iterator]();
  }
}
