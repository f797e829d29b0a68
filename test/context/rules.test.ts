/**
 * The context rules on hand-made rows and files: detour rules in flows_ctx (LAN addresses, MACs
 * claimed twice), origin order of multi-origin prefixes, a gzip table cut short, a lone surrogate
 * in an export; and HTTP keeping the response of its last counted request.
 */
import { describe, expect, it } from 'vitest';
import { gzipSync } from 'node:zlib';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DuckSink } from '../../src/sink/duckdb.js';
import { loadIxf, loadPfx2as } from '../../src/context/load.js';
import { annotate } from '../../src/context/annotate.js';
import { ingestAll, rows, tempDir } from '../helpers/ingest.js';
import { ether, ipv4, pcapFile, tcp, TCPF } from '../helpers/bytes.js';

const IXP = new URL('../../../shared/ixp/', import.meta.url).pathname;

async function freshDb(): Promise<DuckSink> {
  return DuckSink.open(join(tempDir(), 'rules.duckdb'));
}

/** A flow row with only what the context view reads. */
function flowSql(id: number, orig: string, resp: string, origMac: string, respMac: string, rttUs: number | null, port = 443): string {
  return `INSERT INTO flows (flow_id, capture_id, proto, ip_version, orig_addr, orig_port, resp_addr, resp_port, first_ts, last_ts,
    orig_pkts, resp_pkts, orig_wire_bytes, resp_wire_bytes, orig_mac, resp_mac, syn_synack_us)
    VALUES (${id}, 1, 6, 4, '${orig}', 40000, '${resp}', ${port}, TIMESTAMP_NS '2026-01-01 00:00:00' + INTERVAL (${id}) SECOND,
    TIMESTAMP_NS '2026-01-01 00:00:01' + INTERVAL (${id}) SECOND, 3, 3, 300, 300, '${origMac}', '${respMac}', ${rttUs ?? 'NULL'})`;
}

describe('flows_ctx rules', () => {
  it('an RTT jump to a peering-LAN address (a BGP session) is not a detour; to a customer prefix it is', async () => {
    const sink = await freshDb();
    try {
      await sink.run(`INSERT INTO member_addrs (source_id, address, asn, family) VALUES (1, '185.1.0.9', 64509, 4)`);
      await sink.run(`INSERT INTO ixf_macs VALUES (1, '02:00:00:00:00:01', 64501), (1, '02:00:00:00:00:09', 64509)`);
      await sink.run(`INSERT INTO prefixes (source_id, prefix, length, family, origin_asns, source) VALUES
        (1, '185.1.0.0/24', 24, 4, [64600], 'pfx2as'), (1, '203.0.113.0/24', 24, 4, [64509], 'pfx2as'), (1, '198.51.100.0/24', 24, 4, [64501], 'pfx2as')`);
      let id = 1;
      for (const rtt of [1000, 1100, 1000, 1200, 1000, 90000]) await sink.run(flowSql(id++, '198.51.100.1', '185.1.0.9', '02:00:00:00:00:01', '02:00:00:00:00:09', rtt, 179));
      for (const rtt of [1000, 1100, 1000, 1200, 1000, 90000]) await sink.run(flowSql(id++, '198.51.100.1', '203.0.113.5', '02:00:00:00:00:01', '02:00:00:00:00:09', rtt));
      await annotate(sink, true);
      const d = await rows(sink, 'SELECT resp_addr, detour_reason FROM flows_ctx WHERE detour ORDER BY flow_id');
      expect(d).toEqual([{ resp_addr: '203.0.113.5', detour_reason: 'rtt_jump' }]);
    } finally { sink.close(); }
  });

  it('a MAC two members claim names no member, so it flags nothing', async () => {
    const sink = await freshDb();
    try {
      await sink.run(`INSERT INTO ixf_macs VALUES (1, '02:00:00:00:00:05', 64505), (2, '02:00:00:00:00:05', 64506), (1, '02:00:00:00:00:02', 64502)`);
      await sink.run(`INSERT INTO prefixes (source_id, prefix, length, family, origin_asns, source) VALUES
        (1, '192.0.2.0/24', 24, 4, [64503], 'pfx2as'), (1, '203.0.113.0/24', 24, 4, [64502], 'pfx2as')`);
      await sink.run(flowSql(1, '192.0.2.66', '203.0.113.21', '02:00:00:00:00:05', '02:00:00:00:00:02', 10000));
      await annotate(sink, true);
      const [f] = await rows(sink, 'SELECT orig_member_asn, resp_member_asn, detour FROM flows_ctx');
      expect(f).toEqual({ orig_member_asn: null, resp_member_asn: 64502, detour: false });
    } finally { sink.close(); }
  });
});

describe('loading', () => {
  it('a multi-origin prefix keeps the order of its origins: the first is origin_asn', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 't.pfx2as'), '10.0.0.0\t8\t64500_3\n');
    const sink = await freshDb();
    try {
      await loadPfx2as(sink, join(dir, 't.pfx2as'), false);
      await sink.run(flowSql(1, '10.1.2.3', '10.9.9.9', '02:00:00:00:00:01', '02:00:00:00:00:02', null));
      await annotate(sink, true);
      expect(await rows(sink, "SELECT origin_asn, origin_asns FROM addr_origins WHERE addr = '10.1.2.3'")).toEqual([{ origin_asn: 64500, origin_asns: [64500, 3] }]);
    } finally { sink.close(); }
  });

  it('a gzip table cut short keeps the prefixes read before the cut and says where it stopped', async () => {
    const dir = tempDir();
    const lines = Array.from({ length: 20000 }, (_, i) => `10.${i >> 8}.${i & 255}.0\t24\t${64500 + (i % 7)}`).join('\n') + '\n';
    const gz = gzipSync(Buffer.from(lines));
    writeFileSync(join(dir, 'cut.pfx2as.gz'), gz.subarray(0, Math.floor(gz.length / 2)));
    const sink = await freshDb();
    try {
      const s = await loadPfx2as(sink, join(dir, 'cut.pfx2as.gz'), false);
      expect(s.error).toMatch(/cut\.pfx2as\.gz: after line (\d+): .* \(the \1 prefixes before it are kept\)/);
      const [n] = await rows(sink, 'SELECT count(*) AS n FROM prefixes');
      expect(Number(n.n)).toBeGreaterThan(0);
      expect(Number(n.n)).toBeLessThan(20000);
      expect(Number(n.n)).toBe(s.records);
    } finally { sink.close(); }
  });

  it('an export with a lone surrogate escape in a name still loads', async () => {
    const dir = tempDir();
    const text = readFileSync(join(IXP, 'peeringdb-ixf-member-1.0.json'), 'utf8').replace('"Netflix"', '"Bad\\ud800Name"');
    writeFileSync(join(dir, 'x.json'), text);
    const sink = await freshDb();
    try {
      const s = await loadIxf(sink, join(dir, 'x.json'), false);
      expect(s.action).toBe('loaded');
      const [m] = await rows(sink, 'SELECT name FROM members');
      expect(m.name).toBe('Bad\ufffdName');
    } finally { sink.close(); }
  });
});

describe('HTTP transaction bound', () => {
  it('the last counted request (64) keeps its response; later ones are not written', async () => {
    const C = '192.0.2.10', S = '198.51.100.80';
    const recs: { sec: number; frac: number; data: Uint8Array }[] = [];
    let t = 0;
    const add = (src: string, dst: string, l4: Uint8Array): void => { t++; recs.push({ sec: 1700000000, frac: t * 100, data: ether(0x0800, ipv4({ src, dst, proto: 6 }, l4)) }); };
    let cs = 1001, ss = 5001;
    add(C, S, tcp({ sport: 40000, dport: 80, flags: TCPF.SYN, seq: 1000 }));
    add(S, C, tcp({ sport: 80, dport: 40000, flags: TCPF.SYN | TCPF.ACK, seq: 5000, ack: 1001 }));
    for (let i = 0; i < 70; i++) {
      const req = Buffer.from(`GET /r${i} HTTP/1.1\r\nHost: h.example\r\n\r\n`);
      add(C, S, tcp({ sport: 40000, dport: 80, flags: TCPF.ACK | TCPF.PSH, seq: cs, ack: ss }, req));
      cs += req.length;
      const resp = Buffer.from('HTTP/1.1 204 No Content\r\n\r\n');
      add(S, C, tcp({ sport: 80, dport: 40000, flags: TCPF.ACK | TCPF.PSH, seq: ss, ack: cs }, resp));
      ss += resp.length;
    }
    const path = join(tempDir(), 'http70.pcap');
    writeFileSync(path, pcapFile({ linktype: 1 }, recs));
    const { sink } = await ingestAll([path]);
    try {
      const [h] = await rows(sink, "SELECT count(*) AS n, count(status) AS answered, max(CAST(substr(path, 3) AS INTEGER)) AS last FROM http");
      expect(h).toEqual({ n: 64, answered: 64, last: 63 });
    } finally { sink.close(); }
  });
});
