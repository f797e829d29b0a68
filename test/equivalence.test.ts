import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { corpusPath } from './helpers/corpus.js';
import { ingestAll, rows, tempDir } from './helpers/ingest.js';
import { onpath } from './helpers/cli.js';
import { DuckSink } from '../src/sink/duckdb.js';

/** The same traffic as pcap, pcapng (editcap), gzip and through stdin gives identical flows. */
const SOURCES = ['zeek-mixed-vlan-mpls.pcap', 'tcpdump-bgp-4byte-asn.pcap', 'zeek-ipv6-fragmented-dns.pcap', 'zeek-tls12-ecdhe-certs.pcap'];
const COLS = `* EXCLUDE (flow_id, capture_id)`;

async function flowsOf(db: string): Promise<Record<string, unknown>[]> {
  const sink = await DuckSink.open(db);
  try {
    return await rows(sink, `SELECT ${COLS} FROM flows ORDER BY first_ts, orig_addr, orig_port, resp_addr, resp_port, proto`);
  } finally {
    sink.close();
  }
}

describe('equivalence across containers and stdin', () => {
  for (const src of SOURCES) {
    it(src, async () => {
      const dir = tempDir('onpath-eq-');
      const pcap = corpusPath(src);
      const ng = join(dir, 'x.pcapng');
      execFileSync('editcap', ['-F', 'pcapng', pcap, ng]);
      const gz = join(dir, 'x.pcap.gz');
      writeFileSync(gz, gzipSync(readFileSync(pcap)));
      const dbs: string[] = [];
      for (const [name, path] of [['pcap', pcap], ['pcapng', ng], ['gzip', gz]] as const) {
        const db = join(dir, `${name}.duckdb`);
        const { sink, summaries } = await ingestAll([path], {}, false, db);
        sink.close();
        expect(summaries[0].status).toBe('complete');
        dbs.push(db);
      }
      const stdinDb = join(dir, 'stdin.duckdb');
      const r = onpath(['ingest', '--db', stdinDb, '-q', '-'], readFileSync(pcap));
      expect(r.status, r.stderr).toBe(0);
      dbs.push(stdinDb);
      const base = await flowsOf(dbs[0]);
      expect(base.length).toBeGreaterThan(0);
      for (const db of dbs.slice(1)) expect(await flowsOf(db)).toEqual(base);
    });
  }
});
