import { type DnsAnomaly, noteAnomaly } from './dns-anomaly.js';

export interface DnsTcpBufferOptions {
  /** Messages handed back by one push at most; the rest of that chunk is dropped as a gap (default 1024). */
  maxMessagesPerPush?: number;
}

/**
 * DNS over TCP framing (RFC 1035 4.2.2, RFC 7766): each message is preceded by a 2-byte length.
 * Takes in-order chunks of one direction of one connection and gives back whole messages (without
 * the prefix), each a fresh copy the caller may keep. At most one message (65535 bytes) plus its
 * prefix is ever held, so memory stays under 64 KiB per direction. After a gap (missing bytes) the
 * framing is lost and the buffer takes no more.
 */
export class DnsTcpBuffer {
  /** Kinds of trouble seen so far (each once). */
  readonly anomalies: DnsAnomaly[] = [];
  /** Whole messages handed back so far. */
  messages = 0;
  private prefix = 0;
  private prefixBytes = 0;
  private body: Uint8Array | null = null;
  private bodyHave = 0;
  private lost = false;
  private readonly maxPerPush: number;

  constructor(opts: DnsTcpBufferOptions = {}) {
    this.maxPerPush = Math.max(1, opts.maxMessagesPerPush ?? 1024);
  }

  /** Bytes held of a message not yet complete (its prefix included). */
  get pending(): number {
    return this.prefixBytes + this.bodyHave;
  }

  /** False after a gap: the buffer ignores what follows. */
  get inSync(): boolean {
    return !this.lost;
  }

  /** The caller lost bytes of this direction: drop the partial message and stop (framing is gone). */
  gap(): void {
    if (!this.lost) noteAnomaly(this.anomalies, 'dns_tcp_gap');
    this.lost = true;
    this.reset();
  }

  /** Adds `len` bytes at `off` of `chunk`; returns the messages they complete, in order. */
  push(chunk: Uint8Array, off = 0, len = chunk.length - off): Uint8Array[] {
    const out: Uint8Array[] = [];
    if (this.lost) return out;
    off = Math.max(0, Math.floor(off) || 0);
    let end = off + Math.max(0, Math.floor(len) || 0);
    if (end > chunk.length) end = chunk.length;
    let p = off;
    while (p < end) {
      if (this.prefixBytes < 2) {
        this.prefix = (this.prefix << 8) | chunk[p++]!;
        if (++this.prefixBytes < 2) continue;
        if (this.prefix === 0) {
          noteAnomaly(this.anomalies, 'dns_tcp_zero_length');
          this.reset();
          continue;
        }
        // Whole message in this chunk: one copy, no buffering.
        if (end - p >= this.prefix) {
          this.emit(out, chunk.slice(p, p + this.prefix));
          p += this.prefix;
          this.reset();
          if (out.length >= this.maxPerPush && p < end) { this.gap(); break; }
          continue;
        }
        this.body = new Uint8Array(this.prefix);
        this.bodyHave = 0;
      }
      const body = this.body!;
      const take = Math.min(end - p, body.length - this.bodyHave);
      body.set(chunk.subarray(p, p + take), this.bodyHave);
      this.bodyHave += take;
      p += take;
      if (this.bodyHave === body.length) {
        this.emit(out, body);
        this.reset();
        if (out.length >= this.maxPerPush && p < end) { this.gap(); break; }
      }
    }
    return out;
  }

  private emit(out: Uint8Array[], msg: Uint8Array): void {
    if (msg.length < 12) { noteAnomaly(this.anomalies, 'dns_tcp_short_message'); return; }
    this.messages++;
    out.push(msg);
  }

  private reset(): void {
    this.prefix = 0;
    this.prefixBytes = 0;
    this.body = null;
    this.bodyHave = 0;
  }
}
