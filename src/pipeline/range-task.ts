import type { ParserState } from '../io/format.js';
import type { Lookback } from '../io/range-reader.js';
import { FirstFragments } from './first-fragments.js';
import { PcapParser } from '../io/pcap.js';
import { PcapngParser } from '../io/pcapng.js';
import { CaptureError } from '../io/capture-error.js';
import type { FlowOptions } from '../flow/options.js';
import { viewBatch, type FlowBatch } from '../flow/batch.js';
import { ANOMALY_NAMES } from '../wire/anomaly.js';
import { PacketProcessor } from './processor.js';
import type { BindingRecord } from '../wire/bindings.js';
import type { SflowRows } from './sflow-rows.js';
import type { InspectRows } from '../inspect/row-json.js';

/** Tags of a range's flows start at index * 2^32 (exact in a double for any real range count). */
export const TAG_RANGE = 4294967296;

export interface RangeTask {
  index: number;
  buffer: ArrayBuffer;
  /** Bytes of the range at the start of `buffer`. */
  length: number;
  baseOffset: number;
  state: ParserState;
  /** The previous range's last records, read only for fragments whose first fragment lies there. */
  lookback?: Lookback | null;
  flow: FlowOptions;
  /** Read DNS, TLS, QUIC and HTTP in the flows (off with --no-inspect). */
  inspect: boolean;
  /** Decode sFlow datagrams on this UDP port (0: off). */
  sflowPort: number;
}

/** What a range gives back: its flow parts as whole batches (their buffers are transferred), and its counters. */
export interface RangeResult {
  index: number;
  batches: { buffer: ArrayBuffer; capacity: number; n: number; spltN: number }[];
  packets: number;
  bytes: number;
  undecoded: number;
  firstSec: number; firstNs: number; lastSec: number; lastNs: number;
  anomalyCount: number[];
  anomalyFirst: number[];
  /** [ethertype, packets, bytes] triples. */
  l2: number[];
  /** A parse error inside the range (the reader validated it first, so only a bug gets here). */
  error: string | null;
  errorOffset: number;
  /** sFlow rows (null when off). */
  sflow: SflowRows | null;
  /** ARP / ND address-to-MAC bindings. */
  bindings: BindingRecord[];
  /** What inspection learned (null when off). */
  inspect: InspectRows | null;
  /** The range's own buffer, moved back from a worker for reuse (src/io/range-reader.ts RangeBuffers). */
  rangeBuffer?: ArrayBuffer;
}

/** Decodes one range into flow parts; pure, runs in a worker or in-process. */
export function processRange(task: RangeTask): RangeResult {
  const proc = new PacketProcessor(task.flow, task.inspect, task.index * TAG_RANGE, task.sflowPort);
  if (task.lookback) proc.flows.strayFragment = new FirstFragments(task.lookback);
  const parser = task.state.kind === 'pcap' ? new PcapParser(proc, task.state) : new PcapngParser(proc, task.state);
  const buf = new Uint8Array(task.buffer, 0, task.length);
  const dv = new DataView(task.buffer, 0, task.length);
  let error: string | null = null;
  let errorOffset = -1;
  try {
    parser.parse(buf, dv, 0, buf.length, task.baseOffset);
  } catch (e) {
    // The reader validated every record before handing the range out, so only a bug gets here;
    // what was decoded before it is still returned.
    error = e instanceof CaptureError ? e.message : String(e);
    errorOffset = e instanceof CaptureError ? e.offset : parser.recordStart;
  }
  proc.flows.flush();
  const batches = proc.flows.take(true).map((b) => ({ buffer: b.buffer, capacity: b.capacity, n: b.n, spltN: b.spltN }));
  const l2: number[] = [];
  for (const r of proc.l2Records()) l2.push(r.ethertype, r.packets, r.bytes);
  return {
    index: task.index, batches,
    packets: proc.packets, bytes: proc.bytes, undecoded: proc.undecoded,
    firstSec: proc.firstSec, firstNs: proc.firstNs, lastSec: proc.lastSec, lastNs: proc.lastNs,
    anomalyCount: Array.from(proc.anomalies.count), anomalyFirst: Array.from(proc.anomalies.firstOffset),
    l2, error, errorOffset, bindings: proc.bindings.records(), sflow: proc.sflow?.rows ?? null, inspect: proc.inspector ? proc.inspector.ctx.out : null,
  };
}

export function batchesOf(r: RangeResult): FlowBatch[] {
  return r.batches.map((b) => viewBatch(b.buffer, b.capacity, b.spltN, b.n));
}

export const ANOMALY_KINDS = ANOMALY_NAMES.length;
