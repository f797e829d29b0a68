/**
 * node --expose-gc dist/bench/lpm.js [--file PATH] [--lookups N] [--repeat N] [--no-alt] [--no-v6]
 *
 * Longest-prefix match on a real full table (default: the RouteViews pfx2as of 2017-03-29 in
 * shared/ixp, 694,682 IPv4 prefixes): parse time, insert + build time, memory (typed-array bytes
 * of the trie and of the staged prefixes, and the process RSS / ArrayBuffer deltas around the
 * build), and lookups per second on one core (everything runs on the main thread) over N
 * addresses (default 10 M), with lookup() one address at a time and with lookupMany() over the
 * whole array. Three probe sets:
 *   - uniform over the whole IPv4 space;
 *   - inside the table's prefixes (a random prefix, then a random address in it): every probe
 *     matches, weighted to the dense /24 region;
 *   - inside the /25../32 prefixes only: every probe reaches the third level.
 * Each rate is the best of --repeat passes (default 3). Also timed: a naive reference (one Map per
 * prefix length, longest first) on 1 M addresses; other stride schedules / plain chunks (unless
 * --no-alt); and (unless --no-v6) a synthetic IPv6 table of 200 k prefixes, mostly /29../48,
 * made here because shared/ holds no real IPv6 table. Prints markdown tables.
 */
import { existsSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Lpm4, Lpm6, type LpmOptions } from '../src/context/lpm.js';
import { originsKey, readPfx2as } from '../src/context/pfx2as.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const TABLE = 'pyipmeta-routeviews-rv2-20170329-0200.pfx2as.gz';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

/** xorshift32: seeded, so runs probe the same addresses. */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13; x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5; x >>>= 0;
    return x;
  };
}

const gc = (globalThis as { gc?: () => void }).gc;
function settle(): void { if (gc) { gc(); gc(); } }
const mib = (b: number): string => (b / 2 ** 20).toFixed(1);
const ms = (t: bigint): number => Number(process.hrtime.bigint() - t) / 1e6;
const mps = (r: number): string => `${(r / 1e6).toFixed(1)} M/s`;

interface Rates { one: number; many: number; check: number }

/** Best-of-`repeat` rates of lookup() and lookupMany() over `addrs` (checking they agree). */
function timeV4(lpm: Lpm4, addrs: Uint32Array, out: Int32Array, repeat: number): Rates {
  let one = 0, many = 0, check = 0;
  for (let r = 0; r < repeat; r++) {
    let sum = 0;
    let t = process.hrtime.bigint();
    for (let i = 0; i < addrs.length; i++) sum = (sum + lpm.lookup(addrs[i]!)) | 0;
    one = Math.max(one, addrs.length / ms(t) * 1e3);
    t = process.hrtime.bigint();
    lpm.lookupMany(addrs, out);
    many = Math.max(many, addrs.length / ms(t) * 1e3);
    let sum2 = 0;
    for (let i = 0; i < addrs.length; i++) sum2 = (sum2 + out[i]!) | 0;
    if (sum2 !== sum) throw new Error('lookupMany disagrees with lookup');
    check = sum;
  }
  return { one, many, check };
}

async function main(): Promise<void> {
  const given = arg('--file');
  const path = given ?? [join(root, '..', 'shared', 'ixp', TABLE), join('/work/shared/ixp', TABLE)].find((p) => existsSync(p))!;
  const n = Number(arg('--lookups') ?? 10_000_000);
  const repeat = Math.max(1, Number(arg('--repeat') ?? 3));

  console.log(`onpath lpm bench ${new Date().toISOString().slice(0, 10)} on ${cpus()[0]?.model ?? 'unknown CPU'} (${cpus().length} cores, load average ${loadavg()[0]!.toFixed(1)}), node ${process.version}${gc ? '' : ' (without --expose-gc: memory deltas include garbage)'}`);
  console.log(`table: ${path}`);

  // Parse (gunzip, text, origin interning) into flat arrays; then time insert + build alone.
  let t = process.hrtime.bigint();
  const addrs: number[] = [], lens: number[] = [], values: number[] = [];
  const ids = new Map<string, number>();
  const sum = await readPfx2as(path, (e) => {
    if (e.family !== 4) return;
    const key = originsKey(e.origins);
    let id = ids.get(key);
    if (id === undefined) { id = ids.size; ids.set(key, id); }
    addrs.push(e.words[0]!); lens.push(e.length); values.push(id);
  });
  const parseMs = ms(t);
  const make = (opts: LpmOptions): [Lpm4, number] => {
    const t0 = process.hrtime.bigint();
    const lpm = new Lpm4(opts);
    for (let i = 0; i < addrs.length; i++) lpm.insert(addrs[i]!, lens[i]!, values[i]!);
    lpm.build();
    return [lpm, ms(t0)];
  };

  settle();
  const before = process.memoryUsage();
  const [v4, buildMs] = make({});
  settle();
  const mid = process.memoryUsage();
  const stagedBytes = v4.memoryBytes - v4.trieBytes;
  v4.freeze();
  settle();
  const after = process.memoryUsage();

  // Probe sets.
  const next = rng(12345);
  const inside = (i: number): number => (lens[i] === 32 ? addrs[i]! : (addrs[i]! | (next() >>> lens[i]!)) >>> 0);
  const deepIdx = lens.flatMap((l, i) => (l > 24 ? [i] : []));
  const uniform = new Uint32Array(n), fromTable = new Uint32Array(n), fromDeep = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    uniform[i] = next();
    fromTable[i] = inside(next() % addrs.length);
    fromDeep[i] = inside(deepIdx[next() % deepIdx.length]!);
  }
  const out = new Int32Array(n);
  const rUni = timeV4(v4, uniform, out, repeat);
  const rTab = timeV4(v4, fromTable, out, repeat);
  const rDeep = timeV4(v4, fromDeep, out, repeat);

  // Naive reference: one Map per length, longest first.
  const byLen: Map<number, number>[] = Array.from({ length: 33 }, () => new Map());
  for (let i = 0; i < addrs.length; i++) byLen[lens[i]!]!.set(addrs[i]!, values[i]!);
  const used = [...byLen.keys()].filter((l) => byLen[l]!.size > 0).sort((a, b) => b - a);
  const naive = (a: number): number => {
    for (const l of used) {
      const v = byLen[l]!.get(l === 0 ? 0 : (a & (0xffffffff << (32 - l))) >>> 0);
      if (v !== undefined) return v;
    }
    return -1;
  };
  const m = Math.min(n, 1_000_000);
  t = process.hrtime.bigint();
  let naiveSum = 0, lpmSum = 0;
  for (let i = 0; i < m; i++) naiveSum = (naiveSum + naive(uniform[i]!)) | 0;
  const rNaive = m / ms(t) * 1e3;
  for (let i = 0; i < m; i++) lpmSum = (lpmSum + v4.lookup(uniform[i]!)) | 0;
  if (naiveSum !== lpmSum) throw new Error('naive reference disagrees');

  console.log(`parsed ${sum.lines} lines: ${sum.v4} IPv4 + ${sum.v6} IPv6 entries, ${ids.size} distinct origin sets, ${sum.anomalyCount} anomalies`);
  console.log(`default IPv4 schedule 16-8-8, packed; chunks per level ${v4.levelChunks.join(' / ')}\n`);
  console.log('| IPv4, real table | value |');
  console.log('|---|---|');
  console.log(`| prefixes | ${v4.size} |`);
  console.log(`| parse (gunzip, text, intern origin sets) | ${parseMs.toFixed(0)} ms |`);
  console.log(`| insert + build (sort, paint, compact) | ${buildMs.toFixed(0)} ms |`);
  console.log(`| trie (typed arrays) | ${mib(v4.trieBytes)} MiB (${v4.trieBytes} B, ${(v4.trieBytes / v4.size).toFixed(1)} B/prefix) |`);
  console.log(`| staged prefixes (until freeze()) | ${mib(stagedBytes)} MiB |`);
  console.log(`| ArrayBuffer delta, insert + build | ${mib(mid.arrayBuffers - before.arrayBuffers)} MiB (after freeze: ${mib(after.arrayBuffers - before.arrayBuffers)} MiB) |`);
  console.log(`| RSS delta, insert + build | ${mib(mid.rss - before.rss)} MiB (after freeze: ${mib(after.rss - before.rss)} MiB; process RSS ${mib(after.rss)} MiB) |`);
  for (const [label, r] of [['uniform random IPv4', rUni], ['inside random table prefixes', rTab], ['inside random /25../32 prefixes', rDeep]] as const) {
    console.log(`| ${label}, ${n / 1e6} M: lookup() / lookupMany() | ${mps(r.one)} / ${mps(r.many)} |`);
  }
  console.log(`| naive Map-per-length reference, ${m / 1e6} M uniform | ${(rNaive / 1e6).toFixed(2)} M/s |`);

  if (!process.argv.includes('--no-alt')) {
    const k = Math.min(n, 2_000_000);
    const a1 = uniform.subarray(0, k), a2 = fromTable.subarray(0, k), o = out.subarray(0, k);
    console.log(`\n| IPv4 schedule (${k / 1e6} M probes each) | trie | build | uniform lookup() / lookupMany() | in-table lookup() / lookupMany() |`);
    console.log('|---|---|---|---|---|');
    const alts: [string, LpmOptions][] = [
      ['16-8-8 packed (default)', {}],
      ['16-8-8 plain', { packed: false }],
      ['18-6-8 packed', { strides: [18, 6, 8] }],
      ['20-4-8 plain', { strides: [20, 4, 8], packed: false }],
    ];
    for (const [label, opts] of alts) {
      const [lpm, b] = make(opts);
      const u = timeV4(lpm, a1, o, repeat), tb = timeV4(lpm, a2, o, repeat);
      if (u.check !== timeV4(v4, a1, o, 1).check) throw new Error(`${label} disagrees with the default`);
      console.log(`| ${label} | ${mib(lpm.trieBytes)} MiB | ${b.toFixed(0)} ms | ${mps(u.one)} / ${mps(u.many)} | ${mps(tb.one)} / ${mps(tb.many)} |`);
    }
  }

  if (process.argv.includes('--no-v6')) return;

  // Synthetic IPv6 table: 200 k prefixes in 2000::/3: /29../32 allocations under 3000 blocks,
  // /36../48 more-specifics under them, and a few /56../64 and /128 routes.
  const r6 = rng(777);
  const v6 = new Lpm6();
  const blocks: number[] = [];
  for (let i = 0; i < 3000; i++) blocks.push((((0x2000 | (r6() & 0x1ff0)) << 16) | (r6() & 0xff00)) >>> 0);
  const allocs: number[] = [];
  const w = new Uint32Array(4);
  let count = 0;
  const sub = [36, 40, 44, 48, 48, 48];
  t = process.hrtime.bigint();
  while (count < 200_000) {
    const kind = r6() % 100;
    w.fill(0);
    if (kind < 25 || allocs.length === 0) {
      w[0] = (blocks[r6() % blocks.length]! | (r6() & 0xff)) >>> 0;
      allocs.push(w[0]!);
      v6.insert(w, 29 + (r6() % 4), count++ % 50_000);
    } else if (kind < 97) {
      w[0] = allocs[r6() % allocs.length]!;
      w[1] = r6();
      v6.insert(w, sub[r6() % sub.length]!, count++ % 50_000);
    } else {
      w[0] = allocs[r6() % allocs.length]!;
      w[1] = r6(); w[2] = r6(); w[3] = r6();
      v6.insert(w, r6() % 2 ? 56 + (r6() % 9) : 128, count++ % 50_000);
    }
  }
  v6.build();
  const build6 = ms(t);
  const m6 = Math.min(n, 5_000_000);
  const probes = new Uint32Array(4 * m6);
  for (let i = 0; i < m6; i++) {
    probes[4 * i] = (allocs[r6() % allocs.length]! | (r6() & 0x7)) >>> 0;
    probes[4 * i + 1] = r6(); probes[4 * i + 2] = r6(); probes[4 * i + 3] = r6();
  }
  const out6 = new Int32Array(m6);
  let one6 = 0, many6 = 0;
  for (let r = 0; r < repeat; r++) {
    let s6 = 0;
    let t6 = process.hrtime.bigint();
    for (let i = 0; i < m6; i++) s6 = (s6 + v6.lookupWords(probes, 4 * i)) | 0;
    one6 = Math.max(one6, m6 / ms(t6) * 1e3);
    t6 = process.hrtime.bigint();
    v6.lookupManyWords(probes, out6);
    many6 = Math.max(many6, m6 / ms(t6) * 1e3);
    let s7 = 0;
    for (let i = 0; i < m6; i++) s7 = (s7 + out6[i]!) | 0;
    if (s7 !== s6) throw new Error('lookupManyWords disagrees with lookupWords');
  }
  console.log('\n| IPv6, synthetic table (16 then 8-bit strides, packed) | value |');
  console.log('|---|---|');
  console.log(`| prefixes | ${v6.size} |`);
  console.log(`| insert + build | ${build6.toFixed(0)} ms |`);
  console.log(`| trie (typed arrays) | ${mib(v6.trieBytes)} MiB (${(v6.trieBytes / v6.size).toFixed(1)} B/prefix); chunks per level ${v6.levelChunks.filter((c) => c > 0).join(' / ')} |`);
  console.log(`| random addresses under allocated prefixes, ${m6 / 1e6} M: lookupWords() / lookupManyWords() | ${mps(one6)} / ${mps(many6)} |`);
}

main().catch((e: unknown) => { console.error(e); process.exit(1); });
