/**
 * In-order TCP streams (src/inspect/tcp-stream.ts), DNS pairing (src/pipeline/dns-pairing.ts),
 * the HTTP sniff of the inspector, and header-only captures through the whole pipeline: a
 * ClientHello cut by the snaplen, one split into out-of-order segments, and mDNS.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { MAX_PENDING_BYTES, MAX_PENDING_SEGMENTS, TcpStreams, type StreamConsumer } from '../../src/inspect/tcp-stream.js';
import { pairDns } from '../../src/pipeline/dns-pairing.js';
import { looksLikeHttp } from '../../src/inspect/inspector.js';
import { clientFields } from '../../src/inspect/hello-fields.js';
import type { DnsMsgRec } from '../../src/inspect/records.js';
import type { DuckSink } from '../../src/sink/duckdb.js';
import { be16, ether, fill, ipv4, IPPROTO, pcapFile, TCPF, tcp, udp, zeros, type PcapRecord } from '../helpers/bytes.js';
import { ingestAll, rows, tempDir } from '../helpers/ingest.js';

// ------------------------------------------------------------------ TcpStreams

/** Records what a TcpStreams hands on: the data bytes per direction, the gaps, and the order of both. */
class Recorder implements StreamConsumer {
  readonly bytes: number[][] = [[], []];
  readonly gaps: number[][] = [[], []];
  /** ['d', n] for data, ['g', n] for a gap, per direction, in order. */
  readonly events: [string, number][][] = [[], []];
  data(dir: number, buf: Uint8Array, off: number, len: number): void {
    for (let i = 0; i < len; i++) this.bytes[dir].push(buf[off + i]);
    this.events[dir].push(['d', len]);
  }
  gap(dir: number, n: number): void {
    this.gaps[dir].push(n);
    this.events[dir].push(['g', n]);
  }
}

/** `n` distinct-looking bytes: the value is the stream offset they are meant to have (mod 256). */
const chunk = (n: number, at: number): Uint8Array => Uint8Array.from(fill(n, at));
const seg = (s: TcpStreams, dir: number, seq: number, b: Uint8Array, wire = b.length): void =>
  s.segment(dir, seq >>> 0, b, 0, b.length, wire);

/** The private held-byte count of a direction (checked against MAX_PENDING_BYTES). */
const heldBytes = (s: TcpStreams, dir: number): number =>
  (s as unknown as { dirs: { heldBytes: number; held: unknown[] }[] }).dirs[dir].heldBytes;
const heldCount = (s: TcpStreams, dir: number): number =>
  (s as unknown as { dirs: { heldBytes: number; held: unknown[] }[] }).dirs[dir].held.length;

describe('TcpStreams', () => {
  it('in-order segments deliver exactly their bytes; a SYN sets the start at seq + 1', () => {
    const r = new Recorder();
    const s = new TcpStreams(r);
    s.syn(0, 1000);
    s.syn(1, 5000);
    const a = chunk(10, 0), b = chunk(7, 10), c = chunk(3, 0x80);
    seg(s, 0, 1001, a);
    seg(s, 0, 1011, b);
    seg(s, 1, 5001, c);
    expect(r.bytes[0]).toEqual([...a, ...b]);
    expect(r.bytes[1]).toEqual([...c]);
    expect(r.gaps).toEqual([[], []]);
    expect(s.delivered(0)).toBe(17);
    expect(s.delivered(1)).toBe(3);
  });

  it('after a SYN, data at the SYN\'s own seq is not taken as new (the SYN occupies it)', () => {
    const r = new Recorder();
    const s = new TcpStreams(r);
    s.syn(0, 1000);
    // A segment 1 byte before the start: its first byte is the SYN's sequence number.
    seg(s, 0, 1000, chunk(5, 0));
    expect(r.bytes[0]).toEqual([1, 2, 3, 4]);
    expect(r.gaps[0]).toEqual([]);
  });

  it('a second SYN (retransmitted) does not move the start', () => {
    const r = new Recorder();
    const s = new TcpStreams(r);
    s.syn(0, 1000);
    seg(s, 0, 1001, chunk(4, 0));
    s.syn(0, 1000);
    seg(s, 0, 1005, chunk(4, 4));
    expect(r.bytes[0]).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
  });

  it('without a SYN the first segment sets the start', () => {
    const r = new Recorder();
    const s = new TcpStreams(r);
    seg(s, 0, 777, chunk(4, 0));
    seg(s, 0, 781, chunk(4, 4));
    expect(r.bytes[0]).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
  });

  it('a full retransmission delivers nothing new; a partial overlap delivers only the new tail', () => {
    const r = new Recorder();
    const s = new TcpStreams(r);
    s.syn(0, 99);
    const first = chunk(10, 0);
    seg(s, 0, 100, first);
    seg(s, 0, 100, first); // full retransmission
    expect(r.bytes[0]).toEqual([...first]);
    expect(r.events[0]).toEqual([['d', 10]]);
    // Covers bytes 5..14: 5..9 were seen, 10..14 are new.
    seg(s, 0, 105, chunk(10, 5));
    expect(r.bytes[0]).toEqual(fill(15, 0));
    expect(r.events[0]).toEqual([['d', 10], ['d', 5]]);
    // A retransmission of a middle part of what was seen.
    seg(s, 0, 102, chunk(3, 2));
    expect(r.bytes[0]).toEqual(fill(15, 0));
    expect(s.delivered(0)).toBe(15);
    expect(r.gaps[0]).toEqual([]);
  });

  it('out of order: segment 2 before segment 1 comes out in order once 1 arrives', () => {
    const r = new Recorder();
    const s = new TcpStreams(r);
    s.syn(0, 0);
    seg(s, 0, 11, chunk(10, 10)); // segment 2
    expect(r.bytes[0]).toEqual([]);
    expect(s.delivered(0)).toBe(0);
    seg(s, 0, 21, chunk(5, 20)); // segment 3, still behind the hole
    expect(r.bytes[0]).toEqual([]);
    seg(s, 0, 1, chunk(10, 0)); // segment 1 fills the hole
    expect(r.bytes[0]).toEqual(fill(25, 0));
    expect(r.gaps[0]).toEqual([]);
    expect(s.delivered(0)).toBe(25);
    expect(heldCount(s, 0)).toBe(0);
    expect(heldBytes(s, 0)).toBe(0);
  });

  it('out of order with overlap: a held segment overlapping what the hole-filler brought gives only its tail', () => {
    const r = new Recorder();
    const s = new TcpStreams(r);
    s.syn(0, 0);
    seg(s, 0, 6, chunk(10, 5)); // bytes 5..14
    seg(s, 0, 1, chunk(8, 0)); // bytes 0..7
    expect(r.bytes[0]).toEqual(fill(15, 0));
    expect(r.gaps[0]).toEqual([]);
  });

  it('directions are independent', () => {
    const r = new Recorder();
    const s = new TcpStreams(r);
    s.syn(0, 10);
    s.syn(1, 10);
    seg(s, 1, 14, chunk(3, 3)); // dir 1 waits for bytes 0..2
    seg(s, 0, 11, chunk(3, 0));
    expect(r.bytes[0]).toEqual([0, 1, 2]);
    expect(r.bytes[1]).toEqual([]);
    seg(s, 1, 11, chunk(3, 0));
    expect(r.bytes[1]).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('sequence numbers wrap around 2^32', () => {
    const r = new Recorder();
    const s = new TcpStreams(r);
    const isn = 0xfffffff0;
    s.syn(0, isn); // data starts at 0xfffffff1
    seg(s, 0, 0xfffffff1, chunk(10, 0)); // up to 0xfffffffa
    seg(s, 0, 0xfffffffb, chunk(10, 10)); // crosses 2^32: next is 5
    expect(r.bytes[0]).toEqual(fill(20, 0));
    seg(s, 0, 5, chunk(4, 20));
    expect(r.bytes[0]).toEqual(fill(24, 0));
    // A retransmission from before the wrap is recognised as old.
    seg(s, 0, 0xfffffffb, chunk(10, 10));
    expect(r.bytes[0]).toEqual(fill(24, 0));
    expect(r.gaps[0]).toEqual([]);
  });

  it('out-of-order across the wrap: the segment after 2^32 waits for the one before it', () => {
    const r = new Recorder();
    const s = new TcpStreams(r);
    s.syn(0, 0xfffffff9); // data at 0xfffffffa
    seg(s, 0, 4, chunk(8, 10)); // bytes 10..17 (0xfffffffa + 10 = 2^32 + 4)
    expect(r.bytes[0]).toEqual([]);
    seg(s, 0, 0xfffffffa, chunk(10, 0));
    expect(r.bytes[0]).toEqual(fill(18, 0));
    expect(r.gaps[0]).toEqual([]);
  });

  it('snaplen cut: the captured bytes, then a gap of the rest, and the next segment continues after it', () => {
    const r = new Recorder();
    const s = new TcpStreams(r);
    s.syn(0, 0);
    const full = chunk(100, 0);
    s.segment(0, 1, full, 0, 40, 100); // 40 of 100 bytes captured
    expect(r.bytes[0]).toEqual(fill(40, 0));
    expect(r.gaps[0]).toEqual([60]);
    expect(s.delivered(0)).toBe(100);
    seg(s, 0, 101, chunk(20, 100));
    expect(r.bytes[0]).toEqual([...fill(40, 0), ...fill(20, 100)]);
    expect(r.events[0]).toEqual([['d', 40], ['g', 60], ['d', 20]]);
    expect(s.delivered(0)).toBe(120);
  });

  it('snaplen cut with nothing captured: all of it is a gap', () => {
    const r = new Recorder();
    const s = new TcpStreams(r);
    s.syn(0, 0);
    s.segment(0, 1, new Uint8Array(0), 0, 0, 50);
    expect(r.events[0]).toEqual([['g', 50]]);
    seg(s, 0, 51, chunk(2, 50));
    expect(r.bytes[0]).toEqual([50, 51]);
  });

  it('a retransmission of a cut segment that brings the whole of it fills nothing twice', () => {
    // The cut part was declared a gap: the stream has moved past it, so the full copy is old.
    const r = new Recorder();
    const s = new TcpStreams(r);
    s.syn(0, 0);
    s.segment(0, 1, chunk(30, 0), 0, 10, 30);
    seg(s, 0, 1, chunk(30, 0));
    expect(r.events[0]).toEqual([['d', 10], ['g', 20]]);
  });

  it('a held segment that was cut by the snaplen is handed on with its gap once the hole fills', () => {
    const r = new Recorder();
    const s = new TcpStreams(r);
    s.syn(0, 0);
    s.segment(0, 11, chunk(20, 10), 0, 5, 20); // bytes 10..29, only 10..14 captured
    seg(s, 0, 1, chunk(10, 0));
    expect(r.events[0]).toEqual([['d', 10], ['d', 5], ['g', 15]]);
    expect(r.bytes[0]).toEqual(fill(15, 0));
    seg(s, 0, 31, chunk(3, 30));
    expect(r.bytes[0]).toEqual([...fill(15, 0), 30, 31, 32]);
  });

  it(`more than MAX_PENDING_SEGMENTS (${MAX_PENDING_SEGMENTS}) out-of-order segments: a gap for the hole only, then every held byte, then later data`, () => {
    const r = new Recorder();
    const s = new TcpStreams(r);
    const L = 10;
    s.syn(0, 0);
    // Segment 0 (bytes 0..9) is lost; segments 1..MAX are held.
    for (let k = 1; k <= MAX_PENDING_SEGMENTS; k++) seg(s, 0, 1 + k * L, chunk(L, k * L));
    expect(r.events[0]).toEqual([]);
    expect(heldCount(s, 0)).toBe(MAX_PENDING_SEGMENTS);
    // One more: the wait is over the bound.
    const over = MAX_PENDING_SEGMENTS + 1;
    seg(s, 0, 1 + over * L, chunk(L, over * L));
    // The hole (10 bytes) is what is missing; the held segments arrived and must not be dropped.
    expect(r.gaps[0]).toEqual([L]);
    expect(r.bytes[0]).toEqual(fill(over * L, L));
    expect(s.delivered(0)).toBe((over + 1) * L);
    expect(heldCount(s, 0)).toBe(0);
    // Later data flows.
    seg(s, 0, 1 + (over + 1) * L, chunk(L, (over + 1) * L));
    expect(r.bytes[0].slice(-L)).toEqual(fill(L, (over + 1) * L));
    expect(s.delivered(0)).toBe((over + 2) * L);
    // The lost segment arriving late brings nothing.
    seg(s, 0, 1, chunk(L, 0));
    expect(r.gaps[0]).toEqual([L]);
    expect(s.delivered(0)).toBe((over + 2) * L);
  });

  it(`held bytes never exceed MAX_PENDING_BYTES (${MAX_PENDING_BYTES}); the segment past the bound ends the wait`, () => {
    const r = new Recorder();
    const s = new TcpStreams(r);
    s.syn(0, 0);
    const hole = 100;
    const big = MAX_PENDING_BYTES / 4;
    let seq = 1 + hole;
    // Exactly MAX_PENDING_BYTES held: still waiting.
    for (let k = 0; k < 4; k++) {
      seg(s, 0, seq, chunk(big, k));
      seq += big;
      expect(heldBytes(s, 0)).toBeLessThanOrEqual(MAX_PENDING_BYTES);
    }
    expect(heldBytes(s, 0)).toBe(MAX_PENDING_BYTES);
    expect(heldCount(s, 0)).toBe(4);
    expect(r.events[0]).toEqual([]);
    // One byte more would exceed the bound: not held, a gap is declared instead.
    seg(s, 0, seq, Uint8Array.of(0xab));
    expect(heldBytes(s, 0)).toBeLessThanOrEqual(MAX_PENDING_BYTES);
    expect(r.gaps[0].length).toBe(1);
    expect(r.events[0][0][0]).toBe('g');
    expect(r.bytes[0][r.bytes[0].length - 1]).toBe(0xab);
    expect(s.delivered(0)).toBe(hole + MAX_PENDING_BYTES + 1);
    expect(heldBytes(s, 0)).toBe(0);
    expect(heldCount(s, 0)).toBe(0);
  });

  it('the byte bound with the hole then filled: exactly the bound is held and handed on in order', () => {
    const r = new Recorder();
    const s = new TcpStreams(r);
    s.syn(0, 0);
    const big = MAX_PENDING_BYTES / 2;
    seg(s, 0, 11, chunk(big, 10));
    seg(s, 0, 11 + big, chunk(big, 10 + big));
    expect(heldBytes(s, 0)).toBe(MAX_PENDING_BYTES);
    seg(s, 0, 1, chunk(10, 0));
    expect(r.bytes[0]).toEqual(fill(10 + 2 * big, 0));
    expect(r.gaps[0]).toEqual([]);
    expect(heldBytes(s, 0)).toBe(0);
  });

  it('finish(): held segments behind a hole are handed on after a gap of the hole\'s size', () => {
    const r = new Recorder();
    const s = new TcpStreams(r);
    s.syn(0, 0);
    s.syn(1, 500);
    seg(s, 0, 1, chunk(5, 0)); // bytes 0..4
    seg(s, 0, 21, chunk(10, 20)); // bytes 20..29: hole 5..19 (15 bytes)
    seg(s, 0, 41, chunk(5, 40)); // bytes 40..44: hole 30..39 (10 bytes)
    seg(s, 0, 31, chunk(5, 30)); // bytes 30..34: hole shrinks to 35..39 (5 bytes)
    seg(s, 1, 511, chunk(4, 10)); // dir 1: hole of 10
    expect(r.bytes[0]).toEqual(fill(5, 0));
    s.finish();
    expect(r.events[0]).toEqual([['d', 5], ['g', 15], ['d', 10], ['d', 5], ['g', 5], ['d', 5]]);
    expect(r.bytes[0]).toEqual([...fill(5, 0), ...fill(15, 20), ...fill(5, 40)]);
    expect(r.events[1]).toEqual([['g', 10], ['d', 4]]);
    expect(r.bytes[1]).toEqual(fill(4, 10));
    expect(s.delivered(0)).toBe(45);
    expect(s.delivered(1)).toBe(14);
    expect(heldCount(s, 0)).toBe(0);
    expect(heldCount(s, 1)).toBe(0);
  });

  it('finish() with nothing held hands on nothing', () => {
    const r = new Recorder();
    const s = new TcpStreams(r);
    s.syn(0, 0);
    seg(s, 0, 1, chunk(3, 0));
    s.finish();
    expect(r.events).toEqual([[['d', 3]], []]);
  });
});

// ------------------------------------------------------------------ pairDns

let nextTag = 1;
function msg(o: { sec: number; ns?: number; response: boolean; id: number; qname: string | null; qtype?: number }): DnsMsgRec {
  return {
    tag: nextTag++, sec: o.sec, ns: o.ns ?? 0, fromOrig: !o.response, transport: 'udp', flavor: 'dns',
    id: o.id, response: o.response, opcode: 0, flags: o.response ? 0x8180 : 0x0100, rcode: 0,
    qname: o.qname, qtype: o.qtype ?? 1, answers: [], addrs: [], svcbAlpn: [], svcbEch: false, truncated: false,
  };
}
/** RTT in microseconds as the collector takes it. */
const rttUs = (t: { response: DnsMsgRec | null; lastQuerySec: number; lastQueryNs: number }): number =>
  ((t.response!.sec - t.lastQuerySec) * 1e9 + (t.response!.ns - t.lastQueryNs)) / 1000;

describe('pairDns', () => {
  it('a query and its response make one transaction', () => {
    const q = msg({ sec: 100, ns: 1000, response: false, id: 7, qname: 'a.example' });
    const r = msg({ sec: 100, ns: 251000, response: true, id: 7, qname: 'a.example' });
    const t = pairDns([q, r]);
    expect(t.length).toBe(1);
    expect(t[0].query).toBe(q);
    expect(t[0].response).toBe(r);
    expect(t[0].queries).toBe(1);
    expect([t[0].lastQuerySec, t[0].lastQueryNs]).toEqual([100, 1000]);
    expect(rttUs(t[0])).toBe(250);
  });

  it('two copies of a query then a response: queries = 2, RTT from the second copy, the first copy is the query', () => {
    const q1 = msg({ sec: 100, ns: 0, response: false, id: 9, qname: 'b.example' });
    const q2 = msg({ sec: 101, ns: 500_000_000, response: false, id: 9, qname: 'b.example' });
    const r = msg({ sec: 101, ns: 520_000_000, response: true, id: 9, qname: 'b.example' });
    const t = pairDns([q1, q2, r]);
    expect(t.length).toBe(1);
    expect(t[0].query).toBe(q1);
    expect(t[0].response).toBe(r);
    expect(t[0].queries).toBe(2);
    expect([t[0].lastQuerySec, t[0].lastQueryNs]).toEqual([101, 500_000_000]);
    expect(rttUs(t[0])).toBe(20_000);
  });

  it('a response without a query is its own transaction with query null', () => {
    const r = msg({ sec: 5, response: true, id: 1, qname: 'c.example' });
    const t = pairDns([r]);
    expect(t).toEqual([{ query: null, response: r, queries: 0, lastQuerySec: NaN, lastQueryNs: 0 }]);
    // Also among other messages.
    const q = msg({ sec: 6, response: false, id: 2, qname: 'd.example' });
    const t2 = pairDns([r, q]);
    expect(t2.length).toBe(2);
    expect(t2[0]).toMatchObject({ query: null, response: r, queries: 0 });
    expect(t2[1]).toMatchObject({ query: q, response: null, queries: 1 });
  });

  it('a query without a response: response null', () => {
    const q = msg({ sec: 5, ns: 9, response: false, id: 3, qname: 'e.example' });
    expect(pairDns([q])).toEqual([{ query: q, response: null, queries: 1, lastQuerySec: 5, lastQueryNs: 9 }]);
    const q2 = msg({ sec: 6, response: false, id: 4, qname: 'e.example' });
    const t = pairDns([q, q2]);
    expect(t.length).toBe(2);
    expect(t.map((x) => [x.query, x.response, x.queries])).toEqual([[q, null, 1], [q2, null, 1]]);
  });

  it('same id but a different name (or type) is not paired', () => {
    const q = msg({ sec: 1, response: false, id: 11, qname: 'f.example' });
    const r = msg({ sec: 2, response: true, id: 11, qname: 'g.example' });
    const t = pairDns([q, r]);
    expect(t.length).toBe(2);
    expect(t.map((x) => [x.query, x.response])).toEqual([[q, null], [null, r]]);
    const qa = msg({ sec: 1, response: false, id: 12, qname: 'h.example', qtype: 1 });
    const raaaa = msg({ sec: 2, response: true, id: 12, qname: 'h.example', qtype: 28 });
    expect(pairDns([qa, raaaa]).map((x) => [x.query, x.response])).toEqual([[qa, null], [null, raaaa]]);
  });

  it('messages given out of time order are sorted first', () => {
    const q = msg({ sec: 10, ns: 100, response: false, id: 20, qname: 'i.example' });
    const r = msg({ sec: 10, ns: 900, response: true, id: 20, qname: 'i.example' });
    const q2 = msg({ sec: 10, ns: 500, response: false, id: 20, qname: 'i.example' });
    const other = msg({ sec: 9, response: false, id: 21, qname: 'j.example' });
    const t = pairDns([r, q2, other, q]);
    expect(t.length).toBe(2);
    expect(t[0]).toMatchObject({ query: other, response: null, queries: 1 });
    expect(t[1]).toMatchObject({ query: q, response: r, queries: 2, lastQuerySec: 10, lastQueryNs: 500 });
    expect(rttUs(t[1])).toBeCloseTo(0.4, 9);
  });

  it('a query repeated after its answer starts a new transaction', () => {
    const q = msg({ sec: 1, response: false, id: 30, qname: 'k.example' });
    const r = msg({ sec: 2, response: true, id: 30, qname: 'k.example' });
    const q2 = msg({ sec: 3, response: false, id: 30, qname: 'k.example' });
    const r2 = msg({ sec: 5, response: true, id: 30, qname: 'k.example' });
    const t = pairDns([q, r, q2, r2]);
    expect(t.map((x) => [x.query, x.response, x.queries])).toEqual([[q, r, 1], [q2, r2, 1]]);
    expect(t.map(rttUs)).toEqual([1e6, 2e6]);
  });

  it('two messages (the shortcut) pair as the general path pairs them: every order, tie, kind and key', () => {
    // A third message of another id sends the same two through the general path; its own transaction is dropped.
    const far = (): DnsMsgRec => msg({ sec: 1000, response: false, id: 999, qname: 'far.example' });
    const strip = (ts: ReturnType<typeof pairDns<DnsMsgRec>>): unknown[] => ts.map((x) => [x.query, x.response, x.queries, x.lastQuerySec, x.lastQueryNs]);
    let cases = 0;
    for (const [aSec, aNs, bSec, bNs] of [[1, 0, 2, 0], [2, 0, 1, 0], [1, 5, 1, 5], [1, 7, 1, 3]]) {
      for (const [aResp, bResp] of [[false, true], [true, false], [false, false], [true, true]]) {
        for (const [bId, bName, bType] of [[40, 'l.example', 1], [41, 'l.example', 1], [40, 'm.example', 1], [40, 'l.example', 28], [40, null, 1]] as const) {
          const a = msg({ sec: aSec, ns: aNs, response: aResp, id: 40, qname: 'l.example', qtype: 1 });
          const b = msg({ sec: bSec, ns: bNs, response: bResp, id: bId, qname: bName, qtype: bType });
          const x = far();
          const general = pairDns([a, b, x]).filter((t) => t.query !== x);
          expect(strip(pairDns([a, b]))).toEqual(strip(general));
          cases++;
        }
      }
    }
    expect(cases).toBe(80);
    // By value: a query then its response at the same time pair; given the other way round at a
    // tie, the response comes first (the sort is stable) and pairs with nothing.
    const q = msg({ sec: 3, ns: 9, response: false, id: 50, qname: 'n.example' });
    const r = msg({ sec: 3, ns: 9, response: true, id: 50, qname: 'n.example' });
    expect(strip(pairDns([q, r]))).toEqual([[q, r, 1, 3, 9]]);
    expect(strip(pairDns([r, q]))).toEqual([[null, r, 0, NaN, 0], [q, null, 1, 3, 9]]);
  });
});

// ------------------------------------------------------------------ looksLikeHttp

describe('looksLikeHttp', () => {
  const sniff = (s: string, off = 0): boolean => {
    const b = Uint8Array.from(Buffer.from(s, 'latin1'));
    return looksLikeHttp(b, off, b.length - off);
  };
  it.each(['GET / HTTP/1.1\r\n', 'PROPFIND /x HTTP/1.1', 'HTTP/1.1 200 OK\r\n', 'HTTP/1.0 404', 'M-SEARCH * HTTP/1.1', 'POST /'])(
    'true for %j', (s) => expect(sniff(s)).toBe(true));
  it.each(['get / HTTP/1.1', 'GETX / HTTP/1.1', '\x16\x03\x01\x02\x00\x01', 'GET', 'GE ', '', 'HTTP/1.', 'HTTP/2 200', 'FOO / HTTP/1.1', 'GET/ HTTP/1.1'])(
    'false for %j', (s) => expect(sniff(s)).toBe(false));
  it('respects off and len', () => {
    const b = Uint8Array.from(Buffer.from('xxGET / HTTP/1.1', 'latin1'));
    expect(looksLikeHttp(b, 2, b.length - 2)).toBe(true);
    expect(looksLikeHttp(b, 0, b.length)).toBe(false);
    // The space after the method is beyond len: not enough to say.
    expect(looksLikeHttp(b, 2, 3)).toBe(false);
    const h = Uint8Array.from(Buffer.from('HTTP/1.1 200', 'latin1'));
    expect(looksLikeHttp(h, 0, 7)).toBe(false);
  });
});

// ------------------------------------------------------------------ header-only captures through the pipeline

const te = (s: string): number[] => Array.from(Buffer.from(s, 'latin1'));
const be24 = (n: number): number[] => [(n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff];

const SNI = 'cut.example';
const PADDING = 600;

/** ClientHello handshake body: TLS 1.2 legacy version, two suites, server_name first, then a long padding extension. */
function clientHelloBody(): number[] {
  const name = te(SNI);
  const sniList = [0, ...be16(name.length), ...name];
  const sniExt = [...be16(0), ...be16(sniList.length + 2), ...be16(sniList.length), ...sniList];
  const padExt = [...be16(21), ...be16(PADDING), ...zeros(PADDING)];
  const exts = [...sniExt, ...padExt];
  return [
    0x03, 0x03, ...fill(32, 0x40), 0,
    ...be16(4), 0x13, 0x01, 0x13, 0x02,
    1, 0,
    ...be16(exts.length), ...exts,
  ];
}

/** The ClientHello as one TLS record: 0x16 0x03 0x01 len, type 1, len24, body. */
function clientHelloRecord(): Uint8Array {
  const body = clientHelloBody();
  const hs = [1, ...be24(body.length), ...body];
  return Uint8Array.from([0x16, 0x03, 0x01, ...be16(hs.length), ...hs]);
}

const CLIENT = '192.0.2.10', SERVER = '203.0.113.5';
const SNAP = 200;

interface Pkt { data: Uint8Array }
function tcpPkt(fromClient: boolean, sport: number, flags: number, seq: number, ack: number, payload: ArrayLike<number> = []): Pkt {
  const [src, dst] = fromClient ? [CLIENT, SERVER] : [SERVER, CLIENT];
  const [sp, dp] = fromClient ? [sport, 443] : [443, sport];
  return { data: ether(0x0800, ipv4({ src, dst, proto: IPPROTO.TCP }, tcp({ sport: sp, dport: dp, flags, seq, ack }, payload))) };
}

/** Records 10 ms apart; each cut to `snap` bytes when given, orig = the full length. */
function records(pkts: Pkt[], snap?: number): PcapRecord[] {
  return pkts.map((p, i) => ({
    sec: 1_700_000_000, frac: 10_000 * (i + 1),
    data: snap !== undefined && p.data.length > snap ? p.data.subarray(0, snap) : p.data,
    orig: p.data.length,
  }));
}

/** The cut capture: handshake, the ClientHello in one segment (cut at 200 bytes of the frame), the server's ACK. */
function cutCapture(): { file: Uint8Array; origBytes: number; respBytes: number; helloFrame: number } {
  const hello = clientHelloRecord();
  const pkts = [
    tcpPkt(true, 40000, TCPF.SYN, 1000, 0),
    tcpPkt(false, 40000, TCPF.SYN | TCPF.ACK, 9000, 1001),
    tcpPkt(true, 40000, TCPF.ACK, 1001, 9001),
    tcpPkt(true, 40000, TCPF.ACK | TCPF.PSH, 1001, 9001, hello),
    tcpPkt(false, 40000, TCPF.ACK, 9001, 1001 + hello.length),
  ];
  const origBytes = [0, 2, 3].reduce((n, i) => n + pkts[i].data.length, 0);
  const respBytes = [1, 4].reduce((n, i) => n + pkts[i].data.length, 0);
  return { file: pcapFile({ linktype: 1, snaplen: SNAP }, records(pkts, SNAP)), origBytes, respBytes, helloFrame: pkts[3].data.length };
}

/** The ClientHello split in two segments (not cut), the second sent first. */
function splitCapture(): Uint8Array {
  const hello = clientHelloRecord();
  const cut = 100;
  const a = hello.subarray(0, cut), b = hello.subarray(cut);
  const pkts = [
    tcpPkt(true, 40001, TCPF.SYN, 50_000, 0),
    tcpPkt(false, 40001, TCPF.SYN | TCPF.ACK, 70_000, 50_001),
    tcpPkt(true, 40001, TCPF.ACK, 50_001, 70_001),
    tcpPkt(true, 40001, TCPF.ACK | TCPF.PSH, 50_001 + cut, 70_001, b),
    tcpPkt(true, 40001, TCPF.ACK | TCPF.PSH, 50_001, 70_001, a),
    tcpPkt(false, 40001, TCPF.ACK, 70_001, 50_001 + hello.length),
  ];
  return pcapFile({ linktype: 1 }, records(pkts));
}

function dnsName(n: string): number[] {
  return [...n.split('.').flatMap((l) => [l.length, ...te(l)]), 0];
}

/** An mDNS query and a response, each from its sender to the multicast group on 5353 (two flows). */
function mdnsCapture(): Uint8Array {
  const q = [0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, ...dnsName('printer.local'), 0, 1, 0, 1];
  const r = [0, 0, 0x84, 0, 0, 1, 0, 1, 0, 0, 0, 0, ...dnsName('printer.local'), 0, 1, 0, 1,
    0xc0, 12, 0, 1, 0x80, 1, 0, 0, 0, 120, 0, 4, 192, 0, 2, 77];
  const pkts = [
    { data: ether(0x0800, ipv4({ src: '192.0.2.20', dst: '224.0.0.251', proto: IPPROTO.UDP, ttl: 255 }, udp(5353, 5353, q))) },
    { data: ether(0x0800, ipv4({ src: '192.0.2.77', dst: '224.0.0.251', proto: IPPROTO.UDP, ttl: 255 }, udp(5353, 5353, r))) },
  ];
  return pcapFile({ linktype: 1 }, records(pkts));
}

describe('header-only capture through the pipeline', () => {
  let sink: DuckSink;
  const ids: number[] = [];
  const cut = cutCapture();
  beforeAll(async () => {
    const dir = tempDir();
    const files: [string, Uint8Array][] = [['cut.pcap', cut.file], ['split.pcap', splitCapture()], ['mdns.pcap', mdnsCapture()]];
    for (const [n, b] of files) writeFileSync(join(dir, n), b);
    const r = await ingestAll(files.map(([n]) => join(dir, n)));
    sink = r.sink;
    for (const s of r.summaries) ids.push(s.captureId!);
  });
  afterAll(() => sink?.close());

  it('the test\'s ClientHello is what it says: SNI first, padding long, and the SNI inside the 200-byte cut', () => {
    const rec = clientHelloRecord();
    expect(rec.length).toBeGreaterThan(PADDING);
    expect(cut.helloFrame).toBe(54 + rec.length);
    const at = Buffer.from(rec).indexOf(SNI);
    expect(at).toBeGreaterThan(0);
    expect(54 + at + SNI.length).toBeLessThanOrEqual(SNAP);
    // Parsed whole, it gives the SNI and fingerprints.
    const f = clientFields(Uint8Array.from(rec.subarray(9)), false, 't', []);
    expect(f).not.toBeNull();
    expect(f!.sni).toBe(SNI);
    expect(f!.extensions).toEqual([0, 21]);
    expect(f!.ja4).not.toBeNull();
  });

  it('ClientHello cut by the snaplen: SNI learned, hello_truncated, no JA4/JA3', async () => {
    const t = await rows(sink, `SELECT sni, hello_truncated, ja4, ja4_r, ja3, client_is_orig, cipher_suites FROM tls WHERE capture_id = ${ids[0]}`);
    expect(t.length).toBe(1);
    expect(t[0].sni).toBe(SNI);
    expect(t[0].hello_truncated).toBe(true);
    expect(t[0].ja4).toBeNull();
    expect(t[0].ja4_r).toBeNull();
    expect(t[0].ja3).toBeNull();
    expect(t[0].client_is_orig).toBe(true);
    expect(t[0].cipher_suites).toEqual([0x1301, 0x1302]);
  });

  it('the flow counts the full (orig) lengths on the wire, not the captured ones', async () => {
    const f = await rows(sink, `SELECT orig_pkts, resp_pkts, orig_wire_bytes, resp_wire_bytes, orig_payload_bytes, truncated_pkts
      FROM flows WHERE capture_id = ${ids[0]}`);
    expect(f.length).toBe(1);
    expect(Number(f[0].orig_pkts)).toBe(3);
    expect(Number(f[0].resp_pkts)).toBe(2);
    expect(Number(f[0].orig_wire_bytes)).toBe(cut.origBytes);
    expect(Number(f[0].resp_wire_bytes)).toBe(cut.respBytes);
    expect(cut.origBytes).toBeGreaterThan(SNAP * 2); // would be at most 54 + 54 + 200 if captured lengths were counted
    expect(Number(f[0].orig_payload_bytes)).toBe(clientHelloRecord().length);
    expect(Number(f[0].truncated_pkts)).toBe(1);
  });

  it('ClientHello split across two segments, the second first: SNI, not truncated, JA4 as for the whole hello', async () => {
    const t = await rows(sink, `SELECT sni, hello_truncated, ja4, ja4_r, ja3 FROM tls WHERE capture_id = ${ids[1]}`);
    expect(t.length).toBe(1);
    const want = clientFields(Uint8Array.from(clientHelloRecord().subarray(9)), false, 't', [])!;
    expect(t[0].sni).toBe(SNI);
    expect(t[0].hello_truncated).toBe(false);
    expect(t[0].ja4).not.toBeNull();
    expect(t[0].ja4).toBe(want.ja4);
    expect(t[0].ja4_r).toBe(want.ja4r);
    expect(t[0].ja3).toBe(want.ja3Hash);
  });

  it('UDP DNS on port 5353 is recorded with flavor mdns', async () => {
    const d = await rows(sink, `SELECT transport, flavor, id, query_name, query_type, answered, answer_addrs, queries
      FROM dns WHERE capture_id = ${ids[2]} ORDER BY ts`);
    expect(d).toEqual([
      { transport: 'udp', flavor: 'mdns', id: 0, query_name: 'printer.local', query_type: 'A', answered: false, answer_addrs: [], queries: 1 },
      { transport: 'udp', flavor: 'mdns', id: 0, query_name: 'printer.local', query_type: 'A', answered: true, answer_addrs: ['192.0.2.77'], queries: 0 },
    ]);
  });
});

// ------------------------------------------------------------------ hellos cut inside their fixed fields

/** A hello as one TLS record: version, random, session id, then `rest` (suites etc.), padded with a long extension. */
function helloRecord(type: 1 | 2, version: number, sidLen: number, rest: number[]): Uint8Array {
  const pad = [...be16(21), ...be16(300), ...zeros(300)];
  const body = [...be16(version), ...fill(32, 0x55), sidLen, ...fill(sidLen, 0x66), ...rest, ...be16(pad.length), ...pad];
  const hs = [type, ...be24(body.length), ...body];
  return Uint8Array.from([0x16, 0x03, 0x01, ...be16(hs.length), ...hs]);
}

/**
 * Header-only captures as exchange points take them (snaplen 128: 74 bytes of TLS after Ethernet,
 * IPv4 and TCP): the hellos are cut inside their fixed fields. Flow 40010 is TLS 1.2-or-1.3 (0x0303,
 * a 32-byte session id; the server picks TLS_AES_128_GCM_SHA256 with an empty session id), flow
 * 40011 an old TLS 1.0 client and server (TLS_RSA_WITH_AES_128_CBC_SHA), flow 40012 only the
 * server's side (the client's packets take another path: asymmetric routing), flow 40013 like
 * 40011 but with the ServerHello captured before the ClientHello (two taps, skewed clocks).
 */
function fixedCutCapture(): Uint8Array {
  const flow = (sport: number, ch: Uint8Array, sh: Uint8Array): Pkt[] => [
    tcpPkt(true, sport, TCPF.SYN, 1000, 0),
    tcpPkt(false, sport, TCPF.SYN | TCPF.ACK, 9000, 1001),
    tcpPkt(true, sport, TCPF.ACK, 1001, 9001),
    tcpPkt(true, sport, TCPF.ACK | TCPF.PSH, 1001, 9001, ch),
    tcpPkt(false, sport, TCPF.ACK | TCPF.PSH, 9001, 1001 + ch.length, sh),
  ];
  const modern = flow(40010, helloRecord(1, 0x0303, 32, [...be16(4), 0x13, 0x01, 0x13, 0x02, 1, 0]), helloRecord(2, 0x0303, 0, [0x13, 0x01, 0]));
  const old = flow(40011, helloRecord(1, 0x0301, 0, [...be16(2), 0x00, 0x2f, 1, 0]), helloRecord(2, 0x0301, 0, [0x00, 0x2f, 0]));
  const serverOnly = flow(40012, Uint8Array.of(), helloRecord(2, 0x0303, 0, [0xc0, 0x2f, 0])).filter((_, i) => i === 1 || i === 4);
  const late = flow(40013, helloRecord(1, 0x0301, 0, [...be16(2), 0x00, 0x2f, 1, 0]), helloRecord(2, 0x0301, 0, [0x00, 0x2f, 0]));
  const lateOrder = [late[0], late[1], late[2], late[4], late[3]];
  // Flow 40014: the ClientHello's packet cut to 64 bytes (10 of TLS: nothing of the hello), the
  // ServerHello's to 128 as the others: the ServerHello is still looked for and read.
  const tiny = records(flow(40014, helloRecord(1, 0x0301, 0, [...be16(2), 0x00, 0x2f, 1, 0]), helloRecord(2, 0x0301, 0, [0x00, 0x2f, 0])), 128)
    .map((r, i) => ({ ...r, sec: r.sec + 1, data: i === 3 ? Uint8Array.from(r.data).subarray(0, 64) : r.data }));
  return pcapFile({ linktype: 1, snaplen: 128 }, [...records([...modern, ...old, ...serverOnly, ...lateOrder], 128), ...tiny]);
}

describe('hellos cut inside their fixed fields (snaplen 128)', () => {
  let sink: DuckSink;
  let id = 0;
  beforeAll(async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'fixed-cut.pcap'), fixedCutCapture());
    const r = await ingestAll([join(dir, 'fixed-cut.pcap')]);
    sink = r.sink;
    id = r.summaries[0].captureId!;
  });
  afterAll(() => sink?.close());

  it('each flow has a tls row with what the cut hellos still carry, flagged as cut, and no fingerprints', async () => {
    const t = await rows(sink, `SELECT f.orig_port, t.client_version, t.session_id_len, t.cipher_suites, t.hello_truncated, t.sni,
      t.ja3, t.ja4, t.version, t.server_cipher, t.ja3s FROM tls t JOIN flows f USING (flow_id) WHERE t.capture_id = ${id} ORDER BY f.orig_port`);
    expect(t.map((r) => [r.orig_port, r.client_version, r.session_id_len, r.cipher_suites, r.hello_truncated, r.sni,
      r.ja3, r.ja4, r.version, r.server_cipher, r.ja3s])).toEqual([
      // 0x0303 may be TLS 1.3 (supported_versions is past the cut): the versions stay unknown. The
      // client's 74 bytes end inside its session id, so its suites are not there; the server's
      // empty session id leaves its suite inside the cut.
      [40010, null, 32, [], true, null, null, null, null, 0x1301, null],
      // A TLS 1.0 hello cannot offer TLS 1.3: its version stands. Both suite lists are in the 74 bytes.
      [40011, 'TLSv1.0', 0, [0x002f], true, null, null, null, 'TLSv1.0', 0x002f, null],
      // Only the ServerHello, cut: its suite; no ClientHello, so nothing of the client's.
      [40012, null, null, [], false, null, null, null, null, 0xc02f, null],
      // The ClientHello after the ServerHello is still read.
      [40013, 'TLSv1.0', 0, [0x002f], true, null, null, null, 'TLSv1.0', 0x002f, null],
      // Nothing of the ClientHello was captured; the ServerHello after it is read.
      [40014, null, null, [], false, null, null, null, 'TLSv1.0', 0x002f, null],
    ]);
    // The ServerHello came from the responder: the client is the originator.
    const o = await rows(sink, `SELECT t.client_is_orig FROM tls t JOIN flows f USING (flow_id) WHERE t.capture_id = ${id} AND f.orig_port = 40012`);
    expect(o.map((r) => r.client_is_orig)).toEqual([true]);
  });
});

describe('row text', () => {
  it('JsonText writes what JSON.stringify writes: escapes, non-ASCII, lone surrogates, numbers, nulls', async () => {
    const { JsonText } = await import('../../src/inspect/json-text.js');
    const j = new JsonText();
    const strings = ['plain.example', 'quote " and \\ back', 'tab\tnew\nline\u0001', 'café ünïcode 名前', 'lone \ud800 surrogate', '\u007f', ''];
    for (const s of strings) expect(j.begin().raw('"v":').str(s).end()).toBe(JSON.stringify({ v: s }).slice(1, -1));
    const nums = [0, -0, 7, -12, 4294967295, 1.5, NaN, Infinity, 1e21];
    expect(j.begin().nums(nums).end()).toBe(JSON.stringify(nums));
    expect(j.begin().strs(strings).raw(',').num(null).raw(',').str(null).raw(',').bool(false).end())
      .toBe(`${JSON.stringify(strings)},null,null,false`);
    // A text longer than the writer's first buffer grows it.
    const long = 'x'.repeat(10000) + 'é';
    expect(j.begin().str(long).end()).toBe(JSON.stringify(long));
  });
});

// ------------------------------------------------------------------ real captures, cut to header-only

const CORPUS_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'shared', 'corpus');
const EDITCAP = '/usr/bin/editcap';
const TLS_CAPTURES = ['zeek-tls12-ecdhe-certs.pcap', 'zeek-tls13-hrr.pcap', 'ja4-browsers-x509.pcapng', 'ndpi-tls-ech.pcapng'];
const haveCutTools = existsSync(EDITCAP) && TLS_CAPTURES.every((f) => existsSync(join(CORPUS_DIR, f)));

describe.skipIf(!haveCutTools)('real TLS captures cut to 128 bytes a packet (editcap -s 128)', () => {
  it('give a subset of what the whole capture gives: fields before the cut are equal, none differs', async () => {
    const dir = tempDir();
    const cuts = TLS_CAPTURES.map((f) => {
      const out = join(dir, `${f}.s128.pcap`);
      execFileSync(EDITCAP, ['-F', 'pcap', '-s', '128', join(CORPUS_DIR, f), out]);
      return out;
    });
    const { sink, summaries } = await ingestAll([...TLS_CAPTURES.map((f) => join(CORPUS_DIR, f)), ...cuts]);
    try {
      const ids = summaries.map((s) => s.captureId!);
      const cols = ['client_version', 'session_id_len', 'cipher_suites', 'sni', 'version', 'server_cipher', 'ja3s', 'ja4'];
      const tlsOf = async (id: number): Promise<Map<string, Record<string, unknown>>> => {
        const r = await rows(sink, `SELECT least(f.orig_addr || ':' || f.orig_port, f.resp_addr || ':' || f.resp_port) || ' ' ||
          greatest(f.orig_addr || ':' || f.orig_port, f.resp_addr || ':' || f.resp_port) AS k, t.hello_truncated, ${cols.map((c) => `t.${c}`).join(', ')}
          FROM tls t JOIN flows f USING (flow_id) WHERE t.capture_id = ${id}`);
        return new Map(r.map((x) => [String(x.k), x]));
      };
      let compared = 0, withSessionId = 0, withServerCipher = 0;
      for (let i = 0; i < TLS_CAPTURES.length; i++) {
        const whole = await tlsOf(ids[i]);
        const cut = await tlsOf(ids[TLS_CAPTURES.length + i]);
        for (const [k, c] of cut) {
          const w = whole.get(k);
          expect(w, `${TLS_CAPTURES[i]} ${k}: a tls row only in the cut copy`).toBeDefined();
          compared++;
          for (const col of cols) {
            const v = c[col];
            if (v === null || (Array.isArray(v) && v.length === 0)) continue;
            expect(v, `${TLS_CAPTURES[i]} ${k} ${col}`).toEqual(w![col]);
          }
          if (c.session_id_len !== null) withSessionId++;
          if (c.server_cipher !== null) withServerCipher++;
        }
      }
      // What the cut copies still tell: these captures hold 6 TLS flows; at 128 bytes a packet, 5 keep
      // the session id length and 3 the server's suite (before, all 6 rows were empty).
      expect(compared).toBe(6);
      expect(withSessionId).toBeGreaterThanOrEqual(5);
      expect(withServerCipher).toBeGreaterThanOrEqual(3);
    } finally {
      sink.close();
    }
  });
});
