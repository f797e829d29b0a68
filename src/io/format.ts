/** A format parser consumes whole records from [start, end) and returns where it stopped. */
export interface FormatParser {
  readonly format: string;
  /** Parses as many complete records as fit; returns the offset of the first byte not consumed. */
  parse(buf: Uint8Array, dv: DataView, start: number, end: number, baseOffset: number, stopAt?: number): number;
  /** Stream offset of the record being read when parse() threw: everything before it is whole. */
  recordStart: number;
  /** When true, records are walked and checked but packets are not handed to the sink (range splitting). */
  scanOnly: boolean;
  /** Everything a parser needs to continue at a record boundary (structured-clone friendly). */
  snapshot(): ParserState;
  linktypes(): number[];
  snaplen(): number | null;
  isb(): import('./packet-sink.js').InterfaceStats;
}

/** Upper bound on one record: beyond this a length field is taken as corrupt, not as data to wait for. */
export const MAX_RECORD = 64 * 1024 * 1024;

/** A parser's state at a record boundary, handed to a worker with its byte range. */
export type ParserState =
  | { kind: 'pcap'; headerDone: boolean; le: boolean; nsPerFrac: number; snap: number; linktype: number; fcsBytes: number; format: string }
  | { kind: 'pcapng'; le: boolean; inSection: boolean; section: number; ifLinktype: number[]; ifSnaplen: number[];
      ifUnits: number[]; ifOffsetSec: number[]; lastSec: number; lastNs: number };
