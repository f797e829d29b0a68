/** `onpath context load | annotate`: exchange-point context into the database. */
import type { Command } from 'commander';
import { DuckSink } from '../sink/duckdb.js';
import type { LoadSummary } from '../context/load.js';
import { annotate } from '../context/annotate.js';

const EXIT_BAD_INPUT = 1;

interface LoadOptions { db: string; ixf: string[]; pfx2as: string[]; mrt: string[]; replace: boolean; annotate: boolean }

function line(s: LoadSummary): string {
  const what = s.action === 'skipped' ? `already loaded as source ${s.sourceId}; skipped` : `${s.action} as source ${s.sourceId}: ${s.detail}`;
  return `${s.path}: ${what}${s.anomalies > 0 ? `; ${s.anomalies} anomalies (context_anomalies)` : ''}`;
}

async function runLoad(o: LoadOptions): Promise<number> {
  // The readers (a JSON Schema validator, bzip2) load only for this command: every other command starts faster.
  const { loadIxf, loadMrt, loadPfx2as } = await import('../context/load.js');
  const { IxfError } = await import('../context/ixf.js');
  const jobs: [string, (sink: DuckSink, p: string, r: boolean) => Promise<LoadSummary>][] = [
    ...o.ixf.map((p) => [p, loadIxf] as [string, typeof loadIxf]),
    ...o.pfx2as.map((p) => [p, loadPfx2as] as [string, typeof loadPfx2as]),
    ...o.mrt.map((p) => [p, loadMrt] as [string, typeof loadMrt]),
  ];
  if (jobs.length === 0) { process.stderr.write('onpath context load: give --ixf, --pfx2as or --mrt files\n'); return 2; }
  const sink = await DuckSink.open(o.db);
  let exit = 0;
  try {
    for (const [path, load] of jobs) {
      try {
        const s = await load(sink, path, o.replace);
        process.stdout.write(line(s) + '\n');
        if (s.error) { process.stderr.write(`onpath: ${s.error} (kept what came before)\n`); exit = EXIT_BAD_INPUT; }
      } catch (e) {
        const err = e as NodeJS.ErrnoException;
        if (e instanceof IxfError || err.code === 'ENOENT' || err.code === 'EACCES' || err.code === 'EISDIR' || (e as { contextInput?: boolean }).contextInput) {
          process.stderr.write(`onpath: ${e instanceof IxfError ? e.message : `${path}: ${err.message}`}\n`);
          exit = EXIT_BAD_INPUT;
          continue;
        }
        throw e;
      }
    }
    if (o.annotate) {
      const a = await annotate(sink, true);
      process.stdout.write(`annotated ${a.addresses} addresses (${a.matched} with an origin) from ${a.prefixes} prefixes in ${a.ms.toFixed(0)} ms\n`);
    }
  } finally {
    sink.close();
  }
  return exit;
}

export function registerContextCommands(program: Command, setExit: (code: number) => void): void {
  const ctx = program.command('context').description('exchange-point context: member exports, routing tables, origin ASes');
  const collect = (v: string, acc: string[]): string[] => [...acc, v];
  ctx.command('load')
    .description('load IX-F member exports, CAIDA pfx2as and MRT dumps (plain, gz, bz2), then annotate flows with origins')
    .option('--db <path>', 'DuckDB file', 'onpath.duckdb')
    .option('--ixf <file>', 'IX-F member export JSON (0.6, 0.7, 1.0); repeatable', collect, [])
    .option('--pfx2as <file>', 'CAIDA prefix2as (or pyasn IPASN-DAT); repeatable', collect, [])
    .option('--mrt <file>', 'MRT TABLE_DUMP_V2 RIB or BGP4MP updates; repeatable', collect, [])
    .option('--replace', 'load a file again even if the same content was loaded (replaces its rows)', false)
    .option('--no-annotate', 'do not recompute the origin AS of the flow addresses')
    .action(async (o: LoadOptions) => setExit(await runLoad(o)));
  ctx.command('annotate')
    .description('recompute the origin AS of every flow address (longest-prefix match over the loaded prefixes)')
    .option('--db <path>', 'DuckDB file', 'onpath.duckdb')
    .action(async (o: { db: string }) => {
      const sink = await DuckSink.open(o.db);
      try {
        const a = await annotate(sink, true);
        process.stdout.write(`annotated ${a.addresses} addresses (${a.matched} with an origin) from ${a.prefixes} prefixes in ${a.ms.toFixed(0)} ms\n`);
      } finally { sink.close(); }
      setExit(0);
    });
}
