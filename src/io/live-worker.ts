/**
 * The decoding side of `onpath live`, in a worker thread, so that the capture thread does
 * nothing but copy packets out of libpcap: a DuckDB commit, a garbage collection or a burst
 * of ending flows here never keeps libpcap's kernel buffer from being read.
 *
 * It turns the chunks the capture hands over (src/io/live.ts: a classic ns pcap stream in
 * SharedArrayBuffers) back into one byte stream and runs the ordinary file pipeline on it,
 * ingestCapture(), with the same flow table and sink as `onpath ingest`. Each chunk is
 * copied out of the ring at once and the ring chunk given back, so the ring never waits for
 * the pipeline's own buffering. With --write-pcap the same bytes also go to the pcapng files
 * before they reach the pipeline, so the files and the DB hold the same packets.
 */
import { readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import { DuckSink } from '../sink/duckdb.js';
import { ingestCapture, type IngestSummary } from '../pipeline/ingest.js';
import { EndReason } from '../flow/batch.js';
import type { FlowOptions } from '../flow/options.js';
import type { IsbCounters } from '../sink/records.js';
import type { LiveStats, StopReason } from './live.js';
import { PcapngRotator } from './pcapng-writer.js';
import { DecodePool } from '../pipeline/pool.js';

export interface LiveWorkerInit {
  db: string;
  /** DuckDB's memory limit (--db-memory). */
  dbMemory?: string;
  /** Capture name in the DB, 'live:IFACE'. */
  name: string;
  iface: string;
  flow: FlowOptions;
  checkpointMs: number;
  rangeBytes: number;
  linktype: number;
  snaplen: number;
  /** Capture start, ns since the epoch, as a decimal string. */
  startNs: string;
  application: string;
  writePcap: { dir: string; rotateBytes: number } | null;
  /** Decode threads started by this worker (0: decode here), as `ingest --workers`. */
  workers: number;
  inspect: boolean;
  sflowPort: number;
}

export type ToWorker =
  | { t: 'chunk'; index: number; len: number; sab?: SharedArrayBuffer; stats: LiveStats }
  | { t: 'end'; reason: StopReason; stats: LiveStats };

export type FromWorker =
  | { t: 'ready' }
  | { t: 'release'; index: number }
  | { t: 'progress'; packets: number; flows: number }
  | { t: 'checkpoint'; packets: number; flows: number }
  | { t: 'done'; summary: IngestSummary; files: string[] }
  | { t: 'error'; message: string };

/** How the capture's counters fill the ISB columns of `captures` (see README, Live capture). */
export function liveIsb(s: LiveStats): IsbCounters {
  return { ifRecv: s.received, ifDrop: s.ifDrops, filterAccept: null, osDrop: s.ringDrops, usrDeliv: s.delivered };
}

/**
 * Linux: give this thread a lower priority (nice +10) than the capture thread, so that when
 * both want the same core the capture thread runs first and libpcap's buffer is read in
 * time; the ring absorbs the delay here instead. Lowering one's own priority needs no
 * privilege. Elsewhere, or if it fails, nothing changes.
 */
function yieldToCapture(): void {
  if (process.platform !== 'linux') return;
  try {
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    if (Number.isInteger(tid) && tid > 0) setPriority(tid, 10);
  } catch { /* keep the default priority */ }
}

async function run(init: LiveWorkerInit): Promise<void> {
  yieldToCapture();
  const port = parentPort!;
  const send = (m: FromWorker): void => port.postMessage(m);
  const sabs: SharedArrayBuffer[] = [];
  const queue: ToWorker[] = [];
  let wake: (() => void) | null = null;
  port.on('message', (m: ToWorker) => {
    queue.push(m);
    if (wake) { const w = wake; wake = null; w(); }
  });
  let stats: LiveStats = { received: 0, delivered: 0, ringDrops: 0, ifDrops: null, bytes: 0, streamBytes: 0, startNs: init.startNs };
  let consumed = 0;
  const writer = init.writePcap === null ? null : new PcapngRotator({
    dir: init.writePcap.dir, prefix: `onpath-${init.iface.replace(/[^\w.-]/g, '_')}`, rotateBytes: init.writePcap.rotateBytes,
    linktype: init.linktype, snaplen: init.snaplen, ifName: init.iface, application: init.application, startNs: BigInt(init.startNs),
  });

  async function* stream(): AsyncGenerator<Uint8Array> {
    for (;;) {
      while (queue.length === 0) await new Promise<void>((r) => { wake = r; });
      const m = queue.shift()!;
      stats = m.stats;
      if (m.t === 'end') return;
      if (m.sab) sabs[m.index] = m.sab;
      const copy = new Uint8Array(m.len);
      copy.set(new Uint8Array(sabs[m.index]!, 0, m.len));
      send({ t: 'release', index: m.index });
      if (writer) await writer.write(copy, liveIsb(stats));
      consumed += copy.length;
      yield copy;
    }
  }

  const sink = await DuckSink.open(init.db, { memoryLimit: init.dbMemory });
  const pool = init.workers > 0 ? new DecodePool(init.workers) : null;
  send({ t: 'ready' });
  let summary: IngestSummary;
  try {
    let lastProgress = 0;
    summary = await ingestCapture({ name: init.name, stream: stream() }, sink, {
      flow: init.flow,
      replace: false,
      pool,
      inspect: init.inspect,
      sflowPort: init.sflowPort,
      rangeBytes: init.rangeBytes,
      openFlowEndReason: EndReason.Shutdown,
      onProgress: (p) => {
        const now = Date.now();
        if (now - lastProgress < 200) return;
        lastProgress = now;
        send({ t: 'progress', packets: p.packets, flows: p.flows });
      },
      live: {
        checkpointMs: init.checkpointMs,
        facts: () => ({ size: consumed, format: 'pcap-ns', linktypes: [init.linktype], snaplen: init.snaplen, isb: liveIsb(stats) }),
        onCheckpoint: (packets, flows) => send({ t: 'checkpoint', packets, flows }),
      },
    });
    if (writer) await writer.close(liveIsb(stats));
  } finally {
    sink.close(); // before 'done': the main thread may end the process once it has the summary
    await pool?.close();
  }
  send({ t: 'done', summary, files: writer?.files ?? [] });
  port.close(); // nothing more to receive: let this thread end
}

if (parentPort) {
  run(workerData as LiveWorkerInit).catch((e: unknown) => {
    parentPort!.postMessage({ t: 'error', message: e instanceof Error ? (e.stack ?? e.message) : String(e) } satisfies FromWorker);
  });
}
