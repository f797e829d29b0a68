import { CaptureError } from './capture-error.js';
import type { FormatParser } from './format.js';
import type { PacketSink } from './packet-sink.js';
import { isPcapMagic, PcapParser } from './pcap.js';
import { PcapngParser, PCAPNG } from './pcapng.js';
import { openSource, type CaptureInput } from './source.js';

export interface ReadResult {
  format: string;
  linktypes: number[];
  snaplen: number | null;
  isb: ReturnType<FormatParser['isb']>;
  /** Bytes of the (decompressed) capture stream consumed as whole records. */
  consumed: number;
  size: number;
  sha256: string;
  status: 'complete' | 'truncated' | 'failed';
  error: string | null;
  errorOffset: number | null;
}

/** Picks the parser by the first bytes (gzip is already undone); refuses anything else with a reason. */
export function detectFormat(head: Uint8Array, sink: PacketSink): FormatParser {
  const dv = new DataView(head.buffer, head.byteOffset, head.byteLength);
  if (dv.getUint32(0, true) === PCAPNG.SHB) return new PcapngParser(sink);
  if (isPcapMagic(dv, 0)) return new PcapParser(sink);
  const printable = head.subarray(0, Math.min(head.length, 64)).every((b) => (b >= 0x20 && b < 0x7f) || b === 9 || b === 10 || b === 13);
  throw new CaptureError(0, printable
    ? 'not a capture: this looks like a text file (no pcap or pcapng magic)'
    : `not a capture: unknown magic 0x${Array.from(head.subarray(0, 4), (b) => b.toString(16).padStart(2, '0')).join('')} (expected pcap, pcapng or gzip)`);
}

/**
 * Streams a capture through a format parser in large chunks. Records are offsets into
 * the current chunk; only a record split across two chunks is copied (carried over).
 * `onChunk` runs after each chunk, where the caller may await backpressure.
 */
export async function readCapture(path: CaptureInput, sink: PacketSink, onChunk?: () => Promise<void> | void): Promise<ReadResult> {
  const src = await openSource(path);
  let parser: FormatParser | null = null;
  let carry: Uint8Array | null = null;
  let base = 0; // stream offset of buf[0]
  let consumed = 0;
  const result = (status: ReadResult['status'], error: string | null, errorOffset: number | null): ReadResult => ({
    format: (parser?.format ?? 'unknown') + (src.gzip ? '+gzip' : ''),
    linktypes: parser?.linktypes() ?? [],
    snaplen: parser?.snaplen() ?? null,
    isb: parser?.isb() ?? { ifRecv: null, ifDrop: null, filterAccept: null, osDrop: null, usrDeliv: null },
    consumed, size: src.bytesRead, sha256: src.digest(), status, error, errorOffset,
  });
  try {
    for await (const chunk of src.chunks) {
      let buf: Uint8Array = chunk as Uint8Array;
      if (carry !== null) {
        const joined = new Uint8Array(carry.length + buf.length);
        joined.set(carry, 0);
        joined.set(buf, carry.length);
        buf = joined;
        carry = null;
      }
      if (parser === null) {
        if (buf.length < 4) { carry = buf.slice(); continue; }
        parser = detectFormat(buf, sink);
      }
      const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
      const pos = parser.parse(buf, dv, 0, buf.length, base);
      consumed = base + pos;
      if (pos < buf.length) carry = buf.slice(pos);
      base += pos;
      if (onChunk) await onChunk();
    }
  } catch (e) {
    if (e instanceof CaptureError) {
      return result(parser === null ? 'failed' : 'failed', e.reason, e.offset);
    }
    const code = (e as { code?: string }).code;
    if (code === 'Z_BUF_ERROR' || code === 'Z_DATA_ERROR') {
      const trunc = code === 'Z_BUF_ERROR';
      return result(trunc ? 'truncated' : 'failed',
        trunc ? `gzip stream ends early (after ${consumed + (carry?.length ?? 0)} decompressed bytes)` : `corrupt gzip data: ${(e as Error).message}`,
        consumed);
    }
    throw e;
  }
  if (parser === null) {
    const n = carry?.length ?? 0;
    return result('failed', n === 0 ? 'empty file' : `file is only ${n} bytes long: too short for any capture header`, 0);
  }
  if (carry !== null && carry.length > 0) {
    const what = consumed === 0 ? 'file header' : 'record';
    return result('truncated', `${what} cut short: ${carry.length} trailing bytes do not hold a whole ${what}`, consumed);
  }
  if (consumed === 0) return result('failed', 'file header cut short', 0);
  return result('complete', null, null);
}
