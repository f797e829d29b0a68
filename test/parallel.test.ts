import { beforeAll, describe, expect, it } from 'vitest';
import { copyFileSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { join } from 'node:path';
import { generateBuffer } from '../src/gen/ixp-mix.js';
import { DuckSink } from '../src/sink/duckdb.js';
import { DecodePool } from '../src/pipeline/pool.js';
import { ingestCapture } from '../src/pipeline/ingest.js';
import { DEFAULT_FLOW_OPTIONS } from '../src/flow/options.js';
import { cat, ether, ETHERTYPE, ipv4, IPPROTO, pcapHeader, pcapRecord, tcp, TCPF, udp } from './helpers/bytes.js';
import { onpath } from './helpers/cli.js';
import { ingestAll, rows, tempDir } from './helpers/ingest.js';

/**
 * One capture, cut into 64 KiB ranges and decoded by 1..16 workers, gives identical flows.
 * The capture is the generator's mix plus two flows made here: a TCP connection that spans
 * every range, and a UDP flow that idles past its 60 s timeout across a range boundary.
 */
const dir = tempDir('onpath-par-');
const START = 1717243200;

interface Rec { sec: number; us: number; data: Uint8Array; orig: number }

function baseRecords(): Rec[] {
  const { pcap } = generateBuffer({ packets: 30000, seed: 11, snaplen: 128, durationSec: 200, startTime: START });
  const out: Rec[] = [];
  for (let off = 24; off < pcap.length;) {
    const caplen = pcap.readUInt32LE(off + 8);
    out.push({ sec: pcap.readUInt32LE(off), us: pcap.readUInt32LE(off + 4), orig: pcap.readUInt32LE(off + 12), data: pcap.subarray(off + 16, off + 16 + caplen) });
    off += 16 + caplen;
  }
  return out;
}

const A = '203.0.113.10', B = '203.0.113.20';
function tcpPkt(fromA: boolean, flags: number, seq: number, ack: number, len: number, port = 40000): Uint8Array {
  const t = tcp({ sport: fromA ? port : 443, dport: fromA ? 443 : port, flags, seq, ack }, new Uint8Array(len));
  return ether(ETHERTYPE.IPV4, ipv4({ src: fromA ? A : B, dst: fromA ? B : A, proto: IPPROTO.TCP }, t));
}
function udpPkt(fromA: boolean): Uint8Array {
  return ether(ETHERTYPE.IPV4, ipv4({ src: fromA ? A : B, dst: fromA ? B : A, proto: IPPROTO.UDP }, udp(fromA ? 5000 : 6000, fromA ? 6000 : 5000, new Uint8Array(100))));
}

function specialRecords(): Rec[] {
  const out: Rec[] = [];
  const at = (t: number, data: Uint8Array) => out.push({ sec: START + Math.floor(t), us: Math.round((t % 1) * 1e6), data, orig: data.length });
  // TCP: handshake at 0.5 s, data every 2 s for 190 s, FIN/FIN/ACK at the end.
  let a = 1000, b = 5000;
  at(0.5, tcpPkt(true, TCPF.SYN, a, 0, 0));
  at(0.51, tcpPkt(false, TCPF.SYN | TCPF.ACK, b, a + 1, 0)); a++; b++;
  at(0.52, tcpPkt(true, TCPF.ACK, a, b, 0));
  for (let t = 2; t < 192; t += 2) {
    at(t, tcpPkt(true, TCPF.ACK | TCPF.PSH, a, b, 200)); a += 200;
    at(t + 0.01, tcpPkt(false, TCPF.ACK, b, a, 0));
  }
  at(195, tcpPkt(true, TCPF.FIN | TCPF.ACK, a, b, 0)); a++;
  at(195.01, tcpPkt(false, TCPF.FIN | TCPF.ACK, b, a, 0)); b++;
  at(195.02, tcpPkt(true, TCPF.ACK, a, b, 0));
  // A handshake split at 25 s (where the rotated files below are cut): SYN before, SYN-ACK and ACK after.
  at(24.99, tcpPkt(true, TCPF.SYN, 7000, 0, 0, 40001));
  at(25.01, tcpPkt(false, TCPF.SYN | TCPF.ACK, 9000, 7001, 0, 40001));
  at(25.02, tcpPkt(true, TCPF.ACK, 7001, 9001, 0, 40001));
  at(25.5, tcpPkt(true, TCPF.ACK | TCPF.PSH, 7001, 9001, 100, 40001));
  // UDP: both ways every second for 30 s, silent 90 s (past the 60 s timeout), again 30 s.
  for (let t = 10; t < 40; t++) { at(t + 0.3, udpPkt(true)); at(t + 0.31, udpPkt(false)); }
  for (let t = 130; t < 160; t++) { at(t + 0.3, udpPkt(true)); at(t + 0.31, udpPkt(false)); }
  return out;
}

const allRecords = [...baseRecords(), ...specialRecords()].sort((x, y) => x.sec - y.sec || x.us - y.us);

function pcapOf(recs: Rec[]): Uint8Array {
  return cat(pcapHeader({ linktype: 1, snaplen: 128 }), ...recs.map((r) => pcapRecord({ sec: r.sec, frac: r.us, data: r.data, orig: r.orig })));
}

function buildCapture(): string {
  const path = join(dir, 'mix.pcap');
  writeFileSync(path, pcapOf(allRecords));
  return path;
}

const capture = buildCapture();
const FLOWS = `SELECT * EXCLUDE (flow_id, capture_id) FROM flows ORDER BY ALL`;

async function flowsOf(db: string, sql = FLOWS): Promise<Record<string, unknown>[]> {
  const sink = await DuckSink.open(db);
  try { return await rows(sink, sql); } finally { sink.close(); }
}

describe('parallel ingest: deterministic for any worker count', () => {
  let reference: Record<string, unknown>[] = [];

  it('64 KiB ranges with --workers 1 make the reference, and the special flows are right', async () => {
    const db = join(dir, 'w1.duckdb');
    const r = onpath(['ingest', '-q', '--workers', '1', '--range-kb', '64', '--db', db, capture]);
    expect(r.status, r.stderr).toBe(0);
    reference = await flowsOf(db);
    expect(reference.length).toBeGreaterThan(2000);
    const sink = await DuckSink.open(db);
    try {
      const [cap] = await rows(sink, `SELECT packets FROM captures`);
      const [sum] = await rows(sink, `SELECT sum(orig_pkts + resp_pkts)::BIGINT AS p FROM flows`);
      const [l2] = await rows(sink, `SELECT coalesce(sum(packets), 0)::BIGINT AS p FROM l2`);
      expect(Number(sum.p) + Number(l2.p)).toBe(Number(cap.packets));
      // The TCP flow crosses every range: one flow with all 196 packets, closed by FIN.
      const t = await rows(sink, `SELECT orig_addr, orig_pkts, resp_pkts, conn_state, history, end_reason, splt_sizes[1:3] AS s,
        syn_synack_us FROM flows WHERE proto = 6 AND resp_port = 443 AND orig_port = 40000 AND orig_addr = '${A}'`);
      expect(t).toEqual([{ orig_addr: A, orig_pkts: 2 + 95 + 2, resp_pkts: 1 + 95 + 1, conn_state: 'SF', history: 'ShADaFf', end_reason: 'fin', s: [40, -40, 40], syn_synack_us: 10000 }]);
      // The UDP flow idled 90 s across a boundary: two flows of 60 packets, the first ended idle.
      const u = await rows(sink, `SELECT orig_pkts, resp_pkts, end_reason, conn_state FROM flows WHERE proto = 17 AND orig_port = 5000 AND orig_addr = '${A}' ORDER BY first_ts`);
      expect(u).toEqual([
        { orig_pkts: 30, resp_pkts: 30, end_reason: 'idle', conn_state: 'SF' },
        { orig_pkts: 30, resp_pkts: 30, end_reason: 'end_of_capture', conn_state: 'SF' },
      ]);
      const [ranges] = await rows(sink, `SELECT size FROM captures`);
      expect(Number(ranges.size) / 65536).toBeGreaterThan(20); // many boundaries crossed
    } finally {
      sink.close();
    }
  });

  for (const workers of [0, 2, 3, 4, 8, 16]) {
    it(`--workers ${workers} gives identical flows`, async () => {
      const db = join(dir, `w${workers}.duckdb`);
      const r = onpath(['ingest', '-q', '--workers', String(workers), '--range-kb', '64', '--db', db, capture]);
      expect(r.status, r.stderr).toBe(0);
      expect(await flowsOf(db)).toEqual(reference);
    });
  }

  it('a single range agrees on every packet and byte per flow key', async () => {
    const db = join(dir, 'one.duckdb');
    expect(onpath(['ingest', '-q', '--workers', '0', '--range-kb', String(1 << 20), '--db', db, capture]).status).toBe(0);
    const q = `SELECT proto, orig_addr, orig_port, resp_addr, resp_port, sum(orig_pkts + resp_pkts)::BIGINT AS p,
      sum(orig_wire_bytes + resp_wire_bytes)::BIGINT AS b FROM flows GROUP BY ALL ORDER BY ALL`;
    const one = await DuckSink.open(db);
    const many = await DuckSink.open(join(dir, 'w1.duckdb'));
    try {
      expect(await rows(many, q)).toEqual(await rows(one, q));
    } finally {
      one.close();
      many.close();
    }
  });

  it('inspection rows name the same flows with 64 KiB ranges as with a single range', async () => {
    // Each row's flow_id must point at its own flow: joined to the flow, the names and 5-tuples agree.
    // (Rows without a name are left out: an HTTP response whose request lies before a boundary is a
    // row of its own there, as the README says.)
    const q = `SELECT t, name, f.proto, f.orig_addr, f.orig_port, f.resp_addr, f.resp_port, count(*) AS n FROM (
        SELECT 'tls' AS t, sni AS name, flow_id FROM tls UNION ALL SELECT 'quic', sni, flow_id FROM quic
        UNION ALL SELECT 'dns', query_name, flow_id FROM dns UNION ALL SELECT 'http', host, flow_id FROM http
      ) x JOIN flows f USING (flow_id) WHERE name IS NOT NULL GROUP BY ALL ORDER BY ALL`;
    const one = await DuckSink.open(join(dir, 'one.duckdb'));
    const many = await DuckSink.open(join(dir, 'w1.duckdb'));
    try {
      const want = await rows(one, q);
      expect(want.length).toBeGreaterThan(500);
      expect(await rows(many, q)).toEqual(want);
    } finally {
      one.close();
      many.close();
    }
  });

  it('loses and duplicates no row when the writer is slowed down on purpose', async () => {
    const pool = new DecodePool(3);
    let appends = 0;
    try {
      const { sink, summaries } = await ingestAll([capture], {}, false, join(dir, 'slow.duckdb'), {
        pool, rangeBytes: 65536,
        beforeAppend: async () => { appends++; await new Promise((r) => setTimeout(r, 30)); },
      });
      try {
        expect(summaries[0].status).toBe('complete');
        expect(appends).toBeGreaterThan(0);
        expect(await rows(sink, FLOWS)).toEqual(reference);
      } finally {
        sink.close();
      }
    } finally {
      await pool.close();
    }
  });
});

/**
 * A fragmented datagram whose fragments fall on both sides of a range boundary: the later range
 * finds its ports in the previous range's tail (the lookback), as a single pass would.
 */
describe('fragments across a range boundary', () => {
  // Two fragmented datagrams whose first fragments lie just before the 64 KiB boundary and whose
  // other fragments lie after it: UDP (ports in the first fragment) and ESP (no ports at all).
  const recs: Uint8Array[] = [];
  let off = 24, t = 0, boundaryRecord = 0;
  const rec = (data: Uint8Array) => { recs.push(pcapRecord({ sec: START + Math.floor(t), frac: Math.round((t % 1) * 1e6), data, orig: data.length })); off += 16 + data.length; t += 0.001; };
  const filler = ether(ETHERTYPE.IPV4, ipv4({ src: '198.51.100.7', dst: '198.51.100.8', proto: IPPROTO.UDP }, udp(7, 9, new Uint8Array(200))));
  const body = new Uint8Array(8 + 2400).fill(0x5a);
  body.set(udp(33333, 4444, new Uint8Array(2400)).subarray(0, 8));
  const frag = (proto: number, at: number, len: number, mf: boolean) => ether(ETHERTYPE.IPV4,
    ipv4({ src: '198.51.100.1', dst: '198.51.100.2', proto, id: proto === IPPROTO.UDP ? 0x4242 : 0x4343, mf, fragOffset: at, totalLen: 20 + len }, body.subarray(at, at + len)));
  const ESP = 50;
  const f1 = frag(IPPROTO.UDP, 0, 1208, true), e1 = frag(ESP, 0, 1200, true);
  while (off + 2 * 16 + filler.length + f1.length + e1.length < 65536) rec(filler);
  rec(f1); rec(e1);
  boundaryRecord = recs.length;
  rec(filler); rec(frag(IPPROTO.UDP, 1208, 1200, true)); rec(frag(ESP, 1200, 800, false)); rec(filler); rec(frag(IPPROTO.UDP, 2408, 0, false));
  const q = `SELECT proto, orig_addr, orig_port, resp_port, orig_pkts, fragments, orig_wire_bytes FROM flows WHERE orig_addr = '198.51.100.1' ORDER BY proto`;
  const expected = [
    { proto: 17, orig_addr: '198.51.100.1', orig_port: 33333, resp_port: 4444, orig_pkts: 3, fragments: 3, orig_wire_bytes: 3 * 34 + 1208 + 1200 },
    { proto: 50, orig_addr: '198.51.100.1', orig_port: 0, resp_port: 0, orig_pkts: 2, fragments: 2, orig_wire_bytes: 2 * 34 + 1200 + 800 },
  ];
  const noStray = `SELECT count(*)::INT AS n FROM anomalies WHERE kind = 'fragment_without_first'`;

  it('belong to their datagram\'s flow, as in one range', async () => {
    expect(off).toBeGreaterThan(65536);
    const path = join(dir, 'frag-boundary.pcap');
    writeFileSync(path, cat(pcapHeader({ linktype: 1, snaplen: 65535 }), ...recs));
    for (const kb of ['64', '4096']) {
      const db = join(dir, `frag-${kb}.duckdb`);
      const r = onpath(['ingest', '-q', '--workers', '2', '--range-kb', kb, '--db', db, path]);
      expect(r.status, r.stderr).toBe(0);
      expect(await flowsOf(db, q)).toEqual(expected);
      expect(await flowsOf(db, noStray)).toEqual([{ n: 0 }]);
    }
  });

  it('also when the boundary is between two files of a stream', async () => {
    const a = join(dir, 'frag-a.pcap'), b = join(dir, 'frag-b.pcap');
    writeFileSync(a, cat(pcapHeader({ linktype: 1, snaplen: 65535 }), ...recs.slice(0, boundaryRecord)));
    writeFileSync(b, cat(pcapHeader({ linktype: 1, snaplen: 65535 }), ...recs.slice(boundaryRecord)));
    const db = join(dir, 'frag-files.duckdb');
    const r = onpath(['ingest', '-q', '--db', db, a, b]);
    expect(r.status, r.stderr).toBe(0);
    expect(await flowsOf(db, q)).toEqual(expected);
    expect(await flowsOf(db, noStray)).toEqual([{ n: 0 }]);
  });
});

describe('handshake marks', () => {
  it('a SYN-ACK seen before its SYN still times the ACK that follows', async () => {
    const p = (fromA: boolean, flags: number, seq: number, ack: number) => tcpPkt(fromA, flags, seq, ack, 0, 40100);
    const recsHs = [
      pcapRecord({ sec: START, frac: 0, data: p(false, TCPF.SYN | TCPF.ACK, 9000, 7001) }),
      pcapRecord({ sec: START, frac: 100, data: p(true, TCPF.SYN, 7000, 0) }),
      pcapRecord({ sec: START, frac: 400, data: p(true, TCPF.ACK, 7001, 9001) }),
    ];
    const path = join(dir, 'reordered-handshake.pcap');
    writeFileSync(path, cat(pcapHeader({ linktype: 1, snaplen: 128 }), ...recsHs));
    const db = join(dir, 'reordered-handshake.duckdb');
    expect(onpath(['ingest', '-q', '--workers', '0', '--db', db, path]).status).toBe(0);
    expect(await flowsOf(db, `SELECT synack_ack_us FROM flows`)).toEqual([{ synack_ack_us: 400 }]);
  });
});

/**
 * The same capture rotated into three files (cut at 25 s, while the UDP flow is active, and at
 * 100 s, inside its 90 s silence; the middle file gzipped): as one stream (the default) the flows
 * equal the single file's; with --no-carry each file is its own capture and flows end at the cuts.
 */
describe('many files: one capture stream, or --no-carry', () => {
  const cutA = START + 25, cutB = START + 100;
  const parts = [
    allRecords.filter((r) => r.sec < cutA),
    allRecords.filter((r) => r.sec >= cutA && r.sec < cutB),
    allRecords.filter((r) => r.sec >= cutB),
  ];
  const bytes = parts.map(pcapOf);
  const files = [join(dir, 'rot-0.pcap'), join(dir, 'rot-1.pcap.gz'), join(dir, 'rot-2.pcap')];
  writeFileSync(files[0]!, bytes[0]!);
  writeFileSync(files[1]!, gzipSync(bytes[1]!));
  writeFileSync(files[2]!, bytes[2]!);
  const single = join(dir, 'single.duckdb');
  beforeAll(() => {
    const r = onpath(['ingest', '-q', '--workers', '0', '--range-kb', '64', '--db', single, capture]);
    expect(r.status, r.stderr).toBe(0);
  });
  // Per 5-tuple in either direction (a flow cut at a file's end may start the next file from its responder).
  const perKey = `SELECT proto, list_sort([orig_addr || '/' || orig_port, resp_addr || '/' || resp_port]) AS k,
    sum(orig_pkts + resp_pkts)::BIGINT AS p, sum(orig_wire_bytes + resp_wire_bytes)::BIGINT AS b FROM flows GROUP BY ALL ORDER BY ALL`;

  for (const workers of [0, 3]) {
    it(`carries flows across files like one file (--workers ${workers})`, async () => {
      const db = join(dir, `carry${workers}.duckdb`);
      const r = onpath(['ingest', '--no-summary', '--workers', String(workers), '--range-kb', '64', '--db', db, ...files]);
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/rot-0\.pcap \.\. .*rot-2\.pcap \(3 files\): complete, capture 1, pcap,pcap\+gzip, 30\.3 k packets/);
      // Every column equal, history's content-gap letters aside: 'G'/'g' need the TCP reassembler's
      // state, which a range starts without, so they depend on where range boundaries fall (the
      // files move them; the worker count never does).
      const noGaps = `SELECT * EXCLUDE (flow_id, capture_id) REPLACE (regexp_replace(history, '[Gg]', '', 'g') AS history) FROM flows ORDER BY ALL`;
      expect(await flowsOf(db, noGaps)).toEqual(await flowsOf(single, noGaps));
      // The handshake split across the first cut keeps both of its times.
      expect(await flowsOf(db, `SELECT history, syn_synack_us, synack_ack_us FROM flows WHERE orig_port = 40001`))
        .toEqual([{ history: 'ShAD', syn_synack_us: 20000, synack_ack_us: 10000 }]);
      const sink = await DuckSink.open(db);
      try {
        const f = await rows(sink, `SELECT file_index, path, format, stream_offset, packets, status FROM capture_files ORDER BY file_index`);
        expect(f).toEqual([
          { file_index: 0, path: files[0], format: 'pcap', stream_offset: 0, packets: parts[0]!.length, status: 'complete' },
          { file_index: 1, path: files[1], format: 'pcap+gzip', stream_offset: bytes[0]!.length, packets: parts[1]!.length, status: 'complete' },
          { file_index: 2, path: files[2], format: 'pcap', stream_offset: bytes[0]!.length + bytes[1]!.length, packets: parts[2]!.length, status: 'complete' },
        ]);
        const [cap] = await rows(sink, `SELECT count(*) OVER () AS n, path, packets, status FROM captures`);
        expect(cap).toEqual({ n: 1, path: `${files[0]} .. ${files[2]} (3 files)`, packets: allRecords.length, status: 'complete' });
      } finally {
        sink.close();
      }
      // The same stream again is the same capture: skipped, nothing duplicated.
      const again = onpath(['ingest', '--no-summary', '--db', db, ...files]);
      expect(again.status).toBe(0);
      expect(again.stdout).toMatch(/already ingested as capture 1/);
      expect((await flowsOf(db)).length).toBe((await flowsOf(single)).length);
    });
  }

  it('--no-carry: three captures; flows end at each file, per-key totals unchanged', async () => {
    const db = join(dir, 'nocarry.duckdb');
    const r = onpath(['ingest', '--no-summary', '--no-carry', '--workers', '2', '--range-kb', '64', '--db', db, ...files]);
    expect(r.status, r.stderr).toBe(0);
    const sink = await DuckSink.open(db);
    const one = await DuckSink.open(single);
    try {
      expect((await rows(sink, `SELECT capture_id, packets FROM captures ORDER BY 1`)).map((c) => c.packets)).toEqual(parts.map((p) => p.length));
      expect(await rows(sink, perKey)).toEqual(await rows(one, perKey));
      // The TCP connection spans all three files: three flows, the first two cut by the file's end.
      const t = await rows(sink, `SELECT capture_id, orig_pkts + resp_pkts AS p, end_reason FROM flows
        WHERE proto = 6 AND orig_port = 40000 AND orig_addr = '${A}' ORDER BY first_ts`);
      expect(t.map((x) => x.end_reason)).toEqual(['end_of_capture', 'end_of_capture', 'fin']);
      expect(t.reduce((n, x) => n + Number(x.p), 0)).toBe(196);
      // The UDP flow active at the 25 s cut is two flows here, one flow (then an idle end) when carried.
      const u = await rows(sink, `SELECT capture_id, orig_pkts FROM flows WHERE proto = 17 AND orig_port = 5000 AND orig_addr = '${A}' ORDER BY first_ts`);
      expect(u).toEqual([{ capture_id: 1, orig_pkts: 15 }, { capture_id: 2, orig_pkts: 15 }, { capture_id: 3, orig_pkts: 30 }]);
      const carried = await DuckSink.open(join(dir, 'carry0.duckdb'));
      try {
        const c = await rows(carried, `SELECT orig_pkts, end_reason FROM flows WHERE proto = 17 AND orig_port = 5000 AND orig_addr = '${A}' ORDER BY first_ts`);
        expect(c).toEqual([{ orig_pkts: 30, end_reason: 'idle' }, { orig_pkts: 30, end_reason: 'end_of_capture' }]);
      } finally {
        carried.close();
      }
    } finally {
      sink.close();
      one.close();
    }
  });

  it('a directory is its capture files in name order, numbers as numbers', async () => {
    const d = join(dir, 'rotated');
    mkdirSync(d);
    copyFileSync(files[0]!, join(d, 'p_9.pcap'));
    copyFileSync(files[1]!, join(d, 'p_10.pcap.gz'));
    copyFileSync(files[2]!, join(d, 'p_11.pcap'));
    writeFileSync(join(d, 'notes.txt'), 'not a capture');
    symlinkSync(join(d, 'nowhere'), join(d, 'dangling.pcap')); // a broken link is no capture file
    copyFileSync(files[0]!, join(d, 'q.pcap1')); // tcpdump -C naming; the same content as p_9.pcap
    const db = join(dir, 'dir.duckdb');
    const r = onpath(['ingest', '-q', '--db', db, d]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/q\.pcap1: same content as .*p_9\.pcap earlier in this stream; left out/);
    expect(await flowsOf(db, `SELECT path FROM capture_files ORDER BY file_index`)).toEqual(
      ['p_9.pcap', 'p_10.pcap.gz', 'p_11.pcap'].map((n) => ({ path: join(d, n) })));
    const noGaps = `SELECT * EXCLUDE (flow_id, capture_id) REPLACE (regexp_replace(history, '[Gg]', '', 'g') AS history) FROM flows ORDER BY ALL`;
    expect(await flowsOf(db, noGaps)).toEqual(await flowsOf(single, noGaps));
    const empty = join(dir, 'empty-dir');
    mkdirSync(empty);
    const e = onpath(['ingest', '-q', '--db', db, empty]);
    expect(e.status).toBe(1);
    expect(e.stderr).toMatch(/empty-dir: no capture files in this directory/);
  });

  it('a file already in the DB is left out of a new stream, never ingested twice', async () => {
    const db = join(dir, 'overlap.duckdb');
    expect(onpath(['ingest', '-q', '--db', db, files[0]!, files[1]!]).status).toBe(0);
    const r = onpath(['ingest', '--no-summary', '--db', db, ...files]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/rot-0\.pcap: already ingested in capture 1 \(same content\); left out/);
    expect(r.stdout).toMatch(/rot-1\.pcap\.gz: already ingested in capture 1/);
    expect(await flowsOf(db, `SELECT capture_id, path FROM capture_files ORDER BY ALL`)).toEqual([
      { capture_id: 1, path: files[0] }, { capture_id: 1, path: files[1] }, { capture_id: 2, path: files[2] },
    ]);
    // A file alone that is in a stream already: skipped.
    expect(onpath(['ingest', '--no-summary', '--db', db, files[1]!]).stdout).toMatch(/already ingested as capture 1/);
    expect(await flowsOf(db, `SELECT sum(packets)::INT AS p FROM captures`)).toEqual([{ p: allRecords.length }]);
  });

  it('content a stream already holds is not ingested again from stdin, nor twice with --replace', async () => {
    const db = join(dir, 'stdin-dup.duckdb');
    expect(onpath(['ingest', '--no-summary', '--db', db, files[0]!, files[2]!]).status).toBe(0);
    // rot-2's bytes through stdin: known only after reading; a file of capture 1 has them.
    const r = onpath(['ingest', '--no-summary', '--db', db, '-'], Buffer.from(bytes[2]!));
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/-: same content as a file of capture 1; nothing of this stream was written/);
    expect(await flowsOf(db, `SELECT count(*)::INT AS n, sum(packets)::INT AS p FROM captures`))
      .toEqual([{ n: 1, p: parts[0]!.length + parts[2]!.length }]);
    // The same file twice in one stream is read once, also with --replace.
    const db2 = join(dir, 'replace-dup.duckdb');
    const t = onpath(['ingest', '--no-summary', '--replace', '--db', db2, files[0]!, files[0]!]);
    expect(t.status, t.stderr).toBe(0);
    expect(t.stderr).toMatch(/rot-0\.pcap: same content as .*rot-0\.pcap earlier in this stream; left out/);
    expect(await flowsOf(db2, `SELECT sum(packets)::INT AS p FROM captures`)).toEqual([{ p: parts[0]!.length }]);
  });

  it('a file gone before it is read is a failed file of the stream; the others are kept', async () => {
    const sink = await DuckSink.open(join(dir, 'gone.duckdb'));
    try {
      const s = await ingestCapture([files[0]!, join(dir, 'gone.pcap'), files[2]!], sink, { flow: DEFAULT_FLOW_OPTIONS, replace: false, inspect: false });
      expect(s.files.map((f) => [f.status, f.packets, f.error?.replace(/:.*/, '') ?? null])).toEqual([
        ['complete', parts[0]!.length, null], ['failed', 0, 'cannot read'], ['complete', parts[2]!.length, null],
      ]);
      expect(s.status).toBe('failed');
      expect(s.packets).toBe(parts[0]!.length + parts[2]!.length);
    } finally {
      sink.close();
    }
  });

  it('files given out of time order are warned about and counted', async () => {
    const db = join(dir, 'reversed.duckdb');
    const r = onpath(['ingest', '--no-summary', '--db', db, files[2]!, files[0]!]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/warning: .*rot-0\.pcap begins \d+\.\d{3} s before .*rot-2\.pcap ends: files out of order\?/);
    expect(await flowsOf(db, `SELECT count, first_offset FROM anomalies WHERE kind = 'capture_file_out_of_order'`))
      .toEqual([{ count: 1, first_offset: bytes[2]!.length }]);
  });

  it('a bad file in the stream is named with its own offset; the others still form the stream', async () => {
    const cut = join(dir, 'rot-1-cut.pcap');
    writeFileSync(cut, bytes[1]!.subarray(0, bytes[1]!.length - 7));
    const db = join(dir, 'carry-bad.duckdb');
    const r = onpath(['ingest', '--no-summary', '--db', db, files[0]!, join(dir, 'missing.pcap'), cut, files[2]!]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/missing\.pcap: at byte 0: cannot read: ENOENT/);
    expect(r.stderr).toMatch(new RegExp(`rot-1-cut\\.pcap: at byte \\d+: record cut short: \\d+ trailing bytes`));
    const sink = await DuckSink.open(db);
    try {
      // The missing file stays in the stream as a failed file: the DB shows the gap.
      const f = await rows(sink, `SELECT path, status, packets FROM capture_files ORDER BY file_index`);
      expect(f.map((x) => x.status)).toEqual(['complete', 'failed', 'truncated', 'complete']);
      expect(f[1]!.path).toBe(join(dir, 'missing.pcap'));
      // Offsets follow the files' sizes, not how far the reads of the cut file got.
      expect(await rows(sink, `SELECT stream_offset, size FROM capture_files ORDER BY file_index`)).toEqual([
        { stream_offset: 0, size: bytes[0]!.length },
        { stream_offset: bytes[0]!.length, size: 0 },
        { stream_offset: bytes[0]!.length, size: bytes[1]!.length - 7 },
        { stream_offset: bytes[0]!.length + bytes[1]!.length - 7, size: bytes[2]!.length },
      ]);
      expect(f[2]!.packets).toBe(parts[1]!.length - 1);
      const [cap] = await rows(sink, `SELECT status, error, packets FROM captures`);
      expect(cap!.status).toBe('failed');
      expect(String(cap!.error)).toMatch(/^.*missing\.pcap: cannot read/);
      expect(cap!.packets).toBe(allRecords.length - 1);
    } finally {
      sink.close();
    }
  });
});
