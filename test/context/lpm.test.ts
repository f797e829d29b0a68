import { describe, it, expect, beforeAll } from 'vitest';
import { readFileSync } from 'node:fs';
import { gunzipSync, gzipSync } from 'node:zlib';
import {
  Lpm4, Lpm6, LPM_MAX_VALUE, lookupAddrWords, parseIpv4, parseIpv6, type LpmOptions,
} from '../../src/context/lpm.js';
import {
  detectFormat, loadOriginTables, originsKey, parseOrigins, parsePfx2asLine, readPfx2as,
  type Pfx2asEntry, type Pfx2asSummary,
} from '../../src/context/pfx2as.js';
import { parseAddr } from '../../src/sink/addr.js';
import { mulberry32 } from '../helpers/rng.js';

const IXP = '/work/shared/ixp';
const PFX2AS = `${IXP}/pyipmeta-routeviews-rv2-20170329-0200.pfx2as.gz`;
const IPASN = `${IXP}/pyasn-ipasn-fake.dat`;

const u32 = (r: () => number): number => Math.floor(r() * 4294967296) >>> 0;
const v4 = (t: string): number => {
  const a = parseIpv4(t);
  if (a < 0) throw new Error(`bad address ${t}`);
  return a;
};
const v6 = (t: string): Uint32Array => {
  const a = parseIpv6(t);
  if (!a) throw new Error(`bad address ${t}`);
  return a;
};
const mask4 = (len: number): number => (len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0);

async function readAll(src: string | Uint8Array): Promise<{ entries: Pfx2asEntry[]; sum: Pfx2asSummary }> {
  const entries: Pfx2asEntry[] = [];
  const sum = await readPfx2as(src, (e) => entries.push(e));
  return { entries, sum };
}

// ---------------------------------------------------------------------------
// Address text
// ---------------------------------------------------------------------------

describe('parseIpv4', () => {
  it('parses dotted quads and rejects the rest', () => {
    expect(parseIpv4('0.0.0.0')).toBe(0);
    expect(parseIpv4('255.255.255.255')).toBe(0xffffffff);
    expect(parseIpv4('1.3.33.0')).toBe(0x01032100);
    expect(parseIpv4('192.168.001.010')).toBe(0xc0a8010a);
    for (const bad of ['', '1.2.3', '1.2.3.4.5', '256.1.1.1', '1.2.3.256', '1..2.3', '.1.2.3', '1.2.3.', '1.2.3.4 ', ' 1.2.3.4',
      '1.2.3.0/24', '0x1.2.3.4', '1.2.3.-4', '1234.1.1.1', '1.2.3.4444', '::1', '::ffff:1.2.3.4', 'a.b.c.d']) {
      expect(parseIpv4(bad), bad).toBe(-1);
    }
  });

  it('agrees with the project parser (parseAddr) on random and malformed text', () => {
    const r = mulberry32(4);
    const texts: string[] = [];
    for (let i = 0; i < 3000; i++) {
      const parts = Array.from({ length: 3 + Math.floor(r() * 3) }, () => {
        const k = r();
        if (k < 0.7) return String(Math.floor(r() * 256));
        if (k < 0.8) return String(Math.floor(r() * 1000));
        if (k < 0.9) return String(Math.floor(r() * 10)).padStart(3, '0');
        return ['', 'x', '-1', '0000', ' 1'][Math.floor(r() * 5)]!;
      });
      texts.push(parts.join('.'));
    }
    for (const t of texts) {
      const ref = parseAddr(t);
      expect(parseIpv4(t), t).toBe(ref !== null && ref.version === 4 ? ref.words[3] : -1);
    }
  });
});

describe('parseIpv6', () => {
  const w = (t: string): number[] | null => { const a = parseIpv6(t); return a ? [...a] : null; };
  it('parses the RFC 4291 section 2.2 forms', () => {
    expect(w('2001:db8:0:0:8:800:200c:417a')).toEqual([0x20010db8, 0, 0x0008_0800, 0x200c417a]);
    expect(w('2001:DB8::8:800:200C:417A')).toEqual([0x20010db8, 0, 0x0008_0800, 0x200c417a]);
    expect(w('FF01::101')).toEqual([0xff010000, 0, 0, 0x101]);
    expect(w('::1')).toEqual([0, 0, 0, 1]);
    expect(w('::')).toEqual([0, 0, 0, 0]);
    expect(w('1::')).toEqual([0x00010000, 0, 0, 0]);
    expect(w('1:2:3:4:5:6:7::')).toEqual([0x00010002, 0x00030004, 0x00050006, 0x00070000]);
    expect(w('::2:3:4:5:6:7:8')).toEqual([0x00000002, 0x00030004, 0x00050006, 0x00070008]);
    expect(w('0:0:0:0:0:0:13.1.68.3')).toEqual([0, 0, 0, 0x0d014403]);
    expect(w('::13.1.68.3')).toEqual([0, 0, 0, 0x0d014403]);
    expect(w('::FFFF:129.144.52.38')).toEqual([0, 0, 0xffff, 0x81903426]);
    expect(w('1:2:3:4:5:6:1.2.3.4')).toEqual([0x00010002, 0x00030004, 0x00050006, 0x01020304]);
    expect(w('2001:200::')).toEqual([0x20010200, 0, 0, 0]);
  });
  it('rejects what is not IPv6 text', () => {
    for (const bad of ['', ':', ':::', '1:2:3:4:5:6:7:8:9', '1:2:3:4:5:6:7', '1::2::3', '12345::', 'g::1', ':1:2:3:4:5:6:7',
      '1:2:3:4:5:6:7:8::', '::1.2.3', '::1.2.3.256', '1:2:3:4:5:6:7:1.2.3.4', '1.2.3.4', '2001:db8::/32', 'fe80::1%eth0']) {
      expect(w(bad), bad).toBeNull();
    }
  });
});

// ---------------------------------------------------------------------------
// Lpm4
// ---------------------------------------------------------------------------

const SCHEDULES4: [string, LpmOptions][] = [
  ['16-8-8 packed (default)', {}],
  ['16-8-8 plain', { packed: false }],
  ['18-6-8 packed', { strides: [18, 6, 8] }],
  ['8-8-8-8 plain', { strides: [8, 8, 8, 8], packed: false }],
  ['4x8 packed', { strides: [4, 4, 4, 4, 4, 4, 4, 4] }],
  ['24-8 plain', { strides: [24, 8], packed: false }],
];

describe('Lpm4 edge cases', () => {
  for (const [name, opts] of SCHEDULES4) {
    describe(name, () => {
      it('empty table, default route, host routes, nesting', () => {
        const t = new Lpm4(opts);
        expect(t.lookup(0x01020304)).toBe(-1);
        t.insert(0, 0, 7);
        expect(t.lookup(0)).toBe(7);
        expect(t.lookup(0xffffffff)).toBe(7);
        t.insert(v4('10.0.0.0'), 8, 1);
        t.insert(v4('10.1.0.0'), 16, 2);
        t.insert(v4('10.1.2.0'), 24, 3);
        t.insert(v4('10.1.2.128'), 25, 4);
        t.insert(v4('10.1.2.129'), 32, 5);
        t.insert(v4('255.255.255.255'), 32, 6);
        t.insert(v4('0.0.0.0'), 32, 8);
        const cases: [string, number][] = [
          ['9.255.255.255', 7], ['10.0.0.0', 1], ['10.255.255.255', 1], ['11.0.0.0', 7],
          ['10.1.0.0', 2], ['10.1.1.255', 2], ['10.1.2.0', 3], ['10.1.2.127', 3], ['10.1.2.128', 4],
          ['10.1.2.129', 5], ['10.1.2.130', 4], ['10.1.2.255', 4], ['10.1.3.0', 2], ['10.2.0.0', 1],
          ['255.255.255.255', 6], ['255.255.255.254', 7], ['0.0.0.0', 8], ['0.0.0.1', 7],
        ];
        for (const [a, want] of cases) expect(t.lookup(v4(a)), a).toBe(want);
        // An int32 with the same bits is the same address.
        expect(t.lookup(v4('255.255.255.255') | 0)).toBe(6);
      });

      it('without a default route, addresses outside every prefix miss', () => {
        const t = new Lpm4(opts);
        t.insert(v4('192.0.2.0'), 24, 0);
        t.insert(v4('192.0.2.7'), 32, 1);
        expect(t.lookup(v4('192.0.1.255'))).toBe(-1);
        expect(t.lookup(v4('192.0.2.0'))).toBe(0);
        expect(t.lookup(v4('192.0.2.7'))).toBe(1);
        expect(t.lookup(v4('192.0.3.0'))).toBe(-1);
        expect(t.lookup(0)).toBe(-1);
      });

      it('any insertion order gives the same answers (permutations of a nested set)', () => {
        const set: [string, number, number][] = [
          ['0.0.0.0', 0, 0], ['10.0.0.0', 8, 1], ['10.0.0.0', 9, 2], ['10.0.0.0', 16, 3],
          ['10.0.0.0', 24, 4], ['10.0.0.0', 31, 5], ['10.0.0.1', 32, 6],
        ];
        const probes = ['10.0.0.0', '10.0.0.1', '10.0.0.2', '10.0.1.0', '10.1.0.0', '10.128.0.0', '11.0.0.0'].map(v4);
        const want = [5, 6, 4, 3, 2, 1, 0];
        const perm = (xs: number[]): number[][] => (xs.length <= 1 ? [xs] : xs.flatMap((x, i) => perm([...xs.slice(0, i), ...xs.slice(i + 1)]).map((p) => [x, ...p])));
        const orders = perm([0, 1, 2, 3, 4, 5, 6]);
        expect(orders.length).toBe(5040);
        // A build walks the whole root: with a 2^18 or 2^24 root, fewer orders.
        const rootBits = opts.strides?.[0] ?? 16;
        const every = rootBits > 18 ? 503 : rootBits > 16 ? 29 : 7;
        for (const order of orders.filter((_, i) => i % every === 0)) {
          const t = new Lpm4(opts);
          for (const k of order) t.insert(v4(set[k]![0]), set[k]![1], set[k]![2]);
          expect(probes.map((p) => t.lookup(p)), order.join(',')).toEqual(want);
        }
      });

      it('the same prefix inserted twice keeps the last value; host bits are ignored', () => {
        const t = new Lpm4(opts);
        t.insert(v4('198.51.100.0'), 24, 1);
        t.insert(v4('198.51.100.77'), 24, 2); // same /24, host bits set
        expect(t.lookup(v4('198.51.100.1'))).toBe(2);
        t.insert(v4('198.51.100.0'), 24, 3);
        expect(t.lookup(v4('198.51.100.1'))).toBe(3);
        expect(t.size).toBe(3);
      });

      it('inserts after a build are seen by the next lookup', () => {
        const t = new Lpm4(opts);
        t.insert(v4('203.0.113.0'), 24, 1);
        expect(t.lookup(v4('203.0.113.9'))).toBe(1);
        t.insert(v4('203.0.113.8'), 29, 2);
        expect(t.lookup(v4('203.0.113.9'))).toBe(2);
        t.build();
        expect(t.lookup(v4('203.0.113.16'))).toBe(1);
      });
    });
  }

  it('values span 0..LPM_MAX_VALUE; bad lengths and values throw', () => {
    const t = new Lpm4();
    t.insert(v4('1.0.0.0'), 8, LPM_MAX_VALUE);
    t.insert(v4('2.0.0.0'), 8, 0);
    expect(t.lookup(v4('1.2.3.4'))).toBe(LPM_MAX_VALUE);
    expect(t.lookup(v4('2.2.3.4'))).toBe(0);
    expect(() => t.insert(0, 33, 1)).toThrow(RangeError);
    expect(() => t.insert(0, -1, 1)).toThrow(RangeError);
    expect(() => t.insert(0, 1.5, 1)).toThrow(RangeError);
    expect(() => t.insert(0, 8, -1)).toThrow(RangeError);
    expect(() => t.insert(0, 8, LPM_MAX_VALUE + 1)).toThrow(RangeError);
  });

  it('rejects bad stride schedules', () => {
    expect(() => new Lpm4({ strides: [16, 8] })).toThrow(/sum/);
    expect(() => new Lpm4({ strides: [32] })).toThrow(/1\.\.24/);
    expect(() => new Lpm4({ strides: [] })).toThrow();
    expect(() => new Lpm6({ strides: [16, 24, 24, 24, 24, 16] })).toThrow(/word boundary/);
  });

  it('freeze() drops the staged prefixes and keeps the answers', () => {
    const t = new Lpm4();
    for (let i = 0; i < 5000; i++) t.insert(i << 12, 20, i);
    t.build();
    const before = t.memoryBytes;
    expect(before).toBeGreaterThan(t.trieBytes);
    t.freeze();
    expect(t.memoryBytes).toBe(t.trieBytes);
    expect(t.memoryBytes).toBeLessThan(before);
    expect(t.lookup((1234 << 12) | 5)).toBe(1234);
    expect(() => t.insert(0, 8, 1)).toThrow(/freeze/);
  });

  it('lookupMany matches lookup, with and without a count', () => {
    const t = new Lpm4();
    const r = mulberry32(9);
    for (let i = 0; i < 2000; i++) t.insert(u32(r), 8 + Math.floor(r() * 25), i);
    const addrs = Uint32Array.from({ length: 1000 }, () => u32(r));
    const out = new Int32Array(1000).fill(-99);
    t.lookupMany(addrs, out, 777);
    for (let i = 0; i < 1000; i++) expect(out[i]).toBe(i < 777 ? t.lookup(addrs[i]!) : -99);
    expect(() => t.lookupMany(addrs, new Int32Array(10))).toThrow(RangeError);
  });
});

// ---------------------------------------------------------------------------
// Lpm4 on the real RouteViews table against a brute-force reference
// ---------------------------------------------------------------------------

describe('Lpm4 on the real pfx2as table (694,682 prefixes)', () => {
  let addrs: Uint32Array, lens: Uint8Array, vals: Int32Array;
  let probes: Uint32Array, expected: Int32Array;
  let sets: number[][][];

  beforeAll(async () => {
    const { v4: t4, originSets } = await loadOriginTables(PFX2AS);
    sets = originSets;
    const a: number[] = [], l: number[] = [], v: number[] = [];
    const ids = new Map<string, number>(originSets.map((s, i) => [originsKey(s), i]));
    await readPfx2as(PFX2AS, (e) => { a.push(e.words[0]!); l.push(e.length); v.push(ids.get(originsKey(e.origins))!); });
    addrs = Uint32Array.from(a); lens = Uint8Array.from(l); vals = Int32Array.from(v);
    expect(t4.size).toBe(addrs.length);

    // Probes: 200 k uniform random, and each prefix's first and last address and the two just outside.
    const r = mulberry32(2017);
    const list: number[] = [];
    for (let i = 0; i < 200_000; i++) list.push(u32(r));
    for (let i = 0; i < addrs.length; i++) {
      const first = addrs[i]!, last = (first | ~mask4(lens[i]!)) >>> 0;
      list.push(first, last, (first - 1) >>> 0, (last + 1) >>> 0);
    }
    probes = Uint32Array.from(list);

    // Reference: one Map per prefix length (masked address -> value), longest length first.
    const byLen = Array.from({ length: 33 }, () => new Map<number, number>());
    for (let i = 0; i < addrs.length; i++) byLen[lens[i]!]!.set(addrs[i]!, vals[i]!);
    const present = [...byLen.keys()].filter((k) => byLen[k]!.size > 0).sort((x, y) => y - x);
    expected = new Int32Array(probes.length);
    for (let i = 0; i < probes.length; i++) {
      const p = probes[i]!;
      let want = -1;
      for (const k of present) {
        const hit = byLen[k]!.get((p & mask4(k)) >>> 0);
        if (hit !== undefined) { want = hit; break; }
      }
      expected[i] = want;
    }
    // Sanity of the reference itself: both a miss and deep hits are present.
    expect(expected.includes(-1)).toBe(true);
  });

  const mismatches = (got: Int32Array): string[] => {
    const bad: string[] = [];
    for (let i = 0; i < probes.length && bad.length < 5; i++) {
      if (got[i] !== expected[i]) bad.push(`${probes[i]!.toString(16)}: got ${got[i]}, want ${expected[i]}`);
    }
    return bad;
  };

  for (const [name, opts] of SCHEDULES4.slice(0, 4)) {
    it(`${name}: lookup() and lookupMany() equal the reference on ${200_000} random + ${4}x694,682 boundary probes`, () => {
      const t = new Lpm4(opts);
      for (let i = 0; i < addrs.length; i++) t.insert(addrs[i]!, lens[i]!, vals[i]!);
      t.build();
      const got = new Int32Array(probes.length);
      for (let i = 0; i < probes.length; i++) got[i] = t.lookup(probes[i]!);
      expect(mismatches(got)).toEqual([]);
      got.fill(-2);
      t.lookupMany(probes, got);
      expect(mismatches(got)).toEqual([]);
    });
  }

  it('insertion order does not matter: reversed and shuffled orders give the same answers', () => {
    const r = mulberry32(77);
    const idx = Array.from({ length: addrs.length }, (_, i) => i);
    for (let i = idx.length - 1; i > 0; i--) { const j = Math.floor(r() * (i + 1)); [idx[i], idx[j]] = [idx[j]!, idx[i]!]; }
    for (const order of [idx, Array.from({ length: addrs.length }, (_, i) => addrs.length - 1 - i)]) {
      const t = new Lpm4();
      for (const i of order) t.insert(addrs[i]!, lens[i]!, vals[i]!);
      const got = new Int32Array(probes.length);
      t.lookupMany(probes, got);
      expect(mismatches(got)).toEqual([]);
    }
  });

  it('the packed trie is small and the origin sets come from the file', () => {
    const t = new Lpm4();
    for (let i = 0; i < addrs.length; i++) t.insert(addrs[i]!, lens[i]!, vals[i]!);
    t.build();
    expect(t.trieBytes).toBeLessThan(8 * 2 ** 20);
    const hit = t.lookup(v4('1.3.33.77'));
    expect(sets[hit]).toEqual([[133741], [133948]]);
    expect(sets[t.lookup(v4('8.41.202.200'))]).toEqual([[40179, 65602]]);
    expect(sets[t.lookup(v4('37.99.139.1'))]).toEqual([[47794], [47794, 48695]]); // only the /19
    expect(sets[t.lookup(v4('37.99.130.1'))]).toEqual([[47794]]); // its /24
    expect(sets[t.lookup(v4('4.5.6.7'))]).toEqual([[3356]]);
  });

  it('lookupAddrWords sends IPv4-mapped words to the IPv4 table', () => {
    const t4 = new Lpm4(), t6 = new Lpm6();
    t4.insert(v4('1.3.33.0'), 24, 4);
    t6.insert(v6('2001:db8::'), 32, 6);
    const words = new Uint32Array([0, 0, 0xffff, v4('1.3.33.9'), ...v6('2001:db8::1'), ...v6('::1.3.33.9')]);
    expect(lookupAddrWords(t4, t6, words, 0)).toBe(4);
    expect(lookupAddrWords(t4, t6, words, 4)).toBe(6);
    expect(lookupAddrWords(t4, t6, words, 8)).toBe(-1);
  });
});

// ---------------------------------------------------------------------------
// Lpm6 on a synthetic nested table against a linear scan
// ---------------------------------------------------------------------------

interface P6 { w: Uint32Array; len: number; value: number }

function mask6(w: ArrayLike<number>, len: number): Uint32Array {
  const out = new Uint32Array(4);
  for (let k = 0; k < 4; k++) {
    const c = len - 32 * k;
    out[k] = c <= 0 ? 0 : c >= 32 ? w[k]! : (w[k]! & (0xffffffff << (32 - c))) >>> 0;
  }
  return out;
}

function contains(p: P6, a: ArrayLike<number>): boolean {
  for (let k = 0; k < 4; k++) {
    const c = p.len - 32 * k;
    if (c <= 0) return true;
    const m = c >= 32 ? 0xffffffff : (0xffffffff << (32 - c)) >>> 0;
    if (((a[k]! & m) >>> 0) !== p.w[k]) return false;
  }
  return true;
}

/** Linear scan: the longest containing prefix; on equal prefixes the later one wins. */
function scan6(table: P6[], a: ArrayLike<number>): number {
  let best = -1, bestLen = -1;
  for (const p of table) if (p.len >= bestLen && contains(p, a)) { best = p.value; bestLen = p.len; }
  return best;
}

function lastOf(p: P6): Uint32Array {
  const out = new Uint32Array(4);
  for (let k = 0; k < 4; k++) {
    const c = p.len - 32 * k;
    out[k] = c >= 32 ? p.w[k]! : c <= 0 ? 0xffffffff : (p.w[k]! | (0xffffffff >>> c)) >>> 0;
  }
  return out;
}

function step(a: Uint32Array, d: 1 | -1): Uint32Array {
  const out = Uint32Array.from(a);
  for (let k = 3; k >= 0; k--) {
    const before = out[k]!;
    out[k] = (before + d) >>> 0;
    if ((d === 1 && before !== 0xffffffff) || (d === -1 && before !== 0)) break;
  }
  return out;
}

function synth6(seed: number, count: number, withDefault: boolean): P6[] {
  const r = mulberry32(seed);
  const table: P6[] = [];
  if (withDefault) table.push({ w: new Uint32Array(4), len: 0, value: 0 });
  while (table.length < count) {
    const k = r();
    let base: Uint32Array, len: number;
    if (k < 0.25 || table.length < 4) {
      base = Uint32Array.from({ length: 4 }, () => u32(r));
      if (r() < 0.7) base[0] = ((0x2000 << 16) | (base[0]! & 0x1fffffff)) >>> 0; // mostly in 2000::/3
      len = Math.floor(r() * 129);
    } else {
      // Nested: extend an existing prefix by random bits (or repeat it exactly).
      const parent = table[Math.floor(r() * table.length)]!;
      len = Math.min(128, parent.len + Math.floor(r() * 24));
      base = Uint32Array.from(parent.w);
      const noise = Uint32Array.from({ length: 4 }, () => u32(r));
      for (let j = 0; j < 4; j++) {
        const c = parent.len - 32 * j;
        const keep = c <= 0 ? 0 : c >= 32 ? 0xffffffff : (0xffffffff << (32 - c)) >>> 0;
        base[j] = ((base[j]! & keep) | (noise[j]! & ~keep)) >>> 0;
      }
    }
    table.push({ w: mask6(base, len), len, value: table.length });
  }
  // Host routes at both ends of the space.
  table.push({ w: new Uint32Array(4), len: 128, value: table.length });
  table.push({ w: new Uint32Array([0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff]), len: 128, value: table.length });
  return table;
}

const SCHEDULES6: [string, LpmOptions][] = [
  ['16 + 14x8 packed (default)', {}],
  ['16 + 14x8 plain', { packed: false }],
  ['16 + 28x4 packed', { strides: [16, ...new Array<number>(28).fill(4)] }],
  ['irregular', { strides: [12, 4, 8, 8, 12, 4, 6, 10, 8, 8, 8, 8, 2, 6, 1, 1, 6, 8, 8] }],
];

describe('Lpm6 against a linear scan on synthetic nested tables', () => {
  for (const withDefault of [true, false]) {
    const table = synth6(withDefault ? 61 : 62, 2500, withDefault);
    const r = mulberry32(withDefault ? 5 : 6);
    const probes: Uint32Array[] = [];
    for (let i = 0; i < 4000; i++) probes.push(Uint32Array.from({ length: 4 }, () => u32(r)));
    for (let i = 0; i < 8000; i++) {
      const p = table[Math.floor(r() * table.length)]!;
      const noise = Uint32Array.from({ length: 4 }, () => u32(r));
      const inside = new Uint32Array(4);
      const last = lastOf(p);
      for (let k = 0; k < 4; k++) inside[k] = (p.w[k]! | (noise[k]! & (last[k]! ^ p.w[k]!))) >>> 0;
      probes.push(inside);
    }
    for (const p of table) {
      const last = lastOf(p);
      probes.push(p.w, last, step(p.w, -1), step(last, 1));
    }
    const expected = probes.map((a) => scan6(table, a));

    for (const [name, opts] of SCHEDULES6) {
      it(`${name}, ${withDefault ? 'with' : 'without'} ::/0: ${probes.length} probes, shuffled insertion`, () => {
        // Shuffle, but keep duplicates of the same prefix in their original relative order
        // (the later insert wins, as in the scan).
        const rr = mulberry32(99);
        const order = table.map((p, i) => ({ i, key: rr() }));
        const firstSeen = new Map<string, number>();
        for (const o of order) {
          const k = `${table[o.i]!.w.join('.')}/${table[o.i]!.len}`;
          const f = firstSeen.get(k);
          if (f === undefined) firstSeen.set(k, o.key); else o.key = f + o.i * 1e-9;
        }
        order.sort((x, y) => x.key - y.key || x.i - y.i);
        const t = new Lpm6(opts);
        for (const { i } of order) t.insert(table[i]!.w, table[i]!.len, table[i]!.value);
        const got = probes.map((a) => t.lookup6(a[0]!, a[1]!, a[2]!, a[3]!));
        const bad: string[] = [];
        for (let i = 0; i < probes.length && bad.length < 5; i++) if (got[i] !== expected[i]) bad.push(`${[...probes[i]!].map((x) => x.toString(16))}: got ${got[i]} want ${expected[i]}`);
        expect(bad).toEqual([]);
        const flat = new Uint32Array(4 * probes.length);
        probes.forEach((a, i) => flat.set(a, 4 * i));
        const many = new Int32Array(probes.length);
        t.lookupManyWords(flat, many);
        expect([...many]).toEqual(got);
        for (let i = 0; i < 50; i++) expect(t.lookupWords(flat, 4 * i)).toBe(got[i]);
      });
    }
  }

  it('edge cases: ::/0, /128 host routes, nesting, equal prefixes, host bits', () => {
    const t = new Lpm6();
    expect(t.lookupWords(v6('2001:db8::1'), 0)).toBe(-1);
    t.insert(v6('::'), 0, 0);
    t.insert(v6('2001:db8::'), 32, 1);
    t.insert(v6('2001:db8:1::'), 48, 2);
    t.insert(v6('2001:db8:1:2::'), 64, 3);
    t.insert(v6('2001:db8:1:2::1'), 128, 4);
    t.insert(v6('2001:db8:1:2::ffff'), 127, 5);
    t.insert(v6('ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff'), 128, 6);
    t.insert(v6('2001:db8:ffff::'), 48, 7);
    t.insert(v6('2001:db8:ffff::'), 48, 8); // same prefix again: the last wins
    const q = (s: string): number => t.lookupWords(v6(s), 0);
    expect(q('::1')).toBe(0);
    expect(q('2001:db7:ffff:ffff:ffff:ffff:ffff:ffff')).toBe(0);
    expect(q('2001:db8::')).toBe(1);
    expect(q('2001:db8:0:ffff::')).toBe(1);
    expect(q('2001:db8:1::')).toBe(2);
    expect(q('2001:db8:1:2::')).toBe(3);
    expect(q('2001:db8:1:2::1')).toBe(4);
    expect(q('2001:db8:1:2::2')).toBe(3);
    expect(q('2001:db8:1:2::fffe')).toBe(5);
    expect(q('2001:db8:1:2::ffff')).toBe(5);
    expect(q('2001:db8:1:2::1:0')).toBe(3);
    expect(q('2001:db8:1:3::')).toBe(2);
    expect(q('2001:db8:ffff:1::')).toBe(8);
    expect(q('2001:db9::')).toBe(0);
    expect(q('ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff')).toBe(6);
    expect(q('ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe')).toBe(0);
    const u = new Lpm6();
    u.insert(v6('2001:db8::dead:beef'), 32, 9, 0); // host bits ignored
    expect(u.lookupWords(v6('2001:db8:1::'), 0)).toBe(9);
    const buf = new Uint32Array([7, 7, ...v6('2001:db8::'), 7]);
    const w2 = new Lpm6();
    w2.insert(buf, 32, 3, 2); // offset form
    expect(w2.lookup6(0x20010db8, 5, 5, 5)).toBe(3);
    expect(() => w2.insert(buf, 129, 1, 2)).toThrow(RangeError);
  });
});

// ---------------------------------------------------------------------------
// pfx2as / IPASN-DAT reading
// ---------------------------------------------------------------------------

describe('pfx2as reader', () => {
  it('parses the origin field: multi-origin, AS sets, both', () => {
    expect(parseOrigins('56203')).toEqual([[56203]]);
    expect(parseOrigins('133741_133948')).toEqual([[133741], [133948]]);
    expect(parseOrigins('40179,65602')).toEqual([[40179, 65602]]);
    expect(parseOrigins('47794_47794,48695')).toEqual([[47794], [47794, 48695]]);
    expect(parseOrigins('4294967295')).toEqual([[4294967295]]);
    for (const bad of ['', '_', '1_', '_1', '1,,2', '1,', '4294967296', 'AS1', '1.5', '-1', '1 2', '12345678901']) expect(parseOrigins(bad), bad).toBeNull();
    expect(originsKey([[47794], [47794, 48695]])).toBe('47794_47794,48695');
  });

  it('reads the real RouteViews file: counts, multi-origin and AS-set lines', async () => {
    const { entries, sum } = await readAll(PFX2AS);
    expect(sum).toMatchObject({ format: 'pfx2as', gzip: true, lines: 694682, entries: 694682, v4: 694682, v6: 0, skipped: 0, anomalyCount: 0 });
    const byPrefix = new Map(entries.map((e) => [`${e.prefix}/${e.length}`, e]));
    expect(byPrefix.get('1.0.4.0/24')?.origins).toEqual([[56203]]);
    expect(byPrefix.get('1.3.33.0/24')?.origins).toEqual([[133741], [133948]]);
    expect(byPrefix.get('8.41.202.0/24')?.origins).toEqual([[40179, 65602]]);
    expect(byPrefix.get('37.99.128.0/19')?.origins).toEqual([[47794], [47794, 48695]]);
    expect(byPrefix.get('37.142.0.0/17')?.origins).toEqual([[21450], [21450, 65000, 65024, 65486, 65500, 65535]]);
    expect(byPrefix.get('1.3.33.0/24')).toMatchObject({ family: 4, line: expect.any(Number) });
    expect([...byPrefix.get('8.41.202.0/24')!.words]).toEqual([v4('8.41.202.0')]);
    // The manifest's counts: 7,093 multi-origin lines, 82 AS-set lines, 46 with both.
    const multi = entries.filter((e) => e.origins.length > 1).length;
    const asSet = entries.filter((e) => e.origins.some((s) => s.length > 1)).length;
    const both = entries.filter((e) => e.origins.length > 1 && e.origins.some((s) => s.length > 1)).length;
    expect([multi, asSet, both]).toEqual([7093, 82, 46]);
    // Line numbers are 1-based file lines.
    expect(entries[0]).toMatchObject({ line: 1, prefix: '1.0.4.0', length: 24 });
  });

  it('plain and gzip input give the same entries', async () => {
    const text = ['1.0.4.0\t24\t56203', '1.3.33.0\t24\t133741_133948', '2001:200::\t32\t2500', ''].join('\n');
    const plain = await readAll(Buffer.from(text));
    const gz = await readAll(gzipSync(Buffer.from(text)));
    expect(plain.sum.gzip).toBe(false);
    expect(gz.sum.gzip).toBe(true);
    expect(gz.entries).toEqual(plain.entries);
    expect(plain.entries.map((e) => [e.family, e.length])).toEqual([[4, 24], [4, 24], [6, 32]]);
    expect([...plain.entries[2]!.words]).toEqual([0x20010200, 0, 0, 0]);
  });

  it('streams byte chunks split anywhere, including inside the gzip magic and a UTF-8 sequence', async () => {
    const gz = gzipSync(Buffer.from('1.0.4.0\t24\t56203\n1.0.5.0\t24\t56203\n'));
    async function* oneByte(): AsyncGenerator<Uint8Array> { for (const b of gz) yield Uint8Array.of(b); }
    const got: Pfx2asEntry[] = [];
    const sum = await readPfx2as(oneByte(), (e) => got.push(e));
    expect(sum).toMatchObject({ gzip: true, entries: 2 });
    const bytes = Buffer.from('1.0.4.0\t24\t56203\n1.2.3.0\t24\tAS\u00e9\n');
    async function* split(): AsyncGenerator<Uint8Array> { for (let i = 0; i < bytes.length; i += 3) yield bytes.subarray(i, i + 3); }
    const s2 = await readPfx2as(split(), () => {});
    expect(s2.entries).toBe(1);
    expect(s2.anomalies).toEqual([{ line: 2, kind: 'bad-asn', text: '1.2.3.0\t24\tAS\u00e9' }]);
  });

  it('a truncated or corrupt gzip stream and a missing file reject', async () => {
    const gz = gzipSync(Buffer.from('1.0.4.0\t24\t56203\n'.repeat(1000)));
    await expect(readPfx2as(gz.subarray(0, gz.length - 20), () => {})).rejects.toThrow();
    const bad = Buffer.from(gz); bad[20] ^= 0xff; bad[21] ^= 0xff;
    await expect(readPfx2as(bad, () => {})).rejects.toThrow();
    await expect(readPfx2as('/nonexistent/pfx2as.gz', () => {})).rejects.toThrow(/ENOENT/);
  });

  it('counts bad lines as anomalies with line numbers, keeps the good ones', async () => {
    const text = [
      '1.0.4.0\t24\t56203', // 1 ok
      '1.0.5.0\t33\t56203', // 2 length over 32
      '2001:db8::\t129\t64496', // 3 length over 128
      '2001:db8::\t128\t64496', // 4 ok (IPv6 host route)
      '1.0.256.0\t24\t1', // 5 bad address
      '1.0.6.0\t24\t12x', // 6 bad asn
      '1.0.7.0\t24', // 7 field missing
      '1.0.8.0\t24\t1__2', // 8 empty origin
      '', // 9 blank
      '1.0.9.1\t24\t7', // 10 host bits: kept, noted
      '1.0.10.0\t-1\t7', // 11 bad length
      '1.0.11.0/24\t7', // 12 IPASN line in a pfx2as file
      '1.0.12.0\t24\t4294967296', // 13 ASN over 32 bits
      '1.0.13.0\t24\t65536\r', // 14 CRLF: ok
    ].join('\n');
    const { entries, sum } = await readAll(Buffer.from(text));
    expect(entries.map((e) => e.line)).toEqual([1, 4, 10, 14]);
    expect(sum.anomalies.map((a) => [a.line, a.kind])).toEqual([
      [2, 'bad-length'], [3, 'bad-length'], [5, 'bad-prefix'], [6, 'bad-asn'], [7, 'bad-fields'], [8, 'bad-asn'],
      [10, 'host-bits'], [11, 'bad-length'], [12, 'mixed-format'], [13, 'bad-asn'],
    ]);
    expect(sum).toMatchObject({ lines: 14, entries: 4, v4: 3, v6: 1, skipped: 1, anomalyCount: 10, format: 'pfx2as' });
    expect(sum.anomalies[0]!.text).toBe('1.0.5.0\t33\t56203');
    const capped = await readPfx2as(Buffer.from(text), () => {}, { maxAnomalies: 2 });
    expect([capped.anomalyCount, capped.anomalies.length]).toEqual([10, 2]);
  });

  it('reads pyasn IPASN-DAT (detected from the first data line)', async () => {
    expect(detectFormat('1.0.0.0/30\t1')).toBe('ipasn');
    expect(detectFormat('1.0.0.0\t30\t1')).toBe('pfx2as');
    const { entries, sum } = await readAll(IPASN);
    // 5 comment lines, 5 data lines, 2 blank lines at the end.
    expect(sum).toMatchObject({ format: 'ipasn', gzip: false, lines: 12, entries: 5, skipped: 7, anomalyCount: 0 });
    expect(entries.map((e) => `${e.prefix}/${e.length} ${originsKey(e.origins)}`)).toEqual([
      '1.0.0.0/30 1', '1.0.0.0/24 2', '2.0.0.0/24 3', '3.0.0.0/8 4', '3.0.0.0/9 5',
    ]);
    expect(entries[0]!.line).toBe(6);
    const t = await loadOriginTables(IPASN);
    const origin = (a: string): number[][] | null => { const i = t.v4.lookup(v4(a)); return i < 0 ? null : t.originSets[i]!; };
    expect(origin('1.0.0.3')).toEqual([[1]]);
    expect(origin('1.0.0.4')).toEqual([[2]]);
    expect(origin('3.1.2.3')).toEqual([[5]]);
    expect(origin('3.128.0.0')).toEqual([[4]]);
    expect(origin('2.0.1.0')).toBeNull();
    // IPASN with IPv6, a bad length and a pfx2as-form line.
    const mixed = await readAll(Buffer.from('; c\n2001:db8::/32\t64496\n10.0.0.0/40\t1\n10.0.0.0\t8\t1\n10.0.0.0/8\t1\t2\n'));
    expect(mixed.entries.map((e) => [e.family, e.length])).toEqual([[6, 32]]);
    expect(mixed.sum.anomalies.map((a) => [a.line, a.kind])).toEqual([[3, 'bad-length'], [4, 'mixed-format'], [5, 'bad-fields']]);
  });

  it('parsePfx2asLine accepts space-separated fields too', () => {
    const r = parsePfx2asLine('1.0.4.0 24 56203', 3, 'pfx2as');
    expect(typeof r).toBe('object');
    if (typeof r === 'object') expect(r.entry).toMatchObject({ line: 3, prefix: '1.0.4.0', length: 24, origins: [[56203]] });
  });

  it('loadOriginTables interns origin sets and fills both families', async () => {
    const text = '1.0.0.0\t8\t1_2\n1.2.0.0\t16\t1_2\n1.2.3.0\t24\t3,4\n2001:db8::\t32\t1_2\n2001:db8:1::\t48\t5\n';
    const t = await loadOriginTables(gzipSync(Buffer.from(text)));
    expect(t.originSets).toEqual([[[1], [2]], [[3, 4]], [[5]]]);
    expect(t.v4.lookup(v4('1.2.3.4'))).toBe(1);
    expect(t.v4.lookup(v4('1.2.4.4'))).toBe(0);
    expect(t.v6.lookupWords(v6('2001:db8:1::5'), 0)).toBe(2);
    expect(t.v6.lookupWords(v6('2001:db8:2::5'), 0)).toBe(0);
    expect(t.summary.entries).toBe(5);
  });

  it('the gzip file and its gunzipped bytes agree', async () => {
    const raw = gunzipSync(readFileSync(PFX2AS)).subarray(0, 200_000);
    const cut = raw.subarray(0, raw.lastIndexOf(0x0a) + 1);
    const a = await readAll(cut);
    const b = await readAll(gzipSync(cut));
    expect(a.sum.entries).toBeGreaterThan(8000);
    expect(b.entries).toEqual(a.entries);
  });
});
