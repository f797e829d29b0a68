/**
 * Doubly-linked lists of flow indexes in typed arrays, oldest at the head. A flow sits in
 * at most one list; touching it moves it to the tail, so each list stays ordered by last activity.
 */
export class LruLists {
  prev: Int32Array;
  next: Int32Array;
  list: Int8Array;
  readonly head: Int32Array;
  readonly tail: Int32Array;

  constructor(capacity: number, lists: number) {
    this.prev = new Int32Array(capacity);
    this.next = new Int32Array(capacity);
    this.list = new Int8Array(capacity).fill(-1);
    this.head = new Int32Array(lists).fill(-1);
    this.tail = new Int32Array(lists).fill(-1);
  }

  grow(capacity: number): void {
    const p = new Int32Array(capacity); p.set(this.prev); this.prev = p;
    const n = new Int32Array(capacity); n.set(this.next); this.next = n;
    const l = new Int8Array(capacity).fill(-1); l.set(this.list); this.list = l;
  }

  remove(i: number): void {
    const l = this.list[i];
    if (l < 0) return;
    const p = this.prev[i], n = this.next[i];
    if (p >= 0) this.next[p] = n; else this.head[l] = n;
    if (n >= 0) this.prev[n] = p; else this.tail[l] = p;
    this.list[i] = -1;
  }

  pushTail(i: number, l: number): void {
    if (this.list[i] >= 0) this.remove(i);
    const t = this.tail[l];
    this.prev[i] = t;
    this.next[i] = -1;
    if (t >= 0) this.next[t] = i; else this.head[l] = i;
    this.tail[l] = i;
    this.list[i] = l;
  }
}
