/**
 * Reassembly of one direction's CRYPTO stream at the Initial encryption level, bounded.
 *
 * Only bytes at stream offsets [0, bound) are kept; the buffer grows on demand up to `bound`.
 * Overlapping data is first-come: bytes already held are never overwritten by a later frame
 * (retransmissions must carry the same bytes; a later different copy is not believed).
 * At most `maxRanges` disjoint ranges are held at once, so a peer cannot make the range list grow.
 */
import { QUIC_ANOMALY, QUIC_OK } from './quic-anomaly.js';

export class CryptoStream {
  private buf: Uint8Array = new Uint8Array(0);
  /** Sorted, disjoint, non-adjacent half-open ranges [start, end) held, as a flat list. */
  private ranges: number[] = [];
  /** Total CRYPTO bytes offered (including duplicates and bytes beyond the bound). */
  bytesOffered = 0;

  constructor(readonly bound = 16384, readonly maxRanges = 64) {}

  /** Bytes held contiguously from offset 0. */
  get contiguous(): number {
    return this.ranges.length > 0 && this.ranges[0] === 0 ? this.ranges[1] : 0;
  }

  /** Bytes of buffer allocated (never more than `bound`). */
  get capacity(): number {
    return this.buf.length;
  }

  /** Number of disjoint ranges held. */
  get rangeCount(): number {
    return this.ranges.length / 2;
  }

  /**
   * Adds CRYPTO data at `offset`. Returns QUIC_OK, or an anomaly code when some or all of it was
   * dropped (beyond the bound, or too fragmented).
   */
  add(offset: number, data: Uint8Array): number {
    this.bytesOffered += data.length;
    if (data.length === 0) return QUIC_OK;
    const start = offset;
    const end = Math.min(offset + data.length, this.bound);
    if (start >= end) return QUIC_ANOMALY.quic_crypto_beyond_bound;
    const code = offset + data.length > this.bound ? QUIC_ANOMALY.quic_crypto_beyond_bound : QUIC_OK;

    // Where would [start, end) go? Count the ranges it touches (overlapping or adjacent).
    const r = this.ranges;
    let i = 0;
    while (i < r.length && r[i + 1] < start) i += 2;
    let j = i;
    while (j < r.length && r[j] <= end) j += 2;
    const touched = (j - i) / 2;
    if (touched === 0 && r.length / 2 >= this.maxRanges) return QUIC_ANOMALY.quic_crypto_too_fragmented;

    this.ensure(end);
    // Copy only the gaps of [start, end) not yet held.
    let cur = start;
    for (let k = i; k < j && cur < end; k += 2) {
      const a = r[k];
      const b = r[k + 1];
      if (a > cur) this.buf.set(data.subarray(cur - offset, Math.min(a, end) - offset), cur);
      if (b > cur) cur = b;
    }
    if (cur < end) this.buf.set(data.subarray(cur - offset, end - offset), cur);

    // Merge into one range.
    const newStart = touched > 0 ? Math.min(start, r[i]) : start;
    const newEnd = touched > 0 ? Math.max(end, r[j - 1]) : end;
    r.splice(i, j - i, newStart, newEnd);
    return code;
  }

  /** The bytes held at [start, end), a view (valid until the next add). Empty if not all held. */
  view(start: number, end: number): Uint8Array {
    if (start < 0 || end < start || end > this.contiguousFrom(start)) return new Uint8Array(0);
    return this.buf.subarray(start, end);
  }

  /** End of the held range containing `start` (or `start` when it is not held). */
  contiguousFrom(start: number): number {
    const r = this.ranges;
    for (let k = 0; k < r.length; k += 2) if (r[k] <= start && start < r[k + 1]) return r[k + 1];
    return start;
  }

  private ensure(end: number): void {
    if (end <= this.buf.length) return;
    let n = Math.max(this.buf.length * 2, 2048);
    while (n < end) n *= 2;
    const next = new Uint8Array(Math.min(n, this.bound));
    next.set(this.buf.subarray(0, this.buf.length));
    this.buf = next;
  }
}

/**
 * The TLS handshake message at stream offset `at` once all of it is held: its 4-byte header
 * (type, 24-bit length) and body. Returns `null` while incomplete, or a number (an anomaly code)
 * when it can never be returned (another message type, or longer than the stream's bound).
 */
export function handshakeMessageAt(s: CryptoStream, at: number, type: number): Uint8Array | null | number {
  const have = s.contiguousFrom(at) - at;
  if (have < 1) return null;
  const head = s.view(at, at + Math.min(have, 4));
  if (head[0] !== type) return QUIC_ANOMALY.quic_unexpected_handshake_type;
  if (have < 4) return null;
  const need = 4 + ((head[1] << 16) | (head[2] << 8) | head[3]);
  if (at + need > s.bound) return QUIC_ANOMALY.quic_handshake_too_large;
  if (have < need) return null;
  return s.view(at, at + need);
}
