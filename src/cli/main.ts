#!/usr/bin/env node
import { closeSync, openSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { DuckSink } from '../sink/duckdb.js';
import { DEFAULT_FLOW_OPTIONS, type FlowOptions } from '../flow/options.js';
import { ingestCapture, type IngestSummary } from '../pipeline/ingest.js';
import { DecodePool, defaultWorkers } from '../pipeline/pool.js';
import { VERSION } from '../version.js';
import { captureInfo } from './info.js';
import { ProgressLine } from './progress.js';
import { bytes, csvField, si, table } from './format.js';
import { printDbSummary } from './summary.js';
import { readStdinText } from './stdin.js';
import { registerLiveCommands } from './live.js';
import { reportText } from './report.js';
import { registerContextCommands } from './context.js';
import { registerSflowCommand } from './sflow.js';
import { annotate } from '../context/annotate.js';
import { regularFileSize } from '../io/source.js';
import { DEFAULT_DB_MEMORY, sizeArg } from './db-memory.js';
import { tuneJit } from './jit.js';

tuneJit();

/** Exit codes: 0 success, 1 some input was bad (the rest still ingested), 2 usage error. */
const EXIT_BAD_INPUT = 1;
const EXIT_USAGE = 2;

function intArg(min: number, max = Number.MAX_SAFE_INTEGER) {
  return (v: string): number => {
    if (!/^\d+$/.test(v)) throw new InvalidArgumentError(`expected a whole number, got '${v}'`);
    const n = Number(v);
    if (n < min || n > max) throw new InvalidArgumentError(`must be between ${min} and ${max}`);
    return n;
  };
}

function secondsArg(v: string): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`expected a positive number of seconds, got '${v}'`);
  return n;
}

interface IngestCliOptions {
  db: string; splt: number; tcpTimeout: number; udpTimeout: number; icmpTimeout: number; activeTimeout: number;
  maxFlows: number; replace: boolean; quiet: boolean; summary: boolean; workers: number; rangeKb: number;
  inspect: boolean; sflow: boolean; sflowPort: number; carry: boolean; dbMemory: string;
}

function describe(s: IngestSummary): string {
  if (s.action === 'skipped') return `${s.path}: already ingested as capture ${s.captureId} (same content); skipped (use --replace to ingest it again)`;
  const rate = s.seconds > 0 ? `${si(s.packets / s.seconds)} pkt/s` : '';
  const head = `${s.path}: ${s.status}${s.action === 'replaced' ? ' (replaced)' : ''}, capture ${s.captureId}, ${s.format}, ${si(s.packets)} packets, ${bytes(s.bytes)}, ${si(s.flows)} flows`;
  const tail = `${s.anomalies} anomalies, ${si(s.l2Packets)} non-IP packets, ${s.seconds.toFixed(2)} s (${s.cpuSeconds.toFixed(2)} CPU s) ${rate}`;
  const i = s.inspected;
  const seen = i.dns + i.tls + i.quic + i.http + i.bgp > 0
    ? `; read ${si(i.dns)} DNS, ${si(i.tls)} TLS, ${si(i.quic)} QUIC, ${si(i.http)} HTTP, ${si(i.bgp)} BGP, ${si(i.certs)} new certs` : '';
  return `${head}${seen}; ${tail}`;
}

/** Names that look like capture files (gzip too), in a directory given as an input. */
const CAPTURE_NAME = /\.(pcap\d*|pcapng|cap)(\.gz)?$/i;

/**
 * A directory's capture files in name order, numbers compared as numbers (tcpdump -C writes f, f1, f2 .. f10;
 * dumpcap -b f_00001_<time>), or null when `path` is not a directory.
 */
function captureFilesIn(path: string): string[] | null {
  try { if (!statSync(path).isDirectory()) return null; } catch { return null; }
  let names: string[];
  try { names = readdirSync(path); } catch { return []; }
  return names
    .filter((n) => CAPTURE_NAME.test(n) && regularFileSize(join(path, n)) !== null)
    .sort((a, b) => a.localeCompare(b, 'en', { numeric: true }))
    .map((n) => join(path, n));
}

/** Why a capture path cannot be read ('-' and readable files: null). */
function unreadable(path: string): string | null {
  if (path === '-') return null;
  try {
    const st = statSync(path);
    if (st.isDirectory()) return 'is a directory';
    // Only a regular file is opened to check it: opening a named pipe would block, or take its data.
    if (st.isFile()) closeSync(openSync(path, 'r'));
    return null;
  } catch (e) {
    return (e as Error).message;
  }
}

async function runIngest(inputs: string[], o: IngestCliOptions): Promise<number> {
  const flow: FlowOptions = {
    ...DEFAULT_FLOW_OPTIONS,
    splt: o.splt, tcpIdleSec: o.tcpTimeout, udpIdleSec: o.udpTimeout, otherIdleSec: o.icmpTimeout,
    activeSec: o.activeTimeout, maxFlows: o.maxFlows,
  };
  if (inputs.filter((p) => p === '-').length > 1) {
    process.stderr.write('onpath: stdin (-) can be given only once\n');
    return EXIT_USAGE;
  }
  let exit = 0;
  // A stream of several files is one capture: a file that cannot be read stays in it as a failed file
  // (a capture_files row with its error, so the DB shows the gap its flows were carried across); a
  // single file that cannot be read is named and skipped here.
  const expanded: string[] = [];
  for (const p of inputs) {
    const files = p === '-' ? null : captureFilesIn(p);
    if (files === null) { expanded.push(p); continue; }
    if (files.length === 0) { process.stderr.write(`onpath: ${p}: no capture files in this directory\n`); exit = EXIT_BAD_INPUT; }
    expanded.push(...files);
  }
  const stream = o.carry && expanded.length > 1;
  const readable = stream ? expanded : expanded.filter((p) => {
    const why = unreadable(p);
    if (why !== null) { process.stderr.write(`onpath: ${p}: cannot read: ${why}\n`); exit = EXIT_BAD_INPUT; }
    return why === null;
  });
  if (readable.length === 0) return exit;
  const groups: string[][] = o.carry ? [readable] : readable.map((p) => [p]);
  const sink = await DuckSink.open(o.db, { memoryLimit: o.dbMemory });
  const pool = o.workers > 0 ? new DecodePool(o.workers) : null;
  try {
    for (const [gi, group] of groups.entries()) {
      const path = group.length === 1 ? group[0]! : `${group[0]} .. ${group[group.length - 1]}`;
      const progress = new ProgressLine(!o.quiet && process.stderr.isTTY === true, [gi + 1, groups.length]);
      let s: IngestSummary;
      try {
        s = await ingestCapture(group, sink, { flow, replace: o.replace, pool, rangeBytes: o.rangeKb * 1024, inspect: o.inspect, sflowPort: o.sflow ? o.sflowPort : 0, onProgress: (p) => progress.update(p) });
      } catch (e) {
        progress.done();
        const err = e as NodeJS.ErrnoException;
        if (err.code === 'ENOENT' || err.code === 'EACCES' || err.code === 'EISDIR') {
          process.stderr.write(`onpath: ${path}: cannot read: ${err.message}\n`);
          exit = EXIT_BAD_INPUT;
          continue;
        }
        throw e;
      }
      progress.done();
      for (const f of s.files) {
        if (f.status === 'complete') continue;
        process.stderr.write(`onpath: ${f.path}: at byte ${f.errorOffset}: ${f.error}` +
          (f.packets > 0 ? ` (kept the ${f.packets} packets before it, status ${f.status})` : '') + '\n');
        exit = EXIT_BAD_INPUT;
      }
      if (!o.quiet) {
        if (s.action === 'skipped' && (s.alreadyIngested.length === 0 || group.length === 1)) {
          process.stdout.write(describe(s) + '\n'); // the whole capture is known
        } else {
          for (const a of s.alreadyIngested) {
            process.stdout.write(`${a.path}: already ingested in capture ${a.captureId} (same content); left out (use --replace to ingest it again)\n`);
          }
          if (s.action !== 'skipped') process.stdout.write(describe(s) + '\n');
        }
      }
    }
    // New flow addresses get their origin AS when routing context is loaded.
    // (Routes seen only in captures' BGP sessions are used by `context load` / `context annotate`.)
    const ctx = await sink.query('SELECT count(*) FROM prefixes');
    if (Number(ctx.rows[0][0]) > 0) await annotate(sink, false);
    if (!o.quiet && o.summary) {
      await printDbSummary(sink, o.db);
      if (o.inspect) process.stdout.write('\n' + await reportText(sink, { top: 5 }));
    }
  } finally {
    sink.close();
    await pool?.close();
  }
  return exit;
}

async function runSql(query: string | undefined, o: { db: string; csv?: boolean; json?: boolean }): Promise<number> {
  const sql = query ?? (await readStdinText());
  if (!sql.trim()) { process.stderr.write('onpath sql: no query given (pass it as an argument or on stdin)\n'); return EXIT_USAGE; }
  const sink = await DuckSink.open(o.db);
  try {
    let r;
    try { r = await sink.query(sql); } catch (e) {
      process.stderr.write(`onpath sql: ${(e as Error).message}\n`);
      return EXIT_BAD_INPUT;
    }
    if (o.json) {
      process.stdout.write(JSON.stringify(r.rows.map((row) => Object.fromEntries(r.columns.map((c, i) => [c, row[i]])))) + '\n');
    } else if (o.csv) {
      process.stdout.write([r.columns.map(csvField).join(','), ...r.rows.map((row) => row.map(csvField).join(','))].join('\n') + '\n');
    } else if (r.columns.length > 0) {
      process.stdout.write(table(r.columns, r.rows) + '\n');
    }
  } finally {
    sink.close();
  }
  return 0;
}

async function runInfo(paths: string[], o: { json?: boolean }): Promise<number> {
  let exit = 0;
  const all = [];
  for (const path of paths) {
    let info;
    try { info = await captureInfo(path); } catch (e) {
      process.stderr.write(`onpath: ${path}: cannot read: ${(e as Error).message}\n`);
      exit = EXIT_BAD_INPUT;
      continue;
    }
    if (info.status !== 'complete') {
      process.stderr.write(`onpath: ${path}: at byte ${info.errorOffset}: ${info.error}\n`);
      exit = EXIT_BAD_INPUT;
    }
    if (o.json) { all.push(info); continue; }
    const lines: [string, string][] = [
      ['File', info.path], ['Format', info.format], ['Link types', info.linktypes.join(', ') || '-'],
      ['Packets', String(info.packets)], ['Wire bytes', String(info.bytes)], ['Captured bytes', String(info.capturedBytes)],
      ['Cut by snaplen', String(info.cutBySnaplen)], ['Snaplen', info.snaplen === null ? '-' : String(info.snaplen)],
      ['First packet', info.first ?? '-'], ['Last packet', info.last ?? '-'],
      ['Duration', info.durationSec === null ? '-' : `${info.durationSec.toFixed(9)} s`],
      ['File size', String(info.size)], ['SHA-256', info.sha256], ['Status', info.status],
    ];
    if (info.isb.ifRecv !== null || info.isb.ifDrop !== null) lines.push(['ISB received/dropped', `${info.isb.ifRecv ?? '-'} / ${info.isb.ifDrop ?? '-'}`]);
    process.stdout.write(lines.map(([k, v]) => `${(k + ':').padEnd(22)}${v}`).join('\n') + '\n\n');
  }
  if (o.json) process.stdout.write(JSON.stringify(all, null, 2) + '\n');
  return exit;
}

async function runReport(o: { db: string; capture?: number; top: number }): Promise<number> {
  const sink = await DuckSink.open(o.db);
  try {
    process.stdout.write(await reportText(sink, { captureId: o.capture, top: o.top }));
  } finally {
    sink.close();
  }
  return 0;
}

async function runExport(o: { db: string; to: string; format: 'parquet' | 'csv' }): Promise<number> {
  const sink = await DuckSink.open(o.db);
  try {
    const files = await sink.exportAll(o.to, o.format);
    for (const f of files) process.stdout.write(f + '\n');
  } finally {
    sink.close();
  }
  return 0;
}

export function buildProgram(setExit: (code: number) => void): Command {
  const program = new Command();
  program.name('onpath').description('What an on-path observer at an exchange point sees: packet captures into DuckDB').version(VERSION);
  program.exitOverride();
  program.configureOutput({ writeErr: (s) => process.stderr.write(s) });

  program.command('ingest')
    .description('decode pcap/pcapng captures (or - for stdin; gzip detected) into flow records')
    .argument('<capture...>', 'capture files or directories of them (name order), or - for stdin; several form one capture stream in the order given')
    .option('--db <path>', 'DuckDB file', 'onpath.duckdb')
    .option('--splt <n>', 'sizes and gaps of the first N packets per flow (0 = off)', intArg(0, 255), DEFAULT_FLOW_OPTIONS.splt)
    .option('--tcp-timeout <sec>', 'TCP idle timeout, capture time', secondsArg, DEFAULT_FLOW_OPTIONS.tcpIdleSec)
    .option('--udp-timeout <sec>', 'UDP idle timeout', secondsArg, DEFAULT_FLOW_OPTIONS.udpIdleSec)
    .option('--icmp-timeout <sec>', 'ICMP and other protocols idle timeout', secondsArg, DEFAULT_FLOW_OPTIONS.otherIdleSec)
    .option('--active-timeout <sec>', 'longest a flow runs before it is written and restarted', secondsArg, DEFAULT_FLOW_OPTIONS.activeSec)
    .option('--max-flows <n>', 'flows held at once; past it the oldest idle flows are evicted', intArg(1, 1 << 26), DEFAULT_FLOW_OPTIONS.maxFlows)
    .option('--workers <n>', 'decode workers (threads); 0 decodes in the main thread', intArg(0, 256), defaultWorkers())
    .option('--range-kb <n>', 'capture bytes per work unit; output is the same for any --workers at a given size', intArg(16, 1 << 30), 16384)
    .option('--db-memory <size>', "DuckDB's memory limit while writing (e.g. 256MB, 2GB)", sizeArg, DEFAULT_DB_MEMORY)
    .option('--no-carry', 'each file is its own capture (default: the files form one capture stream in the order given, flows carry over)')
    .option('--replace', 'ingest a capture again even if the same content is in the DB (replaces it)', false)
    .option('--no-inspect', 'flows only: do not read DNS, TLS, QUIC, HTTP and BGP')
    .option('--no-sflow', 'do not decode sFlow datagrams found in the capture')
    .option('--sflow-port <port>', 'UDP port of the sFlow datagrams to decode', intArg(1, 65535), 6343)
    .option('--no-summary', 'do not print the database summary at the end')
    .option('-q, --quiet', 'print errors only', false)
    .action(async (inputs: string[], o: IngestCliOptions) => setExit(await runIngest(inputs, o)));

  program.command('sql')
    .description('run SQL against the database (query as argument or on stdin)')
    .argument('[query]')
    .option('--db <path>', 'DuckDB file', 'onpath.duckdb')
    .addOption(new Option('--csv', 'CSV output').conflicts('json'))
    .option('--json', 'JSON output (array of objects)')
    .action(async (q: string | undefined, o: { db: string; csv?: boolean; json?: boolean }) => setExit(await runSql(q, o)));

  program.command('info')
    .description('container facts of captures, no database (like capinfos)')
    .argument('<capture...>')
    .option('--json', 'JSON output')
    .action(async (paths: string[], o: { json?: boolean }) => setExit(await runInfo(paths, o)));

  program.command('export')
    .description('write every table to files for other engines')
    .option('--db <path>', 'DuckDB file', 'onpath.duckdb')
    .requiredOption('--to <dir>', 'output directory')
    .addOption(new Option('--format <fmt>', 'file format').choices(['parquet', 'csv']).default('parquet'))
    .action(async (o: { db: string; to: string; format: 'parquet' | 'csv' }) => setExit(await runExport(o)));
  program.command('report')
    .description('what an on-path observer learned: names by source, top names, what hid them, fingerprints, issuers')
    .option('--db <path>', 'DuckDB file', 'onpath.duckdb')
    .option('--capture <id>', 'only this capture_id', intArg(1))
    .option('--top <n>', 'rows per top list', intArg(1, 1000), 10)
    .action(async (o: { db: string; capture?: number; top: number }) => setExit(await runReport(o)));
  registerLiveCommands(program, setExit);
  registerContextCommands(program, setExit);
  registerSflowCommand(program, setExit);
  return program;
}

async function main(): Promise<void> {
  let code = 0;
  const program = buildProgram((c) => { code = c; });
  try {
    await program.parseAsync(process.argv);
  } catch (e) {
    if (e instanceof CommanderError) {
      process.exitCode = e.exitCode === 0 ? 0 : EXIT_USAGE;
      return;
    }
    process.stderr.write(`onpath: internal error: ${(e as Error).stack ?? String(e)}\n`);
    process.exitCode = 70;
    return;
  }
  process.exitCode = code;
}

await main();
