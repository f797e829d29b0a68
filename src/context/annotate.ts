/**
 * The origin AS of every flow address: a longest-prefix match over every loaded prefix (pfx2as,
 * MRT RIBs and updates, and the routes announced in BGP sessions seen in captures), written to
 * addr_origins, which the flows_ctx view joins. Built in typed arrays (src/context/lpm.ts), so the
 * lookups are cheap; the cost is reading the prefixes and writing the rows.
 */
import type { DuckSink } from '../sink/duckdb.js';
import { Lpm4, Lpm6, lookupAddrWords, parseIpv4 } from './lpm.js';
import { parseAddr } from '../sink/addr.js';
import { contextColumns } from './schema.js';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface AnnotateSummary { prefixes: number; addresses: number; matched: number; ms: number; lookupMs: number }

/** `full`: recompute every address (the prefixes changed); else only addresses not annotated yet. */
export async function annotate(sink: DuckSink, full: boolean): Promise<AnnotateSummary> {
  const t0 = performance.now();
  await sink.run('BEGIN TRANSACTION');
  try {
    const r = await annotateIn(sink, full, t0);
    await sink.run('COMMIT');
    return r;
  } catch (e) {
    await sink.run('ROLLBACK').catch(() => {});
    throw e;
  }
}

async function annotateIn(sink: DuckSink, full: boolean, t0: number): Promise<AnnotateSummary> {
  if (full) await sink.run('DELETE FROM addr_origins');
  const fresh = await sink.query(`SELECT count(*) FROM (SELECT orig_addr AS addr FROM flows UNION SELECT resp_addr FROM flows UNION SELECT src_addr FROM sflow_flows WHERE src_addr IS NOT NULL UNION SELECT dst_addr FROM sflow_flows WHERE dst_addr IS NOT NULL)
    WHERE addr NOT IN (SELECT addr FROM addr_origins)`);
  if (Number(fresh.rows[0][0]) === 0) return { prefixes: 0, addresses: 0, matched: 0, ms: performance.now() - t0, lookupMs: 0 };
  // The prefixes leave DuckDB as one text file: far cheaper than a JS value per cell for ~1 M rows.
  const tmp = mkdtempSync(join(tmpdir(), 'onpath-lpm-'));
  const file = join(tmp, 'prefixes.tsv');
  await sink.run(`COPY (
    SELECT prefix, family, length, array_to_string(flatten(list(origin_asns)), ' ') AS asns FROM (
      SELECT prefix, family, length, origin_asns FROM prefixes
      UNION ALL
      SELECT prefix, CASE WHEN contains(prefix, ':') THEN 6 ELSE 4 END, CAST(split_part(prefix, '/', 2) AS INTEGER), [origin_as]
      FROM (SELECT unnest(nlri) AS prefix, origin_as FROM bgp_messages WHERE type = 'UPDATE' AND origin_as IS NOT NULL)
    ) GROUP BY ALL) TO '${file.replaceAll("'", "''")}' (FORMAT csv, DELIMITER '\t', HEADER false, QUOTE '')`);
  const text = readFileSync(file, 'utf8');
  rmSync(tmp, { recursive: true, force: true });
  const v4 = new Lpm4(), v6 = new Lpm6();
  // Lines: prefix TAB family TAB length TAB asns. Scanned by hand (no split, no array per line):
  // the origin text stays a string until an address matches its prefix.
  const names: string[] = [];
  const originText: string[] = [];
  for (let at = 0; at < text.length;) {
    let nl = text.indexOf('\n', at);
    if (nl < 0) nl = text.length;
    const t1 = text.indexOf('\t', at);
    if (t1 < 0 || t1 > nl) { at = nl + 1; continue; }
    const t2 = text.indexOf('\t', t1 + 1), t3 = text.indexOf('\t', t2 + 1);
    const family = text.charCodeAt(t1 + 1) - 48;
    let length = 0;
    for (let i = t2 + 1; i < t3; i++) length = length * 10 + text.charCodeAt(i) - 48;
    const slash = text.lastIndexOf('/', t1);
    const id = names.length;
    if (family === 4) {
      const ip = parseIpv4(text.slice(at, slash));
      if (ip < 0) { at = nl + 1; continue; }
      v4.insert(ip, length, id);
    } else {
      const a = parseAddr(text.slice(at, slash));
      if (a === null) { at = nl + 1; continue; }
      v6.insert(a.words, length, id);
    }
    names.push(text.slice(at, t1));
    originText.push(text.slice(t3 + 1, nl));
    at = nl + 1;
  }
  v4.build(); v6.build();
  const addrs = await sink.query(`
    SELECT DISTINCT addr FROM (SELECT orig_addr AS addr FROM flows UNION SELECT resp_addr FROM flows UNION SELECT src_addr FROM sflow_flows WHERE src_addr IS NOT NULL UNION SELECT dst_addr FROM sflow_flows WHERE dst_addr IS NOT NULL)
    WHERE addr NOT IN (SELECT addr FROM addr_origins)`);
  const lines: string[] = [];
  let matched = 0;
  const t1 = performance.now();
  for (const [addr] of addrs.rows as [string][]) {
    const a = parseAddr(addr);
    if (a === null) continue;
    const id = lookupAddrWords(v4, v6, a.words, 0);
    if (id < 0) { lines.push(JSON.stringify({ addr, prefix: null, origin_asn: null, origin_asns: [] })); continue; }
    matched++;
    const ot = originText[id];
    // Origins in the order the sources list them (the first is origin_asn), each once.
    const o: number[] = [];
    if (ot !== '') for (const a of ot.split(' ')) { const n = Number(a); if (!o.includes(n)) o.push(n); }
    lines.push(JSON.stringify({ addr, prefix: names[id], origin_asn: o.length > 0 ? o[0] : null, origin_asns: o }));
  }
  const lookupMs = performance.now() - t1;
  for (let i = 0; i < lines.length; i += 50000) await sink.insertLines('addr_origins', contextColumns('addr_origins'), lines.slice(i, i + 50000));
  return { prefixes: names.length, addresses: lines.length, matched, ms: performance.now() - t0, lookupMs };
}
