import { describe, expect, test } from 'vitest';
import fc from 'fast-check';
import {
  AS_TRANS, BgpSession, BgpStream, emptyAttributes, mergeAs4Path, originAs, parseBgpAttributes, parseBgpHeader, parseBgpMessage,
  parseBgpUpdate, type BgpMessage, type BgpParseOptions, type BgpUpdate,
} from '../../src/context/bgp-message.js';
import { TcpStreams } from '../../src/inspect/tcp-stream.js';

// ---- byte builders (hand-made messages) ----

const be16 = (n: number): number[] => [(n >> 8) & 255, n & 255];
const be32 = (n: number): number[] => [(n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255];
const MARKER = new Array<number>(16).fill(0xff);

function msg(type: number, body: number[]): Uint8Array {
  return Uint8Array.from([...MARKER, ...be16(19 + body.length), type, ...body]);
}

function attr(flags: number, type: number, value: number[]): number[] {
  return value.length > 255 ? [flags | 0x10, type, ...be16(value.length), ...value] : [flags, type, value.length, ...value];
}

function segs(list: [number, number[]][], size: 2 | 4): number[] {
  const out: number[] = [];
  for (const [t, asns] of list) {
    out.push(t, asns.length);
    for (const a of asns) out.push(...(size === 4 ? be32(a) : be16(a)));
  }
  return out;
}

const origin = (o: number): number[] => attr(0x40, 1, [o]);
const asPath = (list: [number, number[]][], size: 2 | 4): number[] => attr(0x40, 2, segs(list, size));
const as4Path = (list: [number, number[]][]): number[] => attr(0xc0, 17, segs(list, 4));
const nextHop = (a: number[]): number[] => attr(0x40, 3, a);

function updateBody(withdrawn: number[], attrs: number[], nlri: number[]): number[] {
  return [...be16(withdrawn.length), ...withdrawn, ...be16(attrs.length), ...attrs, ...nlri];
}

function cap(code: number, value: number[]): number[] {
  return [code, value.length, ...value];
}

function openBody(myAs: number, hold: number, id: number[], caps: number[]): number[] {
  const params = caps.length > 0 ? [2, caps.length, ...caps] : [];
  return [4, ...be16(myAs), ...be16(hold), ...id, params.length, ...params];
}

/** 16 bytes of an IPv6 address text (no embedded IPv4). */
function ip6(text: string): number[] {
  const [h, t] = text.includes('::') ? text.split('::') : [text, undefined];
  const head = h ? h.split(':') : [];
  const tail = t ? t.split(':') : [];
  const groups = t === undefined ? head : [...head, ...new Array<string>(8 - head.length - tail.length).fill('0'), ...tail];
  return groups.flatMap((g) => be16(parseInt(g, 16)));
}

const UPD = (body: number[]): Uint8Array => msg(2, body);
const KEEPALIVE = msg(4, []);

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
}

function upd(m: BgpMessage | null): BgpUpdate {
  expect(m).not.toBeNull();
  expect(m!.update).not.toBeNull();
  return m!.update!;
}

const AS4: BgpParseOptions = { as4: true };
const AS2: BgpParseOptions = { as4: false };

// ---- header and OPEN ----

describe('header', () => {
  test('marker, length and type', () => {
    expect(parseBgpHeader(KEEPALIVE, 0, 19)).toEqual({ length: 19, type: 4 });
    const bad = KEEPALIVE.slice(); bad[3] = 0;
    expect(parseBgpHeader(bad, 0, 19)).toBeNull();
    expect(parseBgpHeader(KEEPALIVE, 0, 18)).toBeNull();
    const short = KEEPALIVE.slice(); short[17] = 18;
    expect(parseBgpHeader(short, 0, 19)).toBeNull();
    const ka = parseBgpMessage(KEEPALIVE, 0, 19, AS4)!;
    expect(ka.typeName).toBe('KEEPALIVE');
    expect(ka.anomalies).toEqual([]);
    const weird = parseBgpMessage(msg(9, [1, 2]), 0, 21, AS4)!;
    expect(weird.typeName).toBe('TYPE 9');
    expect(weird.anomalies).toContain('bgp_unknown_message_type');
    const longKa = parseBgpMessage(msg(4, [0]), 0, 20, AS4)!;
    expect(longKa.anomalies).toContain('bgp_bad_message_length');
  });
});

describe('OPEN', () => {
  test('4-octet AS capability gives the real ASN; ADD-PATH and multiprotocol are listed', () => {
    const caps = [
      ...cap(1, [0, 2, 0, 1]), // IPv6 unicast
      ...cap(65, be32(4200000000)),
      ...cap(69, [0, 1, 1, 3, 0, 2, 1, 1]), // IPv4 unicast send+receive, IPv6 unicast receive
      ...cap(2, []),
    ];
    const bytes = concat(msg(1, openBody(AS_TRANS, 90, [192, 0, 2, 1], caps)), Uint8Array.from([0, 0]));
    const m = parseBgpMessage(bytes, 0, bytes.length, AS4)!;
    expect(m.anomalies).toEqual(['bgp_message_trailing_bytes']); // 2 bytes past the header's length: told, not fatal
    const o = m.open!;
    expect(o.version).toBe(4);
    expect(o.myAs).toBe(AS_TRANS);
    expect(o.as4).toBe(4200000000);
    expect(o.asn).toBe(4200000000);
    expect(o.holdTime).toBe(90);
    expect(o.bgpId).toBe('192.0.2.1');
    expect(o.capabilities).toEqual([1, 65, 69, 2]);
    expect(o.multiprotocol).toEqual([{ afi: 2, safi: 1 }]);
    expect(o.addPath).toEqual([{ afi: 1, safi: 1, mode: 3 }, { afi: 2, safi: 1, mode: 1 }]);
    expect(o.routeRefresh).toBe(true);
  });

  test('without capability 65 the ASN is My AS; a small ASN in both fields agrees', () => {
    const o = parseBgpMessage(msg(1, openBody(64512, 180, [10, 0, 0, 1], cap(2, []))), 0, 34, AS4)!.open!;
    expect(o.as4).toBeNull();
    expect(o.asn).toBe(64512);
    const o2 = parseBgpMessage(msg(1, openBody(64512, 180, [10, 0, 0, 1], cap(65, be32(64512)))), 0, 37, AS4)!.open!;
    expect(o2.asn).toBe(64512);
    expect(o2.anomalies).toEqual([]);
    const o3 = parseBgpMessage(msg(1, openBody(64512, 180, [10, 0, 0, 1], cap(65, be32(4200000000)))), 0, 37, AS4)!.open!;
    expect(o3.anomalies).toContain('bgp_open_as_mismatch');
  });

  test('RFC 9072 extended optional parameters length', () => {
    const caps = cap(65, be32(65551));
    const body = [4, ...be16(AS_TRANS), ...be16(90), 1, 2, 3, 4, 255, 255, ...be16(3 + caps.length), 2, ...be16(caps.length), ...caps];
    const o = parseBgpMessage(msg(1, body), 0, 19 + body.length, AS4)!.open!;
    expect(o.asn).toBe(65551);
    expect(o.anomalies).toEqual([]);
  });

  test('cut OPENs are anomalies, not exceptions', () => {
    const full = msg(1, openBody(AS_TRANS, 90, [192, 0, 2, 1], cap(65, be32(4200000000))));
    for (let n = 19; n < full.length; n++) {
      const copy = full.slice(0, n);
      const m = parseBgpMessage(copy, 0, n, AS4)!;
      expect(m.anomalies.length).toBeGreaterThan(0);
    }
  });
});

// ---- UPDATE ----

describe('UPDATE', () => {
  test('4-byte session: attributes, AS_SET text, communities', () => {
    const attrs = [
      ...origin(0),
      ...asPath([[2, [65001, 4200000000]], [1, [65010, 65011]]], 4),
      ...nextHop([192, 0, 2, 7]),
      ...attr(0x80, 4, be32(50)),
      ...attr(0x40, 5, be32(200)),
      ...attr(0x40, 6, []),
      ...attr(0xc0, 7, [...be32(4200000000), 10, 0, 0, 9]),
      ...attr(0xc0, 8, [...be16(65001), ...be16(100), 0xff, 0xff, 0xff, 0x01]),
      ...attr(0xc0, 32, [...be32(4200000000), ...be32(1), ...be32(2)]),
    ];
    const u = upd(parseBgpMessage(UPD(updateBody([], attrs, [24, 10, 1, 2, 16, 172, 16])), 0, Infinity, AS4));
    expect(u.origin).toBe('IGP');
    expect(u.asPath).toEqual([65001, 4200000000, 65010, 65011]);
    expect(u.asPathText).toBe('65001 4200000000 {65010,65011}');
    expect(originAs(u.asPathSegments)).toBeNull();
    expect(u.nextHop).toBe('192.0.2.7');
    expect(u.med).toBe(50);
    expect(u.localPref).toBe(200);
    expect(u.atomicAggregate).toBe(true);
    expect(u.aggregator).toEqual({ asn: 4200000000, ip: '10.0.0.9' });
    expect(u.communities).toEqual(['65001:100', '65535:65281']);
    expect(u.largeCommunities).toEqual(['4200000000:1:2']);
    expect(u.nlri).toEqual(['10.1.2.0/24', '172.16.0.0/16']);
    expect(u.withdrawn).toEqual([]);
    expect(u.asnSize).toBe(4);
  });

  test('withdrawn routes and a /0', () => {
    const u = upd(parseBgpMessage(UPD(updateBody([8, 10, 0, 32, 192, 0, 2, 1], [], [0])), 0, Infinity, AS4));
    expect(u.withdrawn).toEqual(['10.0.0.0/8', '0.0.0.0/0', '192.0.2.1/32']);
    expect(u.nlri).toEqual(['0.0.0.0/0']);
  });

  test('AS4_PATH is merged into a 2-byte AS_PATH (RFC 6793 4.2.3)', () => {
    // The 2-byte path has one AS more than AS4_PATH: it is kept in front.
    const a = [...origin(0), ...asPath([[2, [65001, AS_TRANS, AS_TRANS, 300]]], 2), ...as4Path([[2, [4200000001, 4200000002, 300]]])];
    const u = upd(parseBgpMessage(UPD(updateBody([], a, [24, 10, 0, 0])), 0, Infinity, AS2));
    expect(u.asPathText).toBe('65001 4200000001 4200000002 300');
    expect(u.asPath).toEqual([65001, 4200000001, 4200000002, 300]);
    expect(u.asnSize).toBe(2);
    expect(u.anomalies).toEqual([]);

    // An AS_SET counts as one.
    const b = [...asPath([[2, [1, AS_TRANS]], [1, [5, 6]]], 2), ...as4Path([[2, [4200000001]], [1, [5, 6]]])];
    expect(upd(parseBgpMessage(UPD(updateBody([], b, [])), 0, Infinity, AS2)).asPathText).toBe('1 4200000001 {5,6}');

    // A leading confederation segment comes along and does not count.
    const c = [...asPath([[3, [65100]], [2, [1, AS_TRANS]]], 2), ...as4Path([[2, [4200000001]]])];
    expect(upd(parseBgpMessage(UPD(updateBody([], c, [])), 0, Infinity, AS2)).asPathText).toBe('(65100) 1 4200000001');

    // AS4_PATH longer than AS_PATH: ignored.
    const d = [...asPath([[2, [AS_TRANS]]], 2), ...as4Path([[2, [4200000001, 4200000002]]])];
    const ud = upd(parseBgpMessage(UPD(updateBody([], d, [])), 0, Infinity, AS2));
    expect(ud.asPathText).toBe(String(AS_TRANS));
    expect(ud.anomalies).toContain('bgp_as4_path_longer');

    // AGGREGATOR AS_TRANS + AS4_AGGREGATOR: the real aggregator; a real AGGREGATOR AS voids both AS4 attributes.
    const aggr = (as: number): number[] => attr(0xc0, 7, [...be16(as), 10, 0, 0, 1]);
    const as4aggr = attr(0xc0, 18, [...be32(4200000009), 10, 0, 0, 2]);
    const e = [...asPath([[2, [1, AS_TRANS]]], 2), ...aggr(AS_TRANS), ...as4Path([[2, [4200000009]]]), ...as4aggr];
    const ue = upd(parseBgpMessage(UPD(updateBody([], e, [])), 0, Infinity, AS2));
    expect(ue.aggregator).toEqual({ asn: 4200000009, ip: '10.0.0.2' });
    expect(ue.asPathText).toBe('1 4200000009');
    const f = [...asPath([[2, [1, AS_TRANS]]], 2), ...aggr(64999), ...as4Path([[2, [4200000009]]]), ...as4aggr];
    const uf = upd(parseBgpMessage(UPD(updateBody([], f, [])), 0, Infinity, AS2));
    expect(uf.aggregator).toEqual({ asn: 64999, ip: '10.0.0.1' });
    expect(uf.asPathText).toBe(`1 ${AS_TRANS}`);
    expect(uf.anomalies).toContain('bgp_as4_attrs_ignored');

    // Between 4-byte speakers AS4_PATH is discarded.
    const g = [...asPath([[2, [1, 2]]], 4), ...as4Path([[2, [3]]])];
    const ug = upd(parseBgpMessage(UPD(updateBody([], g, [])), 0, Infinity, AS4));
    expect(ug.asPathText).toBe('1 2');
    expect(ug.anomalies).toContain('bgp_as4_attr_in_as4_session');
  });

  test('mergeAs4Path on its own: a sequence is cut where needed', () => {
    expect(mergeAs4Path([{ type: 2, asns: [1, 2, 3, 4, 5] }], [{ type: 2, asns: [40, 50] }])).toEqual([
      { type: 2, asns: [1, 2, 3] }, { type: 2, asns: [40, 50] },
    ]);
  });

  test('MP_REACH_NLRI IPv6 with a link-local next hop; MP_UNREACH_NLRI', () => {
    const nh = [...ip6('2001:db8::1'), ...ip6('fe80::21d:71ff:fe73:9280')];
    const nlri = [48, ...ip6('2001:db8:1::').slice(0, 6), 64, ...ip6('2001:db8:2:3::').slice(0, 8)];
    const reach = attr(0x80, 14, [...be16(2), 1, nh.length, ...nh, 0, ...nlri]);
    const unreach = attr(0x80, 15, [...be16(2), 1, 48, ...ip6('2001:db8:ffff::').slice(0, 6)]);
    const u = upd(parseBgpMessage(UPD(updateBody([], [...origin(2), ...asPath([[2, [65001]]], 4), ...reach, ...unreach], [])), 0, Infinity, AS4));
    expect(u.mpReach).toEqual({
      afi: 2, safi: 1, nextHop: ['2001:db8::1', 'fe80::21d:71ff:fe73:9280'], nlri: ['2001:db8:1::/48', '2001:db8:2:3::/64'],
      pathIds: null, supported: true,
    });
    expect(u.mpUnreach).toEqual({ afi: 2, safi: 1, withdrawn: ['2001:db8:ffff::/48'], pathIds: null, supported: true });
    expect(u.origin).toBe('INCOMPLETE');
    expect(u.nlri).toEqual([]);
  });

  test('MP_REACH_NLRI of a family not read (VPNv4) is marked, not parsed', () => {
    const reach = attr(0x80, 14, [...be16(1), 128, 12, ...new Array<number>(8).fill(0), 10, 0, 0, 1, 0, 112, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 10, 1]);
    const u = upd(parseBgpMessage(UPD(updateBody([], reach, [])), 0, Infinity, AS4));
    expect(u.mpReach!.supported).toBe(false);
    expect(u.mpReach!.nextHop).toEqual(['10.0.0.1']);
    expect(u.mpReach!.nlri).toEqual([]);
  });

  test('prefix length over 32 / 128: anomaly, rest of the field skipped; trailing bits masked', () => {
    const u = upd(parseBgpMessage(UPD(updateBody([], [], [24, 10, 0, 0, 33, 1, 2, 3, 4, 5, 8, 11])), 0, Infinity, AS4));
    expect(u.nlri).toEqual(['10.0.0.0/24']);
    expect(u.anomalies).toEqual(['bgp_bad_prefix_length']);

    const t = upd(parseBgpMessage(UPD(updateBody([], [], [13, 11, 13])), 0, Infinity, AS4));
    expect(t.nlri).toEqual(['11.8.0.0/13']);
    expect(t.anomalies).toEqual(['bgp_nlri_trailing_bits']);

    const v6 = attr(0x80, 14, [...be16(2), 1, 16, ...ip6('2001:db8::1'), 0, 32, 0x20, 0x01, 0x0d, 0xb8, 129, ...new Array<number>(17).fill(0)]);
    const w = upd(parseBgpMessage(UPD(updateBody([], v6, [])), 0, Infinity, AS4));
    expect(w.mpReach!.nlri).toEqual(['2001:db8::/32']);
    expect(w.anomalies).toEqual(['bgp_bad_prefix_length']);

    const v6t = attr(0x80, 14, [...be16(2), 1, 16, ...ip6('2001:db8::1'), 0, 33, 0x20, 0x01, 0x0d, 0xb8, 0xff]);
    const x = upd(parseBgpMessage(UPD(updateBody([], v6t, [])), 0, Infinity, AS4));
    expect(x.mpReach!.nlri).toEqual(['2001:db8:8000::/33']);
    expect(x.anomalies).toEqual(['bgp_nlri_trailing_bits']);
  });

  test('ADD-PATH path identifiers where the caller says so', () => {
    const body = updateBody([...be32(7), 24, 10, 9, 9], [...origin(0), ...asPath([[2, [1]]], 4), ...nextHop([1, 2, 3, 4])], [...be32(1), 24, 10, 0, 0, ...be32(2), 24, 10, 0, 0]);
    const u = upd(parseBgpMessage(UPD(body), 0, Infinity, { as4: true, addPath: (afi, safi) => afi === 1 && safi === 1 }));
    expect(u.nlri).toEqual(['10.0.0.0/24', '10.0.0.0/24']);
    expect(u.nlriPathIds).toEqual([1, 2]);
    expect(u.withdrawn).toEqual(['10.9.9.0/24']);
    expect(u.withdrawnPathIds).toEqual([7]);
    // Read without ADD-PATH the same bytes make no sense: anomalies, no exception.
    const wrong = upd(parseBgpMessage(UPD(body), 0, Infinity, AS4));
    expect(wrong.anomalies.length).toBeGreaterThan(0);
  });

  test('ASN size unknown (as4 null): the AS_PATH layout decides', () => {
    const four = upd(parseBgpMessage(UPD(updateBody([], asPath([[2, [4200000000, 65001]]], 4), [])), 0, Infinity, { as4: null }));
    expect(four.asPathText).toBe('4200000000 65001');
    expect(four.asnSize).toBe(4);
    const two = upd(parseBgpMessage(UPD(updateBody([], asPath([[2, [65001, 65002, 65003]]], 2), [])), 0, Infinity, { as4: null }));
    expect(two.asPathText).toBe('65001 65002 65003');
    expect(two.asnSize).toBe(2);
  });

  test('malformed attributes are anomalies', () => {
    const bad = [...attr(0x40, 1, [7]), ...attr(0x40, 3, [1, 2, 3]), ...attr(0x40, 1, [0]), 0x40, 5, 9, 1];
    const a = parseBgpAttributes(Uint8Array.from(bad), 0, bad.length, AS4);
    expect(a.anomalies).toEqual(['bgp_bad_origin', 'bgp_bad_attr_length', 'bgp_attr_duplicate', 'bgp_attr_truncated']);
    const u = parseBgpUpdate(Uint8Array.from([0, 5, 1]), 0, 3, AS4);
    expect(u.anomalies).toEqual(['bgp_update_truncated']);
  });

  test('an UPDATE that carries nothing starts from the same attribute defaults as emptyAttributes()', () => {
    // parseBgpUpdate writes its defaults out in one literal (a spread made V8 use a slow object),
    // beside emptyAttributes(): the two must not drift apart.
    const u = parseBgpUpdate(Uint8Array.from([0, 0, 0, 0]), 0, 4, AS4);
    const base = emptyAttributes();
    const shared = Object.fromEntries(Object.keys(base).map((k) => [k, u[k as keyof BgpUpdate]]));
    expect(shared).toEqual(base);
    expect([u.withdrawn, u.nlri, u.withdrawnPathIds, u.nlriPathIds]).toEqual([[], [], null, null]);
  });

  test('NOTIFICATION with a shutdown communication, ROUTE-REFRESH', () => {
    const text = [...Buffer.from('maintenance')];
    const n = parseBgpMessage(msg(3, [6, 2, text.length, ...text]), 0, 99, AS4)!.notification!;
    expect(n).toEqual({ code: 6, subcode: 2, dataLength: 12, shutdownMessage: 'maintenance' });
    const r = parseBgpMessage(msg(5, [0, 2, 0, 1]), 0, 23, AS4)!.routeRefresh!;
    expect(r).toEqual({ afi: 2, subtype: 0, safi: 1 });
  });

  test('never throws: random bytes and every cut of a valid UPDATE', () => {
    const full = UPD(updateBody([24, 10, 0, 0], [...origin(0), ...asPath([[2, [1, 2]]], 2), ...as4Path([[2, [4200000000]]]), ...attr(0x80, 14, [0, 2, 1, 16, ...ip6('2001:db8::1'), 0, 32, 0x20, 1, 0xd, 0xb8])], [16, 10, 1]));
    for (let n = 19; n <= full.length; n++) {
      for (const o of [AS2, AS4, { as4: null, addPath: true }]) expect(() => parseBgpMessage(full.slice(0, n), 0, n, o)).not.toThrow();
    }
    fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), fc.boolean(), (body, ap) => {
      const m = msg(2, [...body]);
      const r = parseBgpMessage(m, 0, m.length, { as4: null, addPath: ap });
      expect(r).not.toBeNull();
      const s = new BgpStream();
      s.push(m, 0, m.length);
      s.push(body, 0, body.length);
      s.gap(3);
      s.push(m, 0, m.length);
    }), { numRuns: 2000 });
  });
});

// ---- sessions ----

function sessionBytes(caps0: number[], caps1: number[]): { open0: Uint8Array; open1: Uint8Array } {
  return {
    open0: msg(1, openBody(AS_TRANS, 90, [10, 0, 0, 1], caps0)),
    open1: msg(1, openBody(65002, 90, [10, 0, 0, 2], caps1)),
  };
}

const AS4CAP = (asn: number): number[] => cap(65, be32(asn));

/** UPDATE with a 4-byte AS_PATH [4200000001, 65002] for 10.20.0.0/16. */
const UPDATE4 = UPD(updateBody([], [...origin(0), ...asPath([[2, [4200000001, 65002]]], 4), ...nextHop([10, 0, 0, 1])], [16, 10, 20]));

function summary(ms: BgpMessage[]): string[] {
  return ms.map((m) => (m.update !== null ? `UPDATE ${m.update.asPathText} ${m.update.nlri.join(',')}` : m.typeName));
}

describe('BgpSession', () => {
  test('framing across every split point and byte by byte; 4-byte ASNs once both OPENs have capability 65', () => {
    const { open0, open1 } = sessionBytes(AS4CAP(4200000001), AS4CAP(65002));
    const dir0 = concat(open0, KEEPALIVE, UPDATE4, KEEPALIVE);
    const want = ['OPEN', 'KEEPALIVE', 'UPDATE 4200000001 65002 10.20.0.0/16', 'KEEPALIVE'];
    const clock = { sec: 1700000000, ns: 5 };
    for (let cut = 0; cut <= dir0.length; cut++) {
      const s = new BgpSession({ clock });
      s.data(1, open1, 0, open1.length);
      s.data(0, dir0, 0, cut);
      s.data(0, dir0, cut, dir0.length - cut);
      expect(summary(s.messages.filter((m) => m.dir === 0))).toEqual(want);
      expect(s.state.as4).toBe(true);
    }
    const s = new BgpSession({ clock });
    s.data(1, open1, 0, open1.length);
    for (let i = 0; i < dir0.length; i++) s.data(0, dir0, i, 1);
    expect(summary(s.messages.filter((m) => m.dir === 0))).toEqual(want);
    expect(s.messages[0]!.dir).toBe(1);
    expect(s.messages[0]!.open!.asn).toBe(65002);
    expect(s.messages[1]!.open!.asn).toBe(4200000001);
    expect(s.messages[1]!.sec).toBe(1700000000);
    expect(s.anomalies).toEqual([]);
  });

  test('one side without capability 65: UPDATEs are read with 2-byte ASNs and AS4_PATH', () => {
    const { open0, open1 } = sessionBytes(AS4CAP(4200000001), []);
    const u2 = UPD(updateBody([], [...origin(0), ...asPath([[2, [AS_TRANS, 65003]]], 2), ...as4Path([[2, [4200000001, 65003]]])], [8, 10]));
    const s = new BgpSession();
    s.data(0, open0, 0, open0.length);
    s.data(1, open1, 0, open1.length);
    s.data(0, u2, 0, u2.length);
    expect(s.state.as4).toBe(false);
    expect(summary(s.messages)).toEqual(['OPEN', 'OPEN', 'UPDATE 4200000001 65003 10.0.0.0/8']);
  });

  test('a gap inside a message whose header was seen: the rest is skipped exactly', () => {
    const { open0, open1 } = sessionBytes(AS4CAP(4200000001), AS4CAP(65002));
    const s = new BgpSession();
    s.data(1, open1, 0, open1.length);
    s.data(0, open0, 0, open0.length);
    s.data(0, UPDATE4, 0, 25); // header and a little
    s.gap(0, 10);
    s.data(0, UPDATE4, 35, UPDATE4.length - 35);
    s.data(0, KEEPALIVE, 0, 19);
    s.data(0, UPDATE4, 0, UPDATE4.length);
    expect(summary(s.messages.filter((m) => m.dir === 0))).toEqual(['OPEN', 'KEEPALIVE', 'UPDATE 4200000001 65002 10.20.0.0/16']);
    expect(s.streams[0].stats).toEqual({ messages: 3, skippedBytes: 0, resyncs: 0, lostMessages: 1 });
  });

  test('a gap across a message boundary: resync on the next marker', () => {
    const { open0, open1 } = sessionBytes(AS4CAP(4200000001), AS4CAP(65002));
    const s = new BgpSession();
    s.data(1, open1, 0, open1.length);
    s.data(0, open0, 0, open0.length);
    const rest = concat(UPDATE4, KEEPALIVE, UPDATE4);
    s.data(0, rest, 0, 10);
    s.gap(0, 20); // ends inside the first UPDATE's body, before its header was whole
    s.data(0, rest, 30, rest.length - 30);
    expect(summary(s.messages.filter((m) => m.dir === 0))).toEqual(['OPEN', 'KEEPALIVE', 'UPDATE 4200000001 65002 10.20.0.0/16']);
    expect(s.streams[0].stats.resyncs).toBe(1);
    expect(s.streams[0].stats.skippedBytes).toBe(UPDATE4.length - 30);
    expect(s.anomalies).toContain('bgp_gap');
  });

  test('capture started mid-session: garbage, no OPENs; the marker is found and ASN size detected', () => {
    const u2 = UPD(updateBody([], [...origin(0), ...asPath([[2, [65001, 65002, 65003]]], 2)], [8, 10]));
    const stream = concat(UPDATE4.subarray(40), u2, UPDATE4, KEEPALIVE);
    for (const step of [stream.length, 7, 1]) {
      const s = new BgpSession();
      for (let i = 0; i < stream.length; i += step) s.data(0, stream, i, Math.min(step, stream.length - i));
      expect(summary(s.messages)).toEqual(['UPDATE 65001 65002 65003 10.0.0.0/8', 'UPDATE 4200000001 65002 10.20.0.0/16', 'KEEPALIVE']);
      expect(s.state.as4).toBeNull();
      expect(s.streams[0].stats.resyncs).toBe(1);
    }
  });

  test('a run of 0xff longer than a marker, and a false marker, before a message', () => {
    const junk = Uint8Array.from([...new Array<number>(20).fill(0xff), 0, 5, 9, ...new Array<number>(17).fill(0xff), 0x00, 0x13]);
    const s = new BgpStream();
    const ms = [...s.push(junk), ...s.push(concat(Uint8Array.from([7, 7]), KEEPALIVE, KEEPALIVE))];
    expect(summary(ms)).toEqual(['KEEPALIVE', 'KEEPALIVE']);
  });

  test('ADD-PATH applies where the sender may send and the receiver receive', () => {
    const ap = (mode: number): number[] => cap(69, [0, 1, 1, mode]);
    const { open0, open1 } = sessionBytes([...AS4CAP(4200000001), ...ap(2)], [...AS4CAP(65002), ...ap(1)]);
    const withIds = UPD(updateBody([], [...origin(0), ...asPath([[2, [4200000001]]], 4), ...nextHop([10, 0, 0, 1])], [...be32(5), 16, 10, 20]));
    const s = new BgpSession();
    s.data(0, open0, 0, open0.length);
    s.data(1, open1, 0, open1.length);
    s.data(0, withIds, 0, withIds.length);
    s.data(1, UPDATE4, 0, UPDATE4.length); // dir 1 may not send path ids
    const u0 = s.messages[2]!.update!;
    expect(u0.nlri).toEqual(['10.20.0.0/16']);
    expect(u0.nlriPathIds).toEqual([5]);
    const u1 = s.messages[3]!.update!;
    expect(u1.nlri).toEqual(['10.20.0.0/16']);
    expect(u1.nlriPathIds).toBeNull();
  });

  test('an extended message (> 4096 bytes) across chunks', () => {
    const nlri: number[] = [];
    for (let i = 0; i < 1500; i++) nlri.push(24, 10, (i >> 8) & 255, i & 255);
    const big = UPD(updateBody([], [...origin(0), ...asPath([[2, [1]]], 4), ...nextHop([10, 0, 0, 1])], nlri));
    expect(big.length).toBeGreaterThan(6000);
    const s = new BgpStream(0);
    s.state.setOpen(0, parseBgpMessage(msg(1, openBody(1, 90, [1, 1, 1, 1], AS4CAP(1))), 0, 37, AS4)!.open!);
    s.state.setOpen(1, parseBgpMessage(msg(1, openBody(2, 90, [2, 2, 2, 2], AS4CAP(2))), 0, 37, AS4)!.open!);
    const out: BgpMessage[] = [];
    for (let i = 0; i < big.length; i += 1000) out.push(...s.push(big, i, Math.min(1000, big.length - i)));
    expect(out).toHaveLength(1);
    expect(out[0]!.update!.nlri).toHaveLength(1500);
    expect(out[0]!.update!.nlri[1499]).toBe('10.5.219.0/24');
  });

  test('fed by TcpStreams: out-of-order segments are put back in order', () => {
    const { open0, open1 } = sessionBytes(AS4CAP(4200000001), AS4CAP(65002));
    const dir0 = concat(open0, UPDATE4, KEEPALIVE);
    const s = new BgpSession();
    const t = new TcpStreams(s);
    t.syn(0, 1000);
    t.syn(1, 5000);
    t.segment(1, 5001, open1, 0, open1.length, open1.length);
    // Three segments of dir 0, the second arriving last.
    const a = 20, b = 60;
    t.segment(0, 1001, dir0, 0, a, a);
    t.segment(0, 1001 + b, dir0, b, dir0.length - b, dir0.length - b);
    t.segment(0, 1001 + a, dir0, a, b - a, b - a);
    t.finish();
    s.end();
    expect(summary(s.messages)).toEqual(['OPEN', 'OPEN', 'UPDATE 4200000001 65002 10.20.0.0/16', 'KEEPALIVE']);
    expect(s.anomalies).toEqual([]);
  });

  test('a message cut by the end of the flow is reported', () => {
    const s = new BgpSession();
    s.data(0, UPDATE4, 0, 30);
    s.end();
    expect(s.messages).toEqual([]);
    expect(s.anomalies).toEqual(['bgp_message_cut']);
  });

  test('onMessage and maxMessages bound what is kept', () => {
    const seen: string[] = [];
    const s = new BgpSession({ onMessage: (m) => seen.push(m.typeName) });
    s.data(0, concat(KEEPALIVE, KEEPALIVE), 0, 38);
    expect(seen).toEqual(['KEEPALIVE', 'KEEPALIVE']);
    expect(s.messages).toEqual([]);
    const k = new BgpSession({ maxMessages: 1 });
    k.data(0, concat(KEEPALIVE, KEEPALIVE, KEEPALIVE), 0, 57);
    expect(k.messages).toHaveLength(1);
    expect(k.dropped).toBe(2);
  });
});
