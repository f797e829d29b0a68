/**
 * Inspection through the real pipeline and DuckDB: the corpus sidecars (tshark's lists of TLS
 * SNI, QUIC SNI, DNS query names and HTTP Host values), the FoxIO JA4 references, Zeek's quic.log,
 * and a small capture built here for the exposure view (a DNS answer that names a later flow,
 * HTTP cut into out-of-order segments, a DoH resolver).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CORPUS, corpusPath, readZeekLog } from '../helpers/corpus.js';
import { ingestAll, rows, tempDir } from '../helpers/ingest.js';
import type { DuckSink } from '../../src/sink/duckdb.js';
import { ether, ipv4, pcapFile, tcp, TCPF, udp } from '../helpers/bytes.js';

/** tshark's output lines for `args` (one field a line here). */
function tshark(args: string[]): string[] {
  return execFileSync('tshark', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).split('\n').filter((l) => l !== '');
}

const META = readdirSync(CORPUS).filter((f) => f.endsWith('.meta.json')).map((f) => f.slice(0, -'.meta.json'.length));

interface Sidecar { tls_sni?: string[]; quic_sni?: string[]; dns_query_names?: string[]; http_hosts?: string[] }

/** tshark's spelling to ours: the root is '<Root>' there and '.' here; Host values keep their port there. */
function norm(kind: keyof Sidecar, v: string): string {
  let s = v.toLowerCase();
  if (kind === 'dns_query_names') { if (s === '<root>') s = '.'; s = s.replace(/\.$/, '') || '.'; }
  if (kind === 'http_hosts') s = s.replace(/^\[(.*)\](:\d+)?$/, '$1').replace(/^([^:]*):\d+$/, '$1');
  return s;
}

const QUERIES: Record<keyof Sidecar, string> = {
  tls_sni: 'SELECT DISTINCT lower(sni) FROM tls WHERE capture_id = $id AND sni IS NOT NULL',
  quic_sni: 'SELECT DISTINCT lower(sni) FROM quic WHERE capture_id = $id AND sni IS NOT NULL',
  dns_query_names: 'SELECT DISTINCT lower(query_name) FROM dns WHERE capture_id = $id AND query_name IS NOT NULL',
  http_hosts: 'SELECT DISTINCT lower(host) FROM http WHERE capture_id = $id AND host IS NOT NULL',
};

for (const [label, rangeBytes] of [['one range', undefined], ['16 KiB ranges', 16 * 1024]] as const) {
  describe(`corpus sidecars, ${label}`, () => {
    let sink: DuckSink;
    const ids = new Map<string, number>();
    beforeAll(async () => {
      const r = await ingestAll(META.map(corpusPath), {}, false, undefined, { rangeBytes });
      sink = r.sink;
      r.summaries.forEach((s, i) => ids.set(META[i], s.captureId!));
    });
    afterAll(() => sink?.close());

    it.each(META)('%s: every name tshark lists is learned', async (file) => {
      const meta = JSON.parse(readFileSync(corpusPath(`${file}.meta.json`), 'utf8')) as Sidecar;
      for (const kind of Object.keys(QUERIES) as (keyof Sidecar)[]) {
        const want = (meta[kind] ?? []).map((v) => norm(kind, v));
        const got = (await sink.query(QUERIES[kind].replace('$id', String(ids.get(file))))).rows.map((r) => String(r[0]));
        for (const w of want) expect(got, `${file} ${kind}`).toContain(w);
        // Nothing beyond tshark's list in the corpus (the note lists where that could differ).
        for (const g of got) expect(want, `${file} ${kind} extra`).toContain(g);
      }
    });

    it('JA4 of every ClientHello equals the FoxIO reference (JA4 and JA4_r)', async () => {
      let checked = 0;
      for (const f of readdirSync(CORPUS).filter((x) => x.endsWith('.ja4.json'))) {
        const file = f.slice(0, -'.ja4.json'.length);
        const refs = JSON.parse(readFileSync(corpusPath(f), 'utf8')) as Record<string, string>[];
        const got = await rows(sink, `SELECT sni, ja4, ja4_r FROM tls WHERE capture_id = ${ids.get(file)}
          UNION ALL SELECT sni, ja4, ja4_r FROM quic WHERE capture_id = ${ids.get(file)}`);
        for (const ref of refs) {
          if (!ref['JA4.1']) continue;
          const row = got.find((g) => g.sni === ref.domain);
          expect(row, `${file} ${ref.domain}`).toBeDefined();
          expect(row!.ja4).toBe(ref['JA4.1']);
          expect(row!.ja4_r).toBe(ref['JA4_r.1']);
          checked++;
        }
      }
      expect(checked).toBe(4);
    });

    it('QUIC Initials agree with Zeek quic.log (version, DCID, server SCID, SNI, ALPN)', async () => {
      for (const file of ['zeek-quic-v1-chromium.pcap', 'zeek-quic-v2-http3.pcap']) {
        const ref = readZeekLog(corpusPath(`${file}.zeek-quic.log`))[0];
        const [q] = await rows(sink, `SELECT quic_version, dcid, scid, server_scid, sni, alpn FROM quic WHERE capture_id = ${ids.get(file)}`);
        expect(q.quic_version).toBe(ref.version === '1' ? 'v1' : 'v2');
        expect(q.dcid).toBe(ref.client_initial_dcid);
        expect(q.server_scid).toBe(ref.server_scid);
        expect(q.scid).toBe(ref.client_scid === '(empty)' ? '' : ref.client_scid);
        expect(q.sni).toBe(ref.server_name === '-' ? null : ref.server_name);
        expect(q.alpn).toEqual([ref.client_protocol]);
      }
    });

    it('counts the Initial packets it decrypted per side (tshark: quic.long.packet_type == 0 by port)', async () => {
      const counts = async (file: string): Promise<unknown[]> => {
        const [q] = await rows(sink, `SELECT client_initials, server_initials, retry FROM quic WHERE capture_id = ${ids.get(file)}`);
        return [q.client_initials, q.server_initials, q.retry];
      };
      expect(await counts('zeek-quic-v1-chromium.pcap')).toEqual([1, 1, false]);
      // Only the client's Initial is in this capture.
      expect(await counts('ja4-quic-tls-handshake.pcapng')).toEqual([1, 0, false]);
      // tshark counts 2 client Initials here: the second (frame 5, an ACK to the server's
      // Initial) comes after both hellos were read, where inspection of the flow stops.
      expect(await counts('tcpdump-quic-handshake-null.pcap')).toEqual([1, 1, false]);
    });

    it('TLS 1.2 certificates land once in certs and the chain links to them', async () => {
      const id = ids.get('ja4-browsers-x509.pcapng');
      const t = await rows(sink, `SELECT sni, version, len(cert_chain) AS n, c.common_name, c.san_dns, c.key_type
        FROM tls LEFT JOIN certs c ON c.sha256 = cert_chain[1] WHERE capture_id = ${id} ORDER BY sni`);
      expect(t.map((r) => [r.sni, r.version, r.n])).toEqual([
        ['edge.microsoft.com', 'TLSv1.2', 2], ['lptag.liveperson.net', 'TLSv1.2', 3], ['nym1-ib.adnxs.com', 'TLSv1.2', 2]]);
      expect(t[0].common_name).toBe('edge.microsoft.com');
      expect(t[2].san_dns).toEqual(['*.adnxs.com', 'adnxs.com']);
      const [c] = await rows(sink, 'SELECT count(*) AS n, count(DISTINCT sha256) AS d FROM certs');
      expect(Number(c.n)).toBe(Number(c.d));
    });

    it('row times are the packets\' capture times (tshark frame.time_epoch), to the nanosecond', async () => {
      // Each row's ts is its first message's packet: the DNS query (and response_ts the response),
      // the ClientHello, the first client Initial, the HTTP request.
      const epochNs = (t: string): string => t.replace('.', '').replace(/^0+/, '');
      const frames = (file: string, filter: string): string[] =>
        tshark(['-r', corpusPath(file), '-Y', filter, '-T', 'fields', '-e', 'frame.time_epoch']).map(epochNs);
      const got = async (file: string, sql: string): Promise<string[]> =>
        (await rows(sink, sql.replace('$id', String(ids.get(file))))).map((r) => String(r.t));
      const dns = 'zeek-dns-https-rr.pcap';
      const [q, r] = [frames(dns, 'dns.flags.response == 0'), frames(dns, 'dns.flags.response == 1')];
      expect(await got(dns, 'SELECT epoch_ns(ts) || \' \' || epoch_ns(response_ts) AS t FROM dns WHERE capture_id = $id')).toEqual([`${q[0]} ${r[0]}`]);
      const tls = 'ja4-browsers-x509.pcapng';
      expect(await got(tls, 'SELECT epoch_ns(ts) AS t FROM tls WHERE capture_id = $id ORDER BY ts')).toEqual(frames(tls, 'tls.handshake.type == 1'));
      const quic = 'zeek-quic-v1-chromium.pcap';
      expect(await got(quic, 'SELECT epoch_ns(ts) AS t FROM quic WHERE capture_id = $id')).toEqual(frames(quic, 'quic.long.packet_type == 0 && udp.dstport == 443').slice(0, 1));
      const http = 'zeek-http-qinq.pcap';
      expect(await got(http, 'SELECT epoch_ns(ts) AS t FROM http WHERE capture_id = $id ORDER BY ts')).toEqual(frames(http, 'http.request'));
    });

    it('DNS transactions: answers, HTTPS/SVCB alpn and hints, rtt', async () => {
      const [h] = await rows(sink, `SELECT query_name, query_type, rcode, answered, rtt_us, svcb_alpn, answers[1].data AS data
        FROM dns WHERE capture_id = ${ids.get('zeek-dns-https-rr.pcap')}`);
      expect(h).toMatchObject({ query_name: 'cloudflare.com', query_type: 'HTTPS', rcode: 'NOERROR', answered: true, rtt_us: 27648 });
      expect(h.svcb_alpn).toEqual(['h3', 'h3-29', 'h3-28', 'h3-27', 'h2']);
      expect(h.data).toContain('ipv4hint=104.16.132.229,104.16.133.229');
      const [t] = await rows(sink, `SELECT transport, query_name, answer_addrs FROM dns WHERE capture_id = ${ids.get('tcpdump-dns-tcp.pcap')}`);
      expect(t).toEqual({ transport: 'tcp', query_name: 'www.tcpdump.org', answer_addrs: ['192.139.46.66', '198.199.88.104'] });
      const [i] = await rows(sink, `SELECT transport, query_name FROM dns WHERE capture_id = ${ids.get('zeek-icmp-destunreach-udp.pcap')} AND transport = 'icmp'`);
      expect(i.query_name).toBe('secure.ed4.net');
    });
  });
}

// ---- a capture built here: the exposure view's sources and hiding

const CLIENT = '192.0.2.10', RESOLVER = '198.51.100.53', SHOP = '203.0.113.80', WEB = '203.0.113.90', DOH = '1.1.1.1';

function dnsName(n: string): number[] {
  return [...n.split('.').flatMap((l) => [l.length, ...Buffer.from(l)]), 0];
}

function dnsMessage(id: number, response: boolean, name: string, answer?: string): number[] {
  const q = [...dnsName(name), 0, 1, 0, 1];
  const head = [id >> 8, id & 255, response ? 0x81 : 0x01, response ? 0x80 : 0x00, 0, 1, 0, answer ? 1 : 0, 0, 0, 0, 0];
  const ans = answer ? [0xc0, 12, 0, 1, 0, 1, 0, 0, 0x0e, 0x10, 0, 4, ...answer.split('.').map(Number)] : [];
  return [...head, ...q, ...ans];
}

function buildWorld(): Uint8Array {
  const recs: { sec: number; data: Uint8Array }[] = [];
  let t = 1700000000;
  const add = (src: string, dst: string, l4: Uint8Array, proto: number): void => {
    t += 0.01;
    recs.push({ sec: t, data: ether(0x0800, ipv4({ src, dst, proto }, l4)) });
  };
  add(CLIENT, RESOLVER, udp(5000, 53, dnsMessage(0x4242, false, 'shop.example')), 17);
  add(RESOLVER, CLIENT, udp(53, 5000, dnsMessage(0x4242, true, 'shop.example', SHOP)), 17);
  // A flow to the answer's address that shows no name of its own.
  add(CLIENT, SHOP, tcp({ sport: 40000, dport: 443, flags: TCPF.SYN, seq: 100 }), 6);
  add(SHOP, CLIENT, tcp({ sport: 443, dport: 40000, flags: TCPF.SYN | TCPF.ACK, seq: 900, ack: 101 }), 6);
  add(CLIENT, SHOP, tcp({ sport: 40000, dport: 443, flags: TCPF.ACK, seq: 101, ack: 901 }), 6);
  // HTTP whose request comes in two segments, the second first, then a retransmission of the first.
  const req = Buffer.from('GET /a/b?c=d HTTP/1.1\r\nHost: Split.Example:8080\r\nUser-Agent: onpath-test\r\n\r\n');
  const a = req.subarray(0, 20), b = req.subarray(20);
  add(CLIENT, WEB, tcp({ sport: 40001, dport: 8080, flags: TCPF.SYN, seq: 5000 }), 6);
  add(WEB, CLIENT, tcp({ sport: 8080, dport: 40001, flags: TCPF.SYN | TCPF.ACK, seq: 7000, ack: 5001 }), 6);
  add(CLIENT, WEB, tcp({ sport: 40001, dport: 8080, flags: TCPF.ACK | TCPF.PSH, seq: 5001 + a.length, ack: 7001 }, b), 6);
  add(CLIENT, WEB, tcp({ sport: 40001, dport: 8080, flags: TCPF.ACK | TCPF.PSH, seq: 5001, ack: 7001 }, a), 6);
  add(CLIENT, WEB, tcp({ sport: 40001, dport: 8080, flags: TCPF.ACK | TCPF.PSH, seq: 5001, ack: 7001 }, a), 6);
  const resp = Buffer.from('HTTP/1.1 204 No Content\r\nServer: test-server\r\n\r\n');
  add(WEB, CLIENT, tcp({ sport: 8080, dport: 40001, flags: TCPF.ACK | TCPF.PSH, seq: 7001, ack: 5001 + req.length }, resp), 6);
  // A flow to a well-known DoH resolver.
  add(CLIENT, DOH, tcp({ sport: 40002, dport: 443, flags: TCPF.SYN, seq: 1 }), 6);
  return pcapFile({ linktype: 1 }, recs.map((r) => ({ sec: Math.floor(r.sec), frac: Math.round((r.sec % 1) * 1e6), data: r.data })));
}

describe('exposure view on a built capture', () => {
  let sink: DuckSink;
  beforeAll(async () => {
    const dir = tempDir();
    const path = join(dir, 'world.pcap');
    writeFileSync(path, buildWorld());
    sink = (await ingestAll([path])).sink;
  });
  afterAll(() => sink?.close());

  it('HTTP reassembled across out-of-order and retransmitted segments', async () => {
    const h = await rows(sink, 'SELECT method, host, port, path, user_agent, status, server FROM http');
    expect(h).toEqual([{ method: 'GET', host: 'split.example', port: 8080, path: '/a/b?c=d', user_agent: 'onpath-test', status: 204, server: 'test-server' }]);
  });

  it('names come from SNI/Host, or from an earlier DNS answer for the responder; DoH hides', async () => {
    const e = await rows(sink, `SELECT f.resp_addr, f.resp_port, x.hostname, x.source, x.encryption, x.hidden_by
      FROM exposure x JOIN flows f USING (flow_id) ORDER BY f.first_ts`);
    expect(e).toEqual([
      { resp_addr: RESOLVER, resp_port: 53, hostname: null, source: 'none', encryption: 'none', hidden_by: null },
      { resp_addr: SHOP, resp_port: 443, hostname: 'shop.example', source: 'dns', encryption: 'tls?', hidden_by: null },
      { resp_addr: WEB, resp_port: 8080, hostname: 'split.example', source: 'http_host', encryption: 'none', hidden_by: null },
      { resp_addr: DOH, resp_port: 443, hostname: null, source: 'none', encryption: 'tls?', hidden_by: 'encrypted_dns' },
    ]);
  });
});

describe('--no-inspect', () => {
  it('writes flows and no inspection rows', async () => {
    const { sink, summaries } = await ingestAll([corpusPath('ja4-browsers-x509.pcapng'), corpusPath('zeek-dns-https-rr.pcap')], {}, false, undefined, { inspect: false });
    try {
      expect(summaries.map((s) => s.flows)).toEqual([3, 1]);
      const [n] = await rows(sink, 'SELECT (SELECT count(*) FROM tls) + (SELECT count(*) FROM dns) + (SELECT count(*) FROM certs) AS n');
      expect(Number(n.n)).toBe(0);
    } finally { sink.close(); }
  });
});

describe('certs across captures', () => {
  it('are deduplicated by SHA-256 when a capture is ingested again with --replace', async () => {
    const p = corpusPath('ja4-browsers-x509.pcapng');
    const { sink, db } = await ingestAll([p]);
    const [a] = await rows(sink, 'SELECT count(*) AS n FROM certs');
    sink.close();
    const again = await ingestAll([p], {}, true, db);
    try {
      const [b] = await rows(again.sink, 'SELECT count(*) AS n, (SELECT count(*) FROM tls) AS t FROM certs');
      expect(Number(a.n)).toBe(7);
      expect(Number(b.n)).toBe(7);
      expect(Number(b.t)).toBe(3);
    } finally { again.sink.close(); }
  });
});
