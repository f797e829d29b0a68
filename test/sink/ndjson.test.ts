/**
 * Inspection rows on their way to DuckDB: members left out when null or empty (JsonText's m*
 * writers), lines assembled as bytes (NdjsonBuffer), and the JSON insert that reads a missing
 * list member back as [] and a missing scalar as NULL. Real DuckDB, real table definitions.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { JsonText, nsText } from '../../src/inspect/json-text.js';
import { NdjsonBuffer } from '../../src/sink/ndjson-buffer.js';
import { insertJsonLines } from '../../src/sink/json-insert.js';
import { DNS_COLUMNS, TLS_COLUMNS } from '../../src/sink/schema.js';

let dir: string;
beforeAll(() => { dir = mkdtempSync(join(tmpdir(), 'onpath-ndjson-')); });
afterAll(() => { rmSync(dir, { recursive: true, force: true }); });

describe('JsonText members', () => {
  it('leave out null, non-finite, negative-as-unknown and empty-list members, each written member with its comma', () => {
    const j = new JsonText();
    expect(j.begin().mStr(',"a":', null).mNum(',"b":', null).mNum(',"c":', NaN).mNat(',"d":', -1).mNums(',"e":', []).mStrs(',"f":', []).end()).toBe('');
    expect(j.begin().mStr(',"a":', 'x"y').mNum(',"b":', 1.5).mNat(',"d":', 0).mNums(',"e":', [1, 2]).mStrs(',"f":', ['é']).mBool(',"g":', false).end())
      .toBe(',"a":"x\\"y","b":1.5,"d":0,"e":[1,2],"f":["é"],"g":false');
    // A piece is members only: braces around it make the object JSON.stringify would give.
    expect(JSON.parse(`{"k":1${j.begin().mStr(',"s":', 'v').mNums(',"n":', [3]).end()}}`)).toEqual({ k: 1, s: 'v', n: [3] });
  });
});

describe('NdjsonBuffer', () => {
  it('writes integers, UTF-8 text and rows, growing past its first buffer', () => {
    const b = new NdjsonBuffer(8);
    const ints = [0, 7, 10, 99, 100, 4294967295, 4294967296 + 12345, 2 ** 53 - 1];
    for (const x of ints) b.text('{"x":').int(x).text(',"s":"名前 ü"}').endRow();
    expect(b.rows).toBe(ints.length);
    const lines = b.bytes().toString('utf8').split('\n');
    expect(lines.pop()).toBe('');
    expect(lines.map((l) => JSON.parse(l))).toEqual(ints.map((x) => ({ x, s: '名前 ü' })));
    expect(b.length).toBe(b.bytes().length);
  });

  it('mTime writes the member nsText() gives, as JsonText.mTime does: digits in place, odd values through nsText, none when unknown', () => {
    const times = [[0, 0], [0, 7], [1, 0], [1, 5], [1717243200, 26227000], [1717243200, 999999999], [4102444800, 1], [9, 100000000],
      [2.5, 3], [1, 1e9 + 7], [-1, 0], [NaN, 0]];
    const b = new NdjsonBuffer(4);
    const j = new JsonText();
    for (const [sec, ns] of times) {
      const t = nsText(sec, ns);
      const want = t === null ? '' : `,"ts":${JSON.stringify(t)}`;
      expect(j.begin().mTime(',"ts":', sec, ns).end()).toBe(want);
      b.text('{"a":1').mTime(',"ts":', sec, ns).text('}').endRow();
    }
    const lines = b.bytes().toString('latin1').split('\n').slice(0, -1);
    expect(lines).toEqual(times.map(([sec, ns]) => { const t = nsText(sec, ns); return t === null ? '{"a":1}' : `{"a":1,"ts":${JSON.stringify(t)}}`; }));
    expect(JSON.parse(lines[4]).ts).toBe('1717243200026227000');
  });
});

async function withDb<T>(f: (c: DuckDBConnection) => Promise<T>): Promise<T> {
  const db = await DuckDBInstance.create(join(dir, `t${Math.random().toString(36).slice(2)}.duckdb`));
  const c = await db.connect();
  try { return await f(c); } finally { c.closeSync(); db.closeSync(); }
}

const table = (name: string, cols: readonly (readonly [string, string])[]): string =>
  `CREATE TABLE ${name} (${cols.map(([c, t]) => `${c} ${t}`).join(', ')})`;

describe('JSON insert of rows with members left out', () => {
  it('reads a missing list as [] and a missing scalar as NULL when asked; lists stay NULL otherwise', async () => {
    await withDb(async (c) => {
      await c.run(table('tls', TLS_COLUMNS));
      const b = new NdjsonBuffer();
      b.text('{"flow_id":').int(4294967297).text(',"capture_id":1,"ts":"1717243200000000001","client_is_orig":true,"ech":false,"hello_truncated":true,"session_id_len":32}').endRow();
      b.text('{"flow_id":5,"capture_id":1,"client_is_orig":false,"cipher_suites":[4865,4866],"alpn":["h2"],"ech":true,"hello_truncated":false,"cert_chain":["ab"]}').endRow();
      await insertJsonLines(c, 'tls', TLS_COLUMNS, b, { missingListIsEmpty: true });
      const r = (await c.runAndReadAll(`SELECT flow_id::VARCHAR, ts::VARCHAR, sni, alpn::VARCHAR, cipher_suites::VARCHAR, cert_chain::VARCHAR,
        session_id_len, server_cipher, hello_truncated FROM tls ORDER BY flow_id`)).getRows();
      expect(r).toEqual([
        ['5', null, null, '[h2]', '[4865, 4866]', '[ab]', null, null, false],
        ['4294967297', '2024-06-01 12:00:00.000000001', null, '[]', '[]', '[]', 32, null, true],
      ]);
      // Without the option (sFlow and the other JSON tables) a missing list is NULL, as before.
      await c.run('DELETE FROM tls');
      await insertJsonLines(c, 'tls', TLS_COLUMNS, ['{"flow_id":1,"capture_id":1}']);
      expect((await c.runAndReadAll('SELECT alpn IS NULL, cert_chain IS NULL FROM tls')).getRows()).toEqual([[true, true]]);
    });
  });

  it('reads DNS answers (a list of structs) left out as []', async () => {
    await withDb(async (c) => {
      await c.run(table('dns', DNS_COLUMNS));
      const b = new NdjsonBuffer();
      b.text('{"flow_id":1,"capture_id":1,"query_name":"a.example","flags":256,"answered":false,"queries":1,"truncated":false,"svcb_ech":false}').endRow();
      await insertJsonLines(c, 'dns', DNS_COLUMNS, b, { missingListIsEmpty: true });
      const r = (await c.runAndReadAll('SELECT query_name, len(answers), len(answer_addrs), len(svcb_alpn), rcode, min_ttl FROM dns')).getRows();
      expect(r).toEqual([['a.example', 0n, 0n, 0n, null, null]]);
    });
  });
});

describe('packed rows (src/inspect/row-json.ts)', () => {
  it('read back, by the unpack functions, every field the pack functions wrote, rows side by side', async () => {
    const rj = await import('../../src/inspect/row-json.js');
    type P = import('../../src/inspect/row-json.js').PackedRows;
    const tls: P = [], quic: P = [], dns: P = [], http: P = [], bgp: P = [];
    const server = { version: 0x0303, cipher: 0xc02f, alpn: 'h2', ja3s: 'abc' };
    for (const [tag, orig, alert] of [[4294967297, true, -1], [4294967298, false, 0x0228]] as const) {
      rj.packTlsRow(tls, { tag, sec: 1717243200, ns: 5, clientIsOrig: orig, client: null, server, certChain: alert < 0 ? [] : ['aa', 'bb'], alert });
      rj.packQuicRow(quic, { tag, sec: 1, ns: 2, version: 1, dcid: 'd1', scid: 's1', serverScid: 's2', client: null, server: null, clientPackets: 3, serverPackets: 4, retry: orig });
      rj.packDnsRow(dns, {
        tag, sec: 1717243200, ns: 999, fromOrig: orig, transport: 'udp', flavor: 'dns', id: 4660, response: !orig, opcode: 0, flags: 0x8180,
        rcode: 3, qname: 'a.example', qtype: 28, answers: [], addrs: [], svcbAlpn: [], svcbEch: false, truncated: orig,
      });
      rj.packHttpRow(http, { tag, sec: 1, ns: 0, method: 'GET', host: 'h.example', port: -1, path: '/', userAgent: null, version: '1.1', status: -1, contentType: null, server: null, respSec: -1, respNs: 0 });
      rj.packBgpRow(bgp, tag, ',"type":"KEEPALIVE"', orig);
    }
    const t = rj.unpackTlsRow(tls, rj.TLS_STRIDE);
    expect([t.tag, t.clientIsOrig, t.client, t.certChain, t.alert, t.head]).toEqual([4294967298, false, null, '["aa","bb"]', 0x0228, ',"ts":"1717243200000000005"']);
    expect(t.server).toBe(',"version":"TLSv1.2","server_cipher":49199,"server_alpn":"h2","ja3s":"abc"');
    expect(rj.unpackTlsRow(tls, 0)).toMatchObject({ tag: 4294967297, clientIsOrig: true, certChain: null, alert: -1 });
    const q = rj.unpackQuicRow(quic, rj.QUIC_STRIDE);
    expect([q.tag, q.clientPackets, q.serverPackets, q.retry, q.client, q.server]).toEqual([4294967298, 3, 4, false, null, null]);
    expect(q.head).toBe(',"ts":"1000000002","quic_version":"v1","dcid":"d1","scid":"s1","server_scid":"s2"');
    const d = rj.unpackDnsRow(dns, rj.DNS_STRIDE);
    expect([d.tag, d.sec, d.ns, d.response, d.id, d.qname, d.qtype, d.flags, d.truncated]).toEqual([4294967298, 1717243200, 999, true, 4660, 'a.example', 28, 0x8180, false]);
    expect(d.common).toBe(',"transport":"udp","flavor":"dns","id":4660,"query_name":"a.example","query_type":"AAAA","opcode":0');
    expect(d.resp).toBe(',"rcode":"NXDOMAIN","svcb_ech":false');
    expect(rj.unpackDnsRow(dns, 0)).toMatchObject({ response: false, truncated: true, resp: null });
    expect(rj.unpackHttpRow(http, rj.HTTP_STRIDE)).toEqual({ tag: 4294967298, json: ',"ts":"1000000000","method":"GET","host":"h.example","path":"/","version":"1.1"' });
    expect(rj.unpackBgpRow(bgp, rj.BGP_STRIDE)).toEqual({ tag: 4294967298, json: ',"type":"KEEPALIVE"', fromOrig: false });
    expect([tls.length, quic.length, dns.length, http.length, bgp.length]).toEqual([2 * rj.TLS_STRIDE, 2 * rj.QUIC_STRIDE, 2 * rj.DNS_STRIDE, 2 * rj.HTTP_STRIDE, 2 * rj.BGP_STRIDE]);
  });
});

describe('the text of a missing part (NO_CLIENT, NO_SERVER, NO_RESPONSE)', () => {
  it('is what the part writers make of a part that knows nothing: its false flags, nothing null or empty', async () => {
    const rj = await import('../../src/inspect/row-json.js');
    // (A new flag in a part's writer changes these by itself; this pins that it is seen.)
    expect([rj.NO_CLIENT, rj.NO_SERVER, rj.NO_RESPONSE]).toEqual([',"ech":false,"hello_truncated":false', '', ',"svcb_ech":false']);
  });
});

describe('InspectCollector joins the parts of a flow read in different ranges', () => {
  it('TLS takes the hello part and the other part fills what it lacks; QUIC sums both parts', async () => {
    const rj = await import('../../src/inspect/row-json.js');
    const { InspectCollector } = await import('../../src/pipeline/inspect-collector.js');
    const { createBatch } = await import('../../src/flow/batch.js');
    const hello = { legacyVersion: 0x0303, maxVersion: 0x0304, supportedVersions: [0x0304], sni: 'a.example', alpn: [], cipherSuites: [0x1301],
      extensions: [], groups: [], sigAlgs: [], ech: false, sessionIdLength: 32, ja3: null, ja3Hash: null, ja4: null, ja4r: null, truncated: false };
    const server = { version: 0x0304, cipher: 0x1301, alpn: null, ja3s: 'ff' };
    const part = (tag: number, client: typeof hello | null, srv: typeof server | null, alert: number, orig: boolean) => {
      const out = rj.emptyInspectRows();
      rj.packTlsRow(out.tls, { tag, sec: 10, ns: 0, clientIsOrig: orig, client, server: srv, certChain: [], alert });
      rj.packQuicRow(out.quic, { tag, sec: 10, ns: 0, version: 1, dcid: 'd', scid: 's', serverScid: 'z', client, server: srv,
        clientPackets: client ? 2 : 1, serverPackets: srv ? 3 : 0, retry: srv !== null });
      return out;
    };
    const c = new InspectCollector();
    // Part 1 (range 0) has the client's hello, part 2 (range 1) the server's hello and an alert, read with its roles turned around.
    c.add(part(1, hello, null, -1, true));
    c.add(part(4294967298, null, server, 0x0228, true));
    c.join(1, 4294967298, true);
    const batch = createBatch(4, 0);
    batch.cols.tag[0] = 1;
    batch.n = 1;
    c.flowsWritten(batch, 2, 5);
    const lines = c.takeLines();
    const tls = JSON.parse(lines.tls.bytes().toString('utf8'));
    expect([tls.flow_id, tls.capture_id, tls.sni, tls.client_is_orig, tls.version, tls.server_cipher, tls.ja3s, tls.alert])
      .toEqual([2 * 2 ** 32 + 5, 2, 'a.example', true, 'TLSv1.3', 0x1301, 'ff', 0x0228]);
    const quic = JSON.parse(lines.quic.bytes().toString('utf8'));
    expect([quic.sni, quic.version, quic.client_initials, quic.server_initials, quic.retry]).toEqual(['a.example', 'TLSv1.3', 3, 3, true]);
    expect(c.orphans()).toBe(0);
  });
});
