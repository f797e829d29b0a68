import { describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateBuffer } from '../src/gen/ixp-mix.js';
import { DuckSink } from '../src/sink/duckdb.js';
import { DecodePool } from '../src/pipeline/pool.js';
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
function tcpPkt(fromA: boolean, flags: number, seq: number, ack: number, len: number): Uint8Array {
  const t = tcp({ sport: fromA ? 40000 : 443, dport: fromA ? 443 : 40000, flags, seq, ack }, new Uint8Array(len));
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
  // UDP: both ways every second for 30 s, silent 90 s (past the 60 s timeout), again 30 s.
  for (let t = 10; t < 40; t++) { at(t + 0.3, udpPkt(true)); at(t + 0.31, udpPkt(false)); }
  for (let t = 130; t < 160; t++) { at(t + 0.3, udpPkt(true)); at(t + 0.31, udpPkt(false)); }
  return out;
}

function buildCapture(): string {
  const recs = [...baseRecords(), ...specialRecords()].sort((x, y) => x.sec - y.sec || x.us - y.us);
  const path = join(dir, 'mix.pcap');
  writeFileSync(path, cat(pcapHeader({ linktype: 1, snaplen: 128 }), ...recs.map((r) => pcapRecord({ sec: r.sec, frac: r.us, data: r.data, orig: r.orig }))));
  return path;
}

const capture = buildCapture();
const FLOWS = `SELECT * EXCLUDE (flow_id, capture_id) FROM flows ORDER BY ALL`;

async function flowsOf(db: string): Promise<Record<string, unknown>[]> {
  const sink = await DuckSink.open(db);
  try { return await rows(sink, FLOWS); } finally { sink.close(); }
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
