import { CaptureError } from './capture-error.js';
import type { FormatParser, ParserState } from './format.js';
import type { PacketSink } from './packet-sink.js';
import { CHUNK_BYTES, openSource, type CaptureInput } from './source.js';
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
}

export const DEFAULT_RANGE_BYTES = 16 * 1024 * 1024;

const NULL_SINK: PacketSink = { packet() { /* scan only */ }, anomaly() { /* scan only */ } };

/**
 * `eachChunk`: also hand out what a chunk of the stream completed as soon as it arrives (live
 * capture: a quiet link must not wait for a whole range before its packets are decoded). Ranges
 * then follow the arrival of the bytes rather than their offsets, which only live capture wants.
 */
export async function readRanges(
  input: CaptureInput, rangeBytes: number, onRange: (r: Range) => Promise<void>, knownSha256?: string, eachChunk = false,
): Promise<ReadResult> {
  const src = await openSource(input, knownSha256 === undefined);
  let parser: FormatParser | null = null;
  // Bytes not yet handed out, contiguous: acc[0] is stream offset `accBase`. Each stream byte is
  // copied in once; a range leaves with the buffer itself (transferred, not copied).
  let acc = new Uint8Array(0);
  let accLen = 0;
  let accBase = 0;
  let scanned = 0; // stream offset up to which records were walked (a record boundary)
  let index = 0;
  let state: ParserState | null = null; // parser state at accBase's first record
  let cut = rangeBytes;
  const result = (status: ReadResult['status'], error: string | null, errorOffset: number | null): ReadResult => ({
    format: (parser?.format ?? 'unknown') + (src.gzip ? '+gzip' : ''),
    linktypes: parser?.linktypes() ?? [],
    snaplen: parser?.snaplen() ?? null,
    isb: parser?.isb() ?? { ifRecv: null, ifDrop: null, filterAccept: null, osDrop: null, usrDeliv: null },
    consumed: scanned, size: src.bytesRead, sha256: knownSha256 ?? src.digest(), status, error, errorOffset,
  });
  const capacityFor = (need: number): number => Math.max(need, Math.min(rangeBytes, 64 << 20) + CHUNK_BYTES);
  const append = (c: Uint8Array): void => {
    if (accLen + c.length > acc.length) {
      const bigger = new Uint8Array(capacityFor(accLen + c.length));
      bigger.set(acc.subarray(0, accLen));
      acc = bigger;
    }
    acc.set(c, accLen);
    accLen += c.length;
  };
  /** Hands out [accBase, upTo) as one range and keeps the rest. */
  const emit = async (upTo: number): Promise<void> => {
    if (parser === null) return;
    const n = upTo - accBase;
    const rest = accLen - n;
    const next = new Uint8Array(capacityFor(rest));
    next.set(acc.subarray(n, accLen));
    if (n > 0 && state !== null) {
      // The range's bytes stay where they are: the worker gets the whole buffer and reads [0, n).
      await onRange({ index: index++, buffer: acc.buffer as ArrayBuffer, length: n, baseOffset: accBase, state });
    }
    acc = next;
    accLen = rest;
    accBase = upTo;
    state = parser.snapshot();
  };
  try {
    for await (const chunk of src.chunks) {
      const c = chunk as Uint8Array;
      if (c.length === 0) continue;
      append(c);
      if (parser === null) {
        if (accLen < 4) continue;
        parser = detectFormat(acc.subarray(0, accLen), NULL_SINK);
        parser.scanOnly = true;
        state = parser.snapshot();
      }
      for (;;) {
        const dv = new DataView(acc.buffer, 0, accLen);
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
