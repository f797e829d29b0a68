import type { DuckSink } from '../sink/duckdb.js';
import { table } from './format.js';

/** A short look at what the database now holds: totals, protocols, top talkers. */
export async function printDbSummary(sink: DuckSink, dbPath: string): Promise<void> {
  const totals = await sink.query(`SELECT count(*) AS captures, sum(packets) AS packets, sum(bytes) AS bytes, sum(flows) AS flows FROM captures`);
  const [captures, packets, bytesTotal, flows] = totals.rows[0] as (number | null)[];
  const out: string[] = [];
  out.push(`\n${dbPath}: ${captures} captures, ${packets ?? 0} packets, ${bytesTotal ?? 0} wire bytes, ${flows ?? 0} flows`);
  const protos = await sink.query(`
    SELECT CASE proto WHEN 6 THEN 'tcp' WHEN 17 THEN 'udp' WHEN 1 THEN 'icmp' WHEN 58 THEN 'icmp6' WHEN 132 THEN 'sctp' ELSE 'ip-' || proto END AS proto,
           count(*) AS flows, sum(orig_pkts + resp_pkts) AS packets, sum(orig_wire_bytes + resp_wire_bytes) AS bytes
    FROM flows GROUP BY ALL ORDER BY bytes DESC`);
  if (protos.rows.length > 0) out.push('', table(protos.columns, protos.rows));
  const talkers = await sink.query(`
    SELECT orig_addr, resp_addr, count(*) AS flows, sum(orig_wire_bytes + resp_wire_bytes) AS bytes
    FROM flows GROUP BY ALL ORDER BY bytes DESC LIMIT 5`);
  if (talkers.rows.length > 0) out.push('', 'Top talkers (by wire bytes):', table(talkers.columns, talkers.rows));
  const l2 = await sink.query(`SELECT name AS ethertype, sum(packets) AS packets FROM l2 GROUP BY ALL ORDER BY packets DESC LIMIT 5`);
  if (l2.rows.length > 0) out.push('', 'Non-IP traffic:', table(l2.columns, l2.rows));
  process.stdout.write(out.join('\n') + '\n');
}
