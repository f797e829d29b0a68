/**
 * Newline-delimited JSON rows built as UTF-8 bytes in one growing buffer, for DuckDB's JSON reader
 * (src/sink/json-insert.ts). The pieces of a row are copied in as they come, so a row is never a
 * string of its own and the rows are never joined: the bytes go to the reader's file as they are.
 */
import { grown, hasTime, nsText, plainTime, writeTime, writeUint } from '../inspect/json-text.js';

/** Strings up to this long are copied in JavaScript (all ASCII), longer ones through Buffer.write. */
const SHORT = 32;
const NONE = Buffer.alloc(0);

export class NdjsonBuffer {
  private buf: Buffer;
  private n = 0;
  /** Rows ended so far. */
  rows = 0;

  /** The buffer is made on the first write (a table without rows in a write costs nothing). */
  constructor(private readonly size = 1 << 16) {
    this.buf = NONE;
  }

  /** Bytes written so far. */
  get length(): number { return this.n; }

  private room(k: number): void {
    if (this.n + k <= this.buf.length) return;
    this.buf = this.buf.length === 0 ? Buffer.allocUnsafe(Math.max(this.size, k)) : grown(this.buf, this.n, this.n + k);
  }

  /** JSON text (any string; written as UTF-8). */
  text(s: string): this {
    const len = s.length;
    if (len === 0) return this;
    this.room(len * 3);
    const b = this.buf;
    let n = this.n;
    if (len <= SHORT) {
      // Keys and punctuation: copied here, cheaper than a call into Buffer.write for a few bytes.
      for (let i = 0; i < len; i++) {
        const c = s.charCodeAt(i);
        if (c >= 0x80) { this.n += b.write(s, this.n, 'utf8'); return this; }
        b[n++] = c;
      }
      this.n = n;
      return this;
    }
    this.n += b.write(s, n, 'utf8');
    return this;
  }

  /** A non-negative integer below 2^53, in decimal. */
  int(x: number): this {
    this.room(16);
    this.n = writeUint(this.buf, this.n, x);
    return this;
  }

  /**
   * Member `key` (with its comma and colon) with epoch nanoseconds as the JSON string nsText()
   * makes, written in place; left out when the time is unknown. The same member as JsonText.mTime
   * (src/inspect/json-text.ts) writes.
   */
  mTime(key: string, sec: number, ns: number): this {
    if (!hasTime(sec)) return this;
    this.text(key);
    if (!plainTime(sec, ns)) return this.text(`"${nsText(sec, ns)}"`);
    this.room(24);
    this.n = writeTime(this.buf, this.n, sec, ns);
    return this;
  }

  /** Ends the current row. */
  endRow(): void {
    this.room(1);
    this.buf[this.n++] = 0x0a;
    this.rows++;
  }

  /** The rows written, as one view (valid until the next write). */
  bytes(): Buffer {
    return this.buf.subarray(0, this.n);
  }
}
