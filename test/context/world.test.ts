/**
 * Exchange-point context end to end: a world built by the project's generator (an IX-F export, a
 * pfx2as table and a capture that agree, with one member delivering traffic for a prefix it does
 * not route) goes through ingest and `context load`; flows_ctx must name the members and origins
 * and flag exactly the detours. Also BGP sessions inside a real capture against tshark, and the
 * sFlow collector on a real socket.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync, spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildWorld, WORLD_MEMBERS } from '../../src/gen/ixp-world.js';
import { ingestAll, rows, tempDir } from '../helpers/ingest.js';
import { loadIxf, loadPfx2as } from '../../src/context/load.js';
import { annotate } from '../../src/context/annotate.js';
import { reportText } from '../../src/cli/report.js';
import type { DuckSink } from '../../src/sink/duckdb.js';
import { corpusPath } from '../helpers/corpus.js';
import { DuckSink as Sink } from '../../src/sink/duckdb.js';
import { SflowCapture } from '../../src/pipeline/sflow-rows.js';

const CLI = new URL('../../dist/src/cli/main.js', import.meta.url).pathname;
const IXP = new URL('../../../shared/ixp/', import.meta.url).pathname;

describe('a small exchange-point world (generator) through ingest, context load and flows_ctx', () => {
  let sink: DuckSink;
  beforeAll(async () => {
    const dir = tempDir();
    const w = buildWorld();
    writeFileSync(join(dir, 'ixf.json'), JSON.stringify(w.ixf));
    writeFileSync(join(dir, 'world.pfx2as'), w.pfx2as);
    writeFileSync(join(dir, 'world.pcap'), w.pcap);
    sink = (await ingestAll([join(dir, 'world.pcap')])).sink;
    await loadIxf(sink, join(dir, 'ixf.json'), false);
    await loadPfx2as(sink, join(dir, 'world.pfx2as'), false);
    await annotate(sink, true);
  });
  afterAll(() => sink?.close());

  it('learns the MAC the export leaves out from the BGP session in the capture', async () => {
    const m = await rows(sink, 'SELECT mac, asn, source FROM member_macs ORDER BY asn');
    expect(m.map((r) => [r.asn, r.source])).toEqual([[64501, 'ixf'], [64502, 'ixf'], [64503, 'ixf'], [64504, 'bgp'], [64505, 'ixf'], [64600, 'ixf']]);
    expect(m.find((r) => r.asn === 64504)!.mac).toBe(WORLD_MEMBERS.find((x) => x.asn === 64504)!.mac);
  });

  it('reads the BGP session: OPENs with 4-byte ASNs and the UPDATE, which becomes a route', async () => {
    const b = await rows(sink, "SELECT type, asn, as4, nlri, as_path, next_hop FROM bgp_messages ORDER BY ts");
    expect(b).toEqual([
      { type: 'OPEN', asn: 64504, as4: true, nlri: [], as_path: [], next_hop: null },
      { type: 'OPEN', asn: 64600, as4: true, nlri: [], as_path: [], next_hop: null },
      { type: 'UPDATE', asn: null, as4: null, nlri: ['198.18.0.0/15'], as_path: [64504], next_hop: '185.1.0.4' },
    ]);
    expect(await rows(sink, "SELECT prefix, path, source FROM route_paths")).toEqual([{ prefix: '198.18.0.0/15', path: [64504], source: 'capture' }]);
  });

  it('joins every flow to its members and origins, and flags exactly the detours with evidence', async () => {
    const f = await rows(sink, `SELECT orig_addr, resp_addr, orig_member_asn, resp_member_asn, orig_origin_asn, resp_origin_asn,
      detour, detour_reason, detour_evidence FROM flows_ctx ORDER BY first_ts`);
    expect(f).toHaveLength(12);
    const normal = f.filter((r) => !r.detour);
    expect(normal).toHaveLength(10);
    for (const r of normal.filter((x) => String(x.orig_addr).startsWith('192.0.2.'))) {
      expect([r.orig_member_asn, r.resp_member_asn, r.orig_origin_asn, r.resp_origin_asn]).toEqual([64503, 64502, 64503, 64502]);
    }
    for (const r of normal.filter((x) => String(x.orig_addr).startsWith('198.18.'))) {
      expect([r.orig_member_asn, r.resp_member_asn, r.orig_origin_asn, r.resp_origin_asn]).toEqual([64504, 64501, 64504, 64501]);
    }
    // The BGP session between peering-LAN addresses is the routers' own traffic, not a detour.
    expect(normal.find((r) => r.resp_addr === '185.1.0.254')).toMatchObject({ orig_member_asn: 64504, resp_member_asn: 64600 });
    const d = f.filter((r) => r.detour);
    expect(d.map((r) => [r.orig_addr, r.detour_reason])).toEqual([['192.0.2.30', 'rtt_jump'], ['192.0.2.66', 'orig_member_not_origin']]);
    expect(d[1]).toMatchObject({ orig_member_asn: 64505, orig_origin_asn: 64503 });
    expect(d[1].detour_evidence).toBe('AS64505 delivered traffic from 192.0.2.66 (192.0.2.0/24, origin AS64503); no AS path to the prefix is loaded');
    expect(d[0].detour_evidence).toMatch(/^SYN to SYN-ACK 80\.0 ms, usual 10\.\d ms for 203\.0\.113\.0\/24 in this capture$/);
  });

  it('the report has the context section: member pairs, origin pairs, unknown shares and the detours', async () => {
    const text = await reportText(sink, { top: 5 });
    expect(text).toContain('Top 5 member pairs');
    expect(text).toMatch(/Charlie Access\s+Bravo Hosting\s+7/);
    expect(text).toMatch(/AS64503\s+AS64502/);
    expect(text).toContain('Flows flagged as detours:');
    expect(text).toContain('orig_member_not_origin');
  });
});

describe('BGP sessions in a real capture (tcpdump bgp-4byte-asn) against tshark', () => {
  it('message types, NLRI and withdrawn prefixes, 4-byte ASNs', async () => {
    const p = corpusPath('tcpdump-bgp-4byte-asn.pcap');
    const { sink } = await ingestAll([p]);
    try {
      const t = execFileSync('tshark', ['-r', p, '-Y', 'bgp', '-T', 'fields', '-e', 'bgp.type', '-E', 'occurrence=a'], { encoding: 'utf8' });
      const want: Record<string, number> = {};
      for (const x of t.split(/[\n,]/).filter(Boolean)) want[x] = (want[x] ?? 0) + 1;
      const names: Record<string, string> = { 1: 'OPEN', 2: 'UPDATE', 3: 'NOTIFICATION', 4: 'KEEPALIVE' };
      const got = await rows(sink, 'SELECT type, sum(messages) AS n FROM bgp_messages GROUP BY type');
      expect(Object.fromEntries(got.map((r) => [r.type, Number(r.n)]))).toEqual(Object.fromEntries(Object.entries(want).map(([k, v]) => [names[k], v])));
      const u = execFileSync('tshark', ['-r', p, '-Y', 'bgp.type==2', '-T', 'fields', '-e', 'bgp.nlri_prefix', '-e', 'bgp.withdrawn_prefix', '-E', 'occurrence=a'], { encoding: 'utf8' });
      const nl: string[] = [], wd: string[] = [];
      for (const line of u.split('\n').filter(Boolean)) {
        const [a, b] = line.split('\t');
        if (a) nl.push(...a.split(','));
        if (b) wd.push(...b.split(','));
      }
      const [g] = await rows(sink, "SELECT flatten(list(nlri)) AS nlri, flatten(list(withdrawn)) AS wd FROM bgp_messages WHERE type = 'UPDATE'");
      expect((g.nlri as string[]).map((x) => x.split('/')[0]).sort()).toEqual(nl.sort());
      expect((g.wd as string[]).map((x) => x.split('/')[0]).sort()).toEqual(wd.sort());
      const [o] = await rows(sink, "SELECT list_distinct(list(asn)) AS asns, bool_or(as4) AS as4 FROM bgp_messages WHERE type = 'OPEN'");
      expect(o.as4).toBe(true);
      expect((o.asns as number[]).some((a) => a > 65535)).toBe(true);
    } finally { sink.close(); }
  });
});

describe('sFlow', () => {
  it('lost datagrams are counted per agent across batches (ranges), restarts are not losses', () => {
    const cap = new SflowCapture(7);
    const rows = (seqs: (string | number)[]) => ({ flows: [], counters: [], seqs, anomalies: [] as [string, number, number][] });
    cap.add(rows(['10.0.0.1', 0, 100, '10.0.0.1', 0, 101, '10.0.0.2', 0, 5]));
    cap.add(rows(['10.0.0.1', 0, 104, '10.0.0.2', 0, 6, '10.0.0.2', 0, 1])); // .1 lost 102-103; .2 restarted
    const agents = cap.take(true).agents.map((l) => JSON.parse(l));
    expect(agents).toEqual([
      { capture_id: 7, agent: '10.0.0.1', sub_agent: 0, datagrams: 3, lost_datagrams: 2, sequence_resets: 0 },
      { capture_id: 7, agent: '10.0.0.2', sub_agent: 0, datagrams: 3, lost_datagrams: 0, sequence_resets: 1 },
    ]);
    expect(cap.lost).toBe(2);
  });

  it('datagrams inside a capture: samples, scaled counts and the inner 5-tuple', async () => {
    const { sink } = await ingestAll([join(IXP, 'akvorado-sflow-1140.pcap'), join(IXP, 'tcpdump-sflow-multiple-counter-30-pdus.pcap')]);
    try {
      const f = await rows(sink, 'SELECT sampling_rate, src_addr, dst_addr, proto, src_port, dst_port, packets, bytes, frame_length FROM sflow_flows WHERE capture_id = 1 ORDER BY sample_seq');
      expect(f).toHaveLength(5);
      const tsv = readFileSync(join(IXP, 'akvorado-sflow-1140.pcap.sflow.tsv'), 'utf8').trim().split('\n').slice(1).map((l) => l.split('\t'));
      for (const r of tsv) {
        const hit = f.find((x) => x.src_addr === r[17] && x.dst_addr === r[18] && x.src_port === Number(r[20]) && x.dst_port === Number(r[21]) && x.frame_length === Number(r[14]));
        expect(hit, r.join(' ')).toBeDefined();
        expect(hit!.sampling_rate).toBe(Number(r[6]));
        expect(hit!.packets).toBe(Number(r[6]));
        expect(hit!.bytes).toBe(Number(r[6]) * Number(r[14]));
      }
      const [c] = await rows(sink, 'SELECT count(*) AS n, sum(lost_datagrams) AS lost FROM sflow_agents WHERE capture_id = 2');
      expect(Number(c.n)).toBeGreaterThan(1);
      expect(Number(c.lost)).toBe(0);
      const [k] = await rows(sink, 'SELECT count(*) AS n FROM sflow_counters WHERE capture_id = 2');
      expect(Number(k.n)).toBe(144);
    } finally { sink.close(); }
  });

  it('onpath sflow --listen collects datagrams sent to it and stops cleanly on SIGINT', async () => {
    const db = join(tempDir(), 'sflow.duckdb');
    // Replay the UDP payloads of a real sFlow capture to the collector on loopback.
    const payloads = execFileSync('tshark', ['-r', join(IXP, 'tcpdump-sflow-print-v6.pcap'), '-Y', 'sflow', '-T', 'fields', '-e', 'udp.payload'], { encoding: 'utf8' })
      .split('\n').filter(Boolean).map((h) => Buffer.from(h.replaceAll(':', ''), 'hex'));
    const port = 20000 + Math.floor(Math.random() * 20000);
    const child = spawn(process.execPath, [CLI, 'sflow', '--listen', `127.0.0.1:${port}`, '--db', db], { stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d: Buffer) => { err += d.toString(); });
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`collector did not start: ${err}`)), 20000);
      child.stderr.on('data', () => { if (err.includes('listening')) { clearTimeout(t); resolve(); } });
    });
    const sock = createSocket('udp4');
    for (const p of payloads) await new Promise<void>((r) => sock.send(p, port, '127.0.0.1', () => r()));
    sock.close();
    await new Promise((r) => setTimeout(r, 500));
    child.kill('SIGINT');
    const code = await new Promise<number | null>((r) => child.on('exit', r));
    expect(code, err).toBe(0);
    const sink = await Sink.open(db);
    try {
      const [c] = await rows(sink, "SELECT format, status, packets FROM captures");
      expect(c).toEqual({ format: 'sflow', status: 'complete', packets: payloads.length });
      const [n] = await rows(sink, 'SELECT (SELECT count(*) FROM sflow_flows) AS f, (SELECT count(*) FROM sflow_counters) AS c');
      expect(n).toEqual({ f: 13, c: 48 });
    } finally { sink.close(); }
  });
});
