/**
 * npm run bench:stages [-- FILE] [-- --repeat N] [-- --inspect]
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
 *
 * With --inspect, the runs are done without and then with inspection, each kind in a process of
 * its own (so each has its own cold start and the two do not share JIT feedback), and the table
 * gives both and the difference: where inspection's cost goes. The
 * inspection run has three more stages:
 *   transfer the inspection rows through V8's serializer and back (what postMessage does with
 *            them between a worker and the writer; the flow batches move without a copy)
 *   lines    the writer's half: each written flow's rows get its flow_id and become JSON lines
 *            (DNS messages are paired here)
 *   insert   those lines into the dns, tls, quic, http and bgp_messages tables (DuckDB's JSON reader)
 * and "duckdb" also moves the inspection tables' rows.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Range } from '../src/io/range-reader.js';
import { batchesOf, type RangeResult } from '../src/pipeline/range-task.js';
import { decodeRanges, readAllRanges } from './ranges.js';
import { DEFAULT_FLOW_OPTIONS } from '../src/flow/options.js';
import { FlowMerger, type FlowRun } from '../src/pipeline/merge.js';
import { DuckSink } from '../src/sink/duckdb.js';
import { DuckDBInstance } from '@duckdb/node-api';
import { deserialize, serialize } from 'node:v8';
import { InspectCollector } from '../src/pipeline/inspect-collector.js';
import { generateCapture } from '../src/gen/ixp-mix.js';
import { PcapWriter } from '../src/gen/pcap-writer.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const positional = process.argv.slice(2).filter((a, i, all) => !a.startsWith('--') && all[i - 1] !== '--repeat' && all[i - 1] !== '--only');
const file = positional[0] ?? join(root, 'bench', 'out', 'ixp-mix-1000000-s128.pcap');
const ri = process.argv.indexOf('--repeat');
const repeat = Math.max(1, ri >= 0 ? Number(process.argv[ri + 1]) : 3);
const withInspect = process.argv.includes('--inspect');
/** Internal: run only this kind ('off' | 'on') and print its stages as JSON (the --inspect parent reads it). */
const mi = process.argv.indexOf('--only');
const only = mi >= 0 ? process.argv[mi + 1] : null;
/** The inspection tables (written in this order by the sink). */
const INSPECT_TABLES = ['dns', 'tls', 'quic', 'http', 'bgp_messages'];

function cpuOf(c: NodeJS.CpuUsage): number { return (c.user + c.system) / 1e6; }

async function measure<T>(fn: () => Promise<T> | T): Promise<[number, T]> {
  const c0 = process.cpuUsage();
  const v = await fn();
  return [cpuOf(process.cpuUsage(c0)), v];
}

const NO_ISB = { ifRecv: null, ifDrop: null, filterAccept: null, osDrop: null, usrDeliv: null };

async function once(dir: string, inspect: boolean): Promise<Record<string, number> & { packets: number; flows: number; rows: number }> {
  const t: Record<string, number> = {};
  let ranges: Range[] = [];
  [t.read, ranges] = await measure(() => readAllRanges(file));
  let results: RangeResult[] = [];
  [t.decode, results] = await measure(() => decodeRanges(ranges, inspect));
  if (inspect) {
    [t.transfer] = await measure(() => { for (const r of results) r.inspect = deserialize(serialize(r.inspect)) as RangeResult['inspect']; });
  }
  const packets = results.reduce((s, r) => s + r.packets, 0);
  const runs: FlowRun[] = [];
  const collector = inspect ? new InspectCollector() : null;
  [t.merge] = await measure(() => {
    const m = new FlowMerger(DEFAULT_FLOW_OPTIONS);
    if (collector) {
      m.onJoin = (root, part, flipped) => collector.join(root, part, flipped);
      m.onFlip = (root) => collector.flip(root);
    }
    for (const r of results) {
      if (collector && r.inspect) collector.add(r.inspect);
      m.addRange(r.index, batchesOf(r), r.lastSec, r.lastNs);
      runs.push(...m.take());
    }
    m.finish();
    runs.push(...m.take());
  });
  const flows = runs.reduce((s, r) => s + r.count, 0);
  let rows = 0;
  if (collector) {
    [t.lines] = await measure(() => {
      let first = 0;
      for (const r of runs) { collector.flowsWritten(r.batch, 1, first, r.start, r.count); first += r.count; }
    });
    rows = collector.rowCount;
  }
  const db = join(dir, 'stages.duckdb');
  rmSync(db, { force: true }); rmSync(db + '.wal', { force: true });
  const sink = await DuckSink.open(db, { memoryLimit: '256MB' });
  try {
    const id = await sink.beginCapture();
    [t.append] = await measure(async () => { for (const r of runs) await sink.appendFlows(id, r.batch, r.start, r.count); });
    if (collector) [t.insert] = await measure(() => sink.appendInspect(id, collector.takeLines()));
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
    const tables = inspect ? ['flows', ...INSPECT_TABLES] : ['flows'];
    for (const table of tables) {
      await conn.run(`CREATE TABLE ${table} AS SELECT * FROM src.${table} LIMIT 0`);
      // The rows, decompressed, in memory first: the timed INSERT reads them at memory speed.
      await conn.run(`CREATE TEMP TABLE rows_${table} AS SELECT * FROM src.${table}`);
    }
    [t.duckdb] = await measure(async () => {
      await conn.run('BEGIN TRANSACTION');
      for (const table of tables) await conn.run(`INSERT INTO ${table} SELECT * FROM rows_${table}`);
      await conn.run('COMMIT');
    });
  } finally {
    conn.closeSync();
    inst.closeSync();
  }
  return { ...t, packets, flows, rows };
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

const STAGES: [string, string][] = [
  ['startup', 'start-up: node, modules, DuckDB open + schema'], ['read', 'read file into ranges (with SHA-256)'],
  ['decode', 'decode + flow table (+ inspection)'], ['transfer', 'inspection rows: serialize + deserialize'],
  ['merge', 'merge range parts (+ collect rows)'], ['lines', 'inspection rows to JSON lines'],
  ['append', 'DuckDB appender (JS fill + append)'], ['insert', 'inspection lines into DuckDB (JSON reader)'],
  ['commit', 'DuckDB commit'],
];

/** Cold (first run) and warm (fastest run) CPU seconds of each stage. */
interface Stages { cold: Record<string, number>; warm: Record<string, number>; packets: number; flows: number; rows: number }

function fold(acc: Stages | null, r: Record<string, number> & { packets: number; flows: number; rows: number }): Stages {
  if (acc === null) return { cold: { ...r }, warm: { ...r }, packets: r.packets, flows: r.flows, rows: r.rows };
  for (const [k, v] of Object.entries(r)) acc.warm[k] = Math.min(acc.warm[k] ?? Infinity, v);
  return acc;
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
    if (only !== null) {
      let st: Stages | null = null;
      for (let i = 0; i < repeat; i++) st = fold(st, await once(dir, only === 'on'));
      process.stdout.write(JSON.stringify(st));
      return;
    }
    let off: Stages | null = null, on: Stages | null = null;
    if (withInspect) {
      const kind = (k: string): Stages => {
        const r = spawnSync(process.execPath, [fileURLToPath(import.meta.url), file, '--repeat', String(repeat), '--only', k],
          { encoding: 'utf8', maxBuffer: 1 << 20 });
        if (r.status !== 0) throw new Error(`the ${k} run failed: ${(r.stderr ?? '').trim().split('\n').pop() ?? ''}`);
        return JSON.parse(r.stdout) as Stages;
      };
      off = kind('off');
      on = kind('on');
    } else {
      for (let i = 0; i < repeat; i++) off = fold(off, await once(dir, false));
    }
    const start = startup(dir);
    for (const st of [off!, on]) if (st) st.cold.startup = st.warm.startup = start;
    const { packets, flows } = off!;
    console.log(`${file}: ${packets} packets, ${flows} flows${on ? `, ${on.rows} inspection rows` : ''}; CPU s of the whole process, ` +
      `first run (cold) and fastest of ${repeat} (warm)`);
    const f = (x: number | undefined): string => (x === undefined ? '' : x.toFixed(2));
    if (on === null) {
      console.log('| stage | cold CPU s | warm CPU s | warm µs per packet | warm µs per flow |');
      console.log('|---|---:|---:|---:|---:|');
      let sum = 0, sumCold = 0;
      const row = (label: string, cold: number, warm: number): void => {
        console.log(`| ${label} | ${f(cold)} | ${f(warm)} | ${(warm * 1e6 / packets).toFixed(2)} | ${(warm * 1e6 / flows).toFixed(1)} |`);
      };
      for (const [k, label] of STAGES) {
        if (off!.warm[k] === undefined) continue;
        sum += off!.warm[k]; sumCold += off!.cold[k];
        row(label, off!.cold[k], off!.warm[k]);
      }
      row('**sum**', sumCold, sum);
      const d = off!.warm.duckdb;
      row('DuckDB alone: INSERT ... SELECT of the same rows + commit (no JS)', off!.cold.duckdb, d);
      console.log(`\nAt ${(packets / flows).toFixed(1)} packets per flow, DuckDB's own cost for the flows table alone bounds one core at ${(packets / d / 1e6).toFixed(2)} M packets per CPU-second.`);
      return;
    }
    console.log('| stage | --no-inspect cold | inspect cold | difference | --no-inspect warm | inspect warm | difference |');
    console.log('|---|---:|---:|---:|---:|---:|---:|');
    const sums = [0, 0, 0, 0];
    for (const [k, label] of STAGES) {
      const v = [off!.cold[k] ?? 0, on.cold[k] ?? 0, off!.warm[k] ?? 0, on.warm[k] ?? 0];
      v.forEach((x, i) => { sums[i] += x; });
      console.log(`| ${label} | ${f(v[0])} | ${f(v[1])} | ${f(v[1] - v[0])} | ${f(v[2])} | ${f(v[3])} | ${f(v[3] - v[2])} |`);
    }
    console.log(`| **sum** | ${f(sums[0])} | ${f(sums[1])} | ${f(sums[1] - sums[0])} (+${((sums[1] / sums[0] - 1) * 100).toFixed(0)} %) | ` +
      `${f(sums[2])} | ${f(sums[3])} | ${f(sums[3] - sums[2])} (+${((sums[3] / sums[2] - 1) * 100).toFixed(0)} %) |`);
    const d = [off!.cold.duckdb, on.cold.duckdb, off!.warm.duckdb, on.warm.duckdb];
    console.log(`| DuckDB alone: INSERT ... SELECT of the same rows + commit (no JS) | ${f(d[0])} | ${f(d[1])} | ${f(d[1] - d[0])} | ${f(d[2])} | ${f(d[3])} | ${f(d[3] - d[2])} |`);
    console.log(`\nInspection's rows cost DuckDB alone ${f(d[3] - d[2])} CPU s warm: ${((d[3] - d[2]) / sums[2] * 100).toFixed(0)} % of the --no-inspect sum.`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main().catch((e: unknown) => { console.error(`bench:stages: ${(e as Error).message}`); process.exit(1); });
