/**
 * npm run bench [-- --gen] [-- --packets N] [-- --full]
 *
 * Generates (once, or again with --gen) a header-only exchange-point capture with the
 * project's own generator, then times the whole file → DuckDB ingest in this process:
 * wall seconds, CPU seconds (user + system), packets/s, peak RSS.
 */
import { existsSync, mkdirSync, rmSync, statSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cpus } from 'node:os';
import { generateCapture } from '../src/gen/ixp-mix.js';
import { DuckSink } from '../src/sink/duckdb.js';
import { DEFAULT_FLOW_OPTIONS } from '../src/flow/options.js';
import { ingestCapture } from '../src/pipeline/ingest.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const outDir = join(root, 'bench', 'out');

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

interface Case { name: string; file: string; packets: number; snaplen: number; fullSize: boolean }

async function main(): Promise<void> {
  const packets = Number(arg('--packets') ?? 1_000_000);
  const cases: Case[] = [
    { name: `header-only mix, snaplen 128, ${packets} packets`, file: join(outDir, `ixp-mix-${packets}-s128.pcap`), packets, snaplen: 128, fullSize: false },
  ];
  if (process.argv.includes('--full')) {
    const n = Math.max(100_000, Math.floor(packets / 5));
    cases.push({ name: `full-size frames, ${n} packets`, file: join(outDir, `ixp-full-${n}.pcap`), packets: n, snaplen: 65535, fullSize: true });
  }
  mkdirSync(outDir, { recursive: true });
  console.log(`onpath bench on ${cpus()[0]?.model ?? 'unknown CPU'} (${cpus().length} cores), node ${process.version}`);
  for (const c of cases) {
    if (process.argv.includes('--gen') || !existsSync(c.file)) {
      const t = Date.now();
      const s = await generateCapture({ out: c.file, packets: c.packets, snaplen: c.snaplen, fullSize: c.fullSize, seed: 7 });
      console.log(`generated ${c.file}: ${s.packets} packets, ${s.flows} flows, ${(s.fileBytes / 2 ** 20).toFixed(1)} MiB in ${((Date.now() - t) / 1000).toFixed(1)} s`);
    }
    const db = join(outDir, 'bench.duckdb');
    rmSync(db, { force: true });
    rmSync(db + '.wal', { force: true });
    const sink = await DuckSink.open(db);
    let peakRss = 0;
    const timer = setInterval(() => { peakRss = Math.max(peakRss, process.memoryUsage().rss); }, 50);
    const s = await ingestCapture(c.file, sink, {
      flow: DEFAULT_FLOW_OPTIONS, replace: false,
      onProgress: () => { peakRss = Math.max(peakRss, process.memoryUsage().rss); },
    });
    clearInterval(timer);
    sink.close();
    const size = statSync(c.file).size;
    console.log(`\n${c.name}`);
    console.log(`  file            ${(size / 2 ** 20).toFixed(1)} MiB, ${s.packets} packets, ${(s.bytes / 1e9).toFixed(3)} GB on the wire`);
    console.log(`  flows           ${s.flows}`);
    console.log(`  wall            ${s.seconds.toFixed(2)} s`);
    console.log(`  CPU             ${s.cpuSeconds.toFixed(2)} s (user+system, all threads of this process)`);
    console.log(`  packets/s       ${(s.packets / s.seconds / 1e6).toFixed(3)} M (wall), ${(s.packets / s.cpuSeconds / 1e6).toFixed(3)} M per CPU-second`);
    console.log(`  file bytes/s    ${(size / s.seconds / 1e9).toFixed(3)} GB/s (wall)`);
    console.log(`  peak RSS        ${(peakRss / 2 ** 20).toFixed(0)} MiB`);
  }
}

await main();
