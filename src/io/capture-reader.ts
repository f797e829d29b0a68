import { CaptureError } from './capture-error.js';
import type { FormatParser } from './format.js';
import type { PacketSink } from './packet-sink.js';
import { isPcapMagic, PcapParser } from './pcap.js';
import { PcapngParser, PCAPNG } from './pcapng.js';
import type { CaptureInput } from './source.js';
import { DEFAULT_RANGE_BYTES, readRanges } from './range-reader.js';

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
 * Streams a capture through its format parser in this thread, one packet call per record.
 * Built on the range reader, so files, stdin and gzip, carried-over records and every bad-input
 * message come from one implementation, the same that `ingest` uses.
 */
export async function readCapture(path: CaptureInput, sink: PacketSink): Promise<ReadResult> {
  return readRanges(path, DEFAULT_RANGE_BYTES, async (r) => {
    const parser = r.state.kind === 'pcap' ? new PcapParser(sink, r.state) : new PcapngParser(sink, r.state);
    parser.parse(new Uint8Array(r.buffer, 0, r.length), new DataView(r.buffer, 0, r.length), 0, r.length, r.baseOffset);
  });
}
