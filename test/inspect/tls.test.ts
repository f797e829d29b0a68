import { mulberry32 } from '../helpers/rng.js';
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  CONTENT_TYPE, EXT, HANDSHAKE_TYPE, HandshakeBuffer, TLS_ANOMALY, TLS_ANOMALY_NAMES, TLS_LIMITS, handshakeMessages, isGrease,
  looksLikeTlsHello, parseCertificateMessage, parseClientHello, parseClientHelloMessage, parseServerHello, parseServerHelloMessage, type ServerHello,
  parseTlsRecords, serverKeyExchangeCurve, type ClientHello, type HandshakeMessage, type TlsAnomaly,
} from '../../src/inspect/tls.js';
import { ja3, ja3s } from '../../src/inspect/ja3.js';
import { ja4, ja4Alpn, ja4All, ja4Raw } from '../../src/inspect/ja4.js';
import { describeCert, parseSubjectAltName } from '../../src/inspect/x509.js';
import { corpusPath, readZeekLog } from '../helpers/corpus.js';

// ------------------------------------------------------------------ builders for literal hellos

const be16 = (n: number): number[] => [(n >>> 8) & 0xff, n & 0xff];
const be24 = (n: number): number[] => [(n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff];
const u16s = (vals: number[]): number[] => vals.flatMap(be16);
const ascii = (s: string): number[] => Array.from(Buffer.from(s, 'latin1'));

interface Ext { type: number; data: number[] }
const ext = (type: number, data: number[] = []): Ext => ({ type, data });
const sniExt = (host: string): Ext => {
  const name = [0, ...be16(host.length), ...ascii(host)];
  return ext(EXT.SERVER_NAME, [...be16(name.length), ...name]);
};
const alpnExt = (protos: number[][]): Ext => {
  const list = protos.flatMap((p) => [p.length, ...p]);
  return ext(EXT.ALPN, [...be16(list.length), ...list]);
};
const u16ListExt = (type: number, vals: number[]): Ext => ext(type, [...be16(vals.length * 2), ...u16s(vals)]);
const versionsExt = (vals: number[]): Ext => ext(EXT.SUPPORTED_VERSIONS, [vals.length * 2, ...u16s(vals)]);
const formatsExt = (vals: number[]): Ext => ext(EXT.EC_POINT_FORMATS, [vals.length, ...vals]);

/** ClientHello body. `exts` undefined = no extensions block at all. */
function clientHelloBody(o: { version?: number; ciphers: number[]; exts?: Ext[]; sessionId?: number }): Uint8Array {
  const exts = o.exts?.flatMap((e) => [...be16(e.type), ...be16(e.data.length), ...e.data]);
  const sid = new Array<number>(o.sessionId ?? 32).fill(7);
  return Uint8Array.from([
    ...be16(o.version ?? 0x0303), ...new Array<number>(32).fill(0x11), sid.length, ...sid,
    ...be16(o.ciphers.length * 2), ...u16s(o.ciphers), 1, 0,
    ...(exts === undefined ? [] : [...be16(exts.length), ...exts]),
  ]);
}

function cat(...parts: ArrayLike<number>[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
}
const handshake = (type: number, body: ArrayLike<number>): Uint8Array => cat([type, ...be24(body.length)], body);
const record = (type: number, frag: ArrayLike<number>, version = 0x0303): Uint8Array => cat([type, ...be16(version), ...be16(frag.length)], frag);

function mustClientHello(body: Uint8Array): ClientHello {
  const ch = parseClientHello(body);
  if (ch === null) throw new Error('ClientHello did not parse');
  return ch;
}

// The JA4 specification's example (technical_details/JA4.md): ciphers, extensions and signature
// algorithms as listed there, with GREASE values added (which must not count).
const SPEC_CIPHERS = [0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f, 0xc02c, 0xc030, 0xcca9, 0xcca8, 0xc013, 0xc014, 0x009c, 0x009d, 0x002f, 0x0035];
const SPEC_EXT_ORDER = [0x001b, 0x0000, 0x0033, 0x0010, 0x4469, 0x0017, 0x002d, 0x000d, 0x0005, 0x0023, 0x0012, 0x002b, 0xff01, 0x000b, 0x000a, 0x0015];
const SPEC_SIGALGS = [0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806, 0x0601];

function specHello(o: { alpn?: number[][]; sigalgs?: number[] } = {}): Uint8Array {
  const exts: Ext[] = [ext(0x2a2a)];
  for (const t of SPEC_EXT_ORDER) {
    if (t === EXT.SERVER_NAME) exts.push(sniExt('example.com'));
    else if (t === EXT.ALPN) exts.push(alpnExt(o.alpn ?? [ascii('h2'), ascii('http/1.1')]));
    else if (t === EXT.SIGNATURE_ALGORITHMS) exts.push(u16ListExt(t, o.sigalgs ?? SPEC_SIGALGS));
    else if (t === EXT.SUPPORTED_VERSIONS) exts.push(versionsExt([0x5a5a, 0x0304, 0x0303]));
    else if (t === EXT.SUPPORTED_GROUPS) exts.push(u16ListExt(t, [0x8a8a, 0x001d, 0x0017]));
    else if (t === EXT.EC_POINT_FORMATS) exts.push(formatsExt([0]));
    else if (t === EXT.PSK_KEY_EXCHANGE_MODES) exts.push(ext(t, [1, 1]));
    else if (t === EXT.KEY_SHARE) exts.push(ext(t, [...be16(8), ...be16(0x001d), ...be16(4), 1, 2, 3, 4]));
    else exts.push(ext(t));
  }
  exts.push(ext(0xdada, [0]));
  return clientHelloBody({ ciphers: [0x0a0a, ...SPEC_CIPHERS], exts });
}

// ------------------------------------------------------------------ unit tests

describe('GREASE', () => {
  it('the 16 RFC 8701 values and nothing else', () => {
    const grease: number[] = [];
    for (let v = 0; v < 0x10000; v++) if (isGrease(v)) grease.push(v);
    expect(grease).toEqual(Array.from({ length: 16 }, (_, i) => (i << 12) | 0x0a00 | (i << 4) | 0x0a));
  });
});

describe('ClientHello', () => {
  it('reads every field of a literal hello', () => {
    const body = specHello();
    const ch = mustClientHello(body);
    expect(ch.legacyVersion).toBe(0x0303);
    expect(ch.random).toEqual(new Uint8Array(32).fill(0x11));
    expect(ch.sessionIdLength).toBe(32);
    expect(ch.cipherSuites).toEqual([0x0a0a, ...SPEC_CIPHERS]);
    expect(ch.compressionMethods).toEqual([0]);
    expect(ch.extensionTypes).toEqual([0x2a2a, ...SPEC_EXT_ORDER, 0xdada]);
    expect(ch.sni).toBe('example.com');
    expect(ch.alpn).toEqual(['h2', 'http/1.1']);
    expect(ch.supportedVersions).toEqual([0x5a5a, 0x0304, 0x0303]);
    expect(ch.maxVersion).toBe(0x0304);
    expect(ch.supportedGroups).toEqual([0x8a8a, 0x001d, 0x0017]);
    expect(ch.signatureAlgorithms).toEqual(SPEC_SIGALGS);
    expect(ch.ecPointFormats).toEqual([0]);
    expect(ch.keyShareGroups).toEqual([0x001d]);
    expect(ch.pskModes).toEqual([1]);
    expect(ch.ech).toBe(false);
    expect(ch.anomalies).toEqual([]);
    // Extension offsets point at the data in the buffer parsed.
    const sni = ch.extensions.find((x) => x.type === EXT.SERVER_NAME)!;
    expect(Buffer.from(body.subarray(sni.offset + 5, sni.offset + sni.length)).toString()).toBe('example.com');
  });

  it('a whole handshake message (as QUIC CRYPTO hands it over) parses the same', () => {
    const body = specHello();
    const viaMsg = parseClientHelloMessage(handshake(1, body));
    expect(viaMsg?.extensionTypes).toEqual(mustClientHello(body).extensionTypes);
    const notes: TlsAnomaly[] = [];
    expect(parseClientHelloMessage(handshake(2, body), 0, undefined, { notes })).toBeNull();
    expect(notes).toEqual(['tls_wrong_handshake_type']);
  });

  it('offset and length select the body inside a larger buffer', () => {
    const body = specHello();
    const big = cat(Uint8Array.from([9, 9, 9]), body, Uint8Array.from([1, 2, 3]));
    expect(parseClientHello(big, 3, body.length)?.sni).toBe('example.com');
  });

  it('ECH, QUIC transport parameters, key shares; no extensions at all', () => {
    const ch = mustClientHello(clientHelloBody({
      ciphers: [0x1301],
      exts: [ext(EXT.ENCRYPTED_CLIENT_HELLO, [0, 1, 2]), ext(EXT.QUIC_TRANSPORT_PARAMETERS, [1, 2]),
        ext(EXT.KEY_SHARE, [...be16(12), ...be16(0x001d), ...be16(2), 1, 2, ...be16(0x0017), ...be16(2), 3, 4])],
    }));
    expect([ch.ech, ch.quicTransportParameters, ch.keyShareGroups]).toEqual([true, true, [0x001d, 0x0017]]);
    const bare = mustClientHello(clientHelloBody({ ciphers: [4, 5], exts: undefined }));
    expect([bare.hasExtensions, bare.extensionTypes, bare.sni, bare.anomalies]).toEqual([false, [], null, []]);
  });

  it('anomalies: duplicate extension, non-printable SNI, bad inner length; fatal: long session id', () => {
    const ch = mustClientHello(clientHelloBody({
      ciphers: [0x1301], exts: [sniExt('a\nb.example'), sniExt('other.example'), ext(EXT.SUPPORTED_GROUPS, [0, 5, 1])],
    }));
    expect(ch.sni).toBe('a\\x0ab.example');
    expect(ch.anomalies).toEqual(expect.arrayContaining(['tls_non_printable_name', 'tls_duplicate_extension', 'tls_bad_extension']));
    const notes: TlsAnomaly[] = [];
    const body = clientHelloBody({ ciphers: [1], exts: [], sessionId: 32 });
    body[34] = 33;
    expect(parseClientHello(body, 0, body.length, { notes })).toBeNull();
    expect(notes).toEqual(['tls_bad_session_id']);
  });

  it('caps the number of extensions at TLS_LIMITS.MAX_EXTENSIONS', () => {
    const exts = Array.from({ length: 600 }, (_, i) => ext(0x1000 + i));
    const ch = mustClientHello(clientHelloBody({ ciphers: [1], exts }));
    expect(ch.extensionTypes.length).toBe(TLS_LIMITS.MAX_EXTENSIONS);
    expect(ch.anomalies).toContain('tls_too_many_extensions');
  });
});

describe('JA4 (FoxIO JA4.md examples)', () => {
  it('the specification example: JA4, JA4_r, JA4_o, JA4_ro', () => {
    const all = ja4All(mustClientHello(specHello()), 't');
    expect(all.ja4).toBe('t13d1516h2_8daaf6152771_e5627efa2ab1');
    expect(all.ja4_r).toBe('t13d1516h2_002f,0035,009c,009d,1301,1302,1303,c013,c014,c02b,c02c,c02f,c030,cca8,cca9_0005,000a,000b,000d,0012,0015,0017,001b,0023,002b,002d,0033,4469,ff01_0403,0804,0401,0503,0805,0501,0806,0601');
    expect(all.ja4_o).toBe('t13d1516h2_acb858a92679_18f69afefd3d');
    expect(all.ja4_ro).toBe('t13d1516h2_1301,1302,1303,c02b,c02f,c02c,c030,cca9,cca8,c013,c014,009c,009d,002f,0035_001b,0000,0033,0010,4469,0017,002d,000d,0005,0023,0012,002b,ff01,000b,000a,0015_0403,0804,0401,0503,0805,0501,0806,0601');
    expect(ja4(mustClientHello(specHello()), 'q')).toBe('q13d1516h2_8daaf6152771_e5627efa2ab1');
    expect(ja4Raw(mustClientHello(specHello()))).toBe(all.ja4_r);
  });

  it('no signature algorithms: no trailing underscore before hashing', () => {
    const body = specHello();
    const ch = mustClientHello(body);
    ch.signatureAlgorithms = [];
    expect(ja4(ch).split('_')[2]).toBe('6d807ffa2a79');
  });

  it('ALPN characters, hex for non-alphanumeric bytes', () => {
    expect(ja4Alpn(Uint8Array.from(ascii('http/1.1')))).toBe('h1');
    expect(ja4Alpn(Uint8Array.from(ascii('h')))).toBe('hh');
    expect(ja4Alpn(undefined)).toBe('00');
    expect(ja4Alpn(new Uint8Array(0))).toBe('00');
    expect(ja4Alpn(Uint8Array.from([0xab]))).toBe('ab');
    expect(ja4Alpn(Uint8Array.from([0xab, 0xcd]))).toBe('ad');
    expect(ja4Alpn(Uint8Array.from([0x30, 0xab]))).toBe('3b');
    expect(ja4Alpn(Uint8Array.from([0x30, 0x31, 0xab, 0xcd]))).toBe('3d');
    expect(ja4Alpn(Uint8Array.from([0x30, 0xab, 0xcd, 0x31]))).toBe('01');
    const ch = mustClientHello(specHello({ alpn: [[0x30, 0xab]] }));
    expect(ja4(ch).slice(0, 10)).toBe('t13d15163b');
  });

  it('no ciphers or extensions: 000000000000; no supported_versions: legacy version; no SNI: i; counts cap at 99', () => {
    const empty = mustClientHello(clientHelloBody({ version: 0x0301, ciphers: [0x0a0a], exts: [ext(0x1a1a)] }));
    expect(ja4(empty)).toBe('t10i000000_000000000000_000000000000');
    const onlySni = mustClientHello(clientHelloBody({ version: 0x0303, ciphers: [0x002f], exts: [sniExt('x.y')] }));
    expect(ja4(onlySni)).toMatch(/^t12d010100_[0-9a-f]{12}_000000000000$/);
    const many = mustClientHello(clientHelloBody({ version: 0x0300, ciphers: Array.from({ length: 120 }, (_, i) => i + 1), exts: [] }));
    expect(ja4(many).slice(0, 10)).toBe('ts3i990000');
    const unknown = mustClientHello(clientHelloBody({ version: 0x7f1c, ciphers: [1], exts: [] }));
    expect(ja4(unknown).slice(0, 4)).toBe('t00i');
    const dtls = mustClientHello(clientHelloBody({ ciphers: [1], exts: [versionsExt([0xfefc, 0xfefd])] }));
    expect(ja4(dtls, 'd').slice(0, 4)).toBe('dd3i');
  });
});

describe('JA3 (salesforce/ja3 README examples)', () => {
  it('hello with extensions', () => {
    const ch = mustClientHello(clientHelloBody({
      version: 769, ciphers: [47, 53, 5, 10, 49161, 49162, 49171, 49172, 50, 56, 19, 4],
      exts: [sniExt('a.b'), u16ListExt(10, [0x0a0a, 23, 24, 25]), formatsExt([0])],
    }));
    expect(ja3(ch)).toEqual({ raw: '769,47-53-5-10-49161-49162-49171-49172-50-56-19-4,0-10-11,23-24-25,0', hash: 'ada70206e40642a3e4461f35503241d5' });
  });
  it('hello without extensions', () => {
    const ch = mustClientHello(clientHelloBody({ version: 769, ciphers: [4, 5, 10, 9, 100, 98, 3, 6, 19, 18, 99] }));
    expect(ja3(ch)).toEqual({ raw: '769,4-5-10-9-100-98-3-6-19-18-99,,,', hash: 'de350869b8c85de67a350c8d186f11e6' });
  });
});

describe('ServerHello', () => {
  const shBody = (o: { random?: number[]; cipher: number; exts?: Ext[] }): Uint8Array => {
    const exts = o.exts?.flatMap((e) => [...be16(e.type), ...be16(e.data.length), ...e.data]);
    return Uint8Array.from([...be16(0x0303), ...(o.random ?? new Array<number>(32).fill(3)), 0, ...be16(o.cipher), 0,
      ...(exts === undefined ? [] : [...be16(exts.length), ...exts])]);
  };
  it('supported_versions wins over legacy_version; ALPN; key share', () => {
    const sh = parseServerHello(shBody({ cipher: 0x1301, exts: [ext(EXT.SUPPORTED_VERSIONS, be16(0x0304)), alpnExt([ascii('h2')]), ext(EXT.KEY_SHARE, [...be16(0x001d), ...be16(2), 1, 2])] }))!;
    expect([sh.version, sh.legacyVersion, sh.cipherSuite, sh.alpn, sh.keyShareGroup, sh.helloRetryRequest]).toEqual([0x0304, 0x0303, 0x1301, 'h2', 0x001d, false]);
    const tls12 = parseServerHelloMessage(handshake(2, shBody({ cipher: 0xc02f })))!;
    expect([tls12.version, tls12.hasExtensions, tls12.alpn]).toEqual([0x0303, false, null]);
  });
  it('HelloRetryRequest random and downgrade sentinel', () => {
    const hrr = Buffer.from('cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c', 'hex');
    expect(parseServerHello(shBody({ random: Array.from(hrr), cipher: 0x1301 }))!.helloRetryRequest).toBe(true);
    const down = [...new Array<number>(24).fill(5), ...ascii('DOWNGRD'), 1];
    expect(parseServerHello(shBody({ random: down, cipher: 0xc02f }))!.downgradeSentinel).toBe('tls12');
  });
  it('cut short (a snaplen): the fields before the cut, the rest unknown; not known to be cut, it is malformed', () => {
    const whole = shBody({ cipher: 0x1301, exts: [ext(EXT.SUPPORTED_VERSIONS, be16(0x0304))] });
    const cut = (n: number): ServerHello | null => parseServerHello(whole, 0, n, { truncated: true });
    // Inside the random: the version only, and 0x0303 does not tell 1.2 from 1.3.
    expect([cut(20)!.version, cut(20)!.random.length, cut(20)!.sessionIdLength, cut(20)!.cipherSuite, cut(20)!.helloRetryRequest])
      .toEqual([-1, 18, -1, -1, false]);
    // Past the suite, before supported_versions: the suite, still no version.
    expect([cut(40)!.cipherSuite, cut(40)!.version, cut(40)!.truncated]).toEqual([0x1301, -1, true]);
    // supported_versions inside the bytes: TLS 1.3.
    expect(cut(whole.length)!.version).toBe(0x0304);
    expect(parseServerHello(whole, 0, 20)).toBeNull();
    expect(cut(1)).toBeNull();
    // A legacy version below 0x0303 stands even when cut.
    const old = Uint8Array.from(whole); old[1] = 0x01;
    expect(parseServerHello(old, 0, 20, { truncated: true })!.version).toBe(0x0301);
  });
});

describe('record layer and HandshakeBuffer', () => {
  const chMsg = handshake(1, specHello());

  it('parseTlsRecords walks records and reports a truncated last one', () => {
    const bytes = cat(record(22, chMsg.subarray(0, 100), 0x0301), record(22, chMsg.subarray(100)), record(23, [1, 2, 3]));
    const w = parseTlsRecords(bytes, 0, bytes.length - 1);
    expect(w.records.map((r) => [r.contentType, r.version, r.length, r.complete])).toEqual([[22, 0x0301, 100, true], [22, 0x0303, chMsg.length - 100, true], [23, 0x0303, 3, false]]);
    expect(w.consumed).toBe(bytes.length - 8);
    expect(w.anomalies).toEqual(['tls_record_truncated']);
    expect(parseTlsRecords(Uint8Array.from([0x47, 0x45, 0x54, 0x20, 0x2f, 0x20])).anomalies).toEqual(['tls_bad_record_header']);
    expect(looksLikeTlsHello(bytes)).toBe(true);
    expect(looksLikeTlsHello(Uint8Array.from(ascii('GET / HTTP/1.1\r\n')))).toBe(false);
  });

  it('a message split over records, and records split over segments, any chunking', () => {
    const sh = handshake(2, Uint8Array.from([...be16(0x0303), ...new Array<number>(32).fill(1), 0, 0x13, 0x01, 0]));
    const done = handshake(14, []);
    // ClientHello in 3 records; then ServerHello + ServerHelloDone in one record.
    const half = chMsg.length >> 1;
    const stream = cat(record(22, chMsg.subarray(0, 10)), record(22, chMsg.subarray(10, half)), record(22, chMsg.subarray(half)), record(22, cat(sh, done)));
    const expected = [[1, chMsg.length - 4], [2, sh.length - 4], [14, 0]];
    for (const step of [1, 2, 3, 5, 7, 64, 1000, stream.length]) {
      const hb = new HandshakeBuffer();
      const got: HandshakeMessage[] = [];
      for (let i = 0; i < stream.length; i += step) got.push(...hb.push(stream, i, Math.min(step, stream.length - i)));
      expect(got.map((m) => [m.type, m.body.length])).toEqual(expected);
      expect(Array.from(got[0].body)).toEqual(Array.from(chMsg.subarray(4)));
      expect(got[1].streamOffset).toBe(3 * 5 + chMsg.length + 5);
      expect(hb.anomalies).toEqual([]);
      expect(hb.end()).toBeNull();
    }
  });

  it('a message over the bound comes out cut, and the next message still comes', () => {
    const big = handshake(HANDSHAKE_TYPE.CERTIFICATE, new Uint8Array(40000).fill(0x42));
    const frags: Uint8Array[] = [];
    for (let i = 0; i < big.length; i += 16384) frags.push(record(22, big.subarray(i, i + 16384)));
    const stream = cat(...frags, record(22, handshake(14, [])));
    const hb = new HandshakeBuffer();
    const got = hb.push(stream);
    expect(got.map((m) => [m.type, m.length, m.body.length, m.truncated])).toEqual([[11, 40000, 16384, true], [14, 0, 0, false]]);
    expect(hb.anomalies).toEqual(['tls_handshake_too_large']);
  });

  it('stops: application data, encrypted Finished after ChangeCipherSpec, not TLS', () => {
    const hb = new HandshakeBuffer();
    expect(hb.push(cat(record(22, chMsg), record(23, [1, 2, 3]), record(22, handshake(14, [])))).length).toBe(1);
    expect(hb.stopped).toBe('encrypted');
    const fin = new HandshakeBuffer();
    expect(fin.push(cat(record(22, handshake(16, [1, 2])), record(20, [1]), record(22, new Uint8Array(40).fill(0x9c)), record(22, handshake(14, [])))).map((m) => m.type)).toEqual([16]);
    expect([fin.stopped, fin.changeCipherSpec]).toEqual(['encrypted', true]);
    const http = new HandshakeBuffer();
    expect(http.push(Uint8Array.from(ascii('GET / HTTP/1.1\r\nHost: x\r\n\r\n')))).toEqual([]);
    expect([http.stopped, http.anomalies]).toEqual(['not_tls', ['tls_bad_record_header']]);
    const v2 = new HandshakeBuffer();
    v2.push(Uint8Array.from([0x80, 0x2e, 0x01, 0x00, 0x02, 0x00]));
    expect(v2.anomalies).toEqual(['tls_sslv2_record']);
  });

  it('TLS 1.3 middlebox compatibility: ChangeCipherSpec then a cleartext ClientHello', () => {
    const hb = new HandshakeBuffer();
    const got = hb.push(cat(record(22, chMsg), record(20, [1]), record(22, chMsg)));
    expect(got.map((m) => m.type)).toEqual([1, 1]);
    expect(hb.stopped).toBeNull();
  });

  it('alerts, interleaving, and the end of the stream inside a message', () => {
    const hb = new HandshakeBuffer();
    hb.push(cat(record(22, chMsg.subarray(0, 50)), record(21, [2, 40])));
    expect(hb.alert).toEqual({ level: 2, description: 40 });
    expect(hb.anomalies).toContain('tls_interleaved_record');
    const cut = hb.end();
    expect([cut?.type, cut?.truncated, cut?.body.length]).toEqual([1, true, 46]);
    expect(hb.anomalies).toContain('tls_handshake_truncated');
    // A cut ClientHello still gives what it has, flagged: here the version, the random and the
    // session id length; the version it offers at most is unknown (0x0303 may be TLS 1.3).
    const notes: TlsAnomaly[] = [];
    const partial = parseClientHello(cut!.body, 0, undefined, { truncated: true, notes })!;
    expect([partial.legacyVersion, partial.random.length, partial.sessionIdLength, partial.cipherSuites, partial.maxVersion, partial.truncated])
      .toEqual([0x0303, 32, 32, [], -1, true]);
    expect(notes).toEqual(['tls_input_truncated']);
    // Not known to be cut, the same bytes are a malformed hello.
    expect(parseClientHello(cut!.body)).toBeNull();
    const { messages } = handshakeMessages(record(22, chMsg.subarray(0, chMsg.length - 20)));
    const ch = parseClientHello(messages[0].body, 0, undefined, { truncated: messages[0].truncated })!;
    expect([ch.truncated, ch.cipherSuites.length, ch.anomalies.includes('tls_input_truncated')]).toEqual([true, 16, true]);
  });

  it('anomaly codes are stable indexes', () => {
    TLS_ANOMALY_NAMES.forEach((n, i) => expect(TLS_ANOMALY[n]).toBe(i));
    expect(CONTENT_TYPE.HANDSHAKE).toBe(22);
  });
});

describe('Certificate message and X.509', () => {
  it('garbage is null, never a throw', () => {
    expect(describeCert(Uint8Array.from([0x30, 0x03, 0x02, 0x01, 0x01]))).toBeNull();
    expect(describeCert(new Uint8Array(0))).toBeNull();
    expect(parseCertificateMessage(Uint8Array.from([0, 0]))).toBeNull();
    const bad = parseCertificateMessage(Uint8Array.from([0, 0, 6, 0, 0, 9, 1, 2, 3]))!;
    expect([bad.certs.length, bad.truncated, bad.anomalies]).toEqual([0, true, ['tls_bad_certificate_entry']]);
  });
  it('subjectAltName text with quoted entries', () => {
    expect(parseSubjectAltName('DNS:a.example, DNS:"b\\u002cc.example", IP Address:10.0.0.1, email:e@x.y')).toEqual([
      { kind: 'DNS', value: 'a.example' }, { kind: 'DNS', value: 'b,c.example' }, { kind: 'IP Address', value: '10.0.0.1' }, { kind: 'email', value: 'e@x.y' },
    ]);
  });
  it('ServerKeyExchange named curve', () => {
    expect(serverKeyExchangeCurve(Uint8Array.from([3, 0, 0x17, 65]))).toBe(0x17);
    const notes: TlsAnomaly[] = [];
    expect(serverKeyExchangeCurve(Uint8Array.from([1, 0, 0x17, 65]), 0, 4, notes)).toBeNull();
    expect(notes).toEqual(['tls_not_named_curve']);
  });
});

// ------------------------------------------------------------------ robustness

const prng = mulberry32;

/** Everything a caller might run over a ClientHello body; must not throw. */
function exercise(body: Uint8Array): void {
  for (const opts of [{}, { truncated: true }, { dtls: true }]) {
    const ch = parseClientHello(body, 0, body.length, opts);
    if (ch !== null) {
      ja3(ch); ja4All(ch, 't');
      if (ch.extensions.length > TLS_LIMITS.MAX_EXTENSIONS) throw new Error('extension bound not kept');
      for (const x of ch.extensions) if (x.offset + x.length > body.length) throw new Error('extension outside the body');
    }
  }
  parseClientHelloMessage(body);
  const sh = parseServerHello(body);
  if (sh !== null) ja3s(sh);
  parseCertificateMessage(body);
  parseCertificateMessage(body, 0, body.length, { tls13: true });
  serverKeyExchangeCurve(body);
  parseTlsRecords(body);
}

describe('robustness', () => {
  const real = corpusClientHello();

  it('every prefix of a real ClientHello, as body, message and record stream', () => {
    const msg = handshake(1, real);
    const rec = record(22, msg, 0x0301);
    for (let k = 0; k <= real.length; k++) {
      const cut = real.subarray(0, k);
      expect(() => exercise(cut)).not.toThrow();
      expect(() => parseClientHelloMessage(msg.subarray(0, k + 4), 0, undefined, {})).not.toThrow();
      const hb = new HandshakeBuffer();
      expect(() => { hb.push(rec.subarray(0, k + 9)); hb.end(); }).not.toThrow();
    }
    // A prefix cut inside the extensions still gives the fields before the cut.
    expect(parseClientHello(real, 0, real.length - 1, { truncated: true })?.cipherSuites.length).toBeGreaterThan(0);
  });

  it('every prefix of a real ClientHello, known to be cut: what the prefix holds, and the version only once supported_versions is in it', () => {
    const whole = parseClientHello(real)!;
    expect(whole.maxVersion).toBe(0x0304);
    const sv = whole.extensions.find((x) => x.type === EXT.SUPPORTED_VERSIONS)!;
    for (let k = 2; k < real.length; k++) {
      const ch = parseClientHello(real, 0, k, { truncated: true });
      expect(ch).not.toBeNull();
      expect([ch!.legacyVersion, ch!.truncated]).toEqual([whole.legacyVersion, true]);
      expect(ch!.maxVersion).toBe(k >= sv.offset + sv.length ? 0x0304 : -1);
      expect(ch!.sessionIdLength).toBe(k >= 35 ? whole.sessionIdLength : -1);
      const suitesEnd = 35 + whole.sessionIdLength + 2 + whole.cipherSuites.length * 2;
      expect(ch!.cipherSuites).toEqual(k >= suitesEnd ? whole.cipherSuites : []);
    }
    expect(parseClientHello(real, 0, 1, { truncated: true })).toBeNull();
  });

  it('10,000 random mutations never throw', () => {
    const failures: string[] = [];
    const rnd = prng(0x7153);
    const pick = (n: number): number => Math.floor(rnd() * n);
    for (let iter = 0; iter < 10000; iter++) {
      let b: Uint8Array = Uint8Array.from(real);
      const edits = 1 + pick(8);
      for (let e = 0; e < edits; e++) {
        const kind = pick(6);
        const at = pick(b.length);
        if (kind <= 2) b[at] = pick(256);
        else if (kind === 3) { b[at] = 0xff; if (at + 1 < b.length) b[at + 1] = 0xff; }
        else if (kind === 4) b = cat(b.subarray(0, at), b.subarray(at + 1 + pick(16)));
        else b = cat(b.subarray(0, at), Uint8Array.from({ length: 1 + pick(8) }, () => pick(256)), b.subarray(at));
      }
      const stream = record(22, handshake(1, b), 0x0301);
      if (iter % 4 === 0) stream[pick(stream.length)] = pick(256);
      const hb = new HandshakeBuffer(1 + pick(20000));
      try {
        exercise(b);
        for (let i = 0; i < stream.length;) { const n = 1 + pick(300); hb.push(stream, i, Math.min(n, stream.length - i)); i += n; }
        hb.end();
      } catch (err) {
        if (failures.length < 5) failures.push(`${iter}: ${String(err)} ${Buffer.from(b).toString('hex')}`);
      }
    }
    expect(failures).toEqual([]);
  }, 60_000);

  it('bad arguments are not exceptions', () => {
    const b = new Uint8Array(10);
    expect(parseClientHello(b, -1)).toBeNull();
    expect(parseClientHello(b, 20)).toBeNull();
    expect(parseClientHello(b, 0, -5)).toBeNull();
    expect(parseClientHello(b, 1.5)).toBeNull();
    expect(parseClientHello(null as unknown as Uint8Array)).toBeNull();
    expect(new HandshakeBuffer().push(b, 8, 100)).toEqual([]);
    expect(parseTlsRecords(b, 11).records).toEqual([]);
  });
});

// ------------------------------------------------------------------ corpus (tshark extracts the TCP payloads)

const hasTshark = ((): boolean => {
  try { execFileSync('tshark', ['-v'], { stdio: 'ignore' }); return true; } catch { return false; }
})();

const tsharkCache = new Map<string, string>();

/** tshark's stdout, cached per argument list (it exits non-zero on the deliberately corrupt captures; what it printed still counts). */
function tshark(args: string[]): string {
  const key = args.join('\0');
  const hit = tsharkCache.get(key);
  if (hit !== undefined) return hit;
  const out = runTshark(args);
  tsharkCache.set(key, out);
  return out;
}

function runTshark(args: string[]): string {
  const r = spawnSync('tshark', args, { encoding: 'utf8', maxBuffer: 512 << 20, stdio: ['ignore', 'pipe', 'ignore'] });
  if (r.error !== undefined) throw r.error;
  return r.stdout;
}

interface Direction { stream: number; srcport: number; dstport: number; segments: { seq: number; data: Uint8Array }[] }

/** The TCP payload of every direction of every stream, in sequence order (per-segment payloads, no desegmentation). */
function tcpDirections(file: string): Direction[] {
  const out = tshark(['-n', '-r', corpusPath(file), '-Y', 'tcp.len > 0', '-T', 'fields',
    '-e', 'tcp.stream', '-e', 'tcp.srcport', '-e', 'tcp.dstport', '-e', 'tcp.seq', '-e', 'tcp.payload']);
  const dirs = new Map<string, Direction>();
  for (const line of out.split('\n')) {
    const [stream, sport, dport, seq, payload] = line.split('\t');
    if (payload === undefined || payload === '') continue;
    const key = `${stream}/${sport}`;
    let d = dirs.get(key);
    if (d === undefined) { d = { stream: Number(stream), srcport: Number(sport), dstport: Number(dport), segments: [] }; dirs.set(key, d); }
    d.segments.push({ seq: Number(seq), data: Uint8Array.from(Buffer.from(payload.replace(/:/g, ''), 'hex')) });
  }
  return [...dirs.values()];
}

/** Feeds a direction's segments (sorted by sequence number, retransmitted bytes dropped) to a HandshakeBuffer. */
function directionMessages(d: Direction): { messages: HandshakeMessage[]; hb: HandshakeBuffer } {
  const segs = [...d.segments].sort((a, b) => a.seq - b.seq);
  const hb = new HandshakeBuffer();
  const messages: HandshakeMessage[] = [];
  let next = segs.length > 0 ? segs[0].seq : 0;
  for (const s of segs) {
    if (s.seq + s.data.length <= next) continue;
    if (s.seq > next) break; // a hole: stop this direction
    messages.push(...hb.push(s.data, next - s.seq));
    next = s.seq + s.data.length;
  }
  return { messages, hb };
}

interface Conn { client: Direction; server: Direction | undefined; clientMsgs: HandshakeMessage[]; serverMsgs: HandshakeMessage[] }

function connections(file: string): Conn[] {
  const dirs = tcpDirections(file);
  const conns: Conn[] = [];
  for (const d of dirs) {
    const { messages } = directionMessages(d);
    if (!messages.some((m) => m.type === HANDSHAKE_TYPE.CLIENT_HELLO)) continue;
    const server = dirs.find((o) => o.stream === d.stream && o !== d);
    conns.push({ client: d, server, clientMsgs: messages, serverMsgs: server ? directionMessages(server).messages : [] });
  }
  return conns;
}

/** The handshake messages tshark dissects (tls.handshake raw bytes), frame by frame, for TCP and decrypted QUIC Initials. */
function tsharkHandshakes(file: string, filter = 'tls.handshake'): Uint8Array[] {
  const json = JSON.parse(tshark(['-n', '-r', corpusPath(file), '-Y', filter, '-T', 'json', '-x', '--no-duplicate-keys'])) as unknown;
  const out: Uint8Array[] = [];
  const walk = (o: unknown): void => {
    if (Array.isArray(o)) { for (const v of o) walk(v); return; }
    if (o === null || typeof o !== 'object') return;
    for (const [k, v] of Object.entries(o as Record<string, unknown>)) {
      if (k === 'tls.handshake_raw' && Array.isArray(v)) {
        const items = (Array.isArray(v[0]) ? v : [v]) as [string][];
        for (const it of items) out.push(Uint8Array.from(Buffer.from(it[0], 'hex')));
      } else walk(v);
    }
  };
  walk(json);
  return out;
}

function meta(file: string): { tls_sni: string[]; quic_sni: string[]; ja3: string[]; ja3s: string[]; x509_subjects: string[] } {
  return JSON.parse(readFileSync(corpusPath(`${file}.meta.json`), 'utf8'));
}

const wire = (m: HandshakeMessage): string => Buffer.from(cat(Uint8Array.from([m.type, ...be24(m.length)]), m.body)).toString('hex');
const uniqSorted = (xs: string[]): string[] => [...new Set(xs)].sort();

function corpusClientHello(): Uint8Array {
  // The single ClientHello of ja4-tls12-clienthello.pcap (Firefox), straight from the pcap bytes:
  // Ethernet (14) + IPv4 (20) + TCP (32, with options) in a one-packet pcap (24 + 16 header bytes).
  const pcap = readFileSync(corpusPath('ja4-tls12-clienthello.pcap'));
  const frame = pcap.subarray(24 + 16);
  const ipHeader = (frame[14] & 0x0f) * 4;
  const tcpOff = 14 + ipHeader;
  const payload = frame.subarray(tcpOff + (frame[tcpOff + 12] >> 4) * 4);
  const { messages } = handshakeMessages(Uint8Array.from(payload));
  if (messages.length !== 1 || messages[0].type !== 1) throw new Error('no ClientHello in ja4-tls12-clienthello.pcap');
  return messages[0].body;
}

const TCP_TLS_FILES = ['ja4-tls12-clienthello.pcap', 'ja4-browsers-x509.pcapng', 'zeek-tls12-ecdhe-certs.pcap', 'ndpi-tls-ech.pcapng',
  'zeek-tls13-hrr.pcap', 'suricata-verify-corrupt-record-len-tls-der.pcap'];

describe.skipIf(!hasTshark)('corpus', { timeout: 60_000 }, () => {
  it('JA4 of every ClientHello equals FoxIO\'s reference output (JA4, JA4_r, JA4_o, JA4_ro)', () => {
    let matches = 0;
    for (const file of ['ja4-tls12-clienthello.pcap', 'ja4-browsers-x509.pcapng']) {
      const ref = JSON.parse(readFileSync(corpusPath(`${file}.ja4.json`), 'utf8')) as Record<string, string>[];
      const conns = connections(file);
      for (const r of ref) {
        const c = conns.find((x) => x.client.srcport === Number(r.srcport) && x.client.dstport === Number(r.dstport));
        expect(c, `${file} stream ${r.stream}`).toBeDefined();
        const hellos = c!.clientMsgs.filter((m) => m.type === 1).map((m) => mustClientHello(m.body));
        for (let n = 1; r[`JA4.${n}`] !== undefined; n++) {
          const all = ja4All(hellos[n - 1], 't');
          expect(all.ja4).toBe(r[`JA4.${n}`]);
          expect(all.ja4_r).toBe(r[`JA4_r.${n}`] ?? all.ja4_r);
          expect(all.ja4_o).toBe(r[`JA4_o.${n}`] ?? all.ja4_o);
          expect(all.ja4_ro).toBe(r[`JA4_ro.${n}`] ?? all.ja4_ro);
          expect(hellos[n - 1].sni).toBe(r.domain);
          matches++;
        }
      }
    }
    expect(matches).toBe(4);
  });

  it('SNI, JA3 and JA3S equal tshark\'s for every TLS-over-TCP capture', () => {
    for (const file of TCP_TLS_FILES) {
      const m = meta(file);
      const conns = connections(file);
      const hellos = conns.flatMap((c) => c.clientMsgs.filter((x) => x.type === 1).map((x) => mustClientHello(x.body)));
      expect(uniqSorted(hellos.flatMap((h) => (h.sni === null ? [] : [h.sni]))), file).toEqual(m.tls_sni);
      expect(uniqSorted(hellos.map((h) => ja3(h).hash)), file).toEqual(m.ja3);
      const servers = conns.flatMap((c) => c.serverMsgs.filter((x) => x.type === 2).map((x) => parseServerHello(x.body)!));
      const mine = uniqSorted(servers.map((s) => ja3s(s).hash));
      // zeek-tls13-hrr: tshark loses the second ServerHello to an out-of-order segment; the buffer (fed in sequence order) has it.
      if (file === 'zeek-tls13-hrr.pcap') expect(mine).toEqual(expect.arrayContaining(m.ja3s));
      else expect(mine, file).toEqual(m.ja3s);
    }
  });

  it('the reassembled handshake messages are the ones tshark dissects', () => {
    for (const file of TCP_TLS_FILES) {
      const theirs = new Set(tsharkHandshakes(file).map((b) => Buffer.from(b).toString('hex')));
      // tshark also lists encrypted Finished messages; keep those whose header is a whole, known message.
      const plausible = [...theirs].filter((h) => h.length >= 8 && parseInt(h.slice(2, 8), 16) * 2 + 8 === h.length && [1, 2, 4, 11, 12, 13, 14, 16, 22].includes(parseInt(h.slice(0, 2), 16)));
      const conns = connections(file);
      const mine = conns.flatMap((c) => [...c.clientMsgs, ...c.serverMsgs]).filter((m) => !m.truncated).map(wire);
      const extra = mine.filter((h) => !theirs.has(h));
      if (file === 'zeek-tls13-hrr.pcap') expect(extra.map((h) => h.slice(0, 2))).toEqual(['02']);
      else expect(extra, file).toEqual([]);
      const missing = plausible.filter((h) => !mine.includes(h));
      expect(missing, file).toEqual([]);
    }
  });

  it('zeek-tls12-ecdhe-certs: version, cipher, curve, chain and certificates as in Zeek\'s ssl.log and x509.log', () => {
    const ssl = readZeekLog(corpusPath('zeek-tls12-ecdhe-certs.pcap.zeek-ssl.log'))[0];
    const x509 = readZeekLog(corpusPath('zeek-tls12-ecdhe-certs.pcap.zeek-x509.log'));
    const [c] = connections('zeek-tls12-ecdhe-certs.pcap');
    const ch = mustClientHello(c.clientMsgs[0].body);
    expect(ch.sni ?? '-').toBe(ssl.server_name);
    const sh = parseServerHello(c.serverMsgs.find((m) => m.type === 2)!.body)!;
    expect(sh.version).toBe(0x0303);
    expect(ssl.version).toBe('TLSv12');
    expect(sh.cipherSuite).toBe(0xc014); // TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA
    expect(ssl.cipher).toBe('TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA');
    expect(serverKeyExchangeCurve(c.serverMsgs.find((m) => m.type === 12)!.body)).toBe(0x0017); // secp256r1
    const certMsg = c.serverMsgs.find((m) => m.type === HANDSHAKE_TYPE.CERTIFICATE)!;
    const list = parseCertificateMessage(certMsg.body)!;
    expect(list.anomalies).toEqual([]);
    const infos = list.certs.map((d) => describeCert(d)!);
    expect(infos.map((i) => i.sha256).join(',')).toBe(ssl.cert_chain_fps);
    expect(infos.length).toBe(x509.length);
    infos.forEach((info, k) => {
      const z = x509[k];
      expect(info.sha256).toBe(z.fingerprint);
      expect(info.subject).toBe(z['certificate.subject']);
      expect(info.issuer).toBe(z['certificate.issuer']);
      expect(info.serial).toBe(z['certificate.serial']);
      expect(info.notBeforeSec).toBe(Number(z['certificate.not_valid_before']));
      expect(info.notAfterSec).toBe(Number(z['certificate.not_valid_after']));
      expect(info.keyType).toBe(z['certificate.key_type']);
      expect(info.keyBits).toBe(Number(z['certificate.key_length']));
      expect(info.exponent).toBe(z['certificate.exponent']);
      expect(info.sanDns.join(',') || '-').toBe(z['san.dns']);
      expect(info.ca ? 'T' : 'F').toBe(z['basic_constraints.ca']);
    });
    // tshark's list here: the leaf's commonName and DNS names.
    expect(uniqSorted([infos[0].commonName!, ...infos[0].sanDns])).toEqual(meta('zeek-tls12-ecdhe-certs.pcap').x509_subjects);
  });

  it('ja4-browsers-x509: every certificate parses; names cover tshark\'s x509 list', () => {
    const names: string[] = [];
    for (const c of connections('ja4-browsers-x509.pcapng')) {
      const certMsg = c.serverMsgs.find((m) => m.type === HANDSHAKE_TYPE.CERTIFICATE);
      if (certMsg === undefined) continue;
      const list = parseCertificateMessage(certMsg.body, 0, undefined, { truncated: certMsg.truncated })!;
      expect(list.certs.length).toBeGreaterThan(0);
      for (const der of list.certs) {
        const info = describeCert(der);
        expect(info).not.toBeNull();
        expect(info!.keyBits).toBeGreaterThan(0);
        names.push(...(info!.commonName === null ? [] : [info!.commonName]), ...info!.sanDns);
      }
      // The leaf covers the SNI.
      const sni = mustClientHello(c.clientMsgs[0].body).sni!;
      const leaf = describeCert(list.certs[0])!;
      expect(leaf.sanDns.some((d) => d === sni || (d.startsWith('*.') && sni.endsWith(d.slice(1))))).toBe(true);
    }
    expect(uniqSorted(names)).toEqual(expect.arrayContaining(meta('ja4-browsers-x509.pcapng').x509_subjects));
  });

  it('ndpi-tls-ech: ECH offered, TLS 1.3 chosen', () => {
    const [c] = connections('ndpi-tls-ech.pcapng');
    const ch = mustClientHello(c.clientMsgs[0].body);
    expect(ch.ech).toBe(true);
    expect(ch.extensionTypes).toContain(0xfe0d);
    expect(ch.sni).toBe('performance.radar.cloudflare.com');
    const sh = parseServerHello(c.serverMsgs[0].body)!;
    expect([sh.version, sh.helloRetryRequest]).toEqual([0x0304, false]);
    expect(ja4(ch)).toMatch(/^t13d\d{4}h2_[0-9a-f]{12}_[0-9a-f]{12}$/);
  });

  it('zeek-tls13-hrr: HelloRetryRequest, then a second ClientHello with the asked-for key share', () => {
    const [c] = connections('zeek-tls13-hrr.pcap');
    const hellos = c.clientMsgs.filter((m) => m.type === 1).map((m) => mustClientHello(m.body));
    expect(hellos.length).toBe(2);
    const servers = c.serverMsgs.filter((m) => m.type === 2).map((m) => parseServerHello(m.body)!);
    expect(servers.map((s) => [s.helloRetryRequest, s.version])).toEqual([[true, 0x0304], [false, 0x0304]]);
    const asked = servers[0].keyShareGroup!;
    expect(hellos[0].keyShareGroups).not.toContain(asked);
    expect(hellos[1].keyShareGroups).toEqual([asked]);
    expect(servers[1].keyShareGroup).toBe(asked);
    expect(ja4(hellos[0])).toBe(ja4(hellos[1]));
  });

  it('suricata corrupt record length / DER: anomalies reported, nothing thrown, memory bounded', () => {
    const [c] = connections('suricata-verify-corrupt-record-len-tls-der.pcap');
    expect(mustClientHello(c.clientMsgs[0].body).cipherSuites.length).toBeGreaterThan(0);
    const { hb } = directionMessages(c.server!);
    // ServerHello, a 15-byte Certificate, then bytes announcing a 16 MiB handshake message of type 132.
    expect(c.serverMsgs.map((m) => [m.type, m.length])).toEqual([[2, 77], [11, 15]]);
    expect(hb.anomalies).toEqual(['tls_unknown_handshake_type', 'tls_handshake_too_large']);
    const pending = hb.end()!;
    expect([pending.type, pending.length, pending.truncated, pending.body.length <= TLS_LIMITS.MAX_HANDSHAKE_MESSAGE]).toEqual([132, 0xffffff, true, true]);
    expect(hb.anomalies).toContain('tls_handshake_truncated');
    // The certificate entry is a DER SEQUENCE with an absurd length: listed, but not describable.
    const list = parseCertificateMessage(c.serverMsgs[1].body)!;
    expect(list.certs.length).toBe(1);
    expect(describeCert(list.certs[0])).toBeNull();
  });

  it('QUIC: ClientHellos from decrypted Initial CRYPTO data (via tshark) give tshark\'s SNI and JA3', () => {
    for (const file of ['ja4-quic-tls-handshake.pcapng', 'tcpdump-quic-handshake-null.pcap', 'zeek-quic-v1-chromium.pcap']) {
      const m = meta(file);
      const msgs = tsharkHandshakes(file, 'quic && tls.handshake.type == 1').filter((b) => b[0] === 1);
      const hellos = msgs.map((b) => parseClientHelloMessage(b)!);
      expect(hellos.length, file).toBeGreaterThan(0);
      expect(uniqSorted(hellos.flatMap((h) => (h.sni === null ? [] : [h.sni]))), file).toEqual(m.quic_sni);
      expect(uniqSorted(hellos.map((h) => ja3(h).hash)), file).toEqual(m.ja3);
      for (const h of hellos) {
        expect(h.quicTransportParameters).toBe(true);
        expect(ja4(h, 'q')).toMatch(/^q13[di]\d{4}[0-9a-z]{2}_[0-9a-f]{12}_[0-9a-f]{12}$/);
      }
    }
  });
});
