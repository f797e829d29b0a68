import { mulberry32 } from '../helpers/rng.js';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  HTTP_ANOMALY, HTTP_ANOMALY_NAMES, HttpConnection, HttpStream, type HttpRecord, type HttpRequestRecord, type HttpResponseRecord,
} from '../../src/inspect/http.js';

// ------------------------------------------------------------------ helpers

const CORPUS = fileURLToPath(new URL('../../../shared/corpus/', import.meta.url));
const TSHARK = '/usr/bin/tshark';
const haveCorpus = existsSync(join(CORPUS, 'MANIFEST.tsv')) && existsSync(TSHARK);

function tsharkFields(file: string, fields: readonly string[], filter?: string, extra: string[] = []): Record<string, string[]>[] {
  const args = ['-r', join(CORPUS, file), ...extra, '-T', 'fields', '-E', 'aggregator=\u001f', '-E', 'occurrence=a'];
  if (filter !== undefined) args.push('-Y', filter);
  for (const f of fields) args.push('-e', f);
  const out = execFileSync(TSHARK, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, stdio: ['ignore', 'pipe', 'ignore'] });
  return out.split('\n').filter((l) => l !== '').map((l) => {
    const cols = l.split('\t');
    return Object.fromEntries(fields.map((f, i) => [f, (cols[i] ?? '') === '' ? [] : cols[i]!.split('\u001f')]));
  });
}

function meta(file: string): { http_hosts: string[]; http_user_agents: string[] } {
  return JSON.parse(readFileSync(join(CORPUS, `${file}.meta.json`), 'utf8')) as { http_hosts: string[]; http_user_agents: string[] };
}

const enc = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, 'latin1'));
const reqs = (r: HttpRecord[]): HttpRequestRecord[] => r.filter((x): x is HttpRequestRecord => x.kind === 'request');
const resps = (r: HttpRecord[]): HttpResponseRecord[] => r.filter((x): x is HttpResponseRecord => x.kind === 'response');
const hostText = (r: HttpRequestRecord): string => `${r.host}${r.port === null ? '' : `:${r.port}`}`;

/** Feeds every chunk to a fresh stream and ends it; returns all records. */
function run(chunks: Uint8Array[], s = new HttpStream()): HttpRecord[] {
  const out: HttpRecord[] = [];
  for (const c of chunks) out.push(...s.push(c));
  out.push(...s.end());
  return out;
}

/** `data` cut at the given offsets. */
function cutAt(data: Uint8Array, cuts: number[]): Uint8Array[] {
  const out: Uint8Array[] = [];
  let prev = 0;
  for (const c of [...cuts, data.length]) { out.push(data.subarray(prev, c)); prev = c; }
  return out;
}

/**
 * TCP payloads of a capture fed per connection to HttpConnection, as the caller would: in sequence
 * order per direction, retransmitted bytes dropped, holes reported as gaps.
 */
function corpusRecords(file: string): { records: HttpRecord[]; conns: HttpConnection[] } {
  const rows = tsharkFields(file, ['tcp.stream', 'tcp.srcport', 'tcp.seq', 'tcp.len', 'tcp.payload'], 'tcp.len > 0');
  const conns = new Map<string, { c: HttpConnection; dirs: Map<string, { d: 0 | 1; next: number }> }>();
  const records: HttpRecord[] = [];
  for (const r of rows) {
    const stream = r['tcp.stream']!.at(-1)!, port = r['tcp.srcport']!.at(-1)!;
    const seq = Number(r['tcp.seq']!.at(-1)), data = Uint8Array.from(Buffer.from(r['tcp.payload']!.at(-1)!, 'hex'));
    let conn = conns.get(stream);
    if (conn === undefined) conns.set(stream, (conn = { c: new HttpConnection(), dirs: new Map() }));
    let dir = conn.dirs.get(port);
    if (dir === undefined) conn.dirs.set(port, (dir = { d: conn.dirs.size === 0 ? 0 : 1, next: seq }));
    let skip = 0;
    if (seq < dir.next) skip = Math.min(data.length, dir.next - seq);
    else if (seq > dir.next) conn.c.gap(dir.d, seq - dir.next);
    if (skip === data.length) continue;
    records.push(...conn.c.push(dir.d, data, skip));
    dir.next = seq + data.length;
  }
  for (const { c } of conns.values()) { records.push(...c.end(0), ...c.end(1)); }
  return { records, conns: [...conns.values()].map((x) => x.c) };
}

const corpusCache = new Map<string, { records: HttpRecord[]; conns: HttpConnection[] }>();
/** corpusRecords, once per file for the whole test file. */
function corpus(file: string): { records: HttpRecord[]; conns: HttpConnection[] } {
  let r = corpusCache.get(file);
  if (r === undefined) corpusCache.set(file, (r = corpusRecords(file)));
  return r;
}

// ------------------------------------------------------------------ corpus

const HTTP_FILES = ['zeek-http-qinq.pcap', 'zeek-mixed-vlan-mpls.pcap', 'arkime-nflog.pcap', 'gopacket-loopback.pcap'];

describe.skipIf(!haveCorpus)('HTTP over the corpus', { timeout: 30_000 }, () => {
  for (const file of HTTP_FILES) {
    describe(file, () => {
      const got = (): HttpRecord[] => corpus(file).records;

      it('hosts and user agents equal http_hosts / http_user_agents of meta.json', () => {
        const m = meta(file);
        expect([...new Set(reqs(got()).map(hostText))].sort()).toEqual(m.http_hosts);
        expect([...new Set(reqs(got()).map((r) => r.userAgent))].sort()).toEqual(m.http_user_agents);
      });

      it('requests and responses equal tshark, in order', () => {
        const tq = tsharkFields(file, ['http.request.method', 'http.request.uri', 'http.request.version', 'http.host', 'http.user_agent'],
          'http.request && http.request.version contains "HTTP/1."');
        expect(reqs(got()).map((r) => [r.method, r.path, `HTTP/${r.version}`, hostText(r), r.userAgent])).toEqual(
          tq.map((t) => [t['http.request.method']![0], t['http.request.uri']![0], t['http.request.version']![0], t['http.host']![0],
            t['http.user_agent']![0] ?? null]));
        const tr = tsharkFields(file, ['http.response.code', 'http.server', 'http.content_type', 'http.content_length_header', 'http.transfer_encoding'],
          'http.response');
        expect(resps(got()).map((r) => [r.status, r.server, r.contentType, r.contentLength, r.chunked])).toEqual(
          tr.map((t) => [Number(t['http.response.code']![0]), t['http.server']![0] ?? null, t['http.content_type']![0] ?? null,
            t['http.content_length_header']!.length > 0 ? Number(t['http.content_length_header']![0]) : null,
            t['http.transfer_encoding']![0] === 'chunked']));
        for (const r of got()) expect(r.anomalies).toEqual([]);
      });
    });
  }

  it('gopacket loopback: a chunked 200 is walked to its end, so the two keep-alive 304s after it are found', () => {
    const { records, conns } = corpus('gopacket-loopback.pcap');
    expect(records.map((r) => (r.kind === 'request' ? `${r.method} ${r.path}` : `${r.status} ${r.body}`))).toEqual([
      'GET /pkg/github.com/gconnell/gopacket/', '200 chunked', 'GET /doc/style.css', '304 none', 'GET /doc/godocs.js', '304 none']);
    const [a, b] = conns[0]!.streams;
    expect([a.role, b.role]).toEqual(['request', 'response']);
    expect([a.stopped, b.stopped]).toEqual(['ended', 'ended']);
    expect(b.anomalies).toEqual([]);
    // Every byte of the direction was consumed by heads or skipped as body.
    const total = tsharkFields('gopacket-loopback.pcap', ['tcp.len'], 'tcp.stream == 0 && tcp.srcport == 8080 && tcp.len > 0')
      .reduce((n, r) => n + Number(r['tcp.len']![0]), 0);
    expect(b.offset).toBe(total);
  });

  it('mixed VLAN/MPLS: an HTTP/0.9 request is not HTTP/1.x, the 1.0 response runs by Content-Length', () => {
    const { records, conns } = corpus('zeek-mixed-vlan-mpls.pcap');
    expect(records.map((r) => r.kind)).toEqual(['request', 'response']);
    expect(records[1]).toMatchObject({ status: 200, body: 'length', contentLength: 9130, server: 'Apache/1.3.33 (Unix)', contentType: 'text/html' });
    // telnet (the server never spoke), the HTTP/1.0 exchange, the HTTP/0.9 exchange.
    expect(conns.map((c) => c.streams.map((s) => s.stopped))).toEqual([['not_http', 'ended'], ['ended', 'ended'], ['not_http', 'not_http']]);
  });

  it('NFLOG: a 301 with its Location-less fields', () => {
    const { records } = corpus('arkime-nflog.pcap');
    expect(records[0]).toMatchObject({ kind: 'request', method: 'GET', path: '/', version: '1.1', host: 'www.aol.com', port: null, headerCount: 3 });
    expect(records[1]).toMatchObject({ kind: 'response', status: 301, reason: 'Moved Permanently', server: 'Apache', contentLength: 104, body: 'length' });
  });

  it('HTTP over SCTP: DATA payloads of each association fed in TSN order give the same heads', () => {
    const file = 'arkime-sctp-www.pcap';
    const rows = tsharkFields(file, ['sctp.srcport', 'sctp.dstport', 'sctp.data_tsn_raw', 'data.data'], 'sctp.chunk_type == 0 && data',
      ['--disable-protocol', 'http']);
    const conns = new Map<string, HttpConnection>();
    const records: HttpRecord[] = [];
    for (const r of rows) {
      const sp = Number(r['sctp.srcport']![0]), dp = Number(r['sctp.dstport']![0]);
      const key = `${Math.min(sp, dp)}-${Math.max(sp, dp)}`;
      let c = conns.get(key);
      if (c === undefined) conns.set(key, (c = new HttpConnection()));
      records.push(...c.push(sp === 80 ? 1 : 0, Uint8Array.from(Buffer.from(r['data.data']!.at(-1)!, 'hex'))));
    }
    const m = meta(file);
    expect([...new Set(reqs(records).map(hostText))]).toEqual(m.http_hosts);
    expect([...new Set(reqs(records).map((r) => r.userAgent))]).toEqual(m.http_user_agents);
    const tq = tsharkFields(file, ['http.request.uri'], 'http.request');
    expect(reqs(records).map((r) => r.path)).toEqual(tq.map((t) => t['http.request.uri']![0]));
    const tr = tsharkFields(file, ['http.response.code'], 'http.response');
    expect(resps(records).map((r) => r.status)).toEqual(tr.map((t) => Number(t['http.response.code']![0])));
  });
});

// ------------------------------------------------------------------ built streams

const PIPELINE = [
  'POST /api/v1?x=1 HTTP/1.1\r\nHost: API.Example.com:8443\r\nUser-Agent: curl/8.5.0\r\nContent-Type: application/json\r\nContent-Length: 13\r\n\r\n{"hello":"w"}',
  'PUT /up HTTP/1.1\r\nHost: api.example.com\r\nTransfer-Encoding: gzip, chunked\r\n\r\n'
    + '5;name=val\r\nHTTP/\r\n1c\r\nGET / HTTP/1.1\r\nHost: no\r\n\r\n\r\n0\r\nX-Trailer: 1\r\nX-Other: 2\r\n\r\n',
  '\r\nGET /next HTTP/1.0\r\nhost: [2001:DB8::1]:80\r\n\r\n',
  'PROPFIND /dav/ HTTP/1.1\r\nHost: dav\r\nDepth: 1\r\nContent-Length: 0\r\n\r\n',
  'M-SEARCH * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\nMAN: "ssdp:discover"\r\n\r\n',
  'BREW /pot HTTP/1.1\r\nHost: coffee\r\n\r\n',
].join('');

const RESPONSES = [
  'HTTP/1.1 100 Continue\r\n\r\n',
  'HTTP/1.1 200 OK\r\nServer: nginx/1.25.3\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: 11\r\n\r\nhello world',
  'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nHTTP\r\n0\r\n\r\n',
  'HTTP/1.1 204 No Content\r\nContent-Length: 99\r\n\r\n',
  'HTTP/1.1 304 Not Modified\r\nContent-Length: 500\r\n\r\n',
  'HTTP/1.0 404 \r\nServer: x\r\n\r\nnot found, until close',
].join('');

describe('HttpStream on requests', () => {
  it('finds every pipelined request, skipping bodies by Content-Length and chunked coding', () => {
    const s = new HttpStream();
    const recs = run([enc(PIPELINE)], s);
    expect(recs.map((r) => (r.kind === 'request' ? [r.method, r.path, r.version, r.host, r.port, r.body] : null))).toEqual([
      ['POST', '/api/v1?x=1', '1.1', 'api.example.com', 8443, 'length'],
      ['PUT', '/up', '1.1', 'api.example.com', null, 'chunked'],
      ['GET', '/next', '1.0', '2001:db8::1', 80, 'none'],
      ['PROPFIND', '/dav/', '1.1', 'dav', null, 'none'],
      ['M-SEARCH', '*', '1.1', '239.255.255.250', 1900, 'none'],
      ['BREW', '/pot', '1.1', 'coffee', null, 'none'],
    ]);
    expect(recs[0]).toMatchObject({ userAgent: 'curl/8.5.0', contentType: 'application/json', contentLength: 13, headerCount: 4, streamOffset: 0, complete: true });
    expect(recs[1]).toMatchObject({ chunked: true, contentLength: null });
    expect(recs.every((r) => r.anomalies.length === 0)).toBe(true);
    expect(s.anomalies).toEqual([]);
    expect(s.offset).toBe(PIPELINE.length);
    expect(s.stopped).toBe('ended');
    expect(recs[2]!.streamOffset).toBe(PIPELINE.indexOf('GET /next'));
  });

  it('gives the same records for every way of cutting the stream in two, and byte by byte', () => {
    const data = enc(PIPELINE);
    const want = run([data]);
    for (let c = 0; c <= data.length; c++) expect(run(cutAt(data, [c])), `cut ${c}`).toEqual(want);
    expect(run(Array.from(data, (b) => Uint8Array.of(b)))).toEqual(want);
  });

  it('reads a chunk at an offset and length of a larger buffer', () => {
    const inner = enc('GET /a HTTP/1.1\r\nHost: h\r\n\r\n');
    const outer = new Uint8Array(inner.length + 10).fill(0x41);
    outer.set(inner, 5);
    const s = new HttpStream();
    expect(s.push(outer, 5, inner.length).map((r) => r.kind === 'request' && r.path)).toEqual(['/a']);
    expect(s.offset).toBe(inner.length);
  });

  it('accepts methods of the known set and A-Z tokens up to 20 letters; refuses the rest', () => {
    const first = (line: string): HttpStream => { const s = new HttpStream(); s.push(enc(`${line}\r\nHost: h\r\n\r\n`)); return s; };
    for (const ok of ['GET / HTTP/1.1', 'VERSION-CONTROL /r HTTP/1.1', 'MKCALENDAR /c HTTP/1.1', `${'A'.repeat(20)} / HTTP/1.1`,
      'OPTIONS * HTTP/1.1', 'CONNECT example.com:443 HTTP/1.1', 'GET http://x/ HTTP/1.9']) {
      expect(first(ok).records, ok).toBe(1);
    }
    for (const bad of ['get / HTTP/1.1', 'FOO-BAR / HTTP/1.1', `${'A'.repeat(21)} / HTTP/1.1`, 'GET / HTTP/2.0', 'GET /  HTTP/1.1',
      'GET / HTTP/1.1 ', 'GET /a b HTTP/1.1', 'GET HTTP/1.1', 'PRI * HTTP/2.0', ' GET / HTTP/1.1', 'GET / HTTP/1.x', 'GET\t/ HTTP/1.1']) {
      const s = first(bad);
      expect(s.records, bad).toBe(0);
      expect(s.stopped, bad).toBe('not_http');
    }
  });

  it('gives up on a stream that is not HTTP at its first byte, buffering nothing', () => {
    const tls = Uint8Array.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03]);
    const s = new HttpStream();
    expect(s.push(tls.subarray(0, 1))).toEqual([]);
    expect(s.stopped).toBe('not_http');
    expect(s.push(new Uint8Array(100_000))).toEqual([]);
    const ssh = new HttpStream();
    ssh.push(enc('SSH-2.0-OpenSSH_9.6\r\n'));
    expect(ssh.stopped).toBe('not_http');
    const almost = new HttpStream();
    almost.push(enc('HTTP/1.1 2'));
    expect(almost.stopped).toBeNull();
    almost.push(enc('x'));
    expect(almost.stopped).toBe('not_http');
  });

  it('cuts the path to 256 bytes on a character boundary', () => {
    const long = `/${'a'.repeat(254)}\u00e9\u00e9/tail`; // the first é straddles byte 256
    const [r] = run([Uint8Array.from(Buffer.from(`GET ${long} HTTP/1.1\r\nHost: h\r\n\r\n`, 'utf8'))]) as HttpRequestRecord[];
    expect(r!.pathTruncated).toBe(true);
    expect(r!.path).toBe(`/${'a'.repeat(254)}`);
    expect(Buffer.byteLength(r!.path)).toBeLessThanOrEqual(256);
    const [short] = run([enc('GET /x HTTP/1.1\r\n\r\n')]) as HttpRequestRecord[];
    expect(short).toMatchObject({ path: '/x', pathTruncated: false, host: null, port: null, userAgent: null });
  });

  it('Host forms: case, ports, IPv6 literals, absolute-form targets, bad ports, repeats', () => {
    const host = (v: string, target = '/'): HttpRequestRecord => run([enc(`GET ${target} HTTP/1.1\r\n${v}\r\n\r\n`)])[0] as HttpRequestRecord;
    expect(host('Host: WWW.Example.ORG')).toMatchObject({ host: 'www.example.org', port: null });
    expect(host('host:example.org:')).toMatchObject({ host: 'example.org', port: null });
    expect(host('HOST: [::1]')).toMatchObject({ host: '::1', port: null });
    expect(host('Host: 192.0.2.1:65535')).toMatchObject({ host: '192.0.2.1', port: 65535, anomalies: [] });
    expect(host('Host: a:65536')).toMatchObject({ host: 'a', port: null, anomalies: ['http_bad_host_port'] });
    expect(host('Host: a:b')).toMatchObject({ port: null, anomalies: ['http_bad_host_port'] });
    expect(host('Host: one\r\nHost: two')).toMatchObject({ host: 'one', anomalies: ['http_multiple_host'] });
    expect(host('X-No-Host: 1', 'http://User@Proxy.Example:3128/p?q')).toMatchObject({ host: 'proxy.example', port: 3128 });
    expect(host('Host: real', 'http://other/')).toMatchObject({ host: 'real' });
  });

  it('CONNECT stops at the tunnel; a request asking to upgrade ends quietly when the protocol switches', () => {
    const c = new HttpStream();
    const recs = run([enc('CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n'), Uint8Array.from([0x16, 3, 1])], c);
    expect(recs).toHaveLength(1);
    expect(c.stopped).toBe('tunnel');
    const u = new HttpStream();
    u.push(enc('GET /chat HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n'));
    u.push(Uint8Array.from([0x81, 0x85, 1, 2, 3, 4]));
    expect(u.stopped).toBe('upgrade');
    expect(u.anomalies).toEqual([]);
  });
});

describe('HttpStream on responses', () => {
  it('1xx, Content-Length, chunked, 204 and 304 without bodies, then a body until close', () => {
    const s = new HttpStream();
    const recs = run([enc(RESPONSES)], s) as HttpResponseRecord[];
    expect(recs.map((r) => [r.status, r.reason, r.body])).toEqual([
      [100, 'Continue', 'none'], [200, 'OK', 'length'], [200, 'OK', 'chunked'], [204, 'No Content', 'none'],
      [304, 'Not Modified', 'none'], [404, '', 'until_close']]);
    expect(recs[1]).toMatchObject({ server: 'nginx/1.25.3', contentType: 'text/html; charset=utf-8', contentLength: 11 });
    expect(s.stopped).toBe('until_close');
    expect(s.role).toBe('response');
    const data = enc(RESPONSES);
    const want = recs;
    for (let c = 0; c <= data.length; c++) expect(run(cutAt(data, [c])), `cut ${c}`).toEqual(want);
  });

  it('HttpConnection: a response to HEAD has no body even with Content-Length; 2xx to CONNECT starts a tunnel; 101 upgrades', () => {
    const c = new HttpConnection();
    c.push(0, enc('HEAD /big HTTP/1.1\r\nHost: h\r\n\r\nGET /small HTTP/1.1\r\nHost: h\r\n\r\n'));
    const r = c.push(1, enc('HTTP/1.1 200 OK\r\nContent-Length: 1000000\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok'));
    expect(r.map((x) => x.kind === 'response' && [x.status, x.body, x.contentLength])).toEqual([[200, 'none', 1000000], [200, 'length', 2]]);
    // Without the pairing the first body would swallow the second head.
    const alone = new HttpStream();
    expect(alone.push(enc('HTTP/1.1 200 OK\r\nContent-Length: 1000000\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok'))).toHaveLength(1);

    const t = new HttpConnection();
    t.push(0, enc('CONNECT h:443 HTTP/1.1\r\nHost: h:443\r\n\r\n'));
    expect(t.push(1, enc('HTTP/1.1 200 Connection established\r\n\r\n\x16\x03\x01'))).toHaveLength(1);
    expect(t.streams[1].stopped).toBe('tunnel');

    const w = new HttpStream();
    expect(w.push(enc('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n\x81\x05hello'))).toHaveLength(1);
    expect(w.stopped).toBe('upgrade');
  });
});

describe('limits and malformed framing', () => {
  it('a head over 16 KiB: partial record, anomaly, stop', () => {
    const s = new HttpStream();
    const big = `GET /x HTTP/1.1\r\nHost: h\r\nCookie: ${'c'.repeat(17_000)}\r\n\r\n`;
    const recs = run(cutAt(enc(big), [100, 5000, 16_000]), s);
    expect(recs).toHaveLength(1);
    expect(recs[0]).toMatchObject({ complete: false, host: 'h', anomalies: ['http_head_too_large'] });
    expect(s.stopped).toBe('too_large');
    // A first line of 16 KiB without an end is not HTTP.
    const t = new HttpStream();
    t.push(enc(`GET /${'a'.repeat(20_000)}`));
    expect(t.stopped).toBe('not_http');
    // Limits are options.
    const small = new HttpStream({ maxHead: 100 });
    expect(small.push(enc(`GET / HTTP/1.1\r\nA: ${'x'.repeat(200)}\r\n\r\n`))[0]!.complete).toBe(false);
  });

  it('more than 100 header lines: partial record, anomaly, stop', () => {
    const s = new HttpStream();
    const head = `GET / HTTP/1.1\r\nUser-Agent: ua\r\n${Array.from({ length: 120 }, (_, i) => `X-${i}: ${i}\r\n`).join('')}\r\n`;
    const recs = run([enc(head)], s);
    expect(recs).toHaveLength(1);
    expect(recs[0]).toMatchObject({ complete: false, userAgent: 'ua', headerCount: 100, anomalies: ['http_too_many_headers'] });
    expect(s.stopped).toBe('too_large');
    const ok = run([enc(`GET / HTTP/1.1\r\n${Array.from({ length: 100 }, (_, i) => `X-${i}: ${i}\r\n`).join('')}\r\n`)]);
    expect(ok[0]).toMatchObject({ complete: true, headerCount: 100, anomalies: [] });
  });

  it('Transfer-Encoding with Content-Length: chunked wins, flagged', () => {
    const s = new HttpStream();
    const recs = run([enc('POST / HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\nGET /2 HTTP/1.1\r\n\r\n')], s);
    expect(recs.map((r) => r.kind === 'request' && r.path)).toEqual(['/', '/2']);
    expect(recs[0]!.anomalies).toEqual(['http_te_and_cl']);
  });

  it('Content-Length lists: equal values are fine, differing or non-numeric stop the stream', () => {
    expect(run([enc('POST / HTTP/1.1\r\nContent-Length: 2, 2\r\n\r\nokGET /2 HTTP/1.1\r\n\r\n')]).length).toBe(2);
    const diff = new HttpStream();
    expect(run([enc('POST / HTTP/1.1\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nokGET /2 HTTP/1.1\r\n\r\n')], diff)[0]!.anomalies)
      .toEqual(['http_conflicting_content_length']);
    expect(diff.stopped).toBe('malformed');
    const junk = new HttpStream();
    expect(run([enc('HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n')], junk)[0]!.anomalies).toEqual(['http_bad_content_length']);
    expect(junk.stopped).toBe('malformed');
    const te = new HttpStream();
    expect(run([enc('POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n')], te)[0]!.anomalies).toEqual(['http_bad_transfer_encoding']);
    expect(te.stopped).toBe('malformed');
    const teResp = new HttpStream();
    expect(run([enc('HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n')], teResp)[0]).toMatchObject({ body: 'until_close', anomalies: [] });
  });

  it('bad chunk framing stops the stream with http_bad_chunk', () => {
    for (const body of ['zz\r\n', '5\r\nabcdeXX', `${'f'.repeat(14)}\r\n`, '5\rX', '0\r\nTrailer\r\n\rX', `1;${'e'.repeat(5000)}\r\n`]) {
      const s = new HttpStream();
      s.push(enc(`POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n${body}`));
      expect([s.stopped, s.anomalies], body).toEqual(['malformed', ['http_bad_chunk']]);
    }
    // Bare LF line ends in chunk framing and trailers are tolerated.
    expect(run([enc('POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n2\nok\n0\nA: b\n\nGET /n HTTP/1.1\r\n\r\n')]).length).toBe(2);
  });

  it('header line oddities are flagged on the record and skipped', () => {
    const [r] = run([enc('GET / HTTP/1.1\r\nHost : evil\r\nHost: good\r\n folded\r\nno colon here\r\n: empty\r\nBad Name: x\r\n\r\n')]);
    expect(r).toMatchObject({ host: 'good' });
    expect([...r!.anomalies].sort()).toEqual(['http_bad_header_line', 'http_obs_fold', 'http_space_before_colon']);
    const [lf] = run([enc('GET /lf HTTP/1.1\nHost: h\n\n')]);
    expect(lf).toMatchObject({ host: 'h', anomalies: ['http_bare_lf'] });
  });

  it('a request head in a response stream (or the reverse) stops it', () => {
    const s = new HttpStream();
    s.push(enc('HTTP/1.1 204 No Content\r\n\r\nGET / HTTP/1.1\r\n\r\n'));
    expect([s.stopped, s.anomalies]).toEqual(['malformed', ['http_direction_mismatch']]);
    const t = new HttpStream();
    t.push(enc('GET / HTTP/1.1\r\n\r\n\x00\x01garbage\r\n'));
    expect([t.stopped, t.anomalies]).toEqual(['malformed', ['http_bad_start_line']]);
  });

  it('gaps: skipped inside a body of known length, fatal elsewhere', () => {
    const s = new HttpStream();
    s.push(enc('POST / HTTP/1.1\r\nContent-Length: 100\r\n\r\nabc'));
    s.gap(90);
    expect(s.push(enc('1234567GET /after HTTP/1.1\r\n\r\n')).map((r) => r.kind === 'request' && r.path)).toEqual(['/after']);
    s.gap(5);
    expect([s.stopped, s.anomalies]).toEqual(['gap', ['http_gap']]);
    const c = new HttpStream();
    c.push(enc('POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n10\r\nab'));
    c.gap(14);
    expect(c.push(enc('\r\n0\r\n\r\nGET /c HTTP/1.1\r\n\r\n'))).toHaveLength(1);
    const over = new HttpStream();
    over.push(enc('POST / HTTP/1.1\r\nContent-Length: 5\r\n\r\nab'));
    over.gap(4);
    expect(over.stopped).toBe('gap');
  });

  it('end() inside a head returns what was read, flagged incomplete', () => {
    const s = new HttpStream();
    expect(s.push(enc('GET /cut HTTP/1.1\r\nHost: example.net\r\nUser-Agent: Mozil'))).toEqual([]);
    const [r] = s.end();
    expect(r).toMatchObject({ kind: 'request', path: '/cut', host: 'example.net', userAgent: null, complete: false, anomalies: ['http_head_incomplete'] });
    expect(s.stopped).toBe('ended');
    expect(s.push(enc('GET / HTTP/1.1\r\n\r\n'))).toEqual([]);
    const early = new HttpStream();
    early.push(enc('GET /no-line-end'));
    expect(early.end()).toEqual([]);
  });

  it('anomaly codes are exported as names and stable numbers', () => {
    expect(HTTP_ANOMALY_NAMES.length).toBe(new Set(HTTP_ANOMALY_NAMES).size);
    HTTP_ANOMALY_NAMES.forEach((n, i) => expect(HTTP_ANOMALY[n]).toBe(i));
  });
});

describe('robustness', { timeout: 60_000 }, () => {
  const rng = mulberry32;

  it('10k random mutations of real streams, cut at random, never throw and stay bounded', () => {
    const bases = [enc(PIPELINE), enc(RESPONSES)];
    const rand = rng(0xc0ffee);
    const pick = (n: number): number => Math.floor(rand() * n);
    const specials = [0x0d, 0x0a, 0x3a, 0x20, 0x30, 0x3b, 0x09, 0x00, 0xff, 0x66];
    let records = 0;
    for (let i = 0; i < 10_000; i++) {
      const b = bases[i % 2]!.slice();
      for (let e = 1 + pick(6); e > 0; e--) {
        const r = rand();
        if (r < 0.5) b[pick(b.length)] = specials[pick(specials.length)]!;
        else if (r < 0.8) b[pick(b.length)] = pick(256);
        else b.copyWithin(pick(b.length), pick(b.length));
      }
      const cuts = Array.from({ length: pick(5) }, () => pick(b.length + 1)).sort((x, y) => x - y);
      const s = new HttpStream({ maxHead: 1 + pick(2) === 1 ? 16384 : 200 });
      try {
        const recs = run(cutAt(b, cuts), s);
        records += recs.length;
        for (const r of recs) {
          if (r.kind === 'request') expect(Buffer.byteLength(r.path)).toBeLessThanOrEqual(256);
          JSON.stringify(r);
        }
      } catch (err) {
        throw new Error(`threw on ${Buffer.from(b).toString('hex')} cut at ${cuts.join(',')}: ${String(err)}`);
      }
      expect(s.offset).toBeLessThanOrEqual(b.length);
    }
    expect(records).toBeGreaterThan(10_000);
  });

  it('random bytes never throw', () => {
    const rand = rng(99);
    for (let i = 0; i < 3000; i++) {
      const b = Uint8Array.from({ length: Math.floor(rand() * 400) }, () => Math.floor(rand() * 256));
      expect(() => run([b])).not.toThrow();
      // Starting like a head, then random.
      expect(() => run([enc('GET / HTTP/1.1\r\nContent-Length: 3\r\n\r\n'), b])).not.toThrow();
      expect(() => run([enc('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n'), b])).not.toThrow();
    }
  });
});


describe('head buffers shared between streams', () => {
  it('streams read heads in small pieces side by side while others stop and give their buffers back', () => {
    // Each head is well over 64 bytes, so every stream grows into a pooled buffer; every third
    // stream loses bytes halfway (a gap stops it and its buffer goes back to the pool) while the
    // others are still reading theirs. A buffer handed to two live streams would mix their heads.
    const n = 30;
    const heads = Array.from({ length: n }, (_, i) => enc(
      `GET /item/${i}/${'p'.repeat(40 + i)} HTTP/1.1\r\nHost: h${i}.example\r\nUser-Agent: agent-${i}-${'u'.repeat(i)}\r\n\r\n`));
    const streams = heads.map(() => new HttpStream());
    const out: HttpRecord[][] = heads.map(() => []);
    const piece = 5;
    for (let at = 0; heads.some((h) => at < h.length); at += piece) {
      for (let i = 0; i < n; i++) {
        if (at >= heads[i].length || streams[i].stopped !== null) continue;
        if (i % 3 === 0 && at >= heads[i].length / 2) { streams[i].gap(3); continue; }
        out[i].push(...streams[i].push(heads[i].subarray(at, Math.min(at + piece, heads[i].length))));
      }
    }
    for (let i = 0; i < n; i++) {
      if (i % 3 === 0) {
        expect(streams[i].stopped).toBe('gap');
        expect(out[i]).toEqual([]);
        continue;
      }
      const [r] = reqs(out[i]);
      expect([out[i].length, r.host, r.path, r.userAgent]).toEqual([1, `h${i}.example`, `/item/${i}/${'p'.repeat(40 + i)}`, `agent-${i}-${'u'.repeat(i)}`]);
    }
  });
});
