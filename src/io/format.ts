/** A format parser consumes whole records from [start, end) and returns where it stopped. */
export interface FormatParser {
  readonly format: string;
  /** Parses as many complete records as fit; returns the offset of the first byte not consumed. */
  parse(buf: Uint8Array, dv: DataView, start: number, end: number, baseOffset: number): number;
  linktypes(): number[];
  snaplen(): number | null;
  isb(): import('./packet-sink.js').InterfaceStats;
}

/** Upper bound on one record: beyond this a length field is taken as corrupt, not as data to wait for. */
export const MAX_RECORD = 64 * 1024 * 1024;
