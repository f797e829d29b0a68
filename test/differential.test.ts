import { describe, expect, it } from 'vitest';
import * as pcapParser from 'pcap-parser';
import { corpusPath, manifest } from './helpers/corpus.js';
import { readCapture } from '../src/io/capture-reader.js';
import type { PacketSink } from '../src/io/packet-sink.js';

/** Our reader against pcap-parser, record by record, on every classic µs pcap of the corpus. */
type Rec = [sec: number, ns: number, caplen: number, wire: number];

function theirs(path: string): Promise<Rec[]> {
  return new Promise((resolve) => {
    const out: Rec[] = [];
    const p = pcapParser.parse(path);
    p.on('packet', (pkt: { header: { timestampSeconds: number; timestampMicroseconds: number; capturedLength: number; originalLength: number } }) => {
      const h = pkt.header;
      out.push([h.timestampSeconds, h.timestampMicroseconds * 1000, h.capturedLength, h.originalLength]);
    });
    p.on('error', () => { /* ends with what it had, like ours */ });
    p.on('end', () => resolve(out));
  });
}

async function ours(path: string): Promise<Rec[]> {
  const out: Rec[] = [];
  const sink: PacketSink = {
    packet(_b, _d, _o, caplen, wire, sec, ns) { out.push([sec, ns, caplen, wire]); },
    anomaly() { /* counted elsewhere */ },
  };
  await readCapture(path, sink);
  return out;
}

// pcap-parser accepts version 1.4 (its check needs major != 2 AND minor != 4); libpcap and onpath refuse it.
const PARSER_BUG = new Set(['libpcap-corrupt-pcap-invalid-version.pcap']);
const files = manifest().filter((r) => /^pcap-(le|be)-usec$/.test(r.format) && !PARSER_BUG.has(r.file)).map((r) => r.file);

describe('differential: same records as pcap-parser', () => {
  it('covers the classic µs pcaps of the corpus', () => { expect(files.length).toBeGreaterThan(30); });
  for (const f of files) {
    it(f, async () => {
      const [a, b] = await Promise.all([ours(corpusPath(f)), theirs(corpusPath(f))]);
      expect(a.length).toBe(b.length);
      expect(a).toEqual(b);
    });
  }
});
