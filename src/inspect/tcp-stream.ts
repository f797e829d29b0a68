/**
 * In-order TCP byte streams for inspection, one per direction of a flow. Segments arrive as they
 * were captured: retransmitted bytes are dropped, segments ahead of the next expected byte wait
 * (copied, within a bound) until the hole is filled, and bytes that never arrive (snaplen cut,
 * lost segments, a wait over the bound) are told to the consumer as a gap.
 *
 * Only flows picked for inspection get one of these; what they copy is bounded per direction.
 */

/** Receives a direction's bytes in order. */
export interface StreamConsumer {
  data(dir: number, buf: Uint8Array, off: number, len: number): void;
  gap(dir: number, n: number): void;
}

/** Out-of-order segments held per direction at most, and their bytes. */
export const MAX_PENDING_SEGMENTS = 16;
export const MAX_PENDING_BYTES = 32 * 1024;

interface Held { seq: number; data: Uint8Array; wireLen: number }

class Direction {
  started = false;
  /** Next expected sequence number (u32). */
  next = 0;
  delivered = 0;
  held: Held[] = [];
  heldBytes = 0;
}

/** Signed distance a - b in sequence space. */
function seqDiff(a: number, b: number): number {
  return (a - b) | 0;
}

export class TcpStreams {
  private readonly dirs = [new Direction(), new Direction()];

  constructor(private readonly consumer: StreamConsumer) {}

  /** Bytes handed on (in order, gaps included) per direction. */
  delivered(dir: number): number { return this.dirs[dir].delivered; }

  /** A SYN fixes where the direction's data begins (its sequence number + 1). */
  syn(dir: number, seq: number): void {
    const d = this.dirs[dir];
    if (!d.started) { d.started = true; d.next = (seq + 1) >>> 0; }
  }

  /**
   * One segment: `wireLen` payload bytes on the wire starting at `seq`, of which the first
   * `capLen` are at buf[off..].
   */
  segment(dir: number, seq: number, buf: Uint8Array, off: number, capLen: number, wireLen: number): void {
    if (wireLen <= 0) return;
    const d = this.dirs[dir];
    if (!d.started) { d.started = true; d.next = seq >>> 0; }
    let rel = seqDiff(seq, d.next);
    while (rel > 0) {
      if (d.held.length < MAX_PENDING_SEGMENTS && d.heldBytes + capLen <= MAX_PENDING_BYTES) {
        d.held.push({ seq: seq >>> 0, data: buf.slice(off, off + capLen), wireLen });
        d.heldBytes += capLen;
        return;
      }
      if (d.held.length === 0) { this.deliverGap(dir, d, rel); break; }
      // Waiting longer is unbounded: the bytes of the first hole are lost, and what was held
      // behind it is handed on; then this segment is looked at again.
      let first = 0;
      for (let i = 1; i < d.held.length; i++) if (seqDiff(d.held[i].seq, d.held[first].seq) < 0) first = i;
      const hole = seqDiff(d.held[first].seq, d.next);
      if (hole > 0) this.deliverGap(dir, d, hole);
      this.drain(dir, d);
      rel = seqDiff(seq, d.next);
    }
    this.deliver(dir, d, seq, buf, off, capLen, wireLen);
    this.drain(dir, d);
  }

  private deliver(dir: number, d: Direction, seq: number, buf: Uint8Array, off: number, capLen: number, wireLen: number): void {
    const rel = seqDiff(seq, d.next);
    if (rel + wireLen <= 0) return; // all of it was seen before
    const skip = rel < 0 ? -rel : 0;
    const newWire = wireLen - skip;
    const capAfter = capLen - skip;
    if (capAfter > 0) {
      d.next = (d.next + capAfter) >>> 0;
      d.delivered += capAfter;
      this.consumer.data(dir, buf, off + skip, capAfter);
    }
    const lost = capAfter > 0 ? newWire - capAfter : newWire;
    if (lost > 0) this.deliverGap(dir, d, lost);
  }

  private deliverGap(dir: number, d: Direction, n: number): void {
    d.next = (d.next + n) >>> 0;
    d.delivered += n;
    this.consumer.gap(dir, n);
  }

  private drain(dir: number, d: Direction): void {
    while (d.held.length > 0) {
      let best = -1;
      for (let i = 0; i < d.held.length; i++) {
        if (seqDiff(d.held[i].seq, d.next) <= 0 && (best < 0 || seqDiff(d.held[i].seq, d.held[best].seq) < 0)) best = i;
      }
      if (best < 0) return;
      const h = d.held[best];
      d.held.splice(best, 1);
      d.heldBytes -= h.data.length;
      this.deliver(dir, d, h.seq, h.data, 0, h.data.length, h.wireLen);
    }
  }

  /** The flow ended: what still waits behind a hole is handed on after a gap. */
  finish(): void {
    for (let dir = 0; dir < 2; dir++) {
      const d = this.dirs[dir];
      while (d.held.length > 0) {
        let best = 0;
        for (let i = 1; i < d.held.length; i++) if (seqDiff(d.held[i].seq, d.held[best].seq) < 0) best = i;
        const rel = seqDiff(d.held[best].seq, d.next);
        if (rel > 0) this.deliverGap(dir, d, rel);
        this.drain(dir, d);
      }
    }
  }
}
