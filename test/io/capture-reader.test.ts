import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { readCapture } from '../../src/io/capture-reader.js';
import { cat, epb, fill, idb, isb, pcapFile, shb } from '../helpers/bytes.js';
import { Collect } from './collect.js';

const dir = mkdtempSync(join(tmpdir(), 'onpath-io-'));
let n = 0;
function file(bytes: Uint8Array): string {
  const p = join(dir, `f${n++}`);
  writeFileSync(p, bytes);
  return p;
}

const pcap = pcapFile({ linktype: 1, snaplen: 1600 }, [{ sec: 1, frac: 2, data: fill(60) }, { sec: 3, frac: 4, data: fill(70, 5), orig: 1514 }]);
const ng = cat(shb(false), idb(false, 101, 2000), idb(false, 1), epb(false, 1, 9_000001n, fill(44)), isb(false, 0, { 4: 12n, 5: 2n }));

describe('readCapture', () => {
  it('a classic pcap file', async () => {
    const sink = new Collect();
    const r = await readCapture(file(pcap), sink);
    expect(r).toMatchObject({ format: 'pcap', linktypes: [1], snaplen: 1600, consumed: pcap.length, size: pcap.length, status: 'complete', error: null });
    expect(r.sha256).toBe(createHash('sha256').update(pcap).digest('hex'));
    expect(sink.pkts.map((p) => [p.sec, p.ns, p.caplen, p.wire, p.offset])).toEqual([[1, 2000, 60, 60, 24], [3, 4000, 70, 1514, 100]]);
  });

  it('a pcapng file: link types, snaplen, ISB counters', async () => {
    const sink = new Collect();
    const r = await readCapture(file(ng), sink);
    expect(r).toMatchObject({ format: 'pcapng', linktypes: [101, 1], snaplen: 2000, status: 'complete', consumed: ng.length });
    expect(r.isb).toEqual({ ifRecv: 12, ifDrop: 2, filterAccept: null, osDrop: null, usrDeliv: null });
    expect(sink.pkts.map((p) => [p.linktype, p.sec, p.ns])).toEqual([[1, 9, 1000]]);
  });

  it('gzip: same packets, format +gzip, size counts compressed bytes', async () => {
    const gz = gzipSync(pcap);
    const sink = new Collect();
    const r = await readCapture(file(gz), sink);
    expect(r).toMatchObject({ format: 'pcap+gzip', status: 'complete', consumed: pcap.length, size: gz.length });
    expect(sink.pkts).toHaveLength(2);
  });

  it('a record cut at the end: truncated, whole records kept', async () => {
    const sink = new Collect();
    const r = await readCapture(file(pcap.subarray(0, pcap.length - 10)), sink);
    expect(r).toMatchObject({ status: 'truncated', consumed: 100, errorOffset: 100 });
    expect(sink.pkts).toHaveLength(1);
  });

  it('not a capture, empty, too short', async () => {
    expect(await readCapture(file(new TextEncoder().encode('hello world, not a capture\n')), new Collect())).toMatchObject({ status: 'failed', errorOffset: 0 });
    expect(await readCapture(file(new Uint8Array(0)), new Collect())).toMatchObject({ status: 'failed', error: 'empty file' });
    expect(await readCapture(file(pcap.subarray(0, 3)), new Collect())).toMatchObject({ status: 'failed' });
    const short = await readCapture(file(pcap.subarray(0, 20)), new Collect());
    expect(short).toMatchObject({ consumed: 0, errorOffset: 0 });
    expect(short.error).toMatch(/file header/);
  });

  it('a corrupt pcapng block: failed with the offset', async () => {
    const bad = Uint8Array.from(ng);
    new DataView(bad.buffer).setUint32(bad.length - 4, 8, false);
    const r = await readCapture(file(bad), new Collect());
    expect(r).toMatchObject({ status: 'failed', errorOffset: bad.length - 4 });
  });
});
