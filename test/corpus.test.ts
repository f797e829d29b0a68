import { describe, expect, it } from 'vitest';
import { corpusPath, hasSidecar, manifest, readTsv } from './helpers/corpus.js';
import { ingestAll, rows } from './helpers/ingest.js';

/**
 * Every corpus capture with a flows.tsv sidecar: per (proto, canonical 5-tuple), our TCP and
 * UDP packet counts and wire bytes in each direction equal tshark's own dissection.
 */
interface Dir { pktsLH: number; bytesLH: number; ipLH: number; pktsHL: number; bytesHL: number; ipHL: number }

function canon(proto: string, a: string, ap: string, b: string, bp: string): { key: string; aIsLow: boolean } {
  const ea = `${a}|${ap === '-' ? '0' : ap}`, eb = `${b}|${bp === '-' ? '0' : bp}`;
  const aIsLow = ea <= eb;
  return { key: `${proto}|${aIsLow ? ea : eb}|${aIsLow ? eb : ea}`, aIsLow };
}

function add(m: Map<string, Dir>, key: string, aIsLow: boolean, pa: number, ba: number, ia: number, pb: number, bb: number, ib: number): void {
  const d = m.get(key) ?? { pktsLH: 0, bytesLH: 0, ipLH: 0, pktsHL: 0, bytesHL: 0, ipHL: 0 };
  if (aIsLow) { d.pktsLH += pa; d.bytesLH += ba; d.ipLH += ia; d.pktsHL += pb; d.bytesHL += bb; d.ipHL += ib; }
  else { d.pktsHL += pa; d.bytesHL += ba; d.ipHL += ia; d.pktsLH += pb; d.bytesLH += bb; d.ipLH += ib; }
  m.set(key, d);
}

const captures = manifest().filter((r) => hasSidecar(r.file, 'flows.tsv'));

describe('corpus: flows equal tshark per 5-tuple', () => {
  it('has captures to check', () => { expect(captures.length).toBeGreaterThan(40); });

  // Once as one range, once cut into 16 KiB ranges (the merge must keep every packet and byte).
  for (const [cap, rangeBytes] of captures.flatMap((c) => [[c, undefined], [c, 16384]] as const)) {
    it(`${cap.file}${rangeBytes ? ' (16 KiB ranges)' : ''}`, async () => {
      const ref = new Map<string, Dir>();
      for (const r of readTsv(corpusPath(`${cap.file}.flows.tsv`))) {
        if (r.proto !== '6' && r.proto !== '17') continue;
        const { key, aIsLow } = canon(r.proto, r.a_addr, r.a_port, r.b_addr, r.b_port);
        add(ref, key, aIsLow, +r.pkts_a2b, +r.bytes_a2b, +r.ip_bytes_a2b, +r.pkts_b2a, +r.bytes_b2a, +r.ip_bytes_b2a);
      }
      const { sink } = await ingestAll([corpusPath(cap.file)], {}, false, undefined, { rangeBytes });
      try {
        const got = new Map<string, Dir>();
        for (const f of await rows(sink, `SELECT proto, orig_addr, orig_port, resp_addr, resp_port, orig_pkts, orig_wire_bytes, orig_ip_bytes,
            resp_pkts, resp_wire_bytes, resp_ip_bytes FROM flows WHERE proto IN (6, 17)`)) {
          const { key, aIsLow } = canon(String(f.proto), String(f.orig_addr), String(f.orig_port), String(f.resp_addr), String(f.resp_port));
          add(got, key, aIsLow, Number(f.orig_pkts), Number(f.orig_wire_bytes), Number(f.orig_ip_bytes),
            Number(f.resp_pkts), Number(f.resp_wire_bytes), Number(f.resp_ip_bytes));
        }
        const strip = (m: Map<string, Dir>) => Object.fromEntries([...m].map(([k, d]) => [k, { pktsLH: d.pktsLH, bytesLH: d.bytesLH, pktsHL: d.pktsHL, bytesHL: d.bytesHL }]));
        expect(strip(got)).toEqual(strip(ref));
      } finally {
        sink.close();
      }
    });
  }
});
