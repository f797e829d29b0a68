/**
 * `onpath live` on real interfaces: lo, and a veth pair inside a network namespace that
 * this file creates (and always deletes), with tcpreplay sending into one end.
 *
 * HARD RULE: nothing is ever sent toward a non-loopback address, not even inside the
 * namespace. The replayed capture is the project's generated traffic with every address
 * rewritten into 127.0.0.0/8 or ::1 (src/io/live-loopback.ts), and it is checked with tshark
 * (every address field of every packet, inner headers included) before it is replayed; a
 * file that fails the check is never handed to tcpreplay. IPv6 is disabled in the namespace
 * before its links exist, so the kernel sends nothing of its own (no ND, no MLD) either.
 *
 * Skipped, with the reason in the test name, only where the machine cannot do it: not
 * Linux, not root, or the cap binding not built; the namespace tests also need tcpreplay,
 * tshark and permission to create namespaces.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { CLI, onpath } from './helpers/cli.js';
import { tempDir } from './helpers/ingest.js';
import { generateCapture } from '../src/gen/ixp-mix.js';
import { loopbackViolations, rewriteToLoopback, tsharkPacketCount } from '../src/io/live-loopback.js';

const require_ = createRequire(import.meta.url);

function has(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

function liveSkipReason(): string | null {
  if (process.platform !== 'linux') return 'live capture tests need Linux';
  if (process.getuid?.() !== 0) return 'not root: capturing needs root or CAP_NET_RAW';
  try { require_('cap'); } catch (e) { return `the optional cap package (libpcap binding) is not built here: ${(e as Error).message.split('\n')[0]}`; }
  if (!existsSync(CLI)) return `the CLI is not built (${CLI}); run npx tsc first`;
  return null;
}

const NS = `onpath-t${process.pid}`;
const VETH_TX = 'onpt-tx';
const VETH_RX = 'onpt-rx';

function ip(args: string[]): void {
  execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'], timeout: 10_000 });
}

function deleteNamespace(): void {
  spawnSync('ip', ['netns', 'del', NS], { stdio: 'ignore', timeout: 10_000 });
}

/** Creates the namespace with IPv6 off, then the veth pair inside it, both ends up, no addresses. */
function createNamespace(): void {
  deleteNamespace();
  ip(['netns', 'add', NS]);
  ip(['netns', 'exec', NS, 'sysctl', '-qw', 'net.ipv6.conf.all.disable_ipv6=1', 'net.ipv6.conf.default.disable_ipv6=1']);
  ip(['netns', 'exec', NS, 'ip', 'link', 'add', VETH_TX, 'type', 'veth', 'peer', 'name', VETH_RX]);
  for (const dev of [VETH_TX, VETH_RX]) ip(['netns', 'exec', NS, 'ip', 'link', 'set', dev, 'mtu', '9000', 'up']);
}

function vethSkipReason(): string | null {
  const base = liveSkipReason();
  if (base) return base;
  for (const cmd of ['ip', 'tcpreplay', 'tshark', 'editcap', 'capinfos']) if (!has(cmd)) return `${cmd} is not installed`;
  try { createNamespace(); } catch (e) { return `cannot create a network namespace: ${(e as Error).message.split('\n')[0]}`; } finally { deleteNamespace(); }
  return null;
}

const liveSkip = liveSkipReason();
const vethSkip = liveSkip ?? vethSkipReason();

interface Run { code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }

/** `onpath live ...` as a child (inside the namespace when `netns`); `ready` resolves once it captures. */
function startLive(args: string[], opts: { netns?: boolean; env?: NodeJS.ProcessEnv; limitMs?: number } = {}):
  { proc: ChildProcess; ready: Promise<void>; checkpointed: Promise<void>; done: Promise<Run> } {
  const cmd = opts.netns ? 'ip' : process.execPath;
  const all = [...args, '--buffer-mb', '128']; // 2,000 slots: plenty at the rates used here, quick to set up
  const argv = opts.netns ? ['netns', 'exec', NS, process.execPath, CLI, 'live', ...all] : [CLI, 'live', ...all];
  const proc = spawn(cmd, argv, { env: { ...process.env, ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  let onReady: () => void = () => {};
  let onFail: (e: Error) => void = () => {};
  const ready = new Promise<void>((res, rej) => { onReady = res; onFail = rej; });
  let onCheckpoint: () => void = () => {};
  const checkpointed = new Promise<void>((res) => { onCheckpoint = res; });
  proc.stdout!.on('data', (d: Buffer) => { stdout += d.toString(); });
  proc.stderr!.on('data', (d: Buffer) => {
    stderr += d.toString();
    if (stderr.includes('onpath live: capturing on')) onReady();
    if (stderr.includes('onpath live: checkpoint:')) onCheckpoint();
  });
  const killer = setTimeout(() => proc.kill('SIGKILL'), opts.limitMs ?? 60_000);
  const done = new Promise<Run>((res) => {
    proc.on('exit', (code, signal) => {
      clearTimeout(killer);
      onFail(new Error(`onpath live exited (${code ?? signal}) before capturing:\n${stderr}`));
      // 'exit' can come before the pipes are drained
      setTimeout(() => res({ code, signal, stdout, stderr }), 50);
    });
  });
  const readyTimer = setTimeout(() => onFail(new Error(`onpath live not capturing after 30 s:\n${stderr}`)), 30_000);
  ready.finally(() => clearTimeout(readyTimer)).catch(() => {});
  return { proc, ready, checkpointed, done };
}

function sleep(ms: number): Promise<void> { return new Promise((r) => setTimeout(r, ms)); }

/** Replays `file` into the namespace's veth at `pps`; resolves with the packets tcpreplay says it sent. */
function replay(file: string, pps: number): { proc: ChildProcess; sent: Promise<number> } {
  const proc = spawn('ip', ['netns', 'exec', NS, 'tcpreplay', '-i', VETH_TX, `--pps=${pps}`, file], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout!.on('data', (d: Buffer) => { out += d.toString(); });
  proc.stderr!.on('data', (d: Buffer) => { out += d.toString(); });
  const killer = setTimeout(() => proc.kill('SIGKILL'), 60_000);
  const sent = new Promise<number>((res, rej) => proc.on('exit', (code, signal) => {
    clearTimeout(killer);
    const m = /Actual: (\d+) packets/.exec(out);
    if (m) res(Number(m[1]));
    else rej(new Error(`tcpreplay exited (${code ?? signal}) without a count:\n${out}`));
  }));
  return { proc, sent };
}

async function query(db: string, sql: string): Promise<Record<string, unknown>[]> {
  const inst = await DuckDBInstance.create(db, { access_mode: 'READ_ONLY' });
  try {
    const conn = await inst.connect();
    const r = await conn.runAndReadAll(sql);
    const cols = r.columnNames();
    const rows = r.getRowsJson().map((row) => Object.fromEntries(cols.map((c, i) => [c, row[i]])));
    conn.closeSync();
    return rows;
  } finally {
    inst.closeSync();
  }
}

/** Packets and bytes per 5-tuple (summed over the flows of a key), sorted: the comparison of two ingests. */
async function perTuple(db: string): Promise<string[]> {
  const rows = await query(db, `
    SELECT proto, orig_addr, orig_port, resp_addr, resp_port,
      sum(orig_pkts) op, sum(resp_pkts) rp, sum(orig_wire_bytes) ow, sum(resp_wire_bytes) rw,
      sum(orig_ip_bytes) oi, sum(resp_ip_bytes) ri, sum(orig_payload_bytes) opl, sum(resp_payload_bytes) rpl
    FROM flows GROUP BY ALL`);
  return rows.map((r) => JSON.stringify(r)).sort();
}

describe(`live capture on lo${liveSkip ? ` (skipped: ${liveSkip})` : ''}`, () => {
  const dir = tempDir('onpath-live-');

  it.skipIf(liveSkip !== null)('interfaces lists the devices libpcap sees, lo among them', () => {
    const r = onpath(['interfaces', '--json']);
    expect(r.status, r.stderr).toBe(0);
    const devs = JSON.parse(r.stdout) as { name: string; flags?: string }[];
    expect(devs.find((d) => d.name === 'lo')?.flags).toBe('PCAP_IF_LOOPBACK');
    expect(onpath(['interfaces']).stdout).toMatch(/^lo\s+loopback/m);
  });

  it.skipIf(liveSkip !== null)('sees exactly the UDP datagrams this test sends and echoes, with --snaplen applied', async () => {
    const db = join(dir, 'lo.duckdb');
    const server = createSocket('udp4');
    const client = createSocket('udp4');
    await new Promise<void>((r) => server.bind(0, '127.0.0.1', r));
    await new Promise<void>((r) => client.bind(0, '127.0.0.1', r));
    const sport = client.address().port;
    const dport = server.address().port;
    server.on('message', (m, from) => server.send(m.subarray(0, 5), from.port, from.address));
    const live = startLive(['-i', 'lo', '--filter', `udp and host 127.0.0.1 and port ${dport}`, '--snaplen', '60', '--db', db]);
    try {
      await live.ready;
      const t0 = BigInt(Date.now()) * 1_000_000n;
      const N = 40;
      let echoes = 0;
      const allEchoed = new Promise<void>((r) => client.on('message', () => { if (++echoes === N) r(); }));
      for (let i = 1; i <= N; i++) {
        await new Promise<void>((res, rej) => client.send(Buffer.alloc(i * 3, i), dport, '127.0.0.1', (e) => (e ? rej(e) : res())));
      }
      await Promise.race([allEchoed, sleep(10_000)]);
      expect(echoes).toBe(N);
      await sleep(300); // at least one ring flush (100 ms)
      const t1 = BigInt(Date.now()) * 1_000_000n;
      live.proc.kill('SIGINT');
      const run = await live.done;
      expect(run.code, run.stderr).toBe(0);
      expect(run.stdout).toMatch(/live:lo: complete, capture 1, 80 packets/);

      const flows = await query(db, `SELECT *, epoch_ns(first_ts) AS first_ns FROM flows`);
      expect(flows).toHaveLength(1);
      const f = flows[0]!;
      const sizes = Array.from({ length: N }, (_, i) => (i + 1) * 3);
      const sum = (a: number[]): number => a.reduce((s, x) => s + x, 0);
      expect({ proto: f.proto, oa: f.orig_addr, op: f.orig_port, ra: f.resp_addr, rp: f.resp_port }).toEqual(
        { proto: 17, oa: '127.0.0.1', op: sport, ra: '127.0.0.1', rp: dport });
      expect([f.orig_pkts, f.resp_pkts]).toEqual(['40', '40']);
      expect(f.orig_payload_bytes).toBe(String(sum(sizes)));
      const echoed = sizes.map((s) => Math.min(5, s));
      expect(f.resp_payload_bytes).toBe(String(sum(echoed)));
      expect(f.orig_ip_bytes).toBe(String(sum(sizes) + 28 * N));
      expect(f.orig_wire_bytes).toBe(String(sum(sizes) + 42 * N)); // the wire length, not the 60-byte snaplen
      expect(f.resp_wire_bytes).toBe(String(sum(echoed) + 42 * N));
      expect(f.truncated_pkts).toBe(sizes.filter((s) => s + 42 > 60).length);
      expect(f.end_reason).toBe('shutdown');
      const first = BigInt(String(f.first_ns));
      expect(first >= t0 - 1_000_000_000n && first <= t1).toBe(true); // wall-clock stamps

      const [c] = await query(db, `SELECT * FROM captures`);
      expect(c).toMatchObject({
        path: 'live:lo', format: 'pcap-ns', linktypes: [1], packets: '80', snaplen: 60, status: 'complete', flows: '1',
        isb_if_recv: '80', isb_os_drop: '0', isb_usr_deliv: '80',
      });
    } finally {
      live.proc.kill('SIGKILL');
      server.close();
      client.close();
    }
  }, 60_000);

  it.skipIf(liveSkip !== null)('--packets and --duration stop the capture by themselves, exit 0', async () => {
    const db = join(dir, 'stops.duckdb');
    const sock = createSocket('udp4');
    await new Promise<void>((r) => sock.bind(0, '127.0.0.1', r));
    const port = sock.address().port;
    try {
      const live = startLive(['-i', 'lo', '--filter', `udp and dst port ${port}`, '--packets', '5', '--db', db], { limitMs: 30_000 });
      await live.ready;
      for (let i = 0; i < 12; i++) {
        await new Promise<void>((res, rej) => sock.send(Buffer.alloc(8), port, '127.0.0.1', (e) => (e ? rej(e) : res())));
        await sleep(20);
      }
      const run = await live.done;
      expect(run.code, run.stderr).toBe(0);
      expect(run.stdout).toMatch(/after 5 packets/);
      const t = Date.now();
      const idle = startLive(['-i', 'lo', '--filter', `udp and dst port ${port} and src port 1`, '--duration', '1', '--db', db], { limitMs: 30_000 });
      await idle.ready;
      const run2 = await idle.done;
      expect(run2.code, run2.stderr).toBe(0);
      expect(Date.now() - t).toBeGreaterThanOrEqual(1000);
    } finally {
      sock.close();
    }
    expect(await query(db, `SELECT capture_id, packets, status, flows FROM captures ORDER BY 1`)).toEqual([
      { capture_id: 1, packets: '5', status: 'complete', flows: '1' },
      { capture_id: 2, packets: '0', status: 'complete', flows: '0' },
    ]);
  }, 60_000);

  it('live explains what is missing when the cap binding cannot be loaded', () => {
    const r = spawnSync(process.execPath, [CLI, 'live', '-i', 'lo', '--db', join(dir, 'never.duckdb')], {
      encoding: 'utf8', timeout: 30_000, env: { ...process.env, ONPATH_CAP_MODULE: 'onpath-no-such-cap-module' },
    });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("optional package 'cap'");
    expect(r.stderr).toContain('libpcap-dev');
    expect(r.stderr).toContain('npm rebuild cap');
    expect(existsSync(join(dir, 'never.duckdb'))).toBe(false);
  });

  it('usage errors: --duration with --packets, --rotate-mb without --write-pcap', () => {
    expect(onpath(['live', '-i', 'lo', '--duration', '1', '--packets', '5']).status).toBe(2);
    const r = onpath(['live', '-i', 'lo', '--rotate-mb', '5', '--db', join(dir, 'never2.duckdb')]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('--rotate-mb needs --write-pcap');
  });
});

describe(`live capture on a veth pair in a namespace, replayed with tcpreplay${vethSkip ? ` (skipped: ${vethSkip})` : ''}`, () => {
  const dir = tempDir('onpath-veth-');
  const replayFile = join(dir, 'loopback.pcap');
  let kept = 0;

  beforeAll(async () => {
    if (vethSkip !== null) return;
    const gen = join(dir, 'gen.pcap');
    await generateCapture({ out: gen, packets: 6000, seed: 11, snaplen: 256 });
    const r = rewriteToLoopback(readFileSync(gen));
    writeFileSync(replayFile, r.pcap);
    kept = r.kept;
    createNamespace();
  }, 60_000);

  afterAll(() => { if (vethSkip === null) deleteNamespace(); });

  it.skipIf(vethSkip !== null)('the capture to replay holds loopback addresses only (tshark, every address field, inner headers too)', () => {
    expect(kept).toBeGreaterThan(5000);
    expect(loopbackViolations(replayFile)).toEqual([]);
    expect(tsharkPacketCount(replayFile)).toBe(kept);
  });

  it.skipIf(vethSkip !== null)('replayed flows equal the flows of ingesting the same file; --write-pcap output ingests to the same flows', async () => {
    expect(loopbackViolations(replayFile)).toEqual([]); // never replay anything that fails the check
    const db = join(dir, 'veth.duckdb');
    const pcapDir = join(dir, 'written');
    const live = startLive(['-i', VETH_RX, '--db', db, '--write-pcap', pcapDir, '--rotate-mb', '1', '--checkpoint', '1'], { netns: true });
    let sent: number;
    try {
      await live.ready;
      sent = await replay(replayFile, 5000).sent;
      await sleep(500);
      live.proc.kill('SIGINT');
      const run = await live.done;
      expect(run.code, run.stderr).toBe(0);
    } finally {
      live.proc.kill('SIGKILL');
    }
    expect(sent).toBe(kept);

    const fileDb = join(dir, 'file.duckdb');
    expect(onpath(['ingest', '-q', '--db', fileDb, replayFile]).status).toBe(0);
    const [c] = await query(db, `SELECT packets, status, isb_if_recv, isb_os_drop, isb_usr_deliv FROM captures`);
    expect(c).toEqual({ packets: String(kept), status: 'complete', isb_if_recv: String(kept), isb_os_drop: '0', isb_usr_deliv: String(kept) });
    const fromLive = await perTuple(db);
    expect(fromLive.length).toBeGreaterThan(100);
    expect(fromLive).toEqual(await perTuple(fileDb));

    const files = readdirSync(pcapDir).filter((f) => f.endsWith('.pcapng')).sort().map((f) => join(pcapDir, f));
    expect(files.length).toBeGreaterThan(1); // rotated at 1 MB
    expect(files.reduce((s, f) => s + tsharkPacketCount(f), 0)).toBe(kept);
    expect(execFileSync('capinfos', ['-T', '-r', '-a', files[0]!], { encoding: 'utf8' })).toMatch(/\d+\.\d{9}/); // ns timestamps
    const catDb = join(dir, 'written.duckdb');
    const all = Buffer.concat(files.map((f) => readFileSync(f)));
    const r = spawnSync(process.execPath, [CLI, 'ingest', '-q', '--db', catDb, '-'], { input: all, encoding: 'utf8', timeout: 60_000 });
    expect(r.status, r.stderr).toBe(0);
    expect(await perTuple(catDb)).toEqual(fromLive);
    const [w] = await query(catDb, `SELECT packets, isb_usr_deliv FROM captures`);
    expect(w).toEqual({ packets: String(kept), isb_usr_deliv: String(kept) });
    const times = `SELECT epoch_ns(first_ts) AS a, epoch_ns(last_ts) AS b FROM captures`;
    expect(await query(catDb, times)).toEqual(await query(db, times)); // the ns stamps survive pcapng exactly
    // The rotated files given as files: one capture stream, the same flows, a capture_files row each.
    const streamDb = join(dir, 'written-stream.duckdb');
    expect(onpath(['ingest', '-q', '--db', streamDb, ...files]).status).toBe(0);
    expect(await perTuple(streamDb)).toEqual(fromLive);
    expect(await query(streamDb, `SELECT count(*) AS n, sum(packets) AS p FROM capture_files`)).toEqual([{ n: String(files.length), p: String(kept) }]);
  }, 120_000);

  it.skipIf(vethSkip !== null)('SIGINT in the middle of a replay loses no flow that had packets', async () => {
    expect(loopbackViolations(replayFile)).toEqual([]);
    const db = join(dir, 'sigint.duckdb');
    const pcapDir = join(dir, 'sigint-pcap');
    mkdirSync(pcapDir, { recursive: true });
    const live = startLive(['-i', VETH_RX, '--db', db, '--write-pcap', pcapDir, '--checkpoint', '0.3', '--verbose'], { netns: true });
    const rp = { proc: null as ChildProcess | null };
    try {
      await live.ready;
      const r = replay(replayFile, 2000); // about 3 s
      rp.proc = r.proc;
      // Packets are flowing once a checkpoint commits some (a quiet link makes none); a loaded
      // machine may start tcpreplay late, so a fixed sleep could signal before any packet came.
      await Promise.race([live.checkpointed, sleep(20_000).then(() => { throw new Error('no checkpoint within 20 s'); })]);
      await sleep(300);
      live.proc.kill('SIGINT');
      const run = await live.done;
      expect(run.code, run.stderr).toBe(0);
      await r.sent.catch(() => 0);
    } finally {
      live.proc.kill('SIGKILL');
      rp.proc?.kill('SIGKILL');
    }
    const [c] = await query(db, `SELECT packets, status, flows FROM captures`);
    const captured = Number(c!.packets);
    expect(c!.status).toBe('complete');
    expect(captured).toBeGreaterThan(100);
    expect(captured).toBeLessThan(kept);
    const [f] = await query(db, `SELECT sum(orig_pkts + resp_pkts) AS pkts, count(*) AS n, count(*) FILTER (end_reason = 'shutdown') AS shut FROM flows`);
    expect(Number(f!.pkts)).toBe(captured); // every captured packet is in a written flow
    expect(f!.n).toBe(c!.flows);
    expect(Number(f!.shut)).toBeGreaterThan(0);

    // The packets captured are the first `captured` packets of the replay: their flows match exactly.
    const prefix = join(dir, 'prefix.pcap');
    execFileSync('editcap', ['-r', replayFile, prefix, `1-${captured}`]);
    const prefixDb = join(dir, 'prefix.duckdb');
    expect(onpath(['ingest', '-q', '--db', prefixDb, prefix]).status).toBe(0);
    expect(await perTuple(db)).toEqual(await perTuple(prefixDb));
    const files = readdirSync(pcapDir).map((x) => join(pcapDir, x));
    expect(files.reduce((s, x) => s + tsharkPacketCount(x), 0)).toBe(captured);
  }, 120_000);

  it.skipIf(vethSkip !== null)('a second signal exits at once and leaves the last checkpoint, consistent', async () => {
    expect(loopbackViolations(replayFile)).toEqual([]);
    const db = join(dir, 'forced.duckdb');
    const live = startLive(['-i', VETH_RX, '--db', db, '--checkpoint', '0.3', '--verbose'], { netns: true });
    const rp = { proc: null as ChildProcess | null };
    try {
      await live.ready;
      const r = replay(replayFile, 2000);
      rp.proc = r.proc;
      // a checkpoint is committed (ranges of 1 MiB: about 1 s of this traffic)
      await Promise.race([live.checkpointed, sleep(20_000).then(() => { throw new Error('no checkpoint within 20 s'); })]);
      await sleep(200);
      // Two different signals: two of the same kind sent at once may be merged into one by the kernel.
      live.proc.kill('SIGINT');
      live.proc.kill('SIGTERM');
      const run = await live.done;
      expect([130, 143], run.stderr).toContain(run.code);
      expect(run.stderr).toContain('keeps the last checkpoint');
      await r.sent.catch(() => 0);
    } finally {
      live.proc.kill('SIGKILL');
      rp.proc?.kill('SIGKILL');
    }
    const caps = await query(db, `SELECT capture_id, packets, status, flows FROM captures`);
    expect(caps).toHaveLength(1);
    expect(caps[0]!.status).toBe('running');
    expect(Number(caps[0]!.packets)).toBeGreaterThan(0);
    const [f] = await query(db, `SELECT count(*) AS n, count(DISTINCT flow_id) AS ids FROM flows`);
    expect(f!.n).toBe(caps[0]!.flows); // the flows committed with the checkpoint, no more, no less
    expect(f!.ids).toBe(f!.n);
    // the file is sound: another capture goes in after it
    expect(onpath(['ingest', '-q', '--db', db, replayFile]).status).toBe(0);
  }, 120_000);
});
