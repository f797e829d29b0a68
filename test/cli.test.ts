import { describe, expect, it } from 'vitest';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { corpusPath } from './helpers/corpus.js';
import { onpath } from './helpers/cli.js';
import { tempDir } from './helpers/ingest.js';
import { DuckDBInstance } from '@duckdb/node-api';

const dir = tempDir('onpath-cli-');
const db = join(dir, 'cli.duckdb');
const CAPS = ['zeek-mixed-vlan-mpls.pcap', 'hadrielk-pcapng-le-3sections-mixed-endian-all-blocks.pcapng', 'tcpdump-dns-tcp.pcap.gz'];

describe('cli', () => {
  it('ingests several captures and prints a line each plus the DB summary', () => {
    const r = onpath(['ingest', '--no-carry', '--db', db, ...CAPS.map(corpusPath)]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/zeek-mixed-vlan-mpls\.pcap: complete, capture 1, pcap, 47 packets/);
    expect(r.stdout).toMatch(/3sections-mixed-endian-all-blocks\.pcapng: complete, capture 2, pcapng, 8 packets/);
    expect(r.stdout).toMatch(/tcpdump-dns-tcp\.pcap\.gz: complete, capture 3, pcap\+gzip, 11 packets/);
    expect(r.stdout).toMatch(/3 captures, 66 packets/);
    expect(r.stdout).toContain('Top talkers');
    expect(r.stderr).toBe(''); // no progress line when stderr is not a terminal
  });

  it('sql: table, csv, json, and the query on stdin', () => {
    const q = `SELECT capture_id, format, packets, status FROM captures ORDER BY capture_id`;
    const t = onpath(['sql', '--db', db, q]);
    expect(t.stdout.split('\n')[0]).toMatch(/^capture_id\s+format\s+packets\s+status$/);
    expect(onpath(['sql', '--db', db, '--csv', q]).stdout).toBe(
      'capture_id,format,packets,status\n1,pcap,47,complete\n2,pcapng,8,complete\n3,pcap+gzip,11,complete\n');
    expect(JSON.parse(onpath(['sql', '--db', db, '--json', q]).stdout)[1]).toEqual({ capture_id: 2, format: 'pcapng', packets: 8, status: 'complete' });
    const s = onpath(['sql', '--db', db, '--csv'], `SELECT isb_if_recv IS NOT NULL AS has_isb FROM captures WHERE capture_id = 2`);
    expect(s.stdout).toBe('has_isb\ntrue\n');
    const bad = onpath(['sql', '--db', db, 'SELEC nonsense']);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/syntax error/i);
  });

  it('info: container facts like capinfos, no DB', () => {
    const r = onpath(['info', '--json', corpusPath('hadrielk-pcapng-le-if-tsresol-nsec.pcapng')]);
    expect(r.status).toBe(0);
    const [info] = JSON.parse(r.stdout);
    const meta = JSON.parse(readFileSync(corpusPath('hadrielk-pcapng-le-if-tsresol-nsec.pcapng.meta.json'), 'utf8'));
    expect(info.format).toBe('pcapng');
    expect(info.packets).toBe(meta.tshark.packets);
    expect(info.linktypes).toEqual(['ethernet(1)']);
    const text = onpath(['info', corpusPath('tcpdump-tcp-handshake-nsec-sll.pcap')]).stdout;
    expect(text).toMatch(/Format:\s+pcap-ns/);
    expect(text).toMatch(/Link types:\s+linux-sll\(113\)/);
    expect(text).toMatch(/Packets:\s+3/);
  });

  it('export: parquet and csv read back with the same rows and types', async () => {
    const out = join(dir, 'export');
    const r = onpath(['export', '--db', db, '--to', out]);
    expect(r.status, r.stderr).toBe(0);
    for (const t of ['captures', 'flows', 'anomalies', 'l2']) expect(existsSync(join(out, `${t}.parquet`))).toBe(true);
    const inst = await DuckDBInstance.create(db, { access_mode: 'READ_ONLY' });
    const conn = await inst.connect();
    const diff = await conn.runAndReadAll(`SELECT count(*) FROM (SELECT * FROM flows EXCEPT ALL SELECT * FROM read_parquet('${join(out, 'flows.parquet')}'))`);
    expect(Number(diff.getRows()[0][0])).toBe(0);
    const types = await conn.runAndReadAll(`SELECT typeof(first_ts), typeof(orig_addr_bin), typeof(splt_sizes) FROM read_parquet('${join(out, 'flows.parquet')}') LIMIT 1`);
    expect(types.getRows()[0]).toEqual(['TIMESTAMP_NS', 'BLOB', 'INTEGER[]']);
    conn.closeSync();
    inst.closeSync();
    const csv = onpath(['export', '--db', db, '--to', join(dir, 'csv'), '--format', 'csv']);
    expect(csv.status).toBe(0);
    expect(readFileSync(join(dir, 'csv', 'captures.csv'), 'utf8').split('\n')[0]).toMatch(/^capture_id,path,size,sha256/);
  });

  it('stdin: tcpdump -w - | onpath ingest -', () => {
    const stdinDb = join(dir, 'stdin.duckdb');
    const pcap = execFileSync('tcpdump', ['-r', corpusPath('zeek-mixed-vlan-mpls.pcap'), '-w', '-'], { stdio: ['ignore', 'pipe', 'ignore'] });
    const r = onpath(['ingest', '--db', stdinDb, '-'], pcap);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^-: complete, capture 1, pcap, 47 packets/m);
  });

  it('--db-memory takes DuckDB sizes and refuses anything else', () => {
    const bad = onpath(['ingest', '--db-memory', 'lots', '--db', join(dir, 'mem.duckdb'), corpusPath('zeek-mixed-vlan-mpls.pcap')]);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/expected a size such as 256MB or 2GB, got 'lots'/);
    const small = onpath(['ingest', '--db-memory', '64MB', '--db', join(dir, 'mem.duckdb'), corpusPath('zeek-mixed-vlan-mpls.pcap')]);
    expect(small.status).toBe(2);
    expect(small.stderr).toMatch(/at least 128MB/);
    const ok = onpath(['ingest', '-q', '--db-memory', '128M', '--db', join(dir, 'mem.duckdb'), corpusPath('zeek-mixed-vlan-mpls.pcap')]);
    expect(ok.status, ok.stderr).toBe(0);
  });

  it('a named pipe is read as a capture (not opened twice)', () => {
    const fifo = join(dir, 'capture.fifo');
    execFileSync('mkfifo', [fifo]);
    const writer = spawn('sh', ['-c', `cat "${corpusPath('zeek-mixed-vlan-mpls.pcap')}" > "${fifo}"`]);
    const r = onpath(['ingest', '--no-summary', '--db', join(dir, 'fifo.duckdb'), fifo]);
    writer.kill();
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/capture\.fifo: complete, capture 1, pcap, 47 packets/);
  });
});

describe('JIT setting (src/cli/jit.ts)', () => {
  it("keeps an inlining budget given on node's command line or in NODE_OPTIONS, and sets its own otherwise", async () => {
    const { inlineBudgetGiven } = await import('../src/cli/jit.js');
    expect(inlineBudgetGiven([], '')).toBe(false);
    expect(inlineBudgetGiven(['--max-old-space-size=4096'], '--enable-source-maps')).toBe(false);
    expect(inlineBudgetGiven(['--max-inlined-bytecode-size-cumulative=920'], '')).toBe(true);
    expect(inlineBudgetGiven([], '--trace-warnings --max_inlined_bytecode_size_cumulative=500')).toBe(true);
    // Another flag that merely starts the same way is not it.
    expect(inlineBudgetGiven(['--max-inlined-bytecode-size=200'], '')).toBe(false);
  });

  it('sets V8 budget 300 when node has none, and nothing when node was given one', async () => {
    const { tuneJit } = await import('../src/cli/jit.js');
    const set: string[] = [];
    expect(tuneJit((f) => set.push(f), [], '')).toBe('--max-inlined-bytecode-size-cumulative=300');
    expect(tuneJit((f) => set.push(f), ['--max-inlined-bytecode-size-cumulative=920'], '')).toBeNull();
    expect(set).toEqual(['--max-inlined-bytecode-size-cumulative=300']);
  });

  it('the CLI starts with the setting made (a node given its own budget runs the same command)', () => {
    const main = join(process.cwd(), 'dist/src/cli/main.js');
    const src = readFileSync(join(process.cwd(), 'src/cli/main.ts'), 'utf8');
    expect(src).toMatch(/^tuneJit\(\);$/m);
    const r = spawnSyncNode(['--max-inlined-bytecode-size-cumulative=920', main, '--version']);
    expect(r.status, r.stderr).toBe(0);
  });
});

function spawnSyncNode(args: string[]): { status: number | null; stderr: string } {
  try {
    execFileSync(process.execPath, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    return { status: 0, stderr: '' };
  } catch (e) {
    const x = e as { status: number | null; stderr: string };
    return { status: x.status, stderr: x.stderr };
  }
}
