/**
 * npm run bench:alloc [-- FILE] [-- --top N]
 *
 * What the decode loop allocates on the JavaScript heap, per packet: the ranges of a capture
 * (default: the header-only benchmark capture, bench/out/ixp-mix-1000000-s128.pcap) are decoded
 * and put through the flow table once to warm the JIT up, then once more under V8's sampling heap
 * profiler (one sample per 4 KiB allocated, objects the scavenger freed included), with and without
 * inspection. Printed per mode: bytes per packet and the functions that allocated most.
 *
 * The rule this checks: no object, string, closure or boxed number per packet in the decode and
 * flow loop; inspection allocates only for the flows it reads. Typed-array backing stores outside
 * the heap do not show here (a range's buffers are made before the sampling starts).
 *
 * Each mode runs in a child process of its own, so the two share no JIT state, with the V8 setting
 * `onpath ingest` makes (src/cli/jit.ts: the inlining budget changes which numbers V8 boxes).
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { decodeRanges, readAllRanges } from './ranges.js';
import { tuneJit } from '../src/cli/jit.js';

tuneJit();

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const argv = process.argv.slice(2);
const ti = argv.indexOf('--top');
const top = ti >= 0 ? Math.max(1, Number(argv[ti + 1])) : 8;
const mi = argv.indexOf('--mode');
const mode = mi >= 0 ? argv[mi + 1] : null;
const file = argv.find((a, i) => !a.startsWith('--') && (ti < 0 || i !== ti + 1) && (mi < 0 || i !== mi + 1)) ??
  join(root, 'bench', 'out', 'ixp-mix-1000000-s128.pcap');

interface ProfileNode { callFrame: { functionName: string; url: string; lineNumber: number }; selfSize: number; children: ProfileNode[] }

async function measure(inspect: boolean): Promise<void> {
  const ranges = await readAllRanges(file);
  let packets = 0;
  const pass = (): void => {
    packets = 0;
    for (const r of decodeRanges(ranges, inspect)) packets += r.packets;
  };
  pass();
  const session = new Session();
  session.connect();
  await session.post('HeapProfiler.startSampling', {
    samplingInterval: 4096, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true,
  });
  pass();
  const { profile } = await session.post('HeapProfiler.stopSampling') as { profile: { head: ProfileNode } };
  session.disconnect();
  const byFunction = new Map<string, number>();
  let total = 0;
  const walk = (n: ProfileNode): void => {
    const cf = n.callFrame;
    const where = cf.url === '' ? '(native)' : `${cf.url.split('/').slice(-2).join('/')}:${cf.lineNumber + 1}`;
    const key = `${cf.functionName || '(anonymous)'} ${where}`;
    if (n.selfSize > 0) byFunction.set(key, (byFunction.get(key) ?? 0) + n.selfSize);
    total += n.selfSize;
    for (const c of n.children) walk(c);
  };
  walk(profile.head);
  console.log(`${inspect ? 'inspect' : '--no-inspect'}: ${packets} packets, ${(total / 1e6).toFixed(1)} MB sampled, ` +
    `${(total / packets).toFixed(1)} bytes a packet`);
  for (const [k, v] of [...byFunction].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    console.log(`  ${(v / 1e6).toFixed(1).padStart(7)} MB  ${k}`);
  }
}

if (mode !== null) await measure(mode === 'inspect');
else {
  if (!existsSync(file)) {
    console.error(`${file}: not found (npm run bench makes the benchmark capture; or give a capture)`);
    process.exit(2);
  }
  const self = fileURLToPath(import.meta.url);
  for (const m of ['no-inspect', 'inspect']) {
    const r = spawnSync(process.execPath, [self, file, '--top', String(top), '--mode', m], { stdio: 'inherit' });
    if (r.status !== 0) process.exit(r.status ?? 1);
  }
}
