// A node's words: previous, next, its list (-1: none), unused (16 bytes, so a node is one piece of a line).
const PREV = 0, NEXT = 1, LIST = 2, NODE = 4;

/**
 * Doubly-linked lists of flow indexes in one typed array, oldest at the head. A flow sits in
 * at most one list; touching it moves it to the tail, so each list stays ordered by last activity.
 */
export class LruLists {
  private nodes: Int32Array;
  readonly head: Int32Array;
  readonly tail: Int32Array;

  constructor(capacity: number, lists: number) {
    this.nodes = LruLists.alloc(capacity);
    this.head = new Int32Array(lists).fill(-1);
    this.tail = new Int32Array(lists).fill(-1);
  }

  private static alloc(capacity: number): Int32Array {
    const a = new Int32Array(capacity * NODE);
    for (let i = LIST; i < a.length; i += NODE) a[i] = -1;
    return a;
  }

  grow(capacity: number): void {
    const a = LruLists.alloc(capacity);
    a.set(this.nodes);
    this.nodes = a;
  }

  /** The list flow `i` is in, or -1. */
  listOf(i: number): number { return this.nodes[i * NODE + LIST]; }

  remove(i: number): void {
    const a = this.nodes, o = i * NODE;
    const l = a[o + LIST];
    if (l < 0) return;
    const p = a[o + PREV], n = a[o + NEXT];
    if (p >= 0) a[p * NODE + NEXT] = n; else this.head[l] = n;
    if (n >= 0) a[n * NODE + PREV] = p; else this.tail[l] = p;
    a[o + LIST] = -1;
  }

  pushTail(i: number, l: number): void {
    const a = this.nodes, o = i * NODE;
    const t = this.tail[l];
    if (t === i) return; // already the newest of list l
    if (a[o + LIST] >= 0) this.remove(i); // (leaves tail[l] as it was: i is not its tail)
    a[o + PREV] = t;
    a[o + NEXT] = -1;
    if (t >= 0) a[t * NODE + NEXT] = i; else this.head[l] = i;
    this.tail[l] = i;
    a[o + LIST] = l;
  }
}
