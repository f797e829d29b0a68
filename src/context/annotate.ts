/**
 * The origin AS of every flow address: a longest-prefix match over every loaded prefix (pfx2as,
 * MRT RIBs and updates, and the routes announced in BGP sessions seen in captures), written to
 * addr_origins, which the flows_ctx view joins. Built in typed arrays (src/context/lpm.ts), so the
 * lookups are cheap; the cost is reading the prefixes and writing the rows.
 */
import type { DuckSink } from '../sink/duckdb.js';
import { Lpm4, Lpm6, lookupAddrWords, parseIpv4At } from './lpm.js';
import { parseAddr } from '../sink/addr.js';
import { contextColumns } from './schema.js';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Every address of flows and sFlow samples. */
const ADDRESSES = `SELECT orig_addr AS addr FROM flows UNION SELECT resp_addr FROM flows
  UNION SELECT src_addr FROM sflow_flows WHERE src_addr IS NOT NULL UNION SELECT dst_addr FROM sflow_flows WHERE dst_addr IS NOT NULL`;

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
  const fresh = await sink.query(`SELECT count(*) FROM (${ADDRESSES}) WHERE addr NOT IN (SELECT addr FROM addr_origins)`);
  if (Number(fresh.rows[0][0]) === 0) return { prefixes: 0, addresses: 0, matched: 0, ms: performance.now() - t0, lookupMs: 0 };
  // The prefixes and the new addresses leave DuckDB as text files: far cheaper than a JS value per
  // cell for ~1 M rows. Lines are scanned by hand and cut into strings only for matched prefixes.
  const tmp = mkdtempSync(join(tmpdir(), 'onpath-lpm-'));
  const file = join(tmp, 'prefixes.tsv'), addrFile = join(tmp, 'addrs.txt');
  let text: string, addrText: string;
  try {
    await sink.run(`COPY (
      SELECT prefix, family, length, array_to_string(flatten(list(origin_asns)), ' ') AS asns FROM (
        SELECT prefix, family, length, origin_asns FROM prefixes
        UNION ALL
        SELECT prefix, CASE WHEN contains(prefix, ':') THEN 6 ELSE 4 END, CAST(split_part(prefix, '/', 2) AS INTEGER), [origin_as]
        FROM (SELECT unnest(nlri) AS prefix, origin_as FROM bgp_messages WHERE type = 'UPDATE' AND origin_as IS NOT NULL)
      ) GROUP BY ALL) TO '${file.replaceAll("'", "''")}' (FORMAT csv, DELIMITER '\t', HEADER false, QUOTE '')`);
    await sink.run(`COPY (SELECT DISTINCT addr FROM (${ADDRESSES}) WHERE addr NOT IN (SELECT addr FROM addr_origins))
      TO '${addrFile.replaceAll("'", "''")}' (FORMAT csv, HEADER false, QUOTE '')`);
    text = readFileSync(file, 'utf8');
    addrText = readFileSync(addrFile, 'utf8');
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  const v4 = new Lpm4(), v6 = new Lpm6();
  // Per prefix id: where its line starts, where the prefix text ends, where its origins start and end.
  const lineAt: number[] = [], prefixEnd: number[] = [], originAt: number[] = [], originEnd: number[] = [];
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
    const id = lineAt.length;
    if (family === 4) {
      const ip = parseIpv4At(text, at, slash);
      if (ip < 0) { at = nl + 1; continue; }
      v4.insert(ip, length, id);
    } else {
      const a = parseAddr(text.slice(at, slash));
      if (a === null) { at = nl + 1; continue; }
      v6.insert(a.words, length, id);
    }
    lineAt.push(at); prefixEnd.push(t1); originAt.push(t3 + 1); originEnd.push(nl);
    at = nl + 1;
  }
  v4.build(); v6.build();
  const lines: string[] = [];
  let matched = 0;
  const t1 = performance.now();
  for (let at = 0; at < addrText.length;) {
    let nl = addrText.indexOf('\n', at);
    if (nl < 0) nl = addrText.length;
    if (nl === at) { at++; continue; }
    const ip = parseIpv4At(addrText, at, nl);
    let id: number;
    if (ip >= 0) id = v4.lookup(ip);
    else {
      const a = parseAddr(addrText.slice(at, nl));
      if (a === null) { at = nl + 1; continue; }
      id = lookupAddrWords(v4, v6, a.words, 0);
    }
    // Address and prefix texts are DuckDB's own renderings of addresses (digits, dots, colons,
    // hex, a slash): nothing in them needs JSON escaping.
    const addr = addrText.slice(at, nl);
    at = nl + 1;
    if (id < 0) { lines.push(`{"addr":"${addr}","prefix":null,"origin_asn":null,"origin_asns":[]}`); continue; }
    matched++;
    // Origins in the order the sources list them (the first is origin_asn), each once.
    const o: number[] = [];
    if (originEnd[id]! > originAt[id]!) {
      for (const a of text.slice(originAt[id], originEnd[id]).split(' ')) { const n = Number(a); if (!o.includes(n)) o.push(n); }
    }
    lines.push(`{"addr":"${addr}","prefix":"${text.slice(lineAt[id], prefixEnd[id])}","origin_asn":${o.length > 0 ? o[0] : 'null'},"origin_asns":[${o.join(',')}]}`);
  }
  const lookupMs = performance.now() - t1;
  for (let i = 0; i < lines.length; i += 50000) await sink.insertLines('addr_origins', contextColumns('addr_origins'), lines.slice(i, i + 50000));
  return { prefixes: lineAt.length, addresses: lines.length, matched, ms: performance.now() - t0, lookupMs };
}
