import { statSync } from 'node:fs';
import { readCapture, type ReadResult } from '../io/capture-reader.js';
import { inputName, type CaptureInput } from '../io/source.js';
import type { FlowOptions } from '../flow/options.js';
import type { DuckSink } from '../sink/duckdb.js';
import type { CaptureRecord } from '../sink/records.js';
import { PacketProcessor } from './processor.js';
import { hashFile } from './hash-file.js';
import { VERSION } from '../version.js';

export interface IngestOptions {
  flow: FlowOptions;
  replace: boolean;
  /** end_reason of flows still open when the input ends (default end_of_capture; live uses shutdown). */
  openFlowEndReason?: number;
  /** Called after each chunk with the running counts (for progress display). */
  onProgress?: (p: Progress) => void;
}

export interface Progress { path: string; bytes: number; packets: number; flows: number }

export interface IngestSummary {
  path: string;
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
}

function isRegularFile(path: CaptureInput): path is string {
  if (typeof path !== 'string' || path === '-') return false;
  try { return statSync(path).isFile(); } catch { return false; }
}

/** One capture, all or nothing, into the sink. */
export async function ingestCapture(input: CaptureInput, sink: DuckSink, opts: IngestOptions): Promise<IngestSummary> {
  const path = inputName(input);
  const t0 = process.hrtime.bigint();
  const cpu0 = process.cpuUsage();
  const skipped = (id: number, r?: ReadResult): IngestSummary => ({
    path, captureId: id, action: 'skipped', status: r?.status ?? 'complete', error: null, errorOffset: null,
    format: r?.format ?? '', packets: 0, bytes: 0, flows: 0, anomalies: 0, l2Packets: 0, seconds: 0, cpuSeconds: 0,
  });
  let replaceId: number | null = null;
  if (isRegularFile(input)) {
    const existing = await sink.findCaptureByHash(await hashFile(input));
    if (existing !== null) {
      if (!opts.replace) return skipped(existing);
      replaceId = existing;
    }
  }
  const proc = new PacketProcessor(opts.flow);
  const captureId = await sink.beginCapture();
  let result: ReadResult;
  try {
    const drain = async (all: boolean): Promise<void> => {
      for (const b of proc.flows.take(all)) await sink.appendFlows(captureId, b);
    };
    result = await readCapture(input, proc, async () => {
      await drain(false);
      opts.onProgress?.({ path, bytes: proc.bytes, packets: proc.packets, flows: proc.flows.flowsEmitted + proc.flows.activeFlows });
    });
    proc.flows.flush(opts.openFlowEndReason);
    await drain(true);
    if (replaceId === null && !isRegularFile(input)) {
      const existing = await sink.findCaptureByHash(result.sha256);
      if (existing !== null) {
        if (!opts.replace) { await sink.abortCapture(); return skipped(existing, result); }
        replaceId = existing;
      }
    }
    const anomalies = proc.anomalies.records();
    const l2 = proc.l2Records();
    const rec: CaptureRecord = {
      path, size: result.size, sha256: result.sha256, format: result.format, linktypes: result.linktypes,
      packets: proc.packets, bytes: proc.bytes,
      firstSec: proc.packets > 0 ? proc.firstSec : null, firstNs: proc.packets > 0 ? proc.firstNs : 0,
      lastSec: proc.packets > 0 ? proc.lastSec : null, lastNs: proc.packets > 0 ? proc.lastNs : 0,
      snaplen: result.snaplen, status: result.status, error: result.error, errorOffset: result.errorOffset,
      isb: result.isb, flows: proc.flows.flowsEmitted, toolVersion: VERSION,
    };
    await sink.finishCapture(captureId, rec, anomalies, l2, { replaceId });
    const cpu = process.cpuUsage(cpu0);
    return {
      path, captureId, action: replaceId !== null ? 'replaced' : 'ingested', status: result.status,
      error: result.error, errorOffset: result.errorOffset, format: result.format,
      packets: proc.packets, bytes: proc.bytes, flows: proc.flows.flowsEmitted,
      anomalies: anomalies.reduce((s, a) => s + a.count, 0),
      l2Packets: l2.reduce((s, a) => s + a.packets, 0),
      seconds: Number(process.hrtime.bigint() - t0) / 1e9,
      cpuSeconds: (cpu.user + cpu.system) / 1e6,
    };
  } catch (e) {
    await sink.abortCapture();
    throw e;
  }
}
