/**
 * Buffered classic-pcap writer (libpcap format, little-endian, µs or ns magic).
 *
 * Records are assembled directly in a large reusable buffer: a producer calls
 * `reserve(n)` to get an offset with at least `n` free bytes, writes the frame
 * at `offset + 16`, then `commit()`s the 16-byte record header. Full buffers
 * are flushed with `fs.writeSync` (files, file descriptors) or handed to a
 * Writable stream (stdout) whose backpressure is exposed via `needsDrain` /
 * `drain()`; nothing is ever held beyond one or two buffers.
 */
import * as fs from 'node:fs';
import { once } from 'node:events';
import type { Writable } from 'node:stream';

export const PCAP_MAGIC_US = 0xa1b2c3d4;
export const PCAP_MAGIC_NS = 0xa1b23c4d;
export const LINKTYPE_ETHERNET = 1;
export const PCAP_FILE_HEADER_LEN = 24;
export const PCAP_RECORD_HEADER_LEN = 16;
export const DEFAULT_WRITER_BUFFER = 4 * 1024 * 1024;

export interface PcapWriterOptions {
  /** Snapshot length written in the file header; records must not exceed it. Default 262144. */
  snaplen?: number;
  /** Nanosecond-resolution magic (0xa1b23c4d) instead of microseconds. */
  nsResolution?: boolean;
  /** Link type, default 1 (Ethernet). */
  linkType?: number;
  /** Size of the assembly buffer, default 4 MiB. */
  bufferSize?: number;
}

type Sink =
  | { kind: 'fd'; fd: number; owns: boolean }
  | { kind: 'stream'; stream: Writable; end: boolean }
  | { kind: 'memory'; chunks: Buffer[] };

export class PcapWriter {
  /** Current assembly buffer; may be replaced by a flush, so re-read after `reserve()`. */
  buf: Buffer;
  /** Bytes used in `buf`. */
  off = 0;
  /** Bytes handed to the sink so far. */
  flushed = 0;
  /** Records committed. */
  packets = 0;
  /** True when a stream sink asked us to wait for 'drain'. */
  needsDrain = false;
  readonly snaplen: number;
  readonly nsResolution: boolean;
  readonly linkType: number;
  private readonly size: number;
  private readonly sink: Sink;
  private closed = false;
  private failure: Error | null = null;

  private constructor(sink: Sink, opts: PcapWriterOptions) {
    this.sink = sink;
    this.snaplen = opts.snaplen ?? 262144;
    if (!Number.isInteger(this.snaplen) || this.snaplen < 1 || this.snaplen > 0x7fffffff) {
      throw new RangeError(`invalid snaplen ${opts.snaplen}`);
    }
    this.nsResolution = opts.nsResolution ?? false;
    this.linkType = opts.linkType ?? LINKTYPE_ETHERNET;
    this.size = Math.max(opts.bufferSize ?? DEFAULT_WRITER_BUFFER, 65536);
    this.buf = Buffer.alloc(this.size);
    const b = this.buf;
    b.writeUInt32LE(this.nsResolution ? PCAP_MAGIC_NS : PCAP_MAGIC_US, 0);
    b.writeUInt16LE(2, 4);
    b.writeUInt16LE(4, 6);
    b.writeInt32LE(0, 8); // thiszone
    b.writeUInt32LE(0, 12); // sigfigs
    b.writeUInt32LE(this.snaplen, 16);
    b.writeUInt32LE(this.linkType, 20);
    this.off = PCAP_FILE_HEADER_LEN;
    if (sink.kind === 'stream') {
      sink.stream.on('error', (e: Error) => { this.failure ??= e; });
    }
  }

  /** Create/truncate a file. */
  static toFile(path: string, opts: PcapWriterOptions = {}): PcapWriter {
    const fd = fs.openSync(path, 'w');
    return new PcapWriter({ kind: 'fd', fd, owns: true }, opts);
  }

  /** Write to an already-open (blocking) file descriptor; it is not closed. */
  static toFd(fd: number, opts: PcapWriterOptions = {}): PcapWriter {
    return new PcapWriter({ kind: 'fd', fd, owns: false }, opts);
  }

  /** Write to a stream (e.g. process.stdout), honouring backpressure. `end` closes it at close(). */
  static toStream(stream: Writable, opts: PcapWriterOptions = {}, end = false): PcapWriter {
    return new PcapWriter({ kind: 'stream', stream, end }, opts);
  }

  /** Collect the capture in memory; get it with `toBuffer()` after `closeSync()`/`close()`. */
  static inMemory(opts: PcapWriterOptions = {}): PcapWriter {
    return new PcapWriter({ kind: 'memory', chunks: [] }, opts);
  }

  /** Total bytes of the file so far (flushed + buffered). */
  get bytes(): number { return this.flushed + this.off; }

  /** Ensure `n` free bytes at the returned offset (flushing if necessary). */
  reserve(n: number): number {
    if (this.off + n > this.buf.length) {
      this.flush();
      if (n > this.buf.length) {
        const nb = Buffer.alloc(n);
        this.buf = nb;
      }
    }
    return this.off;
  }

  /**
   * Write the record header at `recOff` (as returned by `reserve`) for a frame
   * already placed at `recOff + 16`, and advance past it.
   * `tsFracNs` is always nanoseconds (0..999999999); it is scaled for µs files.
   */
  commit(recOff: number, tsSec: number, tsFracNs: number, capLen: number, origLen: number): void {
    const b = this.buf;
    b.writeUInt32LE(tsSec >>> 0, recOff);
    b.writeUInt32LE(this.nsResolution ? tsFracNs : Math.floor(tsFracNs / 1000), recOff + 4);
    b.writeUInt32LE(capLen, recOff + 8);
    b.writeUInt32LE(origLen, recOff + 12);
    this.off = recOff + PCAP_RECORD_HEADER_LEN + capLen;
    this.packets++;
  }

  /** Convenience: copy a whole frame (truncated to snaplen) as one record. */
  writePacket(tsSec: number, tsFracNs: number, frame: Uint8Array, origLen: number = frame.length): void {
    const cap = Math.min(frame.length, this.snaplen, origLen);
    const rec = this.reserve(PCAP_RECORD_HEADER_LEN + cap);
    this.buf.set(frame.subarray(0, cap), rec + PCAP_RECORD_HEADER_LEN);
    this.commit(rec, tsSec, tsFracNs, cap, origLen);
  }

  /** Hand the buffered bytes to the sink. */
  flush(): void {
    if (this.failure) throw this.failure;
    if (this.off === 0) return;
    const sink = this.sink;
    const n = this.off;
    if (sink.kind === 'fd') {
      let done = 0;
      while (done < n) done += fs.writeSync(sink.fd, this.buf, done, n - done);
    } else if (sink.kind === 'stream') {
      // The stream keeps a reference to the chunk: hand over this buffer, start a new one.
      const ok = sink.stream.write(this.buf.subarray(0, n));
      if (!ok) this.needsDrain = true;
      this.buf = Buffer.alloc(this.size);
    } else {
      sink.chunks.push(Buffer.from(this.buf.subarray(0, n)));
    }
    this.flushed += n;
    this.off = 0;
  }

  /** Wait until a stream sink can take more (no-op for files and memory). */
  async drain(): Promise<void> {
    const sink = this.sink;
    if (!this.needsDrain || sink.kind !== 'stream') { this.needsDrain = false; return; }
    if (this.failure) throw this.failure;
    const s = sink.stream;
    if (s.writableNeedDrain) {
      await Promise.race([once(s, 'drain'), once(s, 'close'), once(s, 'error')]);
    }
    this.needsDrain = false;
    if (this.failure) throw this.failure;
  }

  /** Flush and close synchronously (files and memory only). */
  closeSync(): void {
    if (this.closed) return;
    if (this.sink.kind === 'stream') throw new Error('closeSync() on a stream sink: use close()');
    this.flush();
    this.closed = true;
    if (this.sink.kind === 'fd' && this.sink.owns) fs.closeSync(this.sink.fd);
  }

  /** Flush everything and release the sink. */
  async close(): Promise<void> {
    if (this.closed) return;
    const sink = this.sink;
    if (sink.kind !== 'stream') { this.closeSync(); return; }
    this.flush();
    this.closed = true;
    const s = sink.stream;
    if (sink.end) {
      const finished = Promise.race([once(s, 'finish'), once(s, 'error')]);
      s.end();
      await finished;
    } else if (s.writableNeedDrain) {
      await Promise.race([once(s, 'drain'), once(s, 'close'), once(s, 'error')]);
    }
    if (this.failure) throw this.failure;
  }

  /** The whole capture, for in-memory writers. */
  toBuffer(): Buffer {
    if (this.sink.kind !== 'memory') throw new Error('toBuffer() is only for in-memory writers');
    const pending = this.closed ? [] : [this.buf.subarray(0, this.off)];
    return Buffer.concat([...this.sink.chunks, ...pending]);
  }
}
