import { mulberry32 } from '../helpers/rng.js';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  DNS_ANOMALY, DNS_ANOMALY_NAMES, DnsTcpBuffer, DnsTransactions, MAX_NAME_WIRE, dnsNames, dnsRcodeName, dnsTypeName, parseDns,
  readName, type DnsAnomaly, type DnsMessage, type DnsRecord,
} from '../../src/inspect/dns.js';

// ------------------------------------------------------------------ helpers

const CORPUS = fileURLToPath(new URL('../../../shared/corpus/', import.meta.url));
const TSHARK = '/usr/bin/tshark';
const haveCorpus = existsSync(join(CORPUS, 'MANIFEST.tsv')) && existsSync(TSHARK);

/** Field rows of `tshark -T fields`, multi-value fields split on an aggregator that no value holds. */
function tsharkFields(file: string, fields: readonly string[], filter?: string): Record<string, string[]>[] {
  const args = ['-r', join(CORPUS, file), '-T', 'fields', '-E', 'aggregator=\u001f', '-E', 'occurrence=a'];
  if (filter !== undefined) args.push('-Y', filter);
  for (const f of fields) args.push('-e', f);
  const out = execFileSync(TSHARK, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, stdio: ['ignore', 'pipe', 'ignore'] });
  return out.split('\n').filter((l) => l !== '').map((l) => {
    const cols = l.split('\t');
    return Object.fromEntries(fields.map((f, i) => [f, (cols[i] ?? '') === '' ? [] : cols[i]!.split('\u001f')]));
  });
}

function meta(file: string): { dns_query_names: string[] } {
  return JSON.parse(readFileSync(join(CORPUS, `${file}.meta.json`), 'utf8')) as { dns_query_names: string[] };
}

const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, 'hex'));
/** tshark's epoch text "1331084278.438444000" as whole seconds and ns. */
function epoch(t: string): { sec: number; ns: number } {
  const [s, f = ''] = t.split('.');
  return { sec: Number(s), ns: Number((f + '000000000').slice(0, 9)) };
}
/** Our name text in tshark's spelling. */
const tsName = (n: string | null): string => (n === '.' ? '<Root>' : String(n));
const allRecords = (m: DnsMessage): DnsRecord[] => [...m.answers, ...m.authorities, ...m.additionals];

interface Seen { frame: number; sec: number; ns: number; msg: DnsMessage; bytes: Uint8Array; flow: string }

/**
 * Every DNS message of a capture as a caller would feed them: UDP payloads one by one (IPv6
 * reassembly by tshark), TCP payloads per direction of each stream through DnsTcpBuffer. A message
 * belongs to the frame whose bytes complete it.
 */
function corpusMessages(file: string): Seen[] {
  const rows = tsharkFields(file, ['frame.number', 'frame.time_epoch', 'udp.srcport', 'udp.dstport', 'udp.payload',
    'tcp.stream', 'tcp.srcport', 'tcp.dstport', 'tcp.payload']);
  const bufs = new Map<string, DnsTcpBuffer>();
  const out: Seen[] = [];
  for (const r of rows) {
    const frame = Number(r['frame.number']![0]);
    const { sec, ns } = epoch(r['frame.time_epoch']![0]!);
    const udp = r['udp.payload']!.at(-1);
    if (udp !== undefined && r['udp.srcport']!.length > 0) {
      const ports = [r['udp.srcport']!.at(-1)!, r['udp.dstport']!.at(-1)!].sort().join('-');
      const bytes = hex(udp);
      const msg = parseDns(bytes);
      if (msg !== null) out.push({ frame, sec, ns, msg, bytes, flow: `udp ${ports}` });
    }
    const tcp = r['tcp.payload']!.at(-1);
    if (tcp !== undefined) {
      const dir = `${r['tcp.stream']![0]} ${r['tcp.srcport']![0]}`;
      let b = bufs.get(dir);
      if (b === undefined) bufs.set(dir, (b = new DnsTcpBuffer()));
      for (const bytes of b.push(hex(tcp))) {
        const msg = parseDns(bytes);
        if (msg !== null) out.push({ frame, sec, ns, msg, bytes, flow: `tcp ${r['tcp.stream']![0]}` });
      }
    }
  }
  return out;
}

// ------------------------------------------------------------------ message builder for fixtures

const be16 = (n: number): number[] => [(n >>> 8) & 0xff, n & 0xff];
const be32 = (n: number): number[] => [(n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff];
/** Uncompressed wire name of dotted text ('' or '.' is the root). */
function wname(text: string): number[] {
  const out: number[] = [];
  for (const l of text.split('.').filter((x) => x !== '')) out.push(l.length, ...Buffer.from(l, 'latin1'));
  out.push(0);
  return out;
}
function header(o: { id?: number; flags?: number; qd?: number; an?: number; ns?: number; ar?: number }): number[] {
  return [...be16(o.id ?? 0x1234), ...be16(o.flags ?? 0x0100), ...be16(o.qd ?? 0), ...be16(o.an ?? 0), ...be16(o.ns ?? 0), ...be16(o.ar ?? 0)];
}
/** A resource record with the name bytes given as is. */
const rr = (name: number[], type: number, rdata: number[], ttl = 300, cls = 1): number[] =>
  [...name, ...be16(type), ...be16(cls), ...be32(ttl), ...be16(rdata.length), ...rdata];
const question = (name: number[], type: number, cls = 1): number[] => [...name, ...be16(type), ...be16(cls)];
const bytes = (...parts: number[][]): Uint8Array => Uint8Array.from(parts.flat());

/** A query and a compressed response exercising most decoders (names at fixed offsets: qname at 12). */
function sampleResponse(): Uint8Array {
  const q = question(wname('Www.Example.COM'), 1); // 12..32
  const ptrQ = [0xc0, 12];
  const ptrExample = [0xc0, 16]; // "example.com" inside the qname
  return bytes(
    header({ id: 0xbeef, flags: 0x8180, qd: 1, an: 6, ns: 1, ar: 2 }),
    q,
    rr(ptrQ, 5, [3, ...Buffer.from('cdn'), ...ptrExample]), // CNAME cdn.example.com
    rr(ptrQ, 1, [192, 0, 2, 7], 60),
    rr(ptrQ, 28, [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]),
    rr(ptrExample, 15, [...be16(10), 4, ...Buffer.from('mail'), ...ptrExample]), // MX 10 mail.example.com
    rr(ptrExample, 16, [5, ...Buffer.from('hello'), 0, 3, ...Buffer.from('a;b')]), // TXT "hello" "" "a;b"
    rr([4, ...Buffer.from('_sip'), 4, ...Buffer.from('_udp'), ...ptrExample], 33, [...be16(1), ...be16(2), ...be16(5060), 2, ...Buffer.from('pb'), ...ptrExample]),
    rr(ptrExample, 6, [2, ...Buffer.from('ns'), ...ptrExample, 4, ...Buffer.from('host'), ...ptrExample, ...be32(2024010101), ...be32(7200),
      ...be32(3600), ...be32(1209600), ...be32(300)], 3600),
    rr([7, ...Buffer.from('missing'), 0], 99, [4, ...Buffer.from('v=sp')], 5), // SPF as TXT
    rr([0], 41, [...be16(8), ...be16(7), ...be16(1), 24, 0, 198, 51, 100], 0x01008000, 1232), // OPT: ECS 198.51.100.0/24, DO, ext rcode 1
  );
}

const has = (m: DnsMessage | null, a: DnsAnomaly): boolean => m !== null && m.anomalies.includes(a);

// ------------------------------------------------------------------ corpus

const DNS_FILES = [
  'tcpdump-dns-tcp.pcap', 'tcpdump-dns-udp-snaplen98.pcap', 'zeek-dns-https-rr.pcap', 'zeek-dns-svcb-rr.pcap', 'zeek-dns-ech.pcap',
  'zeek-ipv6-fragmented-dns.pcap', 'tcpdump-dns-badcookie-null.pcap', 'zeek-pcapng-multi-interface.pcapng',
];

const REF_FIELDS = ['frame.number', 'dns.id', 'dns.flags', 'dns.qry.name', 'dns.qry.type', 'dns.resp.name', 'dns.resp.type', 'dns.resp.ttl',
  'dns.a', 'dns.aaaa', 'dns.cname', 'dns.ns', 'dns.txt', 'dns.mx.mail_exchange', 'dns.svcb.svcpriority', 'dns.svcb.targetname', 'dns.svcb.svcparam.alpn',
  'dns.svcb.svcparam.ipv4hint.ip', 'dns.svcb.svcparam.ipv6hint.ip', 'dns.svcb.svcparam.echconfig', 'dns.rr.udp_payload_size', 'dns.resp.ext_rcode',
  'dns.resp.z.do', 'dns.soa.mname', 'dns.soa.rname', 'dns.soa.serial_number', 'dns.opt.cookie.client', 'dns.opt.cookie.server', 'dns.time'];

const cache = new Map<string, Seen[]>();
/** corpusMessages, once per file for the whole test file. */
function seen(file: string): Seen[] {
  let s = cache.get(file);
  if (s === undefined) cache.set(file, (s = corpusMessages(file)));
  return s;
}

describe.skipIf(!haveCorpus)('DNS over the corpus', { timeout: 30_000 }, () => {

  for (const file of DNS_FILES) {
    describe(file, () => {
      it('query names cover the dns_query_names of meta.json', () => {
        const ours = new Set(seen(file).flatMap((s) => s.msg.questions.map((q) => tsName(q.name).toLowerCase())));
        const want = meta(file).dns_query_names.map((n) => n.toLowerCase());
        expect(want.length).toBeGreaterThan(0);
        for (const n of want) expect(ours, n).toContain(n);
      });

      it('every message equals tshark field by field', () => {
        const ref = tsharkFields(file, REF_FIELDS, 'dns');
        const msgs = seen(file);
        // The frames where tshark found DNS are the frames where we completed a message.
        expect(msgs.map((s) => s.frame)).toEqual(ref.map((r) => Number(r['frame.number']![0])));
        ref.forEach((r, i) => {
          const { msg } = msgs[i]!;
          const f = (k: string): string[] => r[k]!;
          const recs = allRecords(msg);
          const noOpt = recs.filter((x) => x.type !== 41);
          const kinds = <K extends DnsRecord['data']['kind']>(k: K) => recs.map((x) => x.data).filter((d): d is Extract<DnsRecord['data'], { kind: K }> => d.kind === k);
          const ctx = `${file} frame ${f('frame.number')[0]}`;
          expect(msg.header.id, ctx).toBe(parseInt(f('dns.id')[0]!, 16));
          expect(msg.header.flags, ctx).toBe(parseInt(f('dns.flags')[0]!, 16));
          expect(msg.questions.map((q) => tsName(q.name)), ctx).toEqual(f('dns.qry.name').map((n) => (n === '<Root>' ? n : n.toLowerCase())));
          expect(msg.questions.map((q) => q.type), ctx).toEqual(f('dns.qry.type').map(Number));
          expect(recs.map((x) => tsName(x.name)), ctx).toEqual(f('dns.resp.name').map((n) => (n === '<Root>' ? n : n.toLowerCase())));
          expect(recs.map((x) => x.type), ctx).toEqual(f('dns.resp.type').map(Number));
          expect(noOpt.map((x) => x.ttl), ctx).toEqual(f('dns.resp.ttl').map(Number));
          expect(kinds('a').map((d) => d.address), ctx).toEqual(f('dns.a'));
          expect(kinds('aaaa').map((d) => d.address), ctx).toEqual(f('dns.aaaa'));
          expect(recs.filter((x) => x.type === 5).map((x) => x.data.kind === 'name' && x.data.name), ctx).toEqual(f('dns.cname'));
          expect(recs.filter((x) => x.type === 2).map((x) => x.data.kind === 'name' && x.data.name), ctx).toEqual(f('dns.ns'));
          expect(kinds('txt').flatMap((d) => d.strings), ctx).toEqual(f('dns.txt'));
          expect(kinds('mx').map((d) => d.exchange), ctx).toEqual(f('dns.mx.mail_exchange'));
          const svcb = kinds('svcb');
          expect(svcb.map((d) => d.priority), ctx).toEqual(f('dns.svcb.svcpriority').map(Number));
          expect(svcb.map((d) => tsName(d.target)), ctx).toEqual(f('dns.svcb.targetname'));
          expect(svcb.flatMap((d) => d.params.alpn ?? []), ctx).toEqual(f('dns.svcb.svcparam.alpn'));
          expect(svcb.flatMap((d) => d.params.ipv4hint ?? []), ctx).toEqual(f('dns.svcb.svcparam.ipv4hint.ip'));
          expect(svcb.flatMap((d) => d.params.ipv6hint ?? []), ctx).toEqual(f('dns.svcb.svcparam.ipv6hint.ip'));
          expect(svcb.filter((d) => d.params.ech).map((d) => Buffer.from(d.params.ech!.base64, 'base64').toString('hex')), ctx)
            .toEqual(f('dns.svcb.svcparam.echconfig'));
          const opt = kinds('opt').map((d) => d.edns);
          expect(opt.map((e) => e.udpSize), ctx).toEqual(f('dns.rr.udp_payload_size').map(Number));
          expect(opt.map((e) => e.extendedRcode), ctx).toEqual(f('dns.resp.ext_rcode').map((x) => parseInt(x, 16)));
          expect(opt.map((e) => e.do), ctx).toEqual(f('dns.resp.z.do').map((x) => x === '1' || x === 'True'));
          expect(opt.flatMap((e) => (e.cookie ? [e.cookie.client] : [])), ctx).toEqual(f('dns.opt.cookie.client'));
          // tshark writes <MISSING> for a client-only cookie.
          expect(opt.flatMap((e) => (e.cookie?.server ? [e.cookie.server] : [])), ctx).toEqual(f('dns.opt.cookie.server').filter((x) => x !== '<MISSING>'));
          const soa = kinds('soa');
          expect(soa.map((d) => tsName(d.mname)), ctx).toEqual(f('dns.soa.mname'));
          expect(soa.map((d) => tsName(d.rname)), ctx).toEqual(f('dns.soa.rname'));
          expect(soa.map((d) => d.serial), ctx).toEqual(f('dns.soa.serial_number').map(Number));
        });
      });

      it('response times equal tshark dns.time (to the ns)', () => {
        const ref = tsharkFields(file, ['frame.number', 'dns.time'], 'dns.time');
        const flows = new Map<string, DnsTransactions>();
        const got: [number, number][] = [];
        for (const s of seen(file)) {
          let t = flows.get(s.flow);
          if (t === undefined) flows.set(s.flow, (t = new DnsTransactions()));
          const m = t.observe(s.msg, s.sec, s.ns);
          if (m !== null) got.push([s.frame, m.rttNs]);
        }
        const want = ref.map((r): [number, number] => {
          const { sec, ns } = epoch(r['dns.time']![0]!);
          return [Number(r['frame.number']![0]), sec * 1e9 + ns];
        });
        // tshark gives no response time for a response cut by the snaplen; we still match it by its question.
        const cutFrames = new Set(seen(file).filter((s) => s.msg.truncated).map((s) => s.frame));
        expect(got.filter(([fr]) => !cutFrames.has(fr) || want.some(([w]) => w === fr))).toEqual(want);
        expect(got.length).toBeGreaterThan(0);
      });
    });
  }

  it('DNS over TCP: both messages of the stream, with every record of the response', () => {
    const msgs = seen('tcpdump-dns-tcp.pcap');
    expect(msgs.map((s) => [s.frame, s.msg.header.qr, s.bytes.length])).toEqual([[4, false, 56], [6, true, 224]]);
    const r = msgs[1]!.msg;
    expect(r.anomalies).toEqual([]);
    expect(r.header).toMatchObject({ id: 0x4319, qr: true, aa: true, rd: true, ra: false, rcode: 0, ancount: 2, nscount: 2, arcount: 5 });
    expect(r.answers.map((a) => a.data)).toEqual([{ kind: 'a', address: '192.139.46.66' }, { kind: 'a', address: '198.199.88.104' }]);
    expect(r.authorities.map((a) => [a.name, a.ttl, a.data])).toEqual([
      ['tcpdump.org', 86400, { kind: 'name', name: 'nic.sandelman.ca' }], ['tcpdump.org', 86400, { kind: 'name', name: 'sns.cooperix.net' }]]);
    expect(r.additionals.filter((a) => a.type === 28).map((a) => a.data)).toEqual([
      { kind: 'aaaa', address: '2607:f0b0:f::babe:f00d' }, { kind: 'aaaa', address: '2600:3c03::f03c:91ff:fe96:e8ef' }]);
    expect(r.edns).toMatchObject({ udpSize: 4096, version: 0, do: false, options: [] });
    // The query carries a client cookie only.
    expect(msgs[0]!.msg.edns?.cookie).toEqual({ client: '8f06be7d691442f0', server: '' });
  });

  it('snaplen 98: the header, question and first answer are read, the cut is reported', () => {
    const [q, r] = seen('tcpdump-dns-udp-snaplen98.pcap');
    expect(q!.msg.truncated).toBe(false);
    expect(q!.msg.anomalies).toEqual([]);
    const m = r!.msg;
    expect(m.truncated).toBe(true);
    expect(m.anomalies).toContain('dns_truncated');
    expect(m.header).toMatchObject({ id: 0x5934, ancount: 2, nscount: 2, arcount: 5, aa: true });
    expect(m.question).toEqual({ name: 'www.tcpdump.org', type: 1, class: 1, unicastResponse: false });
    expect(m.answers.map((a) => a.data)).toEqual([{ kind: 'a', address: '192.139.46.66' }]);
    expect(m.parsedBytes).toBeLessThanOrEqual(r!.bytes.length);
  });

  it('HTTPS RR of cloudflare.com: priority, target, alpn, hints', () => {
    const r = seen('zeek-dns-https-rr.pcap')[1]!.msg;
    expect(r.answers).toHaveLength(1);
    expect(r.answers[0]).toMatchObject({ name: 'cloudflare.com', type: 65, class: 1, ttl: 129, rdlength: 79 });
    expect(r.answers[0]!.data).toEqual({
      kind: 'svcb', priority: 1, target: '.', params: {
        alpn: ['h3', 'h3-29', 'h3-28', 'h3-27', 'h2'], ipv4hint: ['104.16.132.229', '104.16.133.229'],
        ipv6hint: ['2606:4700::6810:84e5', '2606:4700::6810:85e5'], other: [],
      },
    });
    expect(dnsTypeName(r.answers[0]!.type)).toBe('HTTPS');
  });

  it('SVCB RR in AliasMode: priority 0 and a target name', () => {
    const r = seen('zeek-dns-svcb-rr.pcap')[1]!.msg;
    expect(r.answers.map((a) => [a.name, a.type, a.ttl, a.data])).toEqual([
      ['example.com', 64, 600, { kind: 'svcb', priority: 0, target: 'foo.example.com', params: { other: [] } }]]);
  });

  it('HTTPS RRs with ECH: config length and base64', () => {
    const msgs = seen('zeek-dns-ech.pcap');
    const defo = msgs[1]!.msg.answers[0]!.data;
    const cf = msgs[3]!.msg.answers[0]!.data;
    if (defo.kind !== 'svcb' || cf.kind !== 'svcb') throw new Error('not svcb');
    expect(defo.params.ipv4hint).toEqual(['213.108.108.101']);
    expect(defo.params.ipv6hint).toEqual(['2a00:c6c0:0:116:5::10']);
    expect(defo.params.ech?.length).toBe(194);
    expect(defo.params.ech?.base64.startsWith('AMD+DQA8agAgACCuY19tSB4Tb5cnVHw9eCEj629o/whTJgMysNszoM7KSgAEAAEAAQANY292ZXIuZGVmby5pZQAA')).toBe(true);
    expect(Buffer.from(defo.params.ech!.base64, 'base64')).toHaveLength(194);
    expect(cf.params).toEqual({
      alpn: ['h3', 'h2'], ipv4hint: ['104.18.10.118', '104.18.11.118'], ipv6hint: ['2606:4700::6812:a76', '2606:4700::6812:b76'], other: [],
      ech: { length: 71, base64: 'AEX+DQBBdAAgACDB6UNjy9kyv48V6cEOb99HnrfJuiTGKjW9A05sDxhcKQAEAAEAAQASY2xvdWRmbGFyZS1lY2guY29tAAA=' },
    });
    expect(msgs[1]!.msg.header.ad).toBe(true);
  });

  it('IPv6-fragmented TXT response (3230 bytes after reassembly), DO bit set', () => {
    const msgs = seen('zeek-ipv6-fragmented-dns.pcap');
    const big = msgs.find((s) => s.frame === 8)!;
    expect(big.bytes.length).toBe(3230);
    expect(big.msg.anomalies).toEqual([]);
    const txt = big.msg.answers[0]!.data;
    if (txt.kind !== 'txt') throw new Error('not txt');
    expect(txt.strings.slice(0, 2)).toEqual(['This TXT record should be ignored', 'As it is just padding']);
    expect(txt.strings.map((s) => s.length)).toEqual([33, 21, ...new Array<number>(15).fill(189), 192]);
    expect(big.msg.edns).toMatchObject({ udpSize: 4096, do: true, flags: 0x8000 });
    expect(big.msg.additionals.map((a) => a.data)).toContainEqual({ kind: 'a', address: '192.150.187.31' });
  });

  it('BADCOOKIE: the 12-bit rcode joins the OPT upper bits, cookies decoded, SOA of the root', () => {
    const msgs = seen('tcpdump-dns-badcookie-null.pcap');
    const bad = msgs[1]!.msg;
    expect(bad.header.rcode).toBe(7);
    expect(bad.rcode).toBe(23);
    expect(dnsRcodeName(bad.rcode)).toBe('BADCOOKIE');
    expect(bad.question).toMatchObject({ name: '.', type: 6 });
    expect(bad.edns?.cookie).toEqual({ client: '36bf111fef2e0109', server: '7d8ffe065c636ffb142d767494407a73' });
    const ok = msgs[3]!.msg;
    expect(ok.rcode).toBe(0);
    expect(ok.answers[0]!.data).toEqual({
      kind: 'soa', mname: 'a.root-servers.net', rname: 'nstld.verisign-grs.com', serial: 2019021202, refresh: 1800, retry: 900,
      expire: 604800, minimum: 86400,
    });
  });

  it('pcapng over two interfaces: CNAME chain and AAAA answers', () => {
    const msgs = seen('zeek-pcapng-multi-interface.pcapng');
    const apple = msgs[1]!.msg;
    expect(apple.answers.map((a) => (a.data.kind === 'name' ? a.data.name : a.data.kind === 'a' ? a.data.address : null))).toEqual([
      'www-apple-com.v.aaplimg.com', 'www.apple.com.edgekey.net', 'e6858.dsce9.akamaiedge.net', '23.194.101.24']);
    expect(dnsNames(apple)).toEqual(['www.apple.com', 'www-apple-com.v.aaplimg.com', 'www.apple.com.edgekey.net', 'e6858.dsce9.akamaiedge.net']);
    expect(msgs[2]!.msg.edns).toBeNull();
  });

  it('every prefix of every corpus message parses without throwing; short ones say truncated', () => {
    let n = 0;
    for (const file of DNS_FILES) {
      for (const s of seen(file)) {
        const full = s.bytes;
        for (let len = 0; len <= full.length; len++) {
          const m = parseDns(full, 0, len);
          n++;
          if (len < 12) { expect(m).toBeNull(); continue; }
          expect(m).not.toBeNull();
          if (len < s.msg.parsedBytes) expect(m!.truncated || m!.anomalies.length > 0, `${file} ${s.frame} len ${len}`).toBe(true);
          expect(m!.parsedBytes).toBeLessThanOrEqual(len);
        }
      }
    }
    expect(n).toBeGreaterThan(5000);
  });
});

// ------------------------------------------------------------------ fixtures

describe('readName text', () => {
  /** The presentation form, byte by byte: letters lower-cased, '.' and '\\' escaped, other non-printables as \\DDD. */
  const label = (bytes: number[]): string => bytes.map((b) => {
    if (b >= 0x41 && b <= 0x5a) return String.fromCharCode(b + 0x20);
    if (b === 0x2e || b === 0x5c) return '\\' + String.fromCharCode(b);
    if (b > 0x20 && b < 0x7f) return String.fromCharCode(b);
    return '\\' + String(b).padStart(3, '0');
  }).join('');

  it('equals the byte-by-byte presentation form for random labels (plain, mixed case, escapes anywhere), also through a pointer', () => {
    const rnd = mulberry32(20261126);
    // Mostly plain bytes, so names switch to escaping at every position.
    const pick = (): number => (rnd() < 0.85 ? 0x61 + Math.floor(rnd() * 26) - (rnd() < 0.3 ? 0x20 : 0) : Math.floor(rnd() * 256));
    for (let k = 0; k < 3000; k++) {
      const labels = Array.from({ length: 1 + Math.floor(rnd() * 4) }, () => Array.from({ length: 1 + Math.floor(rnd() * 12) }, pick));
      const wire = [...labels.flatMap((l) => [l.length, ...l]), 0];
      const want = labels.map(label).join('.');
      expect(readName(Uint8Array.from(wire), 0, wire.length, []).name).toBe(want);
      // The same labels reached through a compression pointer after one more label.
      const msg = Uint8Array.from([...wire, 3, 0x77, 0x57, 0x77, 0xc0, 0]);
      expect(readName(msg, wire.length, msg.length, []).name).toBe(`www.${want}`);
    }
    expect(readName(Uint8Array.of(0), 0, 1, []).name).toBe('.');
  });
});

describe('parseDns on built messages', () => {
  it('decodes A, AAAA, CNAME, MX, TXT, SRV, SOA, SPF and EDNS client subnet through compression', () => {
    const m = parseDns(sampleResponse())!;
    expect(m.anomalies).toEqual([]);
    expect(m.truncated).toBe(false);
    expect(m.header).toMatchObject({ id: 0xbeef, qr: true, opcode: 0, aa: false, tc: false, rd: true, ra: true, ad: false, cd: false, rcode: 0 });
    expect(m.question).toEqual({ name: 'www.example.com', type: 1, class: 1, unicastResponse: false });
    expect(m.answers.map((a) => [a.name, a.data])).toEqual([
      ['www.example.com', { kind: 'name', name: 'cdn.example.com' }],
      ['www.example.com', { kind: 'a', address: '192.0.2.7' }],
      ['www.example.com', { kind: 'aaaa', address: '2001:db8::1' }],
      ['example.com', { kind: 'mx', preference: 10, exchange: 'mail.example.com' }],
      ['example.com', { kind: 'txt', strings: ['hello', '', 'a;b'] }],
      ['_sip._udp.example.com', { kind: 'srv', priority: 1, weight: 2, port: 5060, target: 'pb.example.com' }],
    ]);
    expect(m.authorities[0]!.data).toEqual({
      kind: 'soa', mname: 'ns.example.com', rname: 'host.example.com', serial: 2024010101, refresh: 7200, retry: 3600, expire: 1209600, minimum: 300,
    });
    expect(m.additionals[0]!.data).toEqual({ kind: 'txt', strings: ['v=sp'] });
    expect(m.edns).toEqual({
      udpSize: 1232, extendedRcode: 1, version: 0, do: true, flags: 0x8000, options: [{ code: 8, length: 7 }], clientSubnet: '198.51.100.0/24',
    });
    expect(m.rcode).toBe(16);
    expect(m.parsedBytes).toBe(sampleResponse().length);
  });

  it('reads a message at an offset inside a larger buffer and ignores bytes past len', () => {
    const inner = sampleResponse();
    const outer = new Uint8Array(inner.length + 20).fill(0xc0);
    outer.set(inner, 7);
    const m = parseDns(outer, 7, inner.length)!;
    expect(m.answers).toHaveLength(6);
    expect(m.anomalies).toEqual([]);
    expect(parseDns(outer, 7, inner.length + 5)!.anomalies).toEqual(['dns_trailing_bytes']);
  });

  it('returns null under 12 bytes and for silly offsets, never throws', () => {
    const b = sampleResponse();
    expect(parseDns(b, 0, 11)).toBeNull();
    expect(parseDns(b, b.length - 5)).toBeNull();
    expect(parseDns(b, b.length + 100)).toBeNull();
    expect(parseDns(b, -3, 4)).toBeNull();
    expect(parseDns(b, 0, Number.NaN)).toBeNull();
    expect(parseDns(new Uint8Array(0))).toBeNull();
    expect(parseDns(b, 0, 1e9)!.answers).toHaveLength(6);
  });

  it('escapes odd label bytes and folds case', () => {
    const name = [3, 0x41, 0x2e, 0x62, 2, 0x5c, 0x00, 3, ...Buffer.from('CoM'), 0];
    const m = parseDns(bytes(header({ qd: 1 }), question(name, 16)))!;
    expect(m.question!.name).toBe('a\\.b.\\\\\\000.com');
  });

  it('the root name is "."', () => {
    expect(parseDns(bytes(header({ qd: 1 }), question([0], 2)))!.question!.name).toBe('.');
  });

  it('a pointer chain going back three times decodes', () => {
    // 12: "c" ptr->? Build: name1 at 12 = com; name2 at 17 = example + ptr 12; name3 = www + ptr 17; name4 = a + ptr to name3.
    const q1 = question(wname('com'), 1); // 12..20 (name 5 bytes)
    const q2 = question([7, ...Buffer.from('example'), 0xc0, 12], 1); // 21..
    const q3 = question([3, ...Buffer.from('www'), 0xc0, 21], 1);
    const q3at = 12 + q1.length + q2.length;
    const q4 = question([1, 0x61, 0xc0, q3at], 1);
    const m = parseDns(bytes(header({ qd: 4 }), q1, q2, q3, q4))!;
    expect(m.anomalies).toEqual([]);
    expect(m.questions.map((q) => q.name)).toEqual(['com', 'example.com', 'www.example.com', 'a.www.example.com']);
  });

  describe('compression attacks end quickly with an anomaly', () => {
    const cases: [string, Uint8Array, DnsAnomaly[]][] = [
      ['self pointer', bytes(header({ qd: 1 }), [0xc0, 12, 0, 1, 0, 1]), ['dns_pointer_loop']],
      ['pointer back into its own labels', bytes(header({ qd: 1 }), [1, 0x61, 0xc0, 12, 0, 1, 0, 1]), ['dns_pointer_loop']],
      // 12: ptr -> 18; 18: ptr -> 12. Whichever way it is entered, one hop is forward or back into its run.
      ['two-pointer cycle', bytes(header({ qd: 1, an: 1 }), [0xc0, 18, 0, 1, 0, 1], rr([0xc0, 12], 1, [1, 2, 3, 4])), ['dns_pointer_forward', 'dns_pointer_loop']],
      ['forward pointer', bytes(header({ qd: 1 }), [0xc0, 20, 0, 1, 0, 1, 0, 0, 3, 0x61, 0x62, 0x63, 0]), ['dns_pointer_forward']],
      ['pointer past the end', bytes(header({ qd: 1 }), [0xc0, 200, 0, 1, 0, 1]), ['dns_pointer_out_of_bounds']],
      ['pointer past 16 KiB', bytes(header({ qd: 1 }), [0xff, 0xff, 0, 1, 0, 1]), ['dns_pointer_out_of_bounds']],
      ['reserved label type 01', bytes(header({ qd: 1 }), [0x41, 0, 0, 1, 0, 1]), ['dns_bad_label_type']],
      ['reserved label type 10', bytes(header({ qd: 1 }), [0x80, 0, 0, 1, 0, 1]), ['dns_bad_label_type']],
      ['cut inside a pointer', bytes(header({ qd: 1 }), [3, 0x61, 0x62, 0x63, 0xc0]), ['dns_truncated']],
      ['CNAME rdata pointing at itself', bytes(header({ qd: 1, an: 1 }), question(wname('a.b'), 5), rr([0xc0, 12], 5, [0xc0, 33])),
        ['dns_pointer_loop']],
      ['CNAME rdata name running past its rdlength', bytes(header({ an: 1 }), rr([0], 5, [3, 0x61, 0x62]), [0x63, 0]), ['dns_rdata_overrun']],
    ];
    for (const [what, msg, want] of cases) {
      it(what, () => {
        const t0 = performance.now();
        const m = parseDns(msg);
        expect(performance.now() - t0).toBeLessThan(50);
        expect(m).not.toBeNull();
        expect(m!.anomalies.some((a) => want.includes(a)), `${what}: ${m!.anomalies.join(',')}`).toBe(true);
      });
    }

    it('a bad name still lets the rest of the message be read', () => {
      const m = parseDns(bytes(header({ qd: 1, an: 1 }), [0xc0, 12, 0, 1, 0, 1], rr([0], 1, [10, 0, 0, 1])))!;
      expect(m.question).toEqual({ name: null, type: 1, class: 1, unicastResponse: false });
      expect(m.answers.map((a) => a.data)).toEqual([{ kind: 'a', address: '10.0.0.1' }]);
    });

    it('a 256-octet name is too long; 255 is fine', () => {
      const labels = (n: number): number[] => Array.from({ length: n }, () => [63, ...new Array<number>(63).fill(0x61)]).flat();
      // 3 x 64 + 62 + 1 (root) = 255 octets
      const ok = [...labels(3), 61, ...new Array<number>(61).fill(0x62), 0];
      expect(ok.length).toBe(MAX_NAME_WIRE);
      expect(parseDns(bytes(header({ qd: 1 }), question(ok, 1)))!.anomalies).toEqual([]);
      const long = [...labels(3), 62, ...new Array<number>(62).fill(0x62), 0];
      const m = parseDns(bytes(header({ qd: 1, an: 1 }), question(long, 1), rr([0], 1, [1, 1, 1, 1])))!;
      expect(m.anomalies).toContain('dns_name_too_long');
      expect(m.question!.name).toBeNull();
      expect(m.answers).toHaveLength(1); // its in-place end was still found
    });

    it('a name built from many backward pointers past 255 octets is too long', () => {
      // 12: label 'x'*63 + 0; then 5 names each "63 x's + pointer to the previous".
      const parts: number[][] = [[63, ...new Array<number>(63).fill(0x78), 0, 0, 1, 0, 1]];
      let prev = 12, at = 12 + parts[0]!.length;
      for (let i = 0; i < 5; i++) {
        parts.push([63, ...new Array<number>(63).fill(0x79), 0xc0 | (prev >> 8), prev & 0xff, 0, 1, 0, 1]);
        prev = at;
        at += parts.at(-1)!.length;
      }
      const m = parseDns(bytes(header({ qd: 6 }), ...parts))!;
      expect(m.questions.map((q) => q.name === null)).toEqual([false, false, false, true, true, true]);
      expect(m.anomalies).toEqual(['dns_name_too_long']);
    });

    it('readName walks at most the pointer-hop cap', () => {
      // A chain of 200 pointers each to the previous one, ending in the root: legal per RFC 1035, refused past the cap.
      const m: number[] = [...header({}), 0];
      for (let i = 0; i < 200; i++) {
        const target = m.length - (i === 0 ? 1 : 2);
        m.push(0xc0 | (target >> 8), target & 0xff);
      }
      const an: DnsAnomaly[] = [];
      const r = readName(Uint8Array.from(m), m.length - 2, m.length, an);
      expect(r.name).toBeNull();
      expect(an).toEqual(['dns_too_many_pointers']);
      const an2: DnsAnomaly[] = [];
      expect(readName(Uint8Array.from(m), 13 + 2 * 100, m.length, an2).name).toBe('.');
    });
  });

  it('cut rdata and short rdata are reported, not thrown', () => {
    const cut = parseDns(bytes(header({ an: 1 }), rr([0], 1, [1, 2, 3, 4]).slice(0, -2)))!;
    expect(cut.truncated).toBe(true);
    expect(cut.anomalies).toEqual(['dns_rdata_truncated', 'dns_truncated']);
    const short = parseDns(bytes(header({ an: 2 }), rr([0], 1, [1, 2, 3]), rr([0], 15, [0, 1])))!;
    expect(short.answers.map((a) => a.data)).toEqual([{ kind: 'raw', length: 3 }, { kind: 'raw', length: 2 }]);
    expect(short.anomalies).toEqual(['dns_bad_rdata_length']);
    const txt = parseDns(bytes(header({ an: 1 }), rr([0], 16, [5, 0x61, 0x62])))!;
    expect(txt.answers[0]!.data).toEqual({ kind: 'txt', strings: ['ab'] });
    expect(txt.anomalies).toEqual(['dns_txt_truncated']);
  });

  it('counts promising more than the bytes hold: truncated', () => {
    const m = parseDns(bytes(header({ qd: 1, an: 3 }), question(wname('x.org'), 1), rr([0xc0, 12], 1, [9, 9, 9, 9])))!;
    expect(m.answers).toHaveLength(1);
    expect(m.truncated).toBe(true);
    expect(m.anomalies).toEqual(['dns_truncated']);
  });

  it('unknown types keep type and length; type names follow RFC 3597 for the rest', () => {
    const m = parseDns(bytes(header({ an: 1 }), rr([0], 4321, [1, 2, 3, 4, 5])))!;
    expect(m.answers[0]).toMatchObject({ type: 4321, rdlength: 5, data: { kind: 'raw', length: 5 } });
    expect(dnsTypeName(4321)).toBe('TYPE4321');
    expect(dnsTypeName(28)).toBe('AAAA');
  });

  it('SVCB params: mandatory, no-default-alpn, port, dohpath, ohttp, unknown keys; order and value errors', () => {
    const p = (key: number, v: number[]): number[] => [...be16(key), ...be16(v.length), ...v];
    const rdata = [...be16(2), ...wname('svc.example'), ...p(0, [0, 1, 0, 3]), ...p(1, [2, 0x68, 0x32]), ...p(2, []), ...p(3, be16(8443)),
      ...p(7, [...Buffer.from('/q{?dns}')]), ...p(8, []), ...p(9999, [1, 2, 3])];
    const m = parseDns(bytes(header({ an: 1 }), rr([0], 64, rdata)))!;
    expect(m.anomalies).toEqual([]);
    expect(m.answers[0]!.data).toEqual({
      kind: 'svcb', priority: 2, target: 'svc.example', params: {
        mandatory: [1, 3], alpn: ['h2'], noDefaultAlpn: true, port: 8443, dohpath: '/q{?dns}', ohttp: true, other: [{ key: 9999, length: 3 }],
      },
    });
    const bad = [...be16(1), 0, ...p(3, [1, 2, 3]), ...p(1, [5, 0x61]), ...p(4, [1, 2, 3]), ...p(6, new Array<number>(15).fill(0))];
    const mb = parseDns(bytes(header({ an: 1 }), rr([0], 65, bad)))!;
    expect(mb.anomalies.sort()).toEqual(['dns_svcparam_bad_value', 'dns_svcparam_order']);
    const overrun = parseDns(bytes(header({ an: 1 }), rr([0], 65, [...be16(1), 0, ...be16(1), ...be16(40), 2, 0x68, 0x33])))!;
    expect(overrun.anomalies).toEqual(['dns_svcparam_bad_value']);
    expect(overrun.answers[0]!.data).toMatchObject({ kind: 'svcb', priority: 1, target: '.' });
  });

  it('EDNS: misplaced, repeated and cut options', () => {
    const opt = (rdata: number[]): number[] => rr([0], 41, rdata, 0, 512);
    const two = parseDns(bytes(header({ ar: 2 }), opt([]), opt([])))!;
    expect(two.anomalies).toEqual(['dns_multiple_opt']);
    const inAnswer = parseDns(bytes(header({ an: 1 }), opt([])))!;
    expect(inAnswer.anomalies).toEqual(['dns_opt_misplaced']);
    const cut = parseDns(bytes(header({ ar: 1 }), opt([0, 10, 0, 20, 1, 2])))!;
    expect(cut.anomalies).toEqual(['dns_opt_option_truncated']);
    expect(cut.edns).toMatchObject({ udpSize: 512, options: [] });
    const misc = parseDns(bytes(header({ ar: 1 }), opt([...be16(15), ...be16(2), ...be16(18), ...be16(12), ...be16(3), 0, 0, 0,
      ...be16(8), ...be16(6), 0, 2, 48, 0, 0x20, 0x01])))!;
    expect(misc.edns).toMatchObject({ extendedError: 18, padding: 3, clientSubnet: '2001::/48' });
  });

  it('mDNS: the top bit of the class is QU in questions and cache-flush in records', () => {
    const msg = bytes(header({ id: 0, flags: 0x8400, qd: 1, an: 1 }), question(wname('printer.local'), 12, 0x8001),
      rr([0xc0, 12], 1, [192, 168, 1, 9], 120, 0x8001));
    const m = parseDns(msg, 0, msg.length, { flavor: 'mdns' })!;
    expect(m.flavor).toBe('mdns');
    expect(m.question).toEqual({ name: 'printer.local', type: 12, class: 1, unicastResponse: true });
    expect(m.answers[0]).toMatchObject({ class: 1, cacheFlush: true, ttl: 120 });
    const plain = parseDns(msg)!;
    expect(plain.question!.class).toBe(0x8001);
    expect(plain.answers[0]!.cacheFlush).toBe(false);
  });

  it('LLMNR shares the format (C and T bits sit where AA and RD are)', () => {
    const msg = bytes(header({ id: 7, flags: 0x8500, qd: 1, an: 1 }), question(wname('host'), 1), rr([0xc0, 12], 1, [10, 1, 1, 1], 30));
    const m = parseDns(msg, 0, msg.length, { flavor: 'llmnr' })!;
    expect(m.header).toMatchObject({ qr: true, aa: true, rd: true, tc: false });
    expect(m.answers[0]!.data).toEqual({ kind: 'a', address: '10.1.1.1' });
  });

  it('questionsOnly and maxRecords stop early', () => {
    const q = parseDns(sampleResponse(), 0, undefined, { questionsOnly: true })!;
    expect(q.answers).toEqual([]);
    expect(q.question!.name).toBe('www.example.com');
    const cap = parseDns(sampleResponse(), 0, undefined, { maxRecords: 2 })!;
    expect(cap.answers).toHaveLength(2);
    expect(cap.anomalies).toEqual(['dns_too_many_records']);
  });

  it('anomaly codes are exported as names and stable numbers', () => {
    expect(DNS_ANOMALY_NAMES.length).toBe(new Set(DNS_ANOMALY_NAMES).size);
    DNS_ANOMALY_NAMES.forEach((n, i) => expect(DNS_ANOMALY[n]).toBe(i));
    expect(DNS_ANOMALY.dns_pointer_loop).toBe(DNS_ANOMALY_NAMES.indexOf('dns_pointer_loop'));
  });
});

describe('robustness', { timeout: 60_000 }, () => {
  const rng = mulberry32;

  function seeds(): Uint8Array[] {
    const out = [sampleResponse()];
    if (haveCorpus) for (const f of DNS_FILES) for (const s of seen(f)) out.push(s.bytes);
    return out;
  }

  it('every prefix of a built message parses without throwing', () => {
    const full = sampleResponse();
    for (let len = 0; len <= full.length; len++) {
      const m = parseDns(full.slice(0, len));
      if (len < 12) expect(m).toBeNull();
      else expect(m!.truncated).toBe(len < full.length);
    }
  });

  it('10k random mutations of real messages never throw and stay fast', () => {
    const base = seeds();
    const rand = rng(0x5eed);
    const pick = (n: number): number => Math.floor(rand() * n);
    let parsed = 0, slowest = 0;
    const t0 = performance.now();
    for (let i = 0; i < 10_000; i++) {
      const src = base[i % base.length]!;
      let b = src.slice();
      const edits = 1 + pick(8);
      for (let e = 0; e < edits; e++) {
        const r = rand();
        if (b.length === 0) break;
        if (r < 0.45) b[pick(b.length)] = pick(256); // random byte
        else if (r < 0.6) b[pick(b.length)] = 0xc0 | pick(64); // a pointer-ish byte
        else if (r < 0.7) b[pick(b.length)] ^= 1 << pick(8); // bit flip
        else if (r < 0.8) b = b.slice(0, pick(b.length + 1)); // cut
        else if (r < 0.9) { const p = pick(b.length); b[p] = 0xff; if (p + 1 < b.length) b[p + 1] = 0xff; } // counts/lengths to max
        else { const p = pick(Math.max(1, b.length - 12)); b.copyWithin(p, pick(b.length), b.length); } // shuffle a run
      }
      const s = performance.now();
      let m: DnsMessage | null = null;
      try {
        m = parseDns(b);
      } catch (err) {
        throw new Error(`threw on ${Buffer.from(b).toString('hex')}: ${String(err)}`);
      }
      slowest = Math.max(slowest, performance.now() - s);
      if (m !== null) {
        parsed++;
        JSON.stringify(m); // fully materialised, no cycles
      }
    }
    expect(parsed).toBeGreaterThan(5000);
    expect(slowest).toBeLessThan(100);
    expect(performance.now() - t0).toBeLessThan(20_000);
  }, 60_000);

  it('random garbage of every length up to 600 bytes never throws', () => {
    const rand = rng(42);
    for (let len = 0; len <= 600; len++) {
      for (let k = 0; k < 5; k++) {
        const b = Uint8Array.from({ length: len }, () => Math.floor(rand() * 256));
        expect(() => parseDns(b)).not.toThrow();
      }
    }
  });

  it('DnsTcpBuffer never throws on random chunks and holds at most one message', () => {
    const rand = rng(7);
    const t = new DnsTcpBuffer();
    for (let i = 0; i < 2000; i++) {
      const b = Uint8Array.from({ length: Math.floor(rand() * 3000) }, () => Math.floor(rand() * 256));
      for (const m of t.push(b)) expect(() => parseDns(m)).not.toThrow();
      expect(t.pending).toBeLessThanOrEqual(65537);
    }
  });
});

// ------------------------------------------------------------------ TCP framing

describe('DnsTcpBuffer', () => {
  const msgA = sampleResponse();
  const msgB = bytes(header({ id: 9, qd: 1 }), question(wname('b.example'), 28));
  const framed = bytes(be16(msgA.length), [...msgA], be16(msgB.length), [...msgB]);

  it('gives back both messages whatever the chunking (every single cut point, and byte by byte)', () => {
    for (let cut = 0; cut <= framed.length; cut++) {
      const t = new DnsTcpBuffer();
      const out = [...t.push(framed.subarray(0, cut)), ...t.push(framed.subarray(cut))];
      expect(out.map((m) => [...m]), `cut ${cut}`).toEqual([[...msgA], [...msgB]]);
      expect(t.pending).toBe(0);
    }
    const t = new DnsTcpBuffer();
    const out: Uint8Array[] = [];
    for (let i = 0; i < framed.length; i++) out.push(...t.push(framed, i, 1));
    expect(out.map((m) => parseDns(m)!.header.id)).toEqual([0xbeef, 9]);
    expect(t.messages).toBe(2);
  });

  it('messages it returns are copies the caller may keep', () => {
    const chunk = framed.slice();
    const [a] = new DnsTcpBuffer().push(chunk);
    chunk.fill(0);
    expect(parseDns(a!)!.header.id).toBe(0xbeef);
  });

  it('holds a partial message until it completes, and no more than 64 KiB', () => {
    const t = new DnsTcpBuffer();
    expect(t.push(Uint8Array.from([0xff, 0xff, 1, 2, 3]))).toEqual([]);
    expect(t.pending).toBe(5);
    let got: Uint8Array[] = [];
    for (let i = 0; i < 64; i++) {
      got = got.concat(t.push(new Uint8Array(1024).fill(1)));
      expect(t.pending).toBeLessThanOrEqual(2 + 65535);
    }
    expect(got).toHaveLength(1);
    expect(got[0]).toHaveLength(65535);
    // 5 + 65536 bytes pushed: 65537 for the first message, then a 0x0101 prefix and 2 bytes of the next.
    expect(t.pending).toBe(4);
  });

  it('zero and short lengths are anomalies; a gap stops it', () => {
    const t = new DnsTcpBuffer();
    expect(t.push(bytes([0, 0, 0, 3, 1, 2, 3], be16(msgB.length), [...msgB]))).toHaveLength(1);
    expect(t.anomalies).toEqual(['dns_tcp_zero_length', 'dns_tcp_short_message']);
    t.push(framed.subarray(0, 10));
    t.gap();
    expect(t.inSync).toBe(false);
    expect(t.pending).toBe(0);
    expect(t.push(framed)).toEqual([]);
    expect(t.anomalies).toContain('dns_tcp_gap');
  });

  it('bounds the messages one push returns', () => {
    const many = bytes(...Array.from({ length: 10 }, () => [...be16(msgB.length), ...msgB]));
    const t = new DnsTcpBuffer({ maxMessagesPerPush: 3 });
    expect(t.push(many)).toHaveLength(3);
    expect(t.inSync).toBe(false);
  });
});

// ------------------------------------------------------------------ transactions

describe('DnsTransactions', () => {
  const q = (id: number, name: string, type = 1): DnsMessage => parseDns(bytes(header({ id, flags: 0x0100, qd: 1 }), question(wname(name), type)))!;
  const r = (id: number, name: string | null, type = 1): DnsMessage =>
    parseDns(bytes(header({ id, flags: 0x8180, qd: name === null ? 0 : 1 }), name === null ? [] : question(wname(name), type)))!;

  it('matches by id, name and type; RTT in ns across a second boundary', () => {
    const t = new DnsTransactions();
    t.observe(q(1, 'a.example'), 100, 999_000_000);
    t.observe(q(1, 'a.example', 28), 100, 999_500_000);
    expect(t.observe(r(1, 'b.example'), 101, 0)).toBeNull();
    expect(t.observe(r(1, 'A.Example', 28), 101, 1_000)).toMatchObject({ id: 1, name: 'a.example', type: 28, rttNs: 501_000, queries: 1 });
    expect(t.observe(r(1, 'a.example'), 101, 2_000)).toMatchObject({ type: 1, rttNs: 1_002_000 });
    expect(t.outstanding).toBe(0);
    expect(t.unmatchedResponses).toBe(1);
  });

  it('retransmitted queries: RTT from the latest copy, sinceFirst from the first', () => {
    const t = new DnsTransactions();
    t.query(q(5, 'x.test'), 10, 0);
    t.query(q(5, 'x.test'), 15, 0);
    expect(t.response(r(5, 'x.test'), 15, 80_000_000)).toMatchObject({ rttNs: 80_000_000, sinceFirstNs: 5_080_000_000, queries: 2, querySec: 10 });
  });

  it('a response without a question matches by id when that is unambiguous', () => {
    const t = new DnsTransactions();
    t.query(q(7, 'one.test'), 1, 0);
    t.query(q(8, 'two.test'), 1, 0);
    t.query(q(8, 'three.test'), 1, 0);
    expect(t.response(r(7, null), 1, 5)).toMatchObject({ name: 'one.test', rttNs: 5 });
    expect(t.response(r(8, null), 1, 5)).toBeNull();
    expect(t.drain().map((u) => u.name)).toEqual(['two.test', 'three.test']);
    expect(t.outstanding).toBe(0);
  });

  it('bounds outstanding queries, dropping the oldest', () => {
    const t = new DnsTransactions({ maxOutstanding: 4 });
    for (let i = 0; i < 10; i++) t.query(q(i, 'n.test'), i, 0);
    expect(t.outstanding).toBe(4);
    expect(t.evicted).toBe(6);
    expect(t.anomalies).toEqual(['dns_outstanding_evicted']);
    expect(t.response(r(0, 'n.test'), 20, 0)).toBeNull();
    expect(t.response(r(9, 'n.test'), 20, 0)).toMatchObject({ rttNs: 11e9 });
  });
});
