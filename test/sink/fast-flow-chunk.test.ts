/**
 * The bulk flow-chunk writer (fast-flow-chunk.ts) against the reference
 * `fillFlowChunk`: the same rows, value for value, for random batches full of
 * edge cases; and its pieces (SHA-1, Community ID, address bytes) against the
 * string functions they replace.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import * as crypto from 'node:crypto';
import { DuckDBConnection, DuckDBDataChunk, DuckDBInstance, INTEGER, VARCHAR } from '@duckdb/node-api';
import { createBatch, HISTORY_MAX, type FlowBatch } from '../../src/flow/batch.js';
import {
  addrText, anyAddrText, ipv4Text, ipv6Text, macText, parseAddr,
  writeAddr, writeAddrBytes, writeAnyAddr, writeIpv4, writeIpv6, writeMac, addrBytes,
} from '../../src/sink/addr.js';
import { communityId, writeCommunityId } from '../../src/sink/community-id.js';
import { sha1 } from '../../src/sink/fast-sha1.js';
import { FastFlowChunkWriter, fastFlowChunkSupported } from '../../src/sink/fast-flow-chunk.js';
import { CHUNK_ROWS, fillFlowChunk, flowChunkFiller } from '../../src/sink/flow-chunk.js';
import { FLOW_TABLE_COLUMNS } from '../../src/sink/schema.js';

/** xorshift32: deterministic test data. */
function rng(seed: number): { float(): number; int(n: number): number; chance(p: number): boolean } {
  let s = seed >>> 0 || 1;
  const float = (): number => {
    s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0;
    return s / 4294967296;
  };
  return { float, int: (n) => Math.floor(float() * n), chance: (p) => float() < p };
}

const ascii = (b: Uint8Array, end: number): string => Buffer.from(b.subarray(0, end)).toString('latin1');

describe('fast SHA-1', () => {
  it('matches node:crypto for every length across block boundaries', () => {
    const r = rng(7);
    const msg = new Uint8Array(300);
    const out = new Int32Array(5);
    for (let len = 0; len <= 300; len++) {
      for (let k = 0; k < 3; k++) {
        for (let i = 0; i < len; i++) msg[i] = r.int(256);
        sha1(msg, len, out);
        const got = Buffer.alloc(20);
        for (let w = 0; w < 5; w++) got.writeInt32BE(out[w]!, 4 * w);
        expect(got.toString('hex')).toBe(crypto.createHash('sha1').update(msg.subarray(0, len)).digest('hex'));
      }
    }
  });
});

/** Random address words: IPv4-mapped, or IPv6 with runs of zero groups. */
function randomWords(r: ReturnType<typeof rng>, v4: boolean): Uint32Array {
  if (v4) return Uint32Array.of(0, 0, 0xffff, r.int(4294967296));
  const w = new Uint32Array(4);
  if (r.chance(0.1)) { w[2] = 0xffff; w[3] = r.int(4294967296); return w; } // mapped, written as IPv6
  for (let k = 0; k < 4; k++) {
    const hi = r.chance(0.5) ? 0 : r.chance(0.3) ? r.int(16) : r.int(65536);
    const lo = r.chance(0.5) ? 0 : r.chance(0.3) ? r.int(256) : r.int(65536);
    w[k] = ((hi << 16) | lo) >>> 0;
  }
  return w;
}

describe('address and MAC bytes', () => {
  it('are the bytes of the text functions', () => {
    const r = rng(11);
    const out = new Uint8Array(64);
    const edge = ['0.0.0.0', '255.255.255.255', '10.0.0.1', '::', '::1', '1::', '2001:db8::1:0:0:1', '2001:0:0:1:0:0:0:1',
      '::ffff:192.0.2.1', 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', '0:1:0:1:0:1:0:1', '1:0:0:2:0:0:0:3'];
    const cases: Uint32Array[] = edge.map((t) => parseAddr(t)!.words);
    for (let i = 0; i < 5000; i++) cases.push(randomWords(r, r.chance(0.4)));
    for (const w of cases) {
      expect(ascii(out, writeIpv4(out, 0, w[3]!))).toBe(ipv4Text(w[3]!));
      expect(ascii(out, writeIpv6(out, 0, w, 0))).toBe(ipv6Text(w, 0));
      expect(ascii(out, writeAnyAddr(out, 3, w, 0)).slice(3)).toBe(anyAddrText(w, 0));
      for (const v of [4, 6, 0]) expect(ascii(out, writeAddr(out, 0, w, 0, v))).toBe(addrText(w, 0, v));
      expect(out.subarray(5, writeAddrBytes(out, 5, w, 0))).toEqual(addrBytes(w, 0));
    }
    const macs = [0, 1, 0xffffffffffff, 0x0123456789ab, 2 ** 32, 2 ** 32 - 1, 2 ** 48, 2 ** 50 + 3, -1, 1.5, Infinity];
    for (let i = 0; i < 5000; i++) macs.push(r.int(2 ** 48));
    for (const m of macs) expect(ascii(out, writeMac(out, 0, m))).toBe(macText(m));
  });
});

describe('Community ID bytes', () => {
  it('are the text of communityId for all protocols, ports and seeds', () => {
    const r = rng(13);
    const out = new Uint8Array(40);
    for (let i = 0; i < 10000; i++) {
      const v4 = r.chance(0.5);
      const src = randomWords(r, v4), dst = r.chance(0.1) ? src : randomWords(r, v4);
      const proto = [1, 6, 17, 58, 132, 46, 0, 255][r.int(8)]!;
      const icmp = proto === 1 || proto === 58;
      const sport = icmp ? [0, 8, 13, 128, 129, 135, 136, 3, 200][r.int(9)]! : r.int(65536);
      const dport = icmp ? r.int(20) : r.chance(0.1) ? sport : r.int(65536);
      const seed = r.chance(0.8) ? 0 : r.int(65536);
      const end = writeCommunityId(out, 0, proto, v4, src, 0, dst, 0, sport, dport, seed);
      expect(end).toBe(30);
      expect(ascii(out, end)).toBe(communityId(proto, v4, src, 0, dst, 0, sport, dport, seed));
    }
  });
});

// ---------------------------------------------------------------------------
// Whole chunks: both writers into two tables, then compare the tables.
// ---------------------------------------------------------------------------

const T0 = 1700000000;

/** Random rows with edge values in every column that can hold one. */
function randomBatch(n: number, spltN: number, seed: number): FlowBatch {
  const r = rng(seed);
  const b = createBatch(n, spltN);
  const c = b.cols;
  const pick = <T>(xs: readonly T[]): T => xs[r.int(xs.length)]!;
  const count = (): number => (r.chance(0.9) ? r.int(100000)
    : pick([0, 1, 2 ** 32 - 1, 2 ** 32, 2 ** 53 - 1, 2 ** 53, 2 ** 53 + 2, 2 ** 62, 2 ** 63 - 1024, -1, -(2 ** 40), -(2 ** 63)]));
  for (let i = 0; i < n; i++) {
    const v = r.chance(0.6) ? 4 : r.chance(0.95) ? 6 : pick([0, 5, 255]);
    c.ipVersion[i] = v;
    c.origAddr.set(randomWords(r, v === 4), i * 4);
    c.respAddr.set(randomWords(r, v === 4), i * 4);
    c.proto[i] = pick([6, 6, 17, 17, 1, 58, 132, 47, 0, 255]);
    c.origPort[i] = r.int(65536); c.respPort[i] = r.chance(0.5) ? pick([53, 80, 443]) : r.int(65536);
    const sec = r.chance(0.9) ? T0 + r.int(10 ** 6)
      : pick([0, 1, 2 ** 32, 2 ** 33 - 1, 2 ** 33, 2 ** 33 + 1, 9223372032, -1, -1e9, -9223372036]);
    c.firstSec[i] = sec; c.firstNs[i] = r.chance(0.9) ? r.int(1e9) : pick([0, 999999999, 2 ** 32 - 1]);
    c.lastSec[i] = r.chance(0.95) && sec < 9e9 ? sec + r.int(1000) : pick([0, 2 ** 33 - 1, 9223372032]);
    c.lastNs[i] = r.chance(0.9) ? r.int(1e9) : pick([0, 999999999, 2 ** 32 - 1]);
    c.origPkts[i] = count(); c.respPkts[i] = count();
    c.origWireBytes[i] = count(); c.respWireBytes[i] = count();
    c.origIpBytes[i] = count(); c.respIpBytes[i] = count();
    c.origPayloadBytes[i] = count(); c.respPayloadBytes[i] = count();
    c.connState[i] = r.chance(0.95) ? r.int(13) : r.int(256);
    c.endReason[i] = r.chance(0.95) ? r.int(7) : r.int(256);
    const hl = r.chance(0.2) ? 0 : r.chance(0.9) ? 1 + r.int(HISTORY_MAX) : r.int(256);
    c.historyLen[i] = hl;
    for (let k = 0; k < Math.min(hl, HISTORY_MAX); k++) {
      c.history[i * HISTORY_MAX + k] = r.chance(0.95) ? 'ShADadFfRrTtWwIiQq^'.charCodeAt(r.int(19)) : pick([0, 0x7f, 0x80, 0xe9, 0xff]);
    }
    c.origTtl[i] = r.chance(0.2) ? -1 : r.chance(0.9) ? r.int(256) : pick([255, 32767]);
    c.respTtl[i] = r.chance(0.5) ? -1 : r.int(256);
    c.synToSynAckUs[i] = r.chance(0.4) ? NaN : pick([r.float() * 1e6, 0, -0, 1e300, -5.5, Infinity]);
    c.synAckToAckUs[i] = r.chance(0.4) ? NaN : r.float() * 1e3;
    c.origMac[i] = r.chance(0.3) ? NaN : r.chance(0.9) ? r.int(2 ** 48) : pick([0, 2 ** 48 - 1, 2 ** 32]);
    c.respMac[i] = r.chance(0.3) ? NaN : r.int(2 ** 48);
    c.vlanOuter[i] = r.chance(0.5) ? -1 : r.int(4096);
    c.vlanInner[i] = r.chance(0.8) ? -1 : pick([0, 4095, 32767]);
    c.mplsLabel[i] = r.chance(0.7) ? -1 : r.int(2 ** 20);
    c.origTcpFlags[i] = r.int(256); c.respTcpFlags[i] = r.chance(0.9) ? r.int(256) : 65535;
    c.fragments[i] = r.chance(0.8) ? 0 : r.chance(0.8) ? r.int(100) : pick([2 ** 31 - 1, 2 ** 31, 2 ** 32 - 1]);
    c.truncatedPkts[i] = r.chance(0.9) ? 0 : pick([1, 2 ** 31, 2 ** 32 - 1]);
    c.tunnelKind[i] = r.chance(0.7) ? 0 : r.chance(0.9) ? 1 + r.int(5) : r.int(256);
    c.tunnelSrc.set(randomWords(r, r.chance(0.6)), i * 4);
    c.tunnelDst.set(randomWords(r, r.chance(0.6)), i * 4);
    const sl = r.chance(0.1) ? 0 : r.chance(0.9) ? r.int(spltN + 1) : 255;
    c.spltLen[i] = sl;
    for (let k = 0; k < spltN; k++) {
      c.spltSize[i * spltN + k] = r.chance(0.95) ? r.int(3000) - 1500 : pick([2 ** 31 - 1, -(2 ** 31), 0]);
      c.spltGapUs[i * spltN + k] = r.chance(0.95) ? r.int(1e7) / 8 : pick([0, -0, NaN, 1e-300, 1.5e300]);
    }
  }
  b.n = n;
  return b;
}

let instance: DuckDBInstance;
let conn: DuckDBConnection;
beforeAll(async () => {
  instance = await DuckDBInstance.create(':memory:');
  conn = await instance.connect();
});
afterAll(() => {
  conn.closeSync();
  instance.closeSync();
});

async function scalar(sql: string): Promise<unknown> {
  return (await conn.runAndReadAll(sql)).getRows()[0]![0];
}

type Fill = (chunk: DuckDBDataChunk, batch: FlowBatch, start: number, count: number, captureId: number, firstIndex: number) => void;

/** Appends each batch, chunk by chunk, to `table` with `fill`; (captureId, firstIndex) per batch. */
async function appendAll(table: string, fill: Fill, batches: readonly [FlowBatch, number, number][]): Promise<void> {
  const appender = await conn.createAppender(table);
  const types = Array.from({ length: appender.columnCount }, (_, i) => appender.columnType(i));
  const chunk = DuckDBDataChunk.create(types);
  for (const [batch, captureId, firstIndex] of batches) {
    for (let start = 0; start < batch.n; start += CHUNK_ROWS) {
      const count = Math.min(CHUNK_ROWS, batch.n - start);
      fill(chunk, batch, start, count, captureId, firstIndex + start);
      appender.appendDataChunk(chunk);
    }
  }
  appender.closeSync();
}

async function createFlowTable(name: string): Promise<void> {
  await conn.run(`CREATE OR REPLACE TABLE ${name} (${FLOW_TABLE_COLUMNS.map(([c, t]) => `${c} ${t}`).join(', ')})`);
}

/** Both writers over the same batches; the tables must hold the same multiset of rows. */
async function compareWriters(batches: readonly [FlowBatch, number, number][]): Promise<number> {
  await createFlowTable('ref');
  await createFlowTable('fast');
  await appendAll('ref', fillFlowChunk, batches);
  const writer = new FastFlowChunkWriter();
  await appendAll('fast', (...a) => writer.fill(...a), batches);
  const n = Number(await scalar('SELECT count(*) FROM ref'));
  expect(Number(await scalar('SELECT count(*) FROM fast'))).toBe(n);
  expect(Number(await scalar('SELECT count(*) FROM (SELECT * FROM ref EXCEPT ALL SELECT * FROM fast)'))).toBe(0);
  expect(Number(await scalar('SELECT count(*) FROM (SELECT * FROM fast EXCEPT ALL SELECT * FROM ref)'))).toBe(0);
  // Row by row as text too (tells -0 from 0, which comparisons do not), paired by flow_id (unique here);
  // timestamps as epoch ns, since the earliest ones have no text form.
  const text = (t: string): string => `SELECT flow_id AS k, x::VARCHAR AS v
    FROM (SELECT * REPLACE (epoch_ns(first_ts) AS first_ts, epoch_ns(last_ts) AS last_ts) FROM ${t}) x`;
  expect(Number(await scalar(`SELECT count(*) FROM (${text('ref')}) a FULL JOIN (${text('fast')}) b USING (k) WHERE a.v IS DISTINCT FROM b.v`))).toBe(0);
  return n;
}

describe('FastFlowChunkWriter', () => {
  it('is what the sink uses for the flows table', async () => {
    await createFlowTable('probe');
    const appender = await conn.createAppender('probe');
    const types = Array.from({ length: appender.columnCount }, (_, i) => appender.columnType(i));
    appender.closeSync();
    expect(fastFlowChunkSupported(types)).toBe(true);
    expect(flowChunkFiller(types)).not.toBe(fillFlowChunk);
    // Other columns: the reference, which converts whatever it is given.
    expect(flowChunkFiller([INTEGER, VARCHAR])).toBe(fillFlowChunk);
    expect(flowChunkFiller(types.slice(1))).toBe(fillFlowChunk);
  });

  it('writes the same rows as fillFlowChunk: NULLs, text, blobs, lists, ns timestamps, overflow', async () => {
    const batches: [FlowBatch, number, number][] = [
      [randomBatch(2048 * 4 + 777, 8, 1), 1, 0],
      [randomBatch(1, 8, 2), 1, 2048 * 4 + 777],
      [randomBatch(5000, 0, 3), 2, 0], // SPLT off: NULL lists
      [randomBatch(3000, 40, 4), 1000, 2 ** 32 - 1500], // flow ids cross a 2^32 boundary
      [randomBatch(2100, 3, 5), 2 ** 31 - 1, 17], // the largest capture_id
      [randomBatch(64, 255, 6), 7, 0],
    ];
    const n = await compareWriters(batches);
    expect(n).toBe(2048 * 4 + 777 + 1 + 5000 + 3000 + 2100 + 64);
    // The data really has the cases in it.
    expect(Number(await scalar('SELECT count(*) FROM fast WHERE splt_sizes IS NULL'))).toBe(5000);
    expect(Number(await scalar("SELECT count(*) FROM fast WHERE history LIKE '%é%' OR history LIKE '%' || chr(0) || '%'"))).toBeGreaterThan(0);
    expect(Number(await scalar("SELECT count(*) FROM fast WHERE tunnel LIKE 'tunnel-%'"))).toBeGreaterThan(0);
    expect(Number(await scalar('SELECT count(DISTINCT conn_state IS NULL) + count(DISTINCT orig_mac IS NULL) FROM fast'))).toBe(4);
  }, 120000);

  it('leaves no NULL behind in a reused chunk: all-NULL rows, then rows without NULLs', async () => {
    const nulls = randomBatch(3000, 0, 21), values = randomBatch(3000, 5, 22);
    for (let i = 0; i < 3000; i++) {
      const c = nulls.cols;
      c.proto[i] = 17; c.connState[i] = 200; c.endReason[i] = 200; c.historyLen[i] = 0; c.tunnelKind[i] = 0;
      c.origTtl[i] = -1; c.respTtl[i] = -1; c.vlanOuter[i] = -1; c.vlanInner[i] = -1; c.mplsLabel[i] = -1;
      c.synToSynAckUs[i] = NaN; c.synAckToAckUs[i] = NaN; c.origMac[i] = NaN; c.respMac[i] = NaN;
      const v = values.cols;
      v.proto[i] = 6; v.connState[i] = i % 13; v.endReason[i] = i % 7; v.historyLen[i] = 1 + (i % 20); v.tunnelKind[i] = 1 + (i % 5);
      v.origTtl[i] = 1; v.respTtl[i] = 2; v.vlanOuter[i] = 3; v.vlanInner[i] = 4; v.mplsLabel[i] = 5;
      v.synToSynAckUs[i] = 1.5; v.synAckToAckUs[i] = 2.5; v.origMac[i] = i; v.respMac[i] = 2 * i;
    }
    await compareWriters([[nulls, 1, 0], [values, 1, 3000], [nulls, 1, 6000]]);
    const nullCols = ['conn_state', 'history', 'end_reason', 'orig_ttl', 'resp_ttl', 'syn_synack_us', 'synack_ack_us', 'orig_mac', 'resp_mac',
      'vlan_outer', 'vlan_inner', 'mpls_label', 'orig_tcp_flags', 'resp_tcp_flags', 'tunnel', 'splt_sizes', 'splt_gaps_us'];
    const counts = await conn.runAndReadAll(`SELECT ${nullCols.map((c) => `count(${c})::INTEGER`).join(', ')} FROM fast`);
    expect(counts.getRows()).toEqual([nullCols.map(() => 3000)]);
  });

  it('writes exact ns timestamps and BIGINTs around every split point', async () => {
    const b = createBatch(CHUNK_ROWS, 0);
    const secs = [0, 1, 65535, 65536, 65537, 2 ** 31, 2 ** 32 - 1, 2 ** 32, T0, 2 ** 33 - 2, 2 ** 33 - 1, 2 ** 33, 9223372032, -1, -9223372036];
    const nss = [0, 1, 999999999, 1e9, 2 ** 32 - 1];
    let i = 0;
    for (const sec of secs) {
      for (const ns of nss) {
        const c = b.cols;
        c.ipVersion[i] = 4; c.origTtl[i] = -1; c.respTtl[i] = -1; c.vlanOuter[i] = -1; c.vlanInner[i] = -1; c.mplsLabel[i] = -1;
        c.origMac[i] = NaN; c.respMac[i] = NaN; c.synToSynAckUs[i] = NaN; c.synAckToAckUs[i] = NaN;
        c.firstSec[i] = sec; c.firstNs[i] = ns; c.lastSec[i] = sec; c.lastNs[i] = ns;
        c.origPkts[i] = sec * 1024 + ns; // up to ~2^53: both halves of the BIGINT
        i++;
      }
    }
    b.n = i;
    await compareWriters([[b, 5, 0]]);
    const ns = await conn.runAndReadAll('SELECT epoch_ns(first_ts)::VARCHAR, orig_pkts::VARCHAR FROM fast ORDER BY flow_id');
    const want: string[][] = [];
    for (const sec of secs) for (const n of nss) want.push([BigInt.asIntN(64, BigInt(sec) * 1000000000n + BigInt(n)).toString(), String(BigInt(sec * 1024 + n))]);
    expect(ns.getRows()).toEqual(want);
  });

  it('refuses what the reference refuses, with the same error', async () => {
    await createFlowTable('bad');
    const appender = await conn.createAppender('bad');
    const types = Array.from({ length: appender.columnCount }, (_, i) => appender.columnType(i));
    const chunk = DuckDBDataChunk.create(types);
    const writer = new FastFlowChunkWriter();
    const cases: [string, (b: FlowBatch) => void, number][] = [
      ['fractional count', (b) => { b.cols.respPkts[3] = 1.5; }, 1],
      ['NaN count', (b) => { b.cols.origIpBytes[2] = NaN; }, 1],
      ['count past int64', (b) => { b.cols.origPkts[1] = 2 ** 63; }, 1],
      ['fractional second', (b) => { b.cols.lastSec[4] = T0 + 0.5; }, 1],
      ['timestamp past int64', (b) => { b.cols.firstSec[0] = 1e10; }, 1],
      ['ttl past SMALLINT', (b) => { b.cols.respTtl[5] = 40000; }, 1],
      ['capture_id past INTEGER', () => {}, 3e9],
      ['fractional capture_id', () => {}, 1.5],
      ['flow_id past int64', () => {}, 2 ** 31 - 1],
    ];
    for (const [what, spoil, captureId] of cases) {
      const b = randomBatch(10, 2, 9);
      for (let i = 0; i < b.n; i++) { b.cols.firstSec[i] = T0; b.cols.lastSec[i] = T0; b.cols.respTtl[i] = -1; }
      spoil(b);
      const firstIndex = what === 'flow_id past int64' ? 2 ** 32 - 5 : 0;
      let want: unknown = null, got: unknown = null;
      try { fillFlowChunk(chunk, b, 0, b.n, captureId, firstIndex); } catch (e) { want = e; }
      try { writer.fill(chunk, b, 0, b.n, captureId, firstIndex); } catch (e) { got = e; }
      expect(want, what).toBeInstanceOf(Error);
      expect(got, what).toBeInstanceOf(Error);
      expect((got as Error).message, what).toBe((want as Error).message);
    }
    appender.closeSync();
  });
});
