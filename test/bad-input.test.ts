import { describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { corpusPath } from './helpers/corpus.js';
import { onpath } from './helpers/cli.js';
import { tempDir } from './helpers/ingest.js';

const dir = tempDir('onpath-bad-');
const GOOD = corpusPath('zeek-mixed-vlan-mpls.pcap'); // 47 packets, classic µs pcap
const good = readFileSync(GOOD);

function file(name: string, bytes: Buffer | string): string {
  const p = join(dir, name);
  writeFileSync(p, bytes);
  return p;
}

/** Byte offset of record n (0-based) in a little-endian classic pcap. */
function recordOffset(buf: Buffer, n: number): number {
  let off = 24;
  for (let i = 0; i < n; i++) off += 16 + buf.readUInt32LE(off + 8);
  return off;
}

function sql(db: string, q: string): unknown[][] {
  const r = onpath(['sql', '--db', db, '--json', q]);
  expect(r.status, r.stderr).toBe(0);
  return (JSON.parse(r.stdout) as Record<string, unknown>[]).map((o) => Object.values(o));
}

describe('bad input: clear errors, kept rows, no duplicates', () => {
  it('a text file is refused with the file name and offset 0, exit 1', () => {
    const p = file('notes.txt', 'this is not a capture, just some notes\n');
    const db = join(dir, 'text.duckdb');
    const r = onpath(['ingest', '--db', db, '-q', p]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(p);
    expect(r.stderr).toMatch(/at byte 0: not a capture: this looks like a text file/);
    expect(sql(db, `SELECT status, packets, error_offset FROM captures`)).toEqual([['failed', 0, 0]]);
    expect(sql(db, `SELECT count(*) FROM flows`)).toEqual([[0]]);
  });

  it('an empty file', () => {
    const p = file('empty.pcap', Buffer.alloc(0));
    const r = onpath(['ingest', '--db', join(dir, 'empty.duckdb'), '-q', p]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`${p}: at byte 0: empty file`);
  });

  it('a truncated file header', () => {
    const p = file('short-header.pcap', good.subarray(0, 20));
    const r = onpath(['ingest', '--db', join(dir, 'sh.duckdb'), '-q', p]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/at byte 0: file header cut short/);
  });

  it('a record cut in the middle keeps every whole record before it, status truncated', () => {
    const cut = recordOffset(good, 30) + 16 + 10; // inside record 30's data
    const p = file('cut.pcap', good.subarray(0, cut));
    const db = join(dir, 'cut.duckdb');
    const r = onpath(['ingest', '--db', db, '-q', p]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`${p}: at byte ${recordOffset(good, 30)}: record cut short`);
    expect(sql(db, `SELECT status, packets, error_offset FROM captures`)).toEqual([['truncated', 30, recordOffset(good, 30)]]);
    expect(sql(db, `SELECT sum(orig_pkts + resp_pkts)::INT FROM flows`)).toEqual([[30]]);
    // Again: same content, so skipped; no duplicate rows.
    const again = onpath(['ingest', '--db', db, p]);
    expect(again.stdout).toMatch(/already ingested as capture 1 \(same content\); skipped/);
    expect(sql(db, `SELECT count(*) FROM captures`)).toEqual([[1]]);
    expect(sql(db, `SELECT sum(orig_pkts + resp_pkts)::INT FROM flows`)).toEqual([[30]]);
  });

  it('a record header cut short', () => {
    const off = recordOffset(good, 12);
    const p = file('cut-header.pcap', good.subarray(0, off + 7));
    const db = join(dir, 'ch.duckdb');
    const r = onpath(['ingest', '--db', db, '-q', p]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`at byte ${off}: record cut short`);
    expect(sql(db, `SELECT status, packets FROM captures`)).toEqual([['truncated', 12]]);
  });

  it('an absurd caplen is named with its offset; records before it are kept', () => {
    const b = Buffer.from(good);
    const off = recordOffset(b, 5);
    b.writeUInt32LE(0x7fffffff, off + 8);
    const p = file('caplen.pcap', b);
    const db = join(dir, 'caplen.duckdb');
    const r = onpath(['ingest', '--db', db, '-q', p]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`at byte ${off}: record caplen 2147483647 is larger than the snaplen`);
    expect(sql(db, `SELECT status, packets FROM captures`)).toEqual([['failed', 5]]);
    expect(sql(db, `SELECT sum(orig_pkts + resp_pkts)::INT FROM flows`)).toEqual([[5]]);
  });

  it('a caplen larger than the rest of the file is a truncation', () => {
    const b = Buffer.from(good);
    const off = recordOffset(b, 46);
    b.writeUInt32LE(60000, off + 8);
    const p = file('caplen-eof.pcap', b);
    const r = onpath(['ingest', '--db', join(dir, 'ce.duckdb'), '-q', p]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`at byte ${off}: record cut short`);
  });

  it('a pcapng block length that is not a multiple of 4, or inconsistent', () => {
    const ng = readFileSync(corpusPath('hadrielk-pcapng-le-simple-packet-blocks.pcapng'));
    const shbLen = ng.readUInt32LE(4);
    const b1 = Buffer.from(ng); b1.writeUInt32LE(ng.readUInt32LE(shbLen + 4) + 2, shbLen + 4);
    const r1 = onpath(['ingest', '--db', join(dir, 'ng1.duckdb'), '-q', file('ng-mult4.pcapng', b1)]);
    expect(r1.status).toBe(1);
    expect(r1.stderr).toMatch(new RegExp(`at byte ${shbLen + 4}: block length \\d+ of block type 0x1 is not a multiple of 4`));
    const b2 = Buffer.from(ng); b2.writeUInt32LE(ng.readUInt32LE(shbLen + 4) + 4, shbLen + 4);
    const r2 = onpath(['ingest', '--db', join(dir, 'ng2.duckdb'), '-q', file('ng-incons.pcapng', b2)]);
    expect(r2.status).toBe(1);
    expect(r2.stderr).toMatch(/block total length \d+ does not match the trailing length/);
  });

  it('corrupt corpus files: bad versions and an option that runs past its block', () => {
    const cases: [string, RegExp][] = [
      ['libpcap-corrupt-pcap-invalid-version.pcap', /at byte 4: unsupported pcap version/],
      ['libpcap-corrupt-pcapng-invalid-vers.pcapng', /at byte 12: unsupported pcapng version/],
      // Its section header is 52 bytes by its length field, but options of length 0x3030 run on: the trailer does not match.
      ['libpcap-corrupt-pcapng-shb-option-too-long.pcapng', /at byte 48: block total length 52 does not match the trailing length 808464432/],
    ];
    for (const [f, re] of cases) {
      const r = onpath(['ingest', '--db', join(dir, `${f}.duckdb`), '-q', corpusPath(f)]);
      expect(r.status, f).toBe(1);
      expect(r.stderr, f).toContain(corpusPath(f));
      expect(r.stderr, f).toMatch(re);
    }
  });

  it('a gzip stream that ends early keeps what decompressed, status truncated', () => {
    const gz = gzipSync(good);
    const p = file('cut.pcap.gz', gz.subarray(0, Math.floor(gz.length * 0.6)));
    const db = join(dir, 'gz.duckdb');
    const r = onpath(['ingest', '--db', db, '-q', p]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/gzip stream ends early/);
    const [[status, packets]] = sql(db, `SELECT status, packets FROM captures`) as [string, number][];
    expect(status).toBe('truncated');
    expect(packets).toBeGreaterThan(5);
    expect(packets).toBeLessThan(47);
  });

  it('packets whose header fields lie are anomalies, not errors', () => {
    const b = Buffer.from(readFileSync(corpusPath('tcpdump-dns-tcp.pcap'))); // Ethernet + IPv4, 11 packets
    for (const n of [2, 3, 4]) {
      const ip = recordOffset(b, n) + 16 + 14;
      expect(b[ip] >> 4).toBe(4);
      b.writeUInt16BE(0xfff0, ip + 2); // total length far beyond the frame
      if (n === 3) b[ip] = 0x42; // IHL 2 (8 bytes): impossible
    }
    const p = file('lies.pcap', b);
    const db = join(dir, 'lies.duckdb');
    const r = onpath(['ingest', '--db', db, '-q', p]);
    expect(r.status).toBe(0);
    expect(sql(db, `SELECT status, packets FROM captures`)).toEqual([['complete', 11]]);
    const kinds = Object.fromEntries(sql(db, `SELECT kind, count FROM anomalies`) as [string, number][]);
    expect(kinds.bad_ipv4_ihl).toBe(1);
    expect(kinds.ip_total_len_gt_wire).toBe(2);
    // The lying packets still count where they can: 10 of 11 packets reach a flow.
    expect(sql(db, `SELECT sum(orig_pkts + resp_pkts)::INT FROM flows`)).toEqual([[10]]);
  });

  it('a file that does not exist: exit 1, named; usage errors: exit 2', () => {
    const r = onpath(['ingest', '--db', join(dir, 'none.duckdb'), '-q', join(dir, 'nope.pcap')]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('nope.pcap: cannot read');
    expect(onpath(['ingest']).status).toBe(2);
    expect(onpath(['ingest', '--splt', 'abc', GOOD]).status).toBe(2);
    expect(onpath(['frobnicate']).status).toBe(2);
  });

  it('--replace swaps a capture out instead of adding a second copy', () => {
    const db = join(dir, 'replace.duckdb');
    expect(onpath(['ingest', '--db', db, '-q', GOOD]).status).toBe(0);
    const before = sql(db, `SELECT count(*), sum(orig_pkts + resp_pkts)::INT FROM flows`);
    expect(onpath(['ingest', '--db', db, '-q', '--replace', GOOD]).status).toBe(0);
    expect(sql(db, `SELECT count(*) FROM captures`)).toEqual([[1]]);
    expect(sql(db, `SELECT count(*), sum(orig_pkts + resp_pkts)::INT FROM flows`)).toEqual(before);
    expect(sql(db, `SELECT count(DISTINCT capture_id) FROM flows`)).toEqual([[1]]);
  });
});
