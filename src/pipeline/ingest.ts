import type { ReadResult } from '../io/capture-reader.js';
import { inputName, regularFileSize, type CaptureInput } from '../io/source.js';
import type { FlowOptions } from '../flow/options.js';
import type { DuckSink } from '../sink/duckdb.js';
import type { AnomalyRecord, CaptureFileRecord, CaptureRecord, IsbCounters, L2Record } from '../sink/records.js';
import { ANOMALY_NAMES } from '../wire/anomaly.js';
import { ethertypeName } from '../wire/ethertype.js';
import { hashFile } from './hash-file.js';
import { DEFAULT_RANGE_BYTES, RangeBuffers, readRanges, type Range, type RangeReadResult, type StreamPosition } from '../io/range-reader.js';
import { createHash } from 'node:crypto';
import { batchesOf, processRange, type RangeResult } from './range-task.js';
import { FlowMerger } from './merge.js';
import { InspectCollector } from './inspect-collector.js';
import { SFLOW_PORT } from '../wire/sflow.js';
import { SflowCapture } from './sflow-rows.js';
import type { BindingRecord } from '../wire/bindings.js';
import { nsText } from '../inspect/json-text.js';
import type { DecodePool } from './pool.js';
import { VERSION } from '../version.js';

export interface IngestOptions {
  flow: FlowOptions;
  replace: boolean;
  /** Decode workers; null = decode in this thread (same ranges, same merge, same output). */
  pool?: DecodePool | null;
  /** Bytes of capture stream per range (fixed: the output never depends on the worker count). */
  rangeBytes?: number;
  /** end_reason of flows still open when the input ends (default end_of_capture; live uses shutdown). */
  openFlowEndReason?: number;
  /** Read DNS, TLS, QUIC and HTTP in the flows (default true; --no-inspect turns it off). */
  inspect?: boolean;
  /** Decode sFlow datagrams on this UDP port (default 6343; 0 turns it off). */
  sflowPort?: number;
  /** Called as ranges complete (for progress display). */
  onProgress?: (p: Progress) => void;
  /** Test hook: runs before each batch of flows goes to the sink (e.g. to slow the writer down). */
  beforeAppend?: () => Promise<void>;
  /** Live capture (src/io/live.ts): periodic checkpoints and its own counters. */
  live?: LiveIngest;
}

/** What a live capture does differently: it commits as it goes and brings the counters its stream lacks. */
export interface LiveIngest {
  /** After a range, commit what was written if this long passed since the last commit (DuckSink.checkpointCapture, status 'running'). */
  checkpointMs: number;
  /** The capture as it stands: stream bytes, format, link types, snaplen, and the libpcap-side counters for the ISB columns. */
  facts(): { size: number; format: string; linktypes: number[]; snaplen: number; isb: IsbCounters };
  /** Told after each checkpoint committed: packets and flow rows in the DB now. */
  onCheckpoint?: (packets: number, flows: number) => void;
}

export interface Progress {
  path: string; bytes: number; packets: number; flows: number;
  /** The file of the stream being read (0-based), of `files`. */
  file: number; files: number;
  /** Bytes of the input files read up to the last merged range, of `total` (null when a size is unknown: stdin, a pipe). */
  done: number; total: number | null;
}

export interface IngestSummary {
  /** The input's name; for a stream of several files, the first and last with the count. */
  path: string;
  /** Each file of the stream, in order, with its own status (one entry for a single file). */
  files: CaptureFileRecord[];
  /** Files left out because their content is already in the DB (in another capture, alone or in a stream). */
  alreadyIngested: { path: string; captureId: number }[];
  captureId: number | null;
  /** 'ingested', or 'skipped' when the same content was already in the DB. */
  action: 'ingested' | 'skipped' | 'replaced';
  status: ReadResult['status'];
  error: string | null;
  errorOffset: number | null;
  format: string;
  packets: number;
  bytes: number;
  flows: number;
  anomalies: number;
  l2Packets: number;
  seconds: number;
  cpuSeconds: number;
  ranges: number;
  /** Rows written to the inspection tables (zeros with inspection off). */
  inspected: { dns: number; tls: number; quic: number; http: number; bgp: number; certs: number };
}

/** The identity of a capture stream of several files: SHA-256 over their SHA-256s, in order (one file: its own). */
export function streamSha256(hashes: string[]): string {
  if (hashes.length === 1) return hashes[0]!;
  return createHash('sha256').update('onpath capture stream\n' + hashes.join('\n')).digest('hex');
}

const STATUS_RANK: Record<ReadResult['status'], number> = { complete: 0, truncated: 1, failed: 2 };

function isRegularFile(path: CaptureInput): path is string {
  return regularFileSize(path) !== null;
}

/** Packets, wire bytes and the first and last timestamps of some ranges. */
class Span {
  packets = 0; bytes = 0;
  firstSec = Infinity; firstNs = 0; lastSec = -Infinity; lastNs = 0;

  add(r: RangeResult): void {
    this.packets += r.packets; this.bytes += r.bytes;
    if (r.packets === 0) return;
    if (r.firstSec < this.firstSec || (r.firstSec === this.firstSec && r.firstNs < this.firstNs)) { this.firstSec = r.firstSec; this.firstNs = r.firstNs; }
    if (r.lastSec > this.lastSec || (r.lastSec === this.lastSec && r.lastNs > this.lastNs)) { this.lastSec = r.lastSec; this.lastNs = r.lastNs; }
  }

  /** The timestamps as record fields (null seconds without packets). */
  times(): { firstSec: number | null; firstNs: number; lastSec: number | null; lastNs: number } {
    const has = this.packets > 0;
    return { firstSec: has ? this.firstSec : null, firstNs: has ? this.firstNs : 0, lastSec: has ? this.lastSec : null, lastNs: has ? this.lastNs : 0 };
  }
}

/** Capture-wide counters, summed over ranges. */
class Totals extends Span {
  undecoded = 0;
  readonly anomalyCount = new Float64Array(ANOMALY_NAMES.length);
  readonly anomalyFirst = new Float64Array(ANOMALY_NAMES.length).fill(-1);
  readonly l2 = new Map<number, [number, number]>();
  readonly bindings = new Map<string, BindingRecord>();

  override add(r: RangeResult): void {
    super.add(r);
    this.undecoded += r.undecoded;
    for (let i = 0; i < r.anomalyCount.length; i++) {
      if (r.anomalyCount[i] === 0) continue;
      if (this.anomalyCount[i] === 0 || (r.anomalyFirst[i] >= 0 && r.anomalyFirst[i] < this.anomalyFirst[i])) this.anomalyFirst[i] = r.anomalyFirst[i];
      this.anomalyCount[i] += r.anomalyCount[i];
    }
    for (const b of r.bindings) {
      const k = `${b.kind}|${b.addr}|${b.mac}`;
      const e = this.bindings.get(k);
      if (e === undefined) { this.bindings.set(k, { ...b }); continue; }
      e.packets += b.packets;
      if (b.firstSec < e.firstSec || (b.firstSec === e.firstSec && b.firstNs < e.firstNs)) { e.firstSec = b.firstSec; e.firstNs = b.firstNs; }
      if (b.lastSec > e.lastSec || (b.lastSec === e.lastSec && b.lastNs > e.lastNs)) { e.lastSec = b.lastSec; e.lastNs = b.lastNs; }
    }
    for (let i = 0; i < r.l2.length; i += 3) {
      const e = this.l2.get(r.l2[i]) ?? [0, 0];
      e[0] += r.l2[i + 1]; e[1] += r.l2[i + 2];
      this.l2.set(r.l2[i], e);
    }
  }

  anomalies(extra: AnomalyRecord[]): AnomalyRecord[] {
    const out: AnomalyRecord[] = [];
    for (let i = 0; i < ANOMALY_NAMES.length; i++) {
      if (this.anomalyCount[i] > 0) out.push({ kind: ANOMALY_NAMES[i], count: this.anomalyCount[i], firstOffset: this.anomalyFirst[i] });
    }
    return out.concat(extra);
  }

  l2Records(): L2Record[] {
    return [...this.l2].sort((a, b) => a[0] - b[0]).map(([t, [p, b]]) => ({ ethertype: t, name: ethertypeName(t), packets: p, bytes: b }));
  }
}

/** One file's share of a capture stream, summed over its ranges. */
class FileTotals extends Span {
  constructor(readonly path: string, readonly streamOffset: number) { super(); }

  record(r: RangeReadResult): CaptureFileRecord {
    return {
      path: this.path, size: r.size, sha256: r.sha256, format: r.format, linktypes: r.linktypes, snaplen: r.snaplen,
      streamOffset: this.streamOffset, packets: this.packets, bytes: this.bytes, ...this.times(),
      status: r.status, error: r.error, errorOffset: r.errorOffset,
    };
  }
}

/** The capture-level ReadResult of a stream: sizes and ISB counters summed, the worst status, the first error named by its file. */
function streamResult(results: RangeReadResult[], files: CaptureFileRecord[]): ReadResult {
  if (results.length === 1) return results[0]!;
  let worst = 0;
  for (let k = 1; k < results.length; k++) if (STATUS_RANK[results[k]!.status] > STATUS_RANK[results[worst]!.status]) worst = k;
  const bad = results[worst]!;
  const sum = (pick: (r: RangeReadResult) => number | null): number | null => {
    let t: number | null = null;
    for (const r of results) { const v = pick(r); if (v !== null) t = (t ?? 0) + v; }
    return t;
  };
  // A file that was no capture at all ('unknown') does not name the stream's format.
  const known = results.map((r) => r.format).filter((f) => !f.startsWith('unknown'));
  const formats = [...new Set(known.length > 0 ? known : ['unknown'])];
  const linktypes = [...new Set(results.flatMap((r) => r.linktypes))];
  const snaps = results.map((r) => r.snaplen).filter((v): v is number => v !== null);
  return {
    format: formats.join(','), linktypes, snaplen: snaps.length > 0 ? Math.max(...snaps) : null,
    isb: {
      ifRecv: sum((r) => r.isb.ifRecv), ifDrop: sum((r) => r.isb.ifDrop), filterAccept: sum((r) => r.isb.filterAccept),
      osDrop: sum((r) => r.isb.osDrop), usrDeliv: sum((r) => r.isb.usrDeliv),
    },
    consumed: results.reduce((t, r) => t + r.consumed, 0),
    size: results.reduce((t, r) => t + r.size, 0),
    sha256: streamSha256(results.map((r) => r.sha256)),
    status: bad.status,
    error: bad.error === null ? null : `${files[worst]!.path}: ${bad.error}`,
    errorOffset: bad.errorOffset,
  };
}

/**
 * One capture, all or nothing, into the sink. Several inputs form one capture stream in the
 * order given (a rotated capture): their ranges are numbered on from one file to the next, so
 * flows carry over the file boundaries exactly as they cross range boundaries, and anomaly offsets
 * are stream offsets (capture_files.stream_offset says where each file begins). The reader cuts the stream into fixed ranges;
 * the ranges decode in parallel (or here); their flow parts are merged strictly in range order
 * and written by this thread, the one writer. At most 2 ranges per worker are in flight, so
 * when the writer falls behind the reader waits.
 */
export async function ingestCapture(input: CaptureInput | CaptureInput[], sink: DuckSink, opts: IngestOptions): Promise<IngestSummary> {
  let inputs = Array.isArray(input) ? input : [input];
  if (inputs.length === 0) throw new Error('ingestCapture: no input');
  let names = inputs.map(inputName);
  const streamName = (n: string[]): string => n.length === 1 ? n[0]! : `${n[0]} .. ${n[n.length - 1]} (${n.length} files)`;
  let path = streamName(names);
  const t0 = process.hrtime.bigint();
  const cpu0 = process.cpuUsage();
  const alreadyIngested: { path: string; captureId: number }[] = [];
  const skipped = (id: number, r?: ReadResult): IngestSummary => ({
    path, files: [], alreadyIngested, captureId: id, action: 'skipped', status: r?.status ?? 'complete', error: null, errorOffset: null,
    format: r?.format ?? '', packets: 0, bytes: 0, flows: 0, anomalies: 0, l2Packets: 0, seconds: 0, cpuSeconds: 0, ranges: 0,
    inspected: { dns: 0, tls: 0, quic: 0, http: 0, bgp: 0, certs: 0 },
  });
  let replaceId: number | null = null;
  // Every regular file is hashed first: the identity of the stream (all files regular: known before
  // reading), and of each file, so that a file already in the DB is never ingested twice.
  let fileHash: (string | undefined)[] = [];
  let fileSize: (number | undefined)[] = [];
  for (const f of inputs) {
    // A file that cannot be hashed now is read (and fails) in its turn, as a failed file of the stream.
    const h = isRegularFile(f) ? await hashFile(f).catch(() => undefined) : undefined;
    fileHash.push(h?.sha256);
    fileSize.push(h?.size);
  }
  // The same content twice in one stream is read once (also with --replace: twice would double its rows).
  // A file already ingested (alone, or in another stream: `ingest day1/*` then `ingest day1/* day2/*`)
  // is left out, unless --replace; the other files still form the stream.
  const keep: number[] = [];
  const seen = new Map<string, string>();
  for (let k = 0; k < inputs.length; k++) {
    const h = fileHash[k];
    if (h !== undefined && seen.has(h)) {
      process.stderr.write(`onpath: ${names[k]}: same content as ${seen.get(h)} earlier in this stream; left out\n`);
      continue;
    }
    if (h !== undefined) seen.set(h, names[k]!);
    keep.push(k);
  }
  const knownOf = (): string[] | undefined => fileHash.every((h) => h !== undefined) ? fileHash as string[] : undefined;
  const leaveOut = (): void => {
    inputs = keep.map((k) => inputs[k]!);
    names = keep.map((k) => names[k]!);
    fileHash = keep.map((k) => fileHash[k]);
    fileSize = keep.map((k) => fileSize[k]);
    path = streamName(names);
  };
  if (keep.length < inputs.length) leaveOut();
  let knownSha256 = knownOf();
  if (knownSha256 !== undefined) {
    const existing = await sink.findCaptureByHash(streamSha256(knownSha256));
    if (existing !== null) {
      if (!opts.replace) return skipped(existing);
      replaceId = existing;
    }
  }
  if (!opts.replace) {
    keep.length = 0;
    for (let k = 0; k < inputs.length; k++) {
      const h = fileHash[k];
      const id = h === undefined ? null : await sink.findFileByHash(h);
      if (id === null) keep.push(k);
      else alreadyIngested.push({ path: names[k]!, captureId: id });
    }
    if (keep.length === 0) return skipped(alreadyIngested[0]!.captureId);
    if (keep.length < inputs.length) {
      leaveOut();
      knownSha256 = knownOf();
    }
  }
  const pool = opts.pool ?? null;
  const totals = new Totals();
  const merger = new FlowMerger(opts.flow);
  const inspect = opts.inspect !== false;
  const collector = inspect ? new InspectCollector() : null;
  if (collector) {
    merger.onJoin = (root, part, flipped) => collector.join(root, part, flipped);
    merger.onFlip = (root) => collector.flip(root);
  }
  let certsWritten = 0;
  /** Inspection rows waiting for the sink are appended once this many have gathered. */
  const INSPECT_FLUSH_ROWS = 8192;
  const flushInspect = async (): Promise<void> => {
    if (collector && collector.rowCount > 0) await sink.appendInspect(captureId, collector.takeLines());
  };
  const extraAnomalies: AnomalyRecord[] = [];
  const captureId = await sink.beginCapture();
  // sFlow: rows gathered per capture, the datagram sequence followed per agent across ranges.
  const sflow = new SflowCapture(captureId);
  const flushSflow = async (agents: boolean): Promise<void> => {
    if (sflow.pending === 0 && !agents) return;
    const t = sflow.take(agents);
    if (t.flows.length + t.counters.length + t.agents.length > 0) await sink.appendSflow(captureId, t.flows, t.counters, t.agents);
  };
  const inFlight: Promise<RangeResult>[] = [];
  const fileStats: FileTotals[] = [];
  /** Range index -> file of the stream it came from. */
  const rangeFile = new Map<number, number>();
  /** Range index -> bytes of the input files read when it was handed out (progress). */
  const rangeRead = new Map<number, number>();
  /** File sizes from the pre-hash: where each file starts in the job's bytes, and their total. */
  const fileStart: number[] = [];
  let total: number | null = 0;
  for (const n of fileSize) { fileStart.push(total ?? 0); total = n === undefined || total === null ? null : total + n; }
  const maxInFlight = pool ? pool.workers * 2 : 1;
  let ranges = 0;
  let lastCheckpoint = Date.now();
  let checkpointedPackets = -1;
  let flowRows = 0; // flow rows handed to the sink (the merger may still hold ended flows)
  const checkpoint = async (live: LiveIngest): Promise<void> => {
    // Ended flows reach the DB at each checkpoint even when traffic is light.
    merger.flushPartial();
    await write();
    await flushInspect();
    await flushSflow(false);
    if (collector) certsWritten += await sink.appendCerts(captureId, [...collector.certs.values()]);
    const f = live.facts();
    await sink.checkpointCapture(captureId, {
      path, size: f.size, sha256: '', format: f.format, linktypes: f.linktypes, packets: totals.packets, bytes: totals.bytes,
      ...totals.times(),
      snaplen: f.snaplen, status: 'running', error: null, errorOffset: null, isb: f.isb, flows: flowRows, toolVersion: VERSION, files: [],
    }, totals.anomalies(extraAnomalies.concat(inspectAnomalies())), totals.l2Records());
    lastCheckpoint = Date.now();
    checkpointedPackets = totals.packets;
    live.onCheckpoint?.(totals.packets, flowRows);
  };

  const timing = { mergeMs: 0, sinkMs: 0, parts: 0 };
  const write = async (): Promise<void> => {
    for (const run of merger.take()) {
      if (opts.beforeAppend) await opts.beforeAppend();
      const t = performance.now();
      const first = sink.nextFlowIndex(captureId);
      await sink.appendFlows(captureId, run.batch, run.start, run.count);
      flowRows += run.count;
      if (collector) {
        collector.flowsWritten(run.batch, captureId, first, run.start, run.count);
        if (collector.rowCount >= INSPECT_FLUSH_ROWS) await flushInspect();
      }
      timing.sinkMs += performance.now() - t;
    }
  };
  const inspectAnomalies = (): AnomalyRecord[] => {
    const own = sflow.anomalyRecords();
    if (!collector) return own;
    return [...collector.anomalies].map(([kind, [count, first]]) => ({ kind, count, firstOffset: first })).concat(own);
  };
  // Live: a quiet link still commits every checkpoint interval. The timer and the ranges take turns
  // (one chain), so a checkpoint never runs in the middle of a range's writes.
  let turn: Promise<void> = Promise.resolve();
  const serial = (fn: () => Promise<void>): Promise<void> => { const t = turn.then(fn); turn = t.catch(() => {}); return t; };
  let timerError: unknown = null;
  const liveTimer = opts.live ? setInterval(() => {
    const live = opts.live!;
    if (Date.now() - lastCheckpoint < live.checkpointMs || totals.packets === checkpointedPackets) return;
    serial(() => checkpoint(live)).catch((e: unknown) => { timerError ??= e; });
  }, Math.min(opts.live.checkpointMs, 1000)) : null;
  const absorb = (r: RangeResult): Promise<void> => serial(() => absorbRange(r));
  const absorbRange = async (r: RangeResult): Promise<void> => {
    if (r.rangeBuffer) { buffers.give(r.rangeBuffer); r.rangeBuffer = undefined; }
    totals.add(r);
    const fileIndex = rangeFile.get(r.index) ?? 0, done = rangeRead.get(r.index) ?? 0;
    rangeFile.delete(r.index); rangeRead.delete(r.index); // live capture makes ranges without end
    const file = fileStats[fileIndex];
    if (file) file.add(r);
    if (r.error) {
      extraAnomalies.push({ kind: 'range_decode_error', count: 1, firstOffset: r.errorOffset });
      const at = file ? r.errorOffset - file.streamOffset : r.errorOffset;
      process.stderr.write(`onpath: ${file?.path ?? path}: at byte ${at}: internal decode error in a range: ${r.error}\n`);
    }
    if (collector && r.inspect) collector.add(r.inspect);
    if (r.sflow) {
      sflow.add(r.sflow);
      if (sflow.pending >= INSPECT_FLUSH_ROWS) await flushSflow(false);
    }
    const t = performance.now();
    const parts = batchesOf(r);
    for (const b of parts) timing.parts += b.n;
    merger.addRange(r.index, parts, r.lastSec, r.lastNs);
    timing.mergeMs += performance.now() - t;
    ranges++;
    await write();
    if (opts.live && Date.now() - lastCheckpoint >= opts.live.checkpointMs) await checkpoint(opts.live);
    opts.onProgress?.({
      path: file?.path ?? path, bytes: totals.bytes, packets: totals.packets, flows: merger.flowsEmitted + merger.pending,
      file: fileIndex, files: inputs.length, done, total,
    });
  };
  const taskOf = (range: Range) => ({ index: range.index, buffer: range.buffer, length: range.length, baseOffset: range.baseOffset, state: range.state, lookback: range.lookback, flow: opts.flow, inspect, sflowPort: opts.sflowPort ?? SFLOW_PORT });
  const buffers = new RangeBuffers();
  /** Decodes a range in this thread; its buffer is free for the reader again after. */
  const decodeHere = (range: Range): RangeResult => {
    const r = processRange(taskOf(range));
    buffers.give(range.buffer);
    return r;
  };
  // The first range waits for a second: a capture that fits in one range is decoded here,
  // without starting threads (same range, same output).
  let held: Range | null = null;
  const dispatch = async (range: Range): Promise<void> => {
    if (!pool) { await absorb(decodeHere(range)); return; }
    inFlight.push(pool.run(taskOf(range)));
    while (inFlight.length >= maxInFlight) await absorb(await inFlight.shift()!);
  };
  const onRange = async (range: Range): Promise<void> => {
    rangeFile.set(range.index, fileStats.length - 1);
    rangeRead.set(range.index, (fileStart[fileStats.length - 1] ?? 0) + range.fileRead);
    if (range.index === 0 && !opts.live) { held = range; return; }
    if (held) { const h = held; held = null; await dispatch(h); }
    await dispatch(range);
  };

  try {
    const results: RangeReadResult[] = [];
    try {
      const at: StreamPosition = { index: 0, offset: 0, lookback: null };
      for (let k = 0; k < inputs.length; k++) {
        fileStats.push(new FileTotals(names[k]!, at.offset));
        let r: RangeReadResult;
        try {
          r = await readRanges(inputs[k]!, opts.rangeBytes ?? DEFAULT_RANGE_BYTES, onRange, fileHash[k], opts.live !== undefined, at, buffers, fileSize[k]);
        } catch (e) {
          // In a stream, a file that cannot be opened (gone since it was listed) is a failed file;
          // the others still form the stream. Alone, it is the caller's error to report.
          const code = (e as NodeJS.ErrnoException).code;
          if (inputs.length === 1 || (code !== 'ENOENT' && code !== 'EACCES' && code !== 'EISDIR')) throw e;
          r = {
            format: 'unknown', linktypes: [], snaplen: null, isb: { ifRecv: null, ifDrop: null, filterAccept: null, osDrop: null, usrDeliv: null },
            consumed: 0, size: 0, sha256: '', status: 'failed', error: `cannot read: ${(e as Error).message}`, errorOffset: 0,
            ranges: 0, streamBytes: 0, tail: at.lookback ?? null,
          };
        }
        results.push(r);
        at.index += r.ranges;
        at.offset += r.streamBytes;
        at.lookback = r.tail;
      }
    } finally {
      // Whatever was handed out is merged, also when the reader stopped on an error.
      if (held) { const h: Range = held; held = null; await absorb(decodeHere(h)); }
      while (inFlight.length > 0) await absorb(await inFlight.shift()!);
      if (liveTimer) clearInterval(liveTimer);
      await turn;
    }
    if (timerError !== null) throw timerError;
    merger.finish(opts.openFlowEndReason);
    await write();
    await flushInspect();
    await flushSflow(true);
    if (collector) {
      certsWritten += await sink.appendCerts(captureId, [...collector.certs.values()]);
      const orphans = collector.orphans();
      if (orphans > 0) extraAnomalies.push({ kind: 'inspect_record_without_flow', count: orphans, firstOffset: -1 });
    }
    const files = results.map((r, k) => fileStats[k]!.record(r));
    const result = streamResult(results, files);
    // A stream is expected in time order (rotated files): a file that begins before the previous
    // one ended was probably given out of order, which splits and mixes its flows.
    let outOfOrder = 0, firstOutOfOrder = -1;
    let a: CaptureFileRecord | null = null; // the last file before b that had packets
    for (const b of files) {
      if (b.firstSec === null) continue;
      if (a !== null && a.lastSec !== null && (b.firstSec - a.lastSec) * 1e9 + (b.firstNs - a.lastNs) < -1e9) {
        if (outOfOrder++ === 0) firstOutOfOrder = b.streamOffset;
        process.stderr.write(`onpath: warning: ${b.path} begins ${((a.lastSec - b.firstSec) + (a.lastNs - b.firstNs) / 1e9).toFixed(3)} s before ${a.path} ends: files out of order? (flows carry over in the order given)\n`);
      }
      a = b;
    }
    if (outOfOrder > 0) extraAnomalies.push({ kind: 'capture_file_out_of_order', count: outOfOrder, firstOffset: firstOutOfOrder });
    if (replaceId === null && knownSha256 === undefined && !opts.live) {
      // Content read from a pipe or stdin is known only now: the same stream again is skipped (or
      // replaced), and without --replace so is a stream holding a file some capture already has.
      const existing = await sink.findCaptureByHash(result.sha256);
      if (existing !== null) {
        if (!opts.replace) { await sink.abortCapture(); return skipped(existing, result); }
        replaceId = existing;
      } else if (!opts.replace) {
        for (let k = 0; k < results.length; k++) {
          if (fileHash[k] !== undefined || results[k]!.sha256 === '') continue;
          const id = await sink.findFileByHash(results[k]!.sha256);
          if (id === null) continue;
          process.stderr.write(`onpath: ${names[k]}: same content as a file of capture ${id}; nothing of this stream was written (give it as a file to leave it out, or use --replace)\n`);
          alreadyIngested.push({ path: names[k]!, captureId: id });
          await sink.abortCapture();
          return skipped(id, result);
        }
      }
    }
    const anomalies = totals.anomalies(extraAnomalies.concat(inspectAnomalies()));
    const l2 = totals.l2Records();
    if (totals.bindings.size > 0) {
      await sink.appendBindings(captureId, [...totals.bindings.values()].map((b) => JSON.stringify({
        capture_id: captureId, kind: b.kind, addr: b.addr, mac: b.mac, first_ts: nsText(b.firstSec, b.firstNs),
        last_ts: nsText(b.lastSec, b.lastNs), packets: b.packets,
      })));
    }
    const rec: CaptureRecord = {
      path, size: result.size, sha256: result.sha256, format: result.format, linktypes: result.linktypes,
      packets: totals.packets, bytes: totals.bytes,
      ...totals.times(),
      snaplen: result.snaplen, status: result.status, error: result.error, errorOffset: result.errorOffset,
      isb: opts.live ? opts.live.facts().isb : result.isb, flows: merger.flowsEmitted, toolVersion: VERSION,
      files: opts.live ? [] : files,
    };
    const tf = performance.now();
    await sink.finishCapture(captureId, rec, anomalies, l2, { replaceId });
    timing.sinkMs += performance.now() - tf;
    if (process.env.ONPATH_TIMING) {
      process.stderr.write(`timing: ${ranges} ranges, ${timing.parts} flow parts -> ${merger.flowsEmitted} flows; merge ${timing.mergeMs.toFixed(0)} ms, sink ${timing.sinkMs.toFixed(0)} ms\n`);
    }
    const cpu = process.cpuUsage(cpu0);
    return {
      path, files, alreadyIngested, captureId, action: replaceId !== null ? 'replaced' : 'ingested', status: result.status,
      error: result.error, errorOffset: result.errorOffset, format: result.format,
      packets: totals.packets, bytes: totals.bytes, flows: merger.flowsEmitted,
      anomalies: anomalies.reduce((s, a) => s + a.count, 0),
      l2Packets: l2.reduce((s, a) => s + a.packets, 0),
      seconds: Number(process.hrtime.bigint() - t0) / 1e9,
      cpuSeconds: (cpu.user + cpu.system) / 1e6,
      ranges,
      inspected: collector
        ? { ...collector.written, certs: certsWritten }
        : { dns: 0, tls: 0, quic: 0, http: 0, bgp: 0, certs: 0 },
    };
  } catch (e) {
    if (liveTimer) clearInterval(liveTimer);
    await turn;
    await sink.abortCapture();
    throw e;
  }
}
