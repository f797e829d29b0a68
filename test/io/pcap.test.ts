import { describe, expect, it } from 'vitest';
import { CaptureError } from '../../src/io/capture-error.js';
import { PcapParser, isPcapMagic } from '../../src/io/pcap.js';
import { cat, fill, pcapFile, pcapHeader, pcapRecord } from '../helpers/bytes.js';
import { Collect, feed } from './collect.js';

const A = fill(60, 0x10), B = fill(42, 0x80);

function parse(file: Uint8Array) {
  const sink = new Collect();
  const parser = new PcapParser(sink);
  const r = feed(parser, file);
  return { sink, parser, ...r };
}

describe('classic pcap header', () => {
  for (const le of [true, false]) {
    const order = le ? 'little' : 'big';

    it(`${order}-endian µs: packets, times, lengths, record offsets`, () => {
      const file = pcapFile({ le, linktype: 1, snaplen: 262144 }, [
        { sec: 1700000000, frac: 123456, data: A },
        { sec: 1700000001, frac: 999999, data: B, orig: 1514 },
      ]);
      const { sink, parser, consumed, leftover } = parse(file);
      expect([consumed, leftover]).toEqual([file.length, 0]);
      expect(parser.format).toBe('pcap');
      expect(parser.linktypes()).toEqual([1]);
      expect(parser.snaplen()).toBe(262144);
      expect(sink.pkts).toEqual([
        { data: A, caplen: 60, wire: 60, sec: 1700000000, ns: 123456000, linktype: 1, offset: 24 },
        { data: B, caplen: 42, wire: 1514, sec: 1700000001, ns: 999999000, linktype: 1, offset: 24 + 16 + 60 },
      ]);
      expect(sink.anomalies).toEqual([]);
    });

    it(`${order}-endian ns magic`, () => {
      const file = pcapFile({ le, ns: true, linktype: 101 }, [{ sec: 5, frac: 999999999, data: A }, { sec: 6, frac: 1, data: B }]);
      const { sink, parser } = parse(file);
      expect(parser.format).toBe('pcap-ns');
      expect(parser.linktypes()).toEqual([101]);
      expect(sink.pkts.map((p) => [p.sec, p.ns, p.linktype])).toEqual([[5, 999999999, 101], [6, 1, 101]]);
    });
  }

  it('the magic is recognised in all four forms, nothing else', () => {
    for (const h of [pcapHeader({ linktype: 1 }), pcapHeader({ linktype: 1, le: false }), pcapHeader({ linktype: 1, ns: true }), pcapHeader({ linktype: 1, ns: true, le: false })]) {
      expect(isPcapMagic(new DataView(h.buffer), 0)).toBe(true);
    }
    expect(isPcapMagic(new DataView(new Uint8Array([0x0a, 0x0d, 0x0d, 0x0a]).buffer), 0)).toBe(false);
  });

  it('FCS bits in the link-type field do not change the link type', () => {
    // FCS length 2 (16-bit words) in bits 29-31, F flag bit 28, link type 1 in the low 16 bits.
    for (const le of [true, false]) {
      const { sink, parser } = parse(pcapFile({ le, linktype: ((2 << 29) | (1 << 28) | 1) >>> 0 }, [{ sec: 1, frac: 0, data: A }]));
      expect(parser.linktypes()).toEqual([1]);
      expect(parser.fcsLength()).toBe(4);
      expect(sink.pkts[0].linktype).toBe(1);
    }
    const noF = parse(pcapFile({ linktype: ((2 << 29) | 113) >>> 0 }, [{ sec: 1, frac: 0, data: A }]));
    expect(noF.parser.linktypes()).toEqual([113]);
    expect(noF.parser.fcsLength()).toBe(0);
  });

  it('an unsupported major version is a CaptureError at offset 4', () => {
    const err = (() => { try { parse(pcapFile({ linktype: 1, major: 3 }, [])); } catch (e) { return e; } })();
    expect(err).toBeInstanceOf(CaptureError);
    expect((err as CaptureError).offset).toBe(4);
  });

  it('fewer than 24 bytes: nothing consumed yet', () => {
    const sink = new Collect();
    const parser = new PcapParser(sink);
    const h = pcapHeader({ linktype: 1 });
    expect(parser.parse(h, new DataView(h.buffer), 0, 23, 0)).toBe(0);
    expect(parser.linktypes()).toEqual([]);
    expect(parser.snaplen()).toBeNull();
  });
});

describe('classic pcap records', () => {
  it('caplen above the original length: anomaly, wire length raised to caplen', () => {
    const { sink } = parse(pcapFile({ linktype: 1 }, [{ sec: 1, frac: 0, data: A, orig: 50 }]));
    expect(sink.anomalies).toEqual([{ kind: 'caplen_gt_wirelen', offset: 24 }]);
    expect([sink.pkts[0].caplen, sink.pkts[0].wire]).toEqual([60, 60]);
  });

  it('caplen above the snaplen: anomaly, packet still delivered', () => {
    const { sink } = parse(pcapFile({ linktype: 1, snaplen: 40 }, [{ sec: 1, frac: 0, data: A }]));
    expect(sink.anomalies).toEqual([{ kind: 'caplen_gt_snaplen', offset: 24 }]);
    expect(sink.pkts).toHaveLength(1);
  });

  it('a caplen beyond any snaplen is a corrupt record header (CaptureError at the record)', () => {
    const rec = pcapRecord({ sec: 1, frac: 0, data: A });
    new DataView(rec.buffer).setUint32(8, 0x7fffffff, true);
    const file = cat(pcapHeader({ linktype: 1, snaplen: 65535 }), pcapRecord({ sec: 1, frac: 0, data: B }), rec);
    try {
      parse(file);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(CaptureError);
      expect((e as CaptureError).offset).toBe(24 + 16 + 42);
    }
  });

  it('a microsecond fraction of a second or more is carried into the seconds', () => {
    const { sink } = parse(pcapFile({ linktype: 1 }, [{ sec: 10, frac: 2500000, data: A }]));
    expect([sink.pkts[0].sec, sink.pkts[0].ns]).toEqual([12, 500000000]);
  });

  it('a zero-length record', () => {
    const { sink, consumed } = parse(pcapFile({ linktype: 1 }, [{ sec: 1, frac: 0, data: [] }, { sec: 2, frac: 0, data: A }]));
    expect(sink.pkts.map((p) => p.caplen)).toEqual([0, 60]);
    expect(consumed).toBe(24 + 16 + 16 + 60);
  });

  it('a record cut at the end is left unconsumed', () => {
    const file = pcapFile({ linktype: 1 }, [{ sec: 1, frac: 0, data: A }, { sec: 2, frac: 0, data: B }]);
    const { sink, consumed, leftover } = parse(file.subarray(0, file.length - 5));
    expect(sink.pkts).toHaveLength(1);
    expect([consumed, leftover]).toEqual([24 + 16 + 60, 16 + 42 - 5]);
  });
});
