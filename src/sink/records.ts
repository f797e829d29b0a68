/** What the pipeline hands to the sink besides flow batches. Plain objects: one per capture, at the edge. */

/** 'running': a live capture between checkpoints (DuckSink.checkpointCapture), or one that never finished. */
export type CaptureStatus = 'complete' | 'truncated' | 'failed' | 'running';

export interface IsbCounters {
  /** Sums over all interfaces of the last ISB seen per interface; null when the capture had no such option. */
  ifRecv: number | null;
  ifDrop: number | null;
  filterAccept: number | null;
  osDrop: number | null;
  usrDeliv: number | null;
}

export interface CaptureRecord {
  path: string;            // as given on the command line; '-' for stdin
  size: number;            // bytes read from the file (compressed size for gzip)
  sha256: string;          // hex of the bytes read (as stored, i.e. compressed for gzip)
  format: string;          // 'pcap' | 'pcap-ns' | 'pcapng', with '+gzip' suffix when gzipped
  linktypes: number[];     // distinct link types, in order of first appearance
  packets: number;
  bytes: number;           // sum of original wire lengths
  firstSec: number | null; firstNs: number;
  lastSec: number | null; lastNs: number;
  snaplen: number | null;  // largest snaplen declared
  status: CaptureStatus;
  error: string | null;
  errorOffset: number | null;
  isb: IsbCounters;
  flows: number;
  toolVersion: string;
  /** The files of the capture stream, in order (capture_files rows). */
  files: CaptureFileRecord[];
}

/** One file of a capture stream. Offsets in anomalies are stream offsets: file offset + streamOffset. */
export interface CaptureFileRecord {
  path: string; size: number; sha256: string; format: string; linktypes: number[]; snaplen: number | null;
  streamOffset: number; packets: number; bytes: number;
  firstSec: number | null; firstNs: number; lastSec: number | null; lastNs: number;
  status: CaptureStatus; error: string | null; errorOffset: number | null;
}

export interface AnomalyRecord { kind: string; count: number; firstOffset: number }

export interface L2Record { ethertype: number; name: string; packets: number; bytes: number }
