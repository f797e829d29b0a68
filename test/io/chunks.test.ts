import { describe, expect, it } from 'vitest';
import type { FormatParser } from '../../src/io/format.js';
import { PcapParser } from '../../src/io/pcap.js';
import { PcapngParser } from '../../src/io/pcapng.js';
import type { PacketSink } from '../../src/io/packet-sink.js';
import { cat, epb, fill, idb, isb, ngBlock, ngEnd, pb, pcapFile, shb, spb, tsresol } from '../helpers/bytes.js';
import { Collect, feed } from './collect.js';

/** Everything a parser reported after reading `file` cut at `cuts`. */
function run(make: (s: PacketSink) => FormatParser, file: Uint8Array, cuts: number[]) {
  const sink = new Collect();
  const parser = make(sink);
  const r = feed(parser, file, cuts);
  return { pkts: sink.pkts, anomalies: sink.anomalies, isb: parser.isb(), linktypes: parser.linktypes(), snaplen: parser.snaplen(), ...r };
}

/** Every single cut, then every fixed chunk size from 1 to 17 bytes. */
function cutPlans(len: number): number[][] {
  const plans: number[][] = [];
  for (let k = 1; k < len; k++) plans.push([k]);
  for (let size = 1; size <= 17; size++) {
    const cuts: number[] = [];
    for (let k = size; k < len; k += size) cuts.push(k);
    plans.push(cuts);
  }
  return plans;
}

function checkAllCuts(make: (s: PacketSink) => FormatParser, file: Uint8Array, expectedPackets: number): void {
  const whole = run(make, file, []);
  expect(whole.pkts).toHaveLength(expectedPackets);
  expect([whole.consumed, whole.leftover]).toEqual([file.length, 0]);
  for (const cuts of cutPlans(file.length)) {
    const got = run(make, file, cuts);
    if (JSON.stringify(got) !== JSON.stringify(whole)) {
      expect(got, `cuts ${cuts.slice(0, 5).join(',')}${cuts.length > 5 ? ',...' : ''}`).toEqual(whole);
    }
  }
}

describe('records split across chunks', () => {
  it('classic pcap (little-endian µs), every cut', () => {
    const file = pcapFile({ linktype: 1, snaplen: 50 }, [
      { sec: 1, frac: 10, data: fill(60) },
      { sec: 2, frac: 20, data: [] },
      { sec: 3, frac: 30, data: fill(17, 3), orig: 10 },
      { sec: 4, frac: 40, data: fill(33, 9), orig: 1500 },
    ]);
    checkAllCuts((s) => new PcapParser(s), file, 4);
  });

  it('classic pcap (big-endian ns), every cut', () => {
    const file = pcapFile({ le: false, ns: true, linktype: 101 }, [
      { sec: 1, frac: 999999999, data: fill(41) }, { sec: 2, frac: 0, data: fill(3) }, { sec: 3, frac: 5, data: fill(20) },
    ]);
    checkAllCuts((s) => new PcapParser(s), file, 3);
  });

  it('pcapng with two sections of both byte orders, every block kind, every cut', () => {
    const file = cat(
      shb(true), idb(true, 1, 48, cat(tsresol(true, 9), ngEnd(true))), idb(true, 113),
      epb(true, 0, 1700000000_000000001n, fill(61)), ngBlock(true, 0xbad, fill(9)), spb(true, 90, fill(90, 1)),
      epb(true, 1, 5_000000n, fill(5, 2), 5), isb(true, 0, { 4: 3n, 5: 1n }), epb(true, 7, 0n, fill(4)),
      shb(false), idb(false, 276, 0, cat(tsresol(false, 0x80 | 10), ngEnd(false))),
      pb(false, 0, 2048n + 512n, fill(30, 3)), epb(false, 0, 1024n, fill(12, 4), 3), isb(false, 0, { 4: 0x1_0000_0000n }),
      spb(false, 2, fill(2, 5)),
    );
    checkAllCuts((s) => new PcapngParser(s), file, 6);
    const whole = run((s) => new PcapngParser(s), file, []);
    expect(whole.pkts.map((p) => [p.linktype, p.sec, p.ns, p.caplen, p.wire])).toEqual([
      [1, 1700000000, 1, 61, 61], [1, 1700000000, 1, 48, 90], [113, 5, 0, 5, 5],
      [276, 2, 500000000, 30, 30], [276, 1, 0, 12, 12], [276, 1, 0, 2, 2],
    ]);
    expect(whole.anomalies.map((a) => a.kind)).toEqual(['unknown_interface_id', 'caplen_gt_wirelen']);
    expect(whole.isb).toEqual({ ifRecv: 3 + 0x1_0000_0000, ifDrop: 1, filterAccept: null, osDrop: null, usrDeliv: null });
  });

  it('record offsets are stream offsets whatever the chunking', () => {
    const file = cat(shb(true), idb(true, 1), epb(true, 0, 0n, fill(10)), epb(true, 0, 0n, fill(10)));
    const got = run((s) => new PcapngParser(s), file, [30, 50, 77]);
    expect(got.pkts.map((p) => p.offset)).toEqual([48, 48 + 44]);
  });
});
