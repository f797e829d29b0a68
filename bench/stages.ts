/**
 * npm run bench:stages [-- FILE] [-- --repeat N]
 *
 * Where one core's time goes for `ingest --no-inspect`, stage by stage, on the header-only
 * benchmark capture (bench/out/ixp-mix-1000000-s128.pcap, the one `npm run bench` makes; made here
 * when missing): each stage
 * runs alone in this process and is timed in CPU seconds (process.cpuUsage: user + system of all
 * of the process's threads, so DuckDB's own threads count). Stages:
 *   read     the file into range buffers (src/io/range-reader.ts)
 *   decode   decode + flow table of every range (processRange, as a worker runs it)
 *   merge    joining the range parts (src/pipeline/merge.ts)
 *   append   the flow rows into DuckDB's appender (src/sink: column fill + DuckDB's append)
 *   commit   DuckDB's commit of those rows (compression, write)
 *   duckdb   DuckDB alone: INSERT ... SELECT of the same rows (held in an in-memory table) into an
 *            empty copy of `flows`, and its commit: what this schema costs DuckDB without any
 *            JavaScript (a floor for the sink)
 * and, as a separate process, the fixed start-up: node, modules, DuckDB open and schema
 * (`ingest` of a capture that holds no packets). Each stage is reported for the first run (cold:
 * the JIT compiles as it goes, as in a real `ingest`) and the fastest of --repeat runs (warm).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readRanges, type Range } from '../src/io/range-reader.js';
import { batchesOf, processRange, type RangeResult } from '../src/pipeline/range-task.js';
import { DEFAULT_FLOW_OPTIONS } from '../src/flow/options.js';
import { FlowMerger, type FlowRun } from '../src/pipeline/merge.js';
import { DuckSink } from '../src/sink/duckdb.js';
import { DuckDBInstance } from '@duckdb/node-api';
import { generateCapture } from '../src/gen/ixp-mix.js';
import { PcapWriter } from '../src/gen/pcap-writer.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const positional = process.argv.slice(2).filter((a, i, all) => !a.startsWith('--') && all[i - 1] !== '--repeat');
const file = positional[0] ?? join(root, 'bench', 'out', 'ixp-mix-1000000-s128.pcap');
const ri = process.argv.indexOf('--repeat');
const repeat = Math.max(1, ri >= 0 ? Number(process.argv[ri + 1]) : 3);

function cpuOf(c: NodeJS.CpuUsage): number { return (c.user + c.system) / 1e6; }

async function measure<T>(fn: () => Promise<T> | T): Promise<[number, T]> {
  const c0 = process.cpuUsage();
  const v = await fn();
  return [cpuOf(process.cpuUsage(c0)), v];
}

const NO_ISB = { ifRecv: null, ifDrop: null, filterAccept: null, osDrop: null, usrDeliv: null };

async function once(dir: string): Promise<Record<string, number> & { packets: number; flows: number }> {
  const t: Record<string, number> = {};
  const ranges: Range[] = [];
  // Each range keeps its own buffer: none is given back to the reader, so none is reused.
  [t.read] = await measure(() => readRanges(file, 16 << 20, async (r) => { ranges.push(r); }));
  let results: RangeResult[] = [];
  [t.decode, results] = await measure(() => ranges.map((r) => processRange({
    index: r.index, buffer: r.buffer, length: r.length, baseOffset: r.baseOffset, state: r.state, lookback: r.lookback,
    flow: DEFAULT_FLOW_OPTIONS, inspect: false, sflowPort: 0,
  })));
  const packets = results.reduce((s, r) => s + r.packets, 0);
  const runs: FlowRun[] = [];
  [t.merge] = await measure(() => {
    const m = new FlowMerger(DEFAULT_FLOW_OPTIONS);
    for (const r of results) { m.addRange(r.index, batchesOf(r), r.lastSec, r.lastNs); runs.push(...m.take()); }
    m.finish();
    runs.push(...m.take());
  });
  const flows = runs.reduce((s, r) => s + r.count, 0);
  const db = join(dir, 'stages.duckdb');
  rmSync(db, { force: true }); rmSync(db + '.wal', { force: true });
  const sink = await DuckSink.open(db, { memoryLimit: '256MB' });
  try {
    const id = await sink.beginCapture();
    [t.append] = await measure(async () => { for (const r of runs) await sink.appendFlows(id, r.batch, r.start, r.count); });
    [t.commit] = await measure(() => sink.finishCapture(id, {
      path: file, size: 0, sha256: '', format: 'pcap', linktypes: [1], packets, bytes: 0, firstSec: null, firstNs: 0,
      lastSec: null, lastNs: 0, snaplen: null, status: 'complete', error: null, errorOffset: null, isb: NO_ISB, flows,
      toolVersion: 'bench', files: [],
    }, [], [], { replaceId: null }));
  } finally {
    sink.close();
  }
  const copy = join(dir, 'copy.duckdb');
  rmSync(copy, { force: true }); rmSync(copy + '.wal', { force: true });
  const inst = await DuckDBInstance.create(copy, { memory_limit: '256MB' });
  const conn = await inst.connect();
  try {
    await conn.run(`ATTACH '${db}' AS src (READ_ONLY)`);
    await conn.run('CREATE TABLE flows AS SELECT * FROM src.flows LIMIT 0');
    // The rows, decompressed, in memory first: the timed INSERT reads them at memory speed.
    await conn.run('CREATE TEMP TABLE rows AS SELECT * FROM src.flows');
    [t.duckdb] = await measure(async () => {
      await conn.run('BEGIN TRANSACTION');
      await conn.run('INSERT INTO flows SELECT * FROM rows');
      await conn.run('COMMIT');
    });
  } finally {
    conn.closeSync();
    inst.closeSync();
  }
  return { ...t, packets, flows };
}

/** The fixed cost of one `onpath ingest`: a capture with a header and no packets, in its own process. */
function startup(dir: string): number {
  const empty = join(dir, 'empty.pcap');
  PcapWriter.toFile(empty, { snaplen: 128 }).closeSync();
  let best = Infinity;
  for (let i = 0; i < repeat; i++) {
    const db = join(dir, `empty-${i}.duckdb`);
    const r = spawnSync('/usr/bin/time', ['-f', '@@TIME %U %S', process.execPath, join(root, 'dist', 'src', 'cli', 'main.js'),
      'ingest', '-q', '--no-inspect', '--db', db, empty], { encoding: 'utf8' });
    const m = /@@TIME ([\d.]+) ([\d.]+)/.exec(r.stderr ?? '');
    if (m) best = Math.min(best, +m[1] + +m[2]);
  }
  return best;
}

async function main(): Promise<void> {
  if (positional[0] === undefined && !existsSync(file)) {
    // The same capture `npm run bench` makes (and then reuses).
    mkdirSync(dirname(file), { recursive: true });
    console.log(`generating ${file} ...`);
    await generateCapture({ out: file, packets: 1_000_000, snaplen: 128, seed: 7 });
  }
  const dir = mkdtempSync(join(tmpdir(), 'onpath-stages-'));
  try {
    const best: Record<string, number> = {};
    let first: Record<string, number> = {};
    let packets = 0, flows = 0;
    const keys = ['read', 'decode', 'merge', 'append', 'commit', 'duckdb'];
    for (let i = 0; i < repeat; i++) {
      const r = await once(dir);
      packets = r.packets; flows = r.flows;
      if (i === 0) first = { ...r };
      for (const k of keys) best[k] = Math.min(best[k] ?? Infinity, r[k]!);
    }
    best.startup = first.startup = startup(dir);
    console.log(`${file}: ${packets} packets, ${flows} flows; CPU s of the whole process, first run (cold) and fastest of ${repeat} (warm)`);
    console.log('| stage | cold CPU s | warm CPU s | warm µs per packet | warm µs per flow |');
    console.log('|---|---:|---:|---:|---:|');
    const order: [string, string][] = [
      ['startup', 'start-up: node, modules, DuckDB open + schema'], ['read', 'read file into ranges (with SHA-256)'],
      ['decode', 'decode + flow table'], ['merge', 'merge range parts'], ['append', 'DuckDB appender (JS fill + append)'],
      ['commit', 'DuckDB commit'],
    ];
    let sum = 0, sumCold = 0;
    const row = (label: string, cold: number, warm: number): void => {
      console.log(`| ${label} | ${cold.toFixed(2)} | ${warm.toFixed(2)} | ${(warm * 1e6 / packets).toFixed(2)} | ${(warm * 1e6 / flows).toFixed(1)} |`);
    };
    for (const [k, label] of order) {
      sum += best[k]!; sumCold += first[k]!;
      row(label, first[k]!, best[k]!);
    }
    row('**sum**', sumCold, sum);
    const d = best.duckdb!;
    row('DuckDB alone: INSERT ... SELECT of the same rows + commit (no JS)', first.duckdb!, d);
    console.log(`\nAt ${(packets / flows).toFixed(1)} packets per flow, DuckDB's own cost for the flows table alone bounds one core at ${(packets / d / 1e6).toFixed(2)} M packets per CPU-second.`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main().catch((e: unknown) => { console.error(`bench:stages: ${(e as Error).message}`); process.exit(1); });
