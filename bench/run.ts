/**
 * npm run bench [-- --gen] [-- --packets N] [-- --full] [-- --scaling 1,2,4,8,16] [-- --no-peers] [-- --repeat N]
 *
 * Generates (once, or again with --gen) the project's header-only exchange-point capture
 * (snaplen 128), then measures, each as its own process under /usr/bin/time:
 *   - onpath: file -> DuckDB, with 1 worker, and with each worker count of --scaling; with 1 worker
 *     also with --no-inspect, so the cost of inspection (DNS, TLS, QUIC, HTTP) shows (the onpath
 *     rows are the fastest of --repeat runs, default 1);
 *   - the peers, on the same file: tshark conversations, ndpiReader, a naive pcap-parser +
 *     Map flow count in JS, and a C program (libpcap + open-addressing 5-tuple table), the floor.
 * A peer that is missing here is reported as skipped, never faked.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, statSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateCapture } from '../src/gen/ixp-mix.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const outDir = join(root, 'bench', 'out');
const cli = join(root, 'dist', 'src', 'cli', 'main.js');

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

interface Measured { name: string; command: string; wall: number; cpu: number; rssMb: number; note: string; skipped?: string }

function which(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
}

/** Runs a command under GNU time: wall seconds, user+system CPU seconds (children included), peak RSS. */
function timed(name: string, argv: string[], note = ''): Measured {
  const r = spawnSync('/usr/bin/time', ['-f', '@@TIME %e %U %S %M', ...argv], { encoding: 'utf8', maxBuffer: 256 << 20 });
  const m = /@@TIME ([\d.]+) ([\d.]+) ([\d.]+) (\d+)/.exec(r.stderr ?? '');
  const command = argv.map((a) => (a.includes(' ') ? `'${a}'` : a)).join(' ');
  if (r.status !== 0 || !m) return { name, command, wall: NaN, cpu: NaN, rssMb: NaN, note, skipped: `failed (${r.status}): ${(r.stderr ?? '').slice(-200)}` };
  const out = (r.stdout ?? '').trim().split('\n').slice(-1)[0] ?? '';
  return { name, command, wall: +m[1], cpu: +m[2] + +m[3], rssMb: +m[4] / 1024, note: note || out.slice(0, 80) };
}

function ensureFlowcount(): string | null {
  const bin = join(outDir, 'flowcount');
  const src = join(root, 'bench', 'peers', 'flowcount.c');
  if (existsSync(bin) && statSync(bin).mtimeMs > statSync(src).mtimeMs) return bin;
  if (!which('cc') || !existsSync('/usr/include/pcap/pcap.h')) return null;
  execFileSync('cc', ['-O2', '-o', bin, src, '-lpcap']);
  return bin;
}

async function main(): Promise<void> {
  const packets = Number(arg('--packets') ?? 1_000_000);
  const scaling = (arg('--scaling') ?? '').split(',').filter(Boolean).map(Number);
  mkdirSync(outDir, { recursive: true });
  const file = join(outDir, `ixp-mix-${packets}-s128.pcap`);
  if (process.argv.includes('--gen') || !existsSync(file)) {
    const t = Date.now();
    const s = await generateCapture({ out: file, packets, snaplen: 128, seed: 7 });
    console.log(`generated ${file}: ${s.packets} packets, ${s.flows} flows, ${(s.fileBytes / 2 ** 20).toFixed(1)} MiB in ${((Date.now() - t) / 1000).toFixed(1)} s`);
  }
  const files: [string, string][] = [['header-only', file]];
  if (process.argv.includes('--full')) {
    const n = Math.max(100_000, Math.floor(packets / 5));
    const full = join(outDir, `ixp-full-${n}.pcap`);
    if (process.argv.includes('--gen') || !existsSync(full)) await generateCapture({ out: full, packets: n, fullSize: true, seed: 7 });
    files.push(['full-size', full]);
  }
  console.log(`onpath bench ${new Date().toISOString().slice(0, 10)} on ${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} cores, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, node ${process.version}`);
  for (const [label, f] of files) {
    const size = statSync(f).size;
    const results: Measured[] = [];
    const db = join(outDir, 'bench.duckdb');
    const repeat = Math.max(1, Number(arg('--repeat') ?? 1));
    const onpath = (workers: number, extra: string[] = []): Measured => {
      let best: Measured | null = null;
      for (let i = 0; i < repeat; i++) {
        rmSync(db, { force: true }); rmSync(db + '.wal', { force: true });
        const m = timed(`onpath --workers ${workers}${extra.map((e) => ' ' + e).join('')}`,
          [process.execPath, cli, 'ingest', '-q', '--workers', String(workers), ...extra, '--db', db, f]);
        if (best === null || best.skipped || m.cpu < best.cpu) best = m;
      }
      return best!;
    };
    const inspectOn = onpath(1), inspectOff = onpath(1, ['--no-inspect']);
    results.push(onpath(0), inspectOn, inspectOff);
    const overhead = `inspection CPU overhead at 1 worker: ${((inspectOn.cpu / inspectOff.cpu - 1) * 100).toFixed(1)}% (${inspectOn.cpu.toFixed(2)} vs ${inspectOff.cpu.toFixed(2)} CPU s)`;
    for (const w of scaling) if (w > 1) results.push(onpath(w));
    if (!process.argv.includes('--no-peers')) {
      const fc = ensureFlowcount();
      results.push(fc ? timed('C floor (libpcap + hash table)', [fc, f]) : { name: 'C floor', command: '', wall: NaN, cpu: NaN, rssMb: NaN, note: '', skipped: 'no cc or libpcap-dev' });
      results.push(which('tshark')
        ? timed('tshark conv', ['tshark', '-n', '-q', '-r', f, '-z', 'conv,tcp', '-z', 'conv,udp'], 'conversation tables')
        : { name: 'tshark', command: '', wall: NaN, cpu: NaN, rssMb: NaN, note: '', skipped: 'tshark not installed' });
      results.push(which('ndpiReader')
        ? timed('ndpiReader', ['ndpiReader', '-i', f, '-q'], 'DPI + flows')
        : { name: 'ndpiReader', command: '', wall: NaN, cpu: NaN, rssMb: NaN, note: '', skipped: 'ndpiReader not installed (apt-get install libndpi-bin)' });
      results.push(timed('naive JS (pcap-parser + Map)', [process.execPath, join(root, 'dist', 'bench', 'peers', 'naive.js'), f]));
    }
    const n = label === 'header-only' ? packets : Math.max(100_000, Math.floor(packets / 5));
    console.log(`\n${label}: ${f} (${(size / 2 ** 20).toFixed(1)} MiB, ${n} packets)`);
    console.log('| tool | wall s | CPU s | packets/s (wall) | packets/CPU-s | MB/s (wall) | peak RSS MiB |');
    console.log('|---|---:|---:|---:|---:|---:|---:|');
    for (const r of results) {
      if (r.skipped) { console.log(`| ${r.name} | skipped: ${r.skipped} | | | | | |`); continue; }
      console.log(`| ${r.name} | ${r.wall.toFixed(2)} | ${r.cpu.toFixed(2)} | ${(n / r.wall / 1e6).toFixed(2)} M | ${(n / r.cpu / 1e6).toFixed(2)} M | ${(size / r.wall / 1e6).toFixed(0)} | ${r.rssMb.toFixed(0)} |`);
    }
    console.log(`\n${overhead}`);
    console.log('\ncommands:');
    for (const r of results) if (!r.skipped) console.log(`  ${r.command}`);
  }
}

await main();
