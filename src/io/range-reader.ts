import { CaptureError } from './capture-error.js';
import { PcapParser } from './pcap.js';
import { PcapngParser } from './pcapng.js';
import type { FormatParser, ParserState } from './format.js';
import type { PacketSink } from './packet-sink.js';
import { CHUNK_BYTES, openSource, regularFileSize, type CaptureInput } from './source.js';
import { detectFormat, type ReadResult } from './capture-reader.js';

/**
 * Cuts a capture stream into byte ranges at record boundaries, for the workers.
 *
 * Range k holds the records whose first byte lies in [k*R, (k+1)*R) of the (decompressed)
 * stream, so the ranges depend only on the content, never on how the bytes arrived or on
 * the number of workers: that is what makes the output identical for any --workers N.
 * The main thread only walks record headers (scan mode); each range travels to a worker as
 * one exact-size ArrayBuffer with the parser state at its first record.
 */
export interface Range {
  index: number;
  /** Holds the range in [0, length); may be longer (it is moved to the worker, never copied). */
  buffer: ArrayBuffer;
  length: number;
  /** Stream offset of buffer[0]. */
  baseOffset: number;
  state: ParserState;
  /**
   * A copy of the previous range's last records (same file), null for a file's first range. The
   * worker reads it only when a fragment arrives whose first fragment it has not seen: the
   * datagram began just before the boundary, and its first fragment there names the ports.
   */
  lookback: Lookback | null;
  /** Bytes of the file read (compressed bytes for gzip) when the range was handed out: progress. */
  fileRead: number;
}

export interface Lookback { buffer: ArrayBuffer; length: number; baseOffset: number; state: ParserState }

/** Bytes of the previous range kept for a range's stray fragments (the whole range when ranges are smaller). */
export const LOOKBACK_BYTES = 256 * 1024;

export const DEFAULT_RANGE_BYTES = 16 * 1024 * 1024;

const NULL_SINK: PacketSink = { packet() { /* scan only */ }, anomaly() { /* scan only */ } };

/**
 * `eachChunk`: also hand out what a chunk of the stream completed as soon as it arrives (live
 * capture: a quiet link must not wait for a whole range before its packets are decoded). Ranges
 * then follow the arrival of the bytes rather than their offsets, which only live capture wants.
 */
/**
 * Where a file starts in a capture stream of several files: its first range index, its stream
 * offset, and the previous file's last records (the lookback of its first range).
 */
export interface StreamPosition { index: number; offset: number; lookback?: Lookback | null }

/**
 * What reading one file gave: its ReadResult, the ranges it handed out, its length in the
 * (decompressed) stream, and its last records (the next file's lookback).
 */
export interface RangeReadResult extends ReadResult { ranges: number; streamBytes: number; tail: Lookback | null }

/**
 * Range buffers given back once their range was decoded, for the next ranges: a new buffer of tens
 * of MiB is zero-filled by the allocator and later collected; a reused one costs neither.
 */
export class RangeBuffers {
  private readonly free: ArrayBuffer[] = [];
  constructor(private readonly keep = 2) {}

  /** A buffer of at least `size` bytes (contents undefined). */
  take(size: number): Uint8Array<ArrayBuffer> {
    for (let i = this.free.length - 1; i >= 0; i--) {
      const b = this.free[i]!;
      if (b.byteLength >= size) { this.free.splice(i, 1); return new Uint8Array(b); }
    }
    return new Uint8Array(size);
  }

  give(b: ArrayBuffer): void {
    if (b.byteLength > 0 && this.free.length < this.keep) this.free.push(b);
  }
}

export async function readRanges(
  input: CaptureInput, rangeBytes: number, onRange: (r: Range) => Promise<void>, knownSha256?: string, eachChunk = false,
  at: StreamPosition = { index: 0, offset: 0 }, buffers: RangeBuffers = new RangeBuffers(0), knownSize?: number,
): Promise<RangeReadResult> {
  const src = await openSource(input, knownSha256 === undefined, knownSize);
  // A plain regular file's place in the stream is its size, also when reading stopped early (a
  // failed file must not move the next file's offsets by how far the reads got).
  const statSize = regularFileSize(input);
  const fileSize = statSize === null ? null : knownSize ?? statSize;
  try {
    return await scan();
  } finally {
    src.close();
  }
  async function scan(): Promise<RangeReadResult> {
    let parser: FormatParser | null = null;
    // Bytes not yet handed out, contiguous: acc[0] is stream offset `accBase`. Each stream byte is
    // copied in once; a range leaves with the buffer itself (transferred, not copied).
    let acc = new Uint8Array(0);
    let accLen = 0;
    let accBase = 0;
    let scanned = 0; // stream offset up to which records were walked (a record boundary)
    let index = at.index;
    let state: ParserState | null = null; // parser state at accBase's first record
    let cut = rangeBytes;
    const lookbackBytes = eachChunk ? 0 : Math.min(LOOKBACK_BYTES, rangeBytes);
    // The record boundary where the current range's tail (the next range's lookback) starts, and the parser state there.
    let tailAt = -1;
    let tailState: ParserState | null = null;
    let lookback: Lookback | null = at.lookback ?? null;
    const result = (status: ReadResult['status'], error: string | null, errorOffset: number | null): RangeReadResult => ({
      ranges: index - at.index, streamBytes: fileSize !== null && !src.gzip ? fileSize : accBase + accLen, tail: lookback,
      format: (parser?.format ?? 'unknown') + (src.gzip ? '+gzip' : ''),
      linktypes: parser?.linktypes() ?? [],
      snaplen: parser?.snaplen() ?? null,
      isb: parser?.isb() ?? { ifRecv: null, ifDrop: null, filterAccept: null, osDrop: null, usrDeliv: null },
      consumed: scanned, size: fileSize ?? src.bytesRead, sha256: knownSha256 ?? src.digest(), status, error, errorOffset,
    });
    const capacityFor = (need: number): number => Math.max(need, Math.min(rangeBytes, 64 << 20) + CHUNK_BYTES);
    /** Room for `more` bytes after accLen. */
    const reserve = (more: number): void => {
      if (accLen + more > acc.length) {
        const bigger = buffers.take(capacityFor(accLen + more));
        bigger.set(acc.subarray(0, accLen));
        if (acc.length > 0) buffers.give(acc.buffer as ArrayBuffer);
        acc = bigger;
      }
    };
    const append = (c: Uint8Array): void => {
      reserve(c.length);
      acc.set(c, accLen);
      accLen += c.length;
    };
    /**
     * Where the tail of [accBase, upTo) begins when the scan did not pass it (a file's last range,
     * shorter than a range): its records are walked again from the range's start.
     */
    const findTail = (upTo: number): void => {
      if (state === null) return;
      const p = state.kind === 'pcap' ? new PcapParser(NULL_SINK, state) : new PcapngParser(NULL_SINK, state);
      p.scanOnly = true;
      const pos = p.parse(acc, new DataView(acc.buffer, 0, accLen), 0, upTo - accBase, accBase, upTo - lookbackBytes);
      tailAt = accBase + pos;
      tailState = p.snapshot();
    };
    /** Hands out [accBase, upTo) as one range and keeps the rest. */
    const emit = async (upTo: number): Promise<void> => {
      if (parser === null) return;
      if (lookbackBytes > 0 && upTo > accBase && (tailState === null || tailAt < accBase || tailAt >= upTo)) findTail(upTo);
      const n = upTo - accBase;
      const rest = accLen - n;
      if (n === 0) { tailAt = -1; tailState = null; state = parser.snapshot(); return; }
      const next = buffers.take(capacityFor(rest));
      next.set(acc.subarray(n, accLen));
      if (n > 0 && state !== null) {
        const prev = lookback;
        lookback = null;
        if (lookbackBytes > 0 && tailState !== null && tailAt >= accBase && tailAt < upTo) {
          const tail = acc.slice(tailAt - accBase, n);
          lookback = { buffer: tail.buffer as ArrayBuffer, length: tail.length, baseOffset: at.offset + tailAt, state: tailState };
        }
        // The range's bytes stay where they are: the worker gets the whole buffer and reads [0, n).
        await onRange({ index: index++, buffer: acc.buffer as ArrayBuffer, length: n, baseOffset: at.offset + accBase, state, lookback: prev, fileRead: src.bytesRead });
      }
      tailAt = -1;
      tailState = null;
      acc = next;
      accLen = rest;
      accBase = upTo;
      state = parser.snapshot();
    };
    try {
      const chunks = src.chunks[Symbol.asyncIterator]();
      for (;;) {
        if (src.readInto) {
          reserve(CHUNK_BYTES);
          const got = await src.readInto(acc, accLen, CHUNK_BYTES);
          if (got === 0) break;
          accLen += got;
        } else {
          const r = await chunks.next();
          if (r.done) break;
          const c = r.value as Uint8Array;
          if (c.length === 0) continue;
          append(c);
        }
        if (parser === null) {
          if (accLen < 4) continue;
          parser = detectFormat(acc.subarray(0, accLen), NULL_SINK);
          parser.scanOnly = true;
          state = parser.snapshot();
        }
        for (;;) {
          const dv = new DataView(acc.buffer, 0, accLen);
          if (lookbackBytes > 0 && tailAt < 0) {
            // First walk up to where the range's tail begins, and remember that boundary.
            const stop = cut - lookbackBytes;
            if (scanned < stop) scanned = accBase + parser.parse(acc, dv, scanned - accBase, accLen, accBase, stop);
            if (scanned < stop) break;
            tailAt = scanned;
            tailState = parser.snapshot();
          }
          const pos = parser.parse(acc, dv, scanned - accBase, accLen, accBase, cut);
          scanned = accBase + pos;
          if (scanned >= cut) {
            await emit(scanned);
            while (cut <= scanned) cut += rangeBytes;
            continue;
          }
          break;
        }
        if (eachChunk && scanned > accBase) await emit(scanned);
      }
    } catch (e) {
      if (e instanceof CaptureError) {
        // Every record before the bad one is whole: hand them out too.
        if (parser !== null && parser.recordStart > scanned) scanned = parser.recordStart;
        await emit(scanned);
        return result('failed', e.reason, e.offset);
      }
      const code = (e as { code?: string }).code;
      if (code === 'Z_BUF_ERROR' || code === 'Z_DATA_ERROR') {
        await emit(scanned);
        const trunc = code === 'Z_BUF_ERROR';
        return result(trunc ? 'truncated' : 'failed',
          trunc ? `gzip stream ends early (after ${accBase + accLen} decompressed bytes)` : `corrupt gzip data: ${(e as Error).message}`,
          scanned);
      }
      throw e;
    }
    if (parser === null) {
      return result('failed', accLen === 0 ? 'empty file' : `file is only ${accLen} bytes long: too short for any capture header`, 0);
    }
    await emit(scanned);
    if (accLen > 0) {
      const what = scanned === 0 ? 'file header' : 'record';
      return result('truncated', `${what} cut short: ${accLen} trailing bytes do not hold a whole ${what}`, scanned);
    }
    if (scanned === 0) return result('failed', 'file header cut short', 0);
    return result('complete', null, null);
  }
}
