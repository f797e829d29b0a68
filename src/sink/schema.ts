/**
 * The DuckDB tables onpath writes. Names, columns and their order are a public
 * interface (queries, exports, other tools): change them only on purpose.
 */

export const TABLES = ['captures', 'flows', 'anomalies', 'l2'] as const;
export type TableName = (typeof TABLES)[number];

/** Tables whose rows belong to a capture through capture_id, besides `captures` itself. */
export const CAPTURE_CHILD_TABLES = ['flows', 'anomalies', 'l2'] as const;

export const CAPTURE_COLUMNS = [
  ['capture_id', 'INTEGER PRIMARY KEY'],
  ['path', 'VARCHAR'],
  ['size', 'BIGINT'],
  ['sha256', 'VARCHAR'],
  ['format', 'VARCHAR'],
  ['linktypes', 'INTEGER[]'],
  ['packets', 'BIGINT'],
  ['bytes', 'BIGINT'],
  ['first_ts', 'TIMESTAMP_NS'],
  ['last_ts', 'TIMESTAMP_NS'],
  ['snaplen', 'INTEGER'],
  ['status', 'VARCHAR'],
  ['error', 'VARCHAR'],
  ['error_offset', 'BIGINT'],
  ['isb_if_recv', 'BIGINT'],
  ['isb_if_drop', 'BIGINT'],
  ['isb_filter_accept', 'BIGINT'],
  ['isb_os_drop', 'BIGINT'],
  ['isb_usr_deliv', 'BIGINT'],
  ['flows', 'BIGINT'],
  ['ingested_at', 'TIMESTAMP'],
  ['tool_version', 'VARCHAR'],
] as const;

export const FLOW_TABLE_COLUMNS = [
  ['flow_id', 'BIGINT'],
  ['capture_id', 'INTEGER'],
  ['proto', 'UTINYINT'],
  ['ip_version', 'UTINYINT'],
  ['orig_addr', 'VARCHAR'],
  ['orig_port', 'USMALLINT'],
  ['resp_addr', 'VARCHAR'],
  ['resp_port', 'USMALLINT'],
  ['orig_addr_bin', 'BLOB'],
  ['resp_addr_bin', 'BLOB'],
  ['first_ts', 'TIMESTAMP_NS'],
  ['last_ts', 'TIMESTAMP_NS'],
  ['duration_us', 'DOUBLE'],
  ['orig_pkts', 'BIGINT'],
  ['resp_pkts', 'BIGINT'],
  ['orig_wire_bytes', 'BIGINT'],
  ['resp_wire_bytes', 'BIGINT'],
  ['orig_ip_bytes', 'BIGINT'],
  ['resp_ip_bytes', 'BIGINT'],
  ['orig_payload_bytes', 'BIGINT'],
  ['resp_payload_bytes', 'BIGINT'],
  ['conn_state', 'VARCHAR'],
  ['history', 'VARCHAR'],
  ['end_reason', 'VARCHAR'],
  ['orig_ttl', 'SMALLINT'],
  ['resp_ttl', 'SMALLINT'],
  ['syn_synack_us', 'DOUBLE'],
  ['synack_ack_us', 'DOUBLE'],
  ['orig_mac', 'VARCHAR'],
  ['resp_mac', 'VARCHAR'],
  ['vlan_outer', 'SMALLINT'],
  ['vlan_inner', 'SMALLINT'],
  ['mpls_label', 'INTEGER'],
  ['orig_tcp_flags', 'USMALLINT'],
  ['resp_tcp_flags', 'USMALLINT'],
  ['community_id', 'VARCHAR'],
  ['fragments', 'INTEGER'],
  ['truncated_pkts', 'INTEGER'],
  ['tunnel', 'VARCHAR'],
  ['splt_sizes', 'INTEGER[]'],
  ['splt_gaps_us', 'DOUBLE[]'],
] as const;

export type FlowColumnName = (typeof FLOW_TABLE_COLUMNS)[number][0];

export const ANOMALY_COLUMNS = [
  ['capture_id', 'INTEGER'],
  ['kind', 'VARCHAR'],
  ['count', 'BIGINT'],
  ['first_offset', 'BIGINT'],
] as const;

export const L2_COLUMNS = [
  ['capture_id', 'INTEGER'],
  ['ethertype', 'USMALLINT'],
  ['name', 'VARCHAR'],
  ['packets', 'BIGINT'],
  ['bytes', 'BIGINT'],
] as const;

function createTable(name: TableName, cols: readonly (readonly [string, string])[]): string {
  return `CREATE TABLE IF NOT EXISTS ${name} (\n  ${cols.map(([c, t]) => `${c} ${t}`).join(',\n  ')}\n)`;
}

/** DDL that creates every table that is missing; safe to run on each open. */
export const SCHEMA_DDL: readonly string[] = [
  createTable('captures', CAPTURE_COLUMNS),
  createTable('flows', FLOW_TABLE_COLUMNS),
  createTable('anomalies', ANOMALY_COLUMNS),
  createTable('l2', L2_COLUMNS),
];
