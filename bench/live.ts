/**
 * npm run bench:live [-- --rates 25000,50000,...] [-- --seconds 10] [-- --ring-mb 16] [-- --buffer-mb 1024] [-- --no-pin] [-- --packets N]
 *
 * How fast `onpath live` captures without losing packets. Header-only traffic (the project's
 * generated exchange-point mix, every address rewritten into 127.0.0.0/8 or ::1, payloads
 * cut off, checked with tshark before anything is sent) is replayed with tcpreplay at
 * stepped rates into one end of a veth pair in a network namespace made for the run;
 * `onpath live` captures on the other end, pinned to one core (tcpreplay on another).
 *
 * The ring between capture and decoding is kept small (16 MiB, about 200k header-only
 * packets) and each step long (10 s), so that a step passes only when decoding keeps up
 * with the rate, not because the ring soaked up a short burst.
 *
 * A step has zero loss when every packet tcpreplay sent is in the capture: nothing dropped
 * in the kernel's buffer, in onpath's ring, or anywhere else. (The cap binding has no
 * pcap_stats(), so the kernel's own drop counter cannot be read; counting end to end is the
 * stricter test.) Needs root, tcpreplay, tshark and the cap binding; Linux only.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DuckDBInstance } from '@duckdb/node-api';
import { generateCapture } from '../src/gen/ixp-mix.js';
import { loopbackViolations, rewriteToLoopback } from '../src/io/live-loopback.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const outDir = join(root, 'bench', 'out');
const CLI = join(root, 'dist', 'src', 'cli', 'main.js');
const NS = `onpath-bench${process.pid}`;
const TX = 'onpb-tx';
const RX = 'onpb-rx';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

function sh(cmd: string, args: string[]): string {
  return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 30_000 });
}

function need(cond: boolean, why: string): void {
  if (!cond) { process.stderr.write(`bench:live: ${why}\n`); process.exit(2); }
}

function sleep(ms: number): Promise<void> { return new Promise((r) => setTimeout(r, ms)); }

function deleteNamespace(): void { spawnSync('ip', ['netns', 'del', NS], { stdio: 'ignore' }); }

function createNamespace(): void {
  deleteNamespace();
  sh('ip', ['netns', 'add', NS]);
  sh('ip', ['netns', 'exec', NS, 'sysctl', '-qw', 'net.ipv6.conf.all.disable_ipv6=1', 'net.ipv6.conf.default.disable_ipv6=1']);
  sh('ip', ['netns', 'exec', NS, 'ip', 'link', 'add', TX, 'type', 'veth', 'peer', 'name', RX]);
  for (const d of [TX, RX]) sh('ip', ['netns', 'exec', NS, 'ip', 'link', 'set', d, 'mtu', '9000', 'up']);
}

/** user + system CPU seconds of a process (all its threads), from /proc. */
function cpuSeconds(pid: number): number {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const rest = f.slice(f.lastIndexOf(')') + 2).split(' ');
    return (Number(rest[11]) + Number(rest[12])) / 100; // utime, stime in clock ticks (USER_HZ 100)
  } catch { return NaN; }
}

/** Busy CPU seconds of the whole machine so far (all cores), from /proc/stat. */
function machineBusy(): number {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const total = f.slice(0, 8).reduce((a, b) => a + b, 0);
  return (total - f[3]! - f[4]!) / 100; // minus idle and iowait
}

/** CPU seconds of this process and of its children that have ended (tcpreplay). */
function selfAndChildren(): number {
  const f = readFileSync('/proc/self/stat', 'utf8');
  const r = f.slice(f.lastIndexOf(')') + 2).split(' ').map(Number);
  return (r[11]! + r[12]! + r[13]! + r[14]!) / 100;
}

interface Step {
  requested: number; achieved: number; sent: number; captured: number; ringDrops: number; ifDrops: number | null;
  seconds: number; cpu: number;
  /** Cores kept busy by anything else during the step: other users of the machine disturb the figures. */
  otherCores: number;
}

async function step(file: string, packets: number, rate: number, seconds: number, ringMb: number, bufferMb: number, pin: { onpath: string[]; replay: string[] }): Promise<Step> {
  const db = join(outDir, 'live-bench.duckdb');
  rmSync(db, { force: true });
  rmSync(db + '.wal', { force: true });
  const live = spawn('ip', ['netns', 'exec', NS, ...pin.onpath, process.execPath, CLI, 'live', '-i', RX, '--db', db, '--buffer-mb', String(bufferMb), '--ring-mb', String(ringMb)],
    { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  const ready = new Promise<void>((res, rej) => {
    live.stderr!.on('data', (d: Buffer) => { err += d.toString(); if (err.includes('capturing on')) res(); });
    live.on('exit', () => rej(new Error(`onpath live ended early:\n${err}`)));
  });
  const exited = new Promise<number | null>((res) => live.on('exit', (c) => res(c)));
  try {
    await ready;
    const cpu0 = cpuSeconds(live.pid!); // the onpath process is the one `ip netns exec` became (same pid)
    const busy0 = machineBusy();
    const mine0 = selfAndChildren();
    const t0 = Date.now();
    const loops = Math.max(1, Math.round((rate * seconds) / packets));
    const r = spawnSync('ip', ['netns', 'exec', NS, ...pin.replay, 'tcpreplay', '-i', TX, `--pps=${rate}`, `--loop=${loops}`, file],
      { encoding: 'utf8', timeout: (seconds * 4 + 60) * 1000 });
    const out = r.stdout + r.stderr;
    const sent = Number(/Actual: (\d+) packets/.exec(out)?.[1] ?? NaN);
    const took = Number(/sent in ([\d.]+) seconds/.exec(out)?.[1] ?? NaN);
    const achieved = Number(/Rated: [\d.]+ Bps, [\d.]+ Mbps, ([\d.]+) pps/.exec(out)?.[1] ?? NaN);
    await sleep(1000); // let the ring and the pipeline catch up
    const cpu = cpuSeconds(live.pid!) - cpu0;
    const otherCores = (machineBusy() - busy0 - cpu - (selfAndChildren() - mine0)) / ((Date.now() - t0) / 1000);
    live.kill('SIGINT');
    const code = await Promise.race([exited, sleep(60_000).then(() => 'timeout' as const)]);
    if (code !== 0) throw new Error(`onpath live exited ${code}:\n${err}`);
    const inst = await DuckDBInstance.create(db, { access_mode: 'READ_ONLY' });
    const conn = await inst.connect();
    const row = (await conn.runAndReadAll('SELECT packets, isb_os_drop, isb_if_drop FROM captures')).getRows()[0]!;
    conn.closeSync();
    inst.closeSync();
    return {
      requested: rate, achieved, sent, captured: Number(row[0]), ringDrops: Number(row[1]),
      ifDrops: row[2] === null ? null : Number(row[2]), seconds: took, cpu, otherCores,
    };
  } finally {
    live.kill('SIGKILL');
  }
}

async function main(): Promise<void> {
  need(process.platform === 'linux', 'Linux only');
  need(process.getuid?.() === 0, 'needs root (network namespace, capture)');
  for (const c of ['ip', 'tcpreplay', 'tshark']) need(spawnSync('sh', ['-c', `command -v ${c}`]).status === 0, `${c} is not installed`);
  need(existsSync(CLI), 'build first (npx tsc)');
  const rates = (arg('--rates') ?? '25000,50000,75000,100000,125000,150000,200000,250000,300000,400000').split(',').map(Number);
  const seconds = Number(arg('--seconds') ?? 10);
  const ringMb = Number(arg('--ring-mb') ?? 16);
  const bufferMb = Number(arg('--buffer-mb') ?? 1024);
  const packets = Number(arg('--packets') ?? 200_000);
  const n = cpus().length;
  const pinned = !process.argv.includes('--no-pin') && n >= 2;
  const pin = pinned ? { onpath: ['taskset', '-c', String(n - 1)], replay: ['taskset', '-c', '0'] } : { onpath: [], replay: [] };

  mkdirSync(outDir, { recursive: true });
  const gen = join(outDir, `live-gen-${packets}.pcap`);
  const file = join(outDir, `live-header-only-${packets}.pcap`);
  if (!existsSync(file)) {
    await generateCapture({ out: gen, packets, seed: 7, snaplen: 256 });
    const r = rewriteToLoopback(readFileSync(gen), { headerOnly: true });
    writeFileSync(file, r.pcap);
    rmSync(gen, { force: true });
  }
  // HARD RULE: nothing but loopback addresses is ever sent. Checked with tshark on every run.
  const bad = loopbackViolations(file);
  need(bad.length === 0, `${file} holds non-loopback addresses (${bad.slice(0, 3).join('; ')}): refusing to replay it`);
  const kept = Number(sh('capinfos', ['-c', '-M', file]).match(/Number of packets:\s+(\d+)/)?.[1] ?? packets);
  const avg = Number(sh('capinfos', ['-z', file]).match(/Average packet size:\s+([\d.]+)/)?.[1] ?? NaN);

  console.log(`onpath live bench on ${cpus()[0]?.model ?? 'unknown CPU'} (${n} cores), node ${process.version}`);
  console.log(`traffic: ${kept} header-only packets (average ${avg} bytes), generated mix rewritten to loopback, ${seconds} s per step, ring ${ringMb} MiB, libpcap buffer ${bufferMb} MiB`);
  console.log(pinned ? `onpath pinned to core ${n - 1} (capture and decoding threads together), tcpreplay to core 0\n` : 'not pinned\n');
  createNamespace();
  const cleanup = (): void => { deleteNamespace(); process.exit(130); };
  process.on('SIGINT', cleanup);
  const results: Step[] = [];
  try {
    console.log('requested   achieved       sent   captured      lost  ring-drops  if-drops  onpath CPU   µs/pkt  zero loss  other load');
    for (const rate of rates) {
      const s = await step(file, kept, rate, seconds, ringMb, bufferMb, pin);
      results.push(s);
      const lost = s.sent - s.captured;
      console.log([
        String(s.requested).padStart(9), s.achieved.toFixed(0).padStart(10), String(s.sent).padStart(10), String(s.captured).padStart(10),
        String(lost).padStart(9), String(s.ringDrops).padStart(11), String(s.ifDrops ?? '-').padStart(9),
        `${((100 * s.cpu) / (s.seconds + 1)).toFixed(0)}%`.padStart(11), ((1e6 * s.cpu) / Math.max(s.captured, 1)).toFixed(1).padStart(8),
        (lost === 0 ? 'yes' : 'no').padStart(10), `${s.otherCores.toFixed(2)} cores`.padStart(11),
      ].join(' '));
    }
  } finally {
    deleteNamespace();
  }
  const ok = results.filter((r) => r.sent === r.captured);
  const best = ok.reduce<Step | null>((b, r) => (b === null || r.achieved > b.achieved ? r : b), null);
  console.log(best
    ? `\nhighest rate with zero loss: ${best.achieved.toFixed(0)} packets/s (tcpreplay --pps ${best.requested}, ${best.sent} packets)`
    : '\nno step without loss');
}

await main();
