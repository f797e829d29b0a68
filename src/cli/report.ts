/**
 * `onpath report`: what an on-path observer learned, in the terminal. Built on the exposure view
 * and the inspection tables; also printed at the end of `ingest`.
 */
import type { DuckSink } from '../sink/duckdb.js';
import { table } from './format.js';

export interface ReportOptions {
  /** Only this capture (default: every capture in the DB). */
  captureId?: number;
  /** Rows per "top" list. */
  top: number;
}

const pct = (x: string): string => `round(100.0 * ${x}, 1)`;

export async function reportText(sink: DuckSink, o: ReportOptions): Promise<string> {
  const where = o.captureId !== undefined ? `WHERE capture_id = ${Math.trunc(o.captureId)}` : '';
  const and = o.captureId !== undefined ? `AND capture_id = ${Math.trunc(o.captureId)}` : '';
  const out: string[] = [];
  const q = async (title: string, sql: string): Promise<void> => {
    const r = await sink.query(sql);
    if (r.rows.length === 0) return;
    out.push('', title, table(r.columns, r.rows));
  };
  const tot = await sink.query(`SELECT count(*), coalesce(sum(bytes), 0) FROM exposure ${where}`);
  const [flows, bytes] = tot.rows[0] as number[];
  out.push(`What an on-path observer learned: ${flows} flows, ${bytes} wire bytes${o.captureId !== undefined ? ` (capture ${o.captureId})` : ''}`);
  if (Number(flows) === 0) return out.join('\n') + '\n';
  await q('Names learned, by source (share of flows and of bytes):', `
    SELECT source, count(*) AS flows, ${pct('count(*) / sum(count(*)) OVER ()')} AS flows_pct,
           sum(bytes) AS bytes, ${pct('sum(bytes) / sum(sum(bytes)) OVER ()')} AS bytes_pct
    FROM exposure ${where} GROUP BY source ORDER BY flows DESC`);
  await q(`Top ${o.top} names:`, `
    SELECT hostname, count(*) AS flows, sum(bytes) AS bytes, string_agg(DISTINCT source, ',') AS sources
    FROM exposure WHERE hostname IS NOT NULL ${and} GROUP BY hostname ORDER BY flows DESC, bytes DESC, hostname LIMIT ${o.top}`);
  await q('Encryption, and what hid the name (ECH, encrypted DNS):', `
    SELECT encryption, coalesce(hidden_by, '-') AS hidden_by, count(*) AS flows, ${pct('count(*) / sum(count(*)) OVER ()')} AS flows_pct,
           sum(bytes) AS bytes, ${pct('sum(bytes) / sum(sum(bytes)) OVER ()')} AS bytes_pct
    FROM exposure ${where} GROUP BY ALL ORDER BY flows DESC`);
  await q(`Top ${o.top} client fingerprints (JA4, TLS and QUIC):`, `
    WITH h AS (SELECT flow_id, ja4 FROM tls WHERE ja4 IS NOT NULL ${and} UNION ALL SELECT flow_id, ja4 FROM quic WHERE ja4 IS NOT NULL ${and})
    SELECT h.ja4, count(*) AS flows, sum(f.orig_wire_bytes + f.resp_wire_bytes) AS bytes,
           ${pct('sum(f.orig_wire_bytes + f.resp_wire_bytes) / sum(sum(f.orig_wire_bytes + f.resp_wire_bytes)) OVER ()')} AS bytes_pct
    FROM h JOIN flows f USING (flow_id) GROUP BY h.ja4 ORDER BY flows DESC, h.ja4 LIMIT ${o.top}`);
  await q(`Top ${o.top} certificate issuers (leaf certificates seen in clear):`, `
    SELECT c.issuer, count(DISTINCT c.sha256) AS certs, count(*) AS flows
    FROM tls t JOIN certs c ON c.sha256 = t.cert_chain[1] ${where.replace('capture_id', 't.capture_id')}
    GROUP BY c.issuer ORDER BY flows DESC, c.issuer LIMIT ${o.top}`);
  await contextSection(sink, o, q, where);
  return out.join('\n') + '\n';
}

/** Exchange-point context: member pairs, origin pairs, what is unknown, and the detours with their evidence. */
async function contextSection(sink: DuckSink, o: ReportOptions, q: (title: string, sql: string) => Promise<void>, where: string): Promise<void> {
  const has = await sink.query(`SELECT (SELECT count(*) FROM members) + (SELECT count(*) FROM addr_origins) AS n`);
  if (Number(has.rows[0][0]) === 0) return;
  await q(`Top ${o.top} member pairs (sending member -> receiving member, by bytes):`, `
    SELECT coalesce(orig_member, 'AS' || orig_member_asn, '?') AS from_member, coalesce(resp_member, 'AS' || resp_member_asn, '?') AS to_member,
           count(*) AS flows, sum(bytes) AS bytes
    FROM flows_ctx ${where} GROUP BY ALL ORDER BY bytes DESC LIMIT ${o.top}`);
  await q(`Top ${o.top} origin-AS pairs (by bytes):`, `
    SELECT coalesce('AS' || orig_origin_asn, '?') AS orig_origin, coalesce('AS' || resp_origin_asn, '?') AS resp_origin, count(*) AS flows, sum(bytes) AS bytes
    FROM flows_ctx ${where} GROUP BY ALL ORDER BY bytes DESC LIMIT ${o.top}`);
  await q('Unknown member or origin (share of bytes):', `
    SELECT round(100.0 * sum(bytes) FILTER (WHERE orig_member_asn IS NULL OR resp_member_asn IS NULL) / sum(bytes), 1) AS member_unknown_pct,
           round(100.0 * sum(bytes) FILTER (WHERE orig_origin_asn IS NULL OR resp_origin_asn IS NULL) / sum(bytes), 1) AS origin_unknown_pct
    FROM flows_ctx ${where}`);
  await q('Flows flagged as detours:', `
    SELECT flow_id, orig_addr, resp_addr, detour_reason, detour_evidence
    FROM flows_ctx WHERE detour ${where.replace('WHERE', 'AND')} ORDER BY first_ts LIMIT ${o.top * 5}`);
}
