import { describe, expect, it } from 'vitest';
import { CaptureError } from '../../src/io/capture-error.js';
import { PcapngParser } from '../../src/io/pcapng.js';
import { W, cat, epb, fill, idb, isb, ngBlock, ngEnd, ngOpt, pb, shb, spb, tsoffset, tsresol } from '../helpers/bytes.js';
import { Collect, feed } from './collect.js';

const A = fill(60, 0x10), B = fill(42, 0x80), C = fill(7, 0xc0);

function parse(file: Uint8Array) {
  const sink = new Collect();
  const parser = new PcapngParser(sink);
  const r = feed(parser, file);
  return { sink, parser, ...r };
}

function captureError(file: Uint8Array): CaptureError {
  try { parse(file); } catch (e) { if (e instanceof CaptureError) return e; throw e; }
  throw new Error('no CaptureError');
}

describe('pcapng sections and interfaces', () => {
  for (const le of [true, false]) {
    it(`${le ? 'little' : 'big'}-endian section, default µs resolution`, () => {
      const file = cat(shb(le), idb(le, 1, 65535), epb(le, 0, 1700000000123456n, A), epb(le, 0, 1700000001000001n, B, 1514));
      const { sink, parser, consumed } = parse(file);
      expect(consumed).toBe(file.length);
      expect(parser.format).toBe('pcapng');
      expect(parser.linktypes()).toEqual([1]);
      expect(parser.snaplen()).toBe(65535);
      const off1 = 28 + 20;
      expect(sink.pkts).toEqual([
        { data: A, caplen: 60, wire: 60, sec: 1700000000, ns: 123456000, linktype: 1, offset: off1 },
        { data: B, caplen: 42, wire: 1514, sec: 1700000001, ns: 1000, linktype: 1, offset: off1 + 32 + 60 },
      ]);
      expect(sink.anomalies).toEqual([]);
    });
  }

  it('several sections of different byte order; interface ids restart per section', () => {
    const file = cat(
      shb(true), idb(true, 1), epb(true, 0, 1_000_000n, A),
      shb(false), idb(false, 101), idb(false, 113), epb(false, 1, 2_000_000n, B), epb(false, 0, 3_000_000n, C),
      shb(true), idb(true, 276), epb(true, 0, 4_000_000n, A),
    );
    const { sink, parser, consumed } = parse(file);
    expect(consumed).toBe(file.length);
    expect(sink.pkts.map((p) => [p.linktype, p.sec, p.caplen])).toEqual([[1, 1, 60], [113, 2, 42], [101, 3, 7], [276, 4, 60]]);
    expect(parser.linktypes()).toEqual([1, 101, 113, 276]);
  });

  it('an interface id not described in this section: unknown_interface_id, no packet', () => {
    const file = cat(shb(true), idb(true, 1), idb(true, 1), shb(true), idb(true, 1), epb(true, 1, 0n, A));
    const { sink } = parse(file);
    expect(sink.pkts).toEqual([]);
    expect(sink.anomalies.map((a) => a.kind)).toEqual(['unknown_interface_id']);
  });

  it('snaplen() is the largest interface snaplen', () => {
    const { parser } = parse(cat(shb(true), idb(true, 1, 128), idb(true, 1, 9000), idb(true, 1, 0)));
    expect(parser.snaplen()).toBe(9000);
  });

  it('EPB options after the packet data are skipped', () => {
    const opts = cat(ngOpt(true, 2, [0, 0, 0, 1]), ngOpt(true, 1, [...'hello'].map((c) => c.charCodeAt(0))), ngEnd(true));
    const { sink } = parse(cat(shb(true), idb(true, 1), epb(true, 0, 5n, C, 7, opts), epb(true, 0, 6n, A)));
    expect(sink.pkts.map((p) => p.data)).toEqual([C, A]);
  });

  it('EPB wire length below caplen: caplen_gt_wirelen, wire raised to caplen', () => {
    const { sink } = parse(cat(shb(true), idb(true, 1), epb(true, 0, 0n, A, 20)));
    expect(sink.anomalies.map((a) => a.kind)).toEqual(['caplen_gt_wirelen']);
    expect([sink.pkts[0].caplen, sink.pkts[0].wire]).toEqual([60, 60]);
  });

  it('unknown and unhandled block types are skipped by their length', () => {
    const nrb = ngBlock(true, 4, cat(new W(true).u16(1).u16(8).done(), [192, 0, 2, 1, 0x61, 0, 0, 0], ngEnd(true)));
    const custom = ngBlock(true, 0x00000bad, cat(new W(true).u32(32473).done(), fill(13)));
    const dsb = ngBlock(true, 0x0000000a, fill(20));
    const file = cat(shb(true), nrb, idb(true, 1), custom, epb(true, 0, 1n, A), dsb, ngBlock(true, 0x40000bad, fill(4)), epb(true, 0, 2n, B));
    const { sink, consumed } = parse(file);
    expect(consumed).toBe(file.length);
    expect(sink.pkts.map((p) => p.data)).toEqual([A, B]);
  });
});

describe('pcapng timestamps', () => {
  const one = (le: boolean, opts: Uint8Array, ts: bigint) => {
    const { sink } = parse(cat(shb(le), idb(le, 1, 0, cat(opts, ngEnd(le))), epb(le, 0, ts, A)));
    return [sink.pkts[0].sec, sink.pkts[0].ns];
  };

  it('if_tsresol 9: nanoseconds', () => {
    expect(one(true, tsresol(true, 9), 1700000000_123456789n)).toEqual([1700000000, 123456789]);
    expect(one(false, tsresol(false, 9), 1700000000_000000001n)).toEqual([1700000000, 1]);
  });

  it('if_tsresol 3: milliseconds; 0: seconds; 6: microseconds', () => {
    expect(one(true, tsresol(true, 3), 1700000000_250n)).toEqual([1700000000, 250000000]);
    expect(one(true, tsresol(true, 0), 1700000000n)).toEqual([1700000000, 0]);
    expect(one(true, tsresol(true, 6), 1_000001n)).toEqual([1, 1000]);
  });

  it('if_tsresol 0x80|20: 2^-20 s', () => {
    const ts = (1700000000n << 20n) + (1n << 19n) + 1n; // + 0.5 s + one unit (953.67 ns)
    expect(one(true, tsresol(true, 0x80 | 20), ts)).toEqual([1700000000, 500000953]);
  });

  it('if_tsoffset adds whole seconds, negative too', () => {
    expect(one(true, tsoffset(true, 1000n), 5_000007n)).toEqual([1005, 7000]);
    expect(one(false, cat(tsresol(false, 9), tsoffset(false, 1700000000n)), 1_5n)).toEqual([1700000000, 15]);
    expect(one(true, tsoffset(true, -5n), 100_000000n)).toEqual([95, 0]);
  });

  it('each interface has its own resolution', () => {
    const file = cat(shb(true), idb(true, 1, 0, cat(tsresol(true, 9), ngEnd(true))), idb(true, 101, 0, cat(tsresol(true, 3), ngEnd(true))),
      epb(true, 1, 2500n, A), epb(true, 0, 2500n, B));
    const { sink } = parse(file);
    expect(sink.pkts.map((p) => [p.linktype, p.sec, p.ns])).toEqual([[101, 2, 500000000], [1, 0, 2500]]);
  });
});

describe('simple and obsolete packet blocks', () => {
  it('SPB caplen is min(wire length, snaplen, room in the block)', () => {
    const file = cat(shb(true), idb(true, 1, 40),
      spb(true, 100, fill(100)), // snaplen wins: 40
      spb(true, 30, fill(30)), // wire wins: 30 (block room is 32 after padding)
    );
    const { sink } = parse(file);
    expect(sink.pkts.map((p) => [p.caplen, p.wire])).toEqual([[40, 100], [30, 30]]);
    expect(sink.pkts[0].data).toEqual(fill(40));
  });

  it('SPB with no snaplen: the room in the block bounds caplen', () => {
    const { sink } = parse(cat(shb(false), idb(false, 1, 0), spb(false, 1500, fill(64))));
    expect(sink.pkts.map((p) => [p.caplen, p.wire])).toEqual([[64, 1500]]);
  });

  it("SPB takes the previous packet's timestamp and interface 0's link type", () => {
    const file = cat(shb(true), idb(true, 1), idb(true, 101), epb(true, 1, 7_000123n, A), spb(true, 7, C));
    const { sink } = parse(file);
    expect(sink.pkts.map((p) => [p.linktype, p.sec, p.ns, p.caplen])).toEqual([[101, 7, 123000, 60], [1, 7, 123000, 7]]);
  });

  it('SPB before any interface: unknown_interface_id', () => {
    const { sink } = parse(cat(shb(true), spb(true, 7, C)));
    expect(sink.pkts).toEqual([]);
    expect(sink.anomalies.map((a) => a.kind)).toEqual(['unknown_interface_id']);
  });

  it('obsolete packet block (type 2) with a 16-bit interface id', () => {
    const { sink } = parse(cat(shb(false), idb(false, 1), idb(false, 113), pb(false, 1, 3_000004n, B, 99)));
    expect(sink.pkts).toEqual([{ data: B, caplen: 42, wire: 99, sec: 3, ns: 4000, linktype: 113, offset: 28 + 20 + 20 }]);
  });
});

describe('interface statistics blocks', () => {
  it('last counters per interface, summed over interfaces', () => {
    const file = cat(shb(true), idb(true, 1), idb(true, 1),
      isb(true, 0, { 4: 10n, 5: 1n }), isb(true, 0, { 4: 25n, 5: 3n, 7: 2n }), isb(true, 1, { 4: 5n, 6: 4n, 8: 9n }));
    const { parser } = parse(file);
    expect(parser.isb()).toEqual({ ifRecv: 30, ifDrop: 3, filterAccept: 4, osDrop: 2, usrDeliv: 9 });
  });

  it('interface 0 of another section (other byte order) is another interface', () => {
    const file = cat(shb(true), idb(true, 1), isb(true, 0, { 4: 100n }), shb(false), idb(false, 1), isb(false, 0, { 4: 0x1_0000_0001n, 5: 7n }));
    const { parser } = parse(file);
    expect(parser.isb()).toEqual({ ifRecv: 100 + 0x1_0000_0001, ifDrop: 7, filterAccept: null, osDrop: null, usrDeliv: null });
  });

  it('a later ISB without a counter keeps the earlier value', () => {
    const { parser } = parse(cat(shb(true), idb(true, 1), isb(true, 0, { 4: 10n, 5: 2n }), isb(true, 0, { 4: 11n })));
    expect(parser.isb()).toMatchObject({ ifRecv: 11, ifDrop: 2 });
  });

  it('no ISB: all null', () => {
    const { parser } = parse(cat(shb(true), idb(true, 1)));
    expect(parser.isb()).toEqual({ ifRecv: null, ifDrop: null, filterAccept: null, osDrop: null, usrDeliv: null });
  });
});

describe('pcapng errors', () => {
  it('a first block that is not a section header', () => {
    expect(captureError(idb(true, 1)).offset).toBe(0);
  });

  it('a bad byte-order magic', () => {
    const s = shb(true);
    s[8] = 0;
    expect(captureError(s).offset).toBe(8);
  });

  it('a block length that is not a multiple of 4', () => {
    const b = cat(shb(true), idb(true, 1));
    new DataView(b.buffer).setUint32(28 + 4, 21, true);
    expect(captureError(b).offset).toBe(28 + 4);
  });

  it('a trailing length that does not match', () => {
    const b = cat(shb(true), idb(true, 1));
    new DataView(b.buffer).setUint32(b.length - 4, 24, true);
    expect(captureError(b).offset).toBe(b.length - 4);
  });

  it('an EPB caplen larger than its block', () => {
    const b = cat(shb(true), idb(true, 1), epb(true, 0, 0n, A));
    new DataView(b.buffer).setUint32(48 + 20, 61, true);
    expect(captureError(b).offset).toBe(48 + 20);
  });

  it('an IDB option running past its block', () => {
    const bad = cat(new W(true).u16(9).u16(40).done(), [9]);
    expect(captureError(cat(shb(true), idb(true, 1, 0, bad))).offset).toBe(28 + 16 + 2);
  });
});
