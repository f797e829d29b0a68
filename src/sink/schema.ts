/**
 * The DuckDB tables onpath writes. Names, columns and their order are a public
 * interface (queries, exports, other tools): change them only on purpose.
 */

import { CONTEXT_DDL, CONTEXT_TABLES, CONTEXT_VIEWS } from '../context/schema.js';

export const TABLES = ['captures', 'capture_files', 'flows', 'anomalies', 'l2', 'l2_bindings', 'sflow_flows', 'sflow_counters', 'sflow_agents', 'dns', 'tls', 'quic', 'http', 'certs', 'doh_resolvers',
  'bgp_messages', ...CONTEXT_TABLES] as const;
export type TableName = (typeof TABLES)[number];

/** Tables whose rows belong to a capture through capture_id, besides `captures` itself. */
export const CAPTURE_CHILD_TABLES = ['capture_files', 'flows', 'anomalies', 'l2', 'l2_bindings', 'sflow_flows', 'sflow_counters', 'sflow_agents', 'dns', 'tls', 'quic', 'http', 'bgp_messages'] as const;

/** Tables a capture's replacement clears (certs are shared by captures, deduplicated by SHA-256). */
export const CAPTURE_TABLES = ['captures', ...CAPTURE_CHILD_TABLES] as const;

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

/**
 * The files of a capture, in stream order: one row for a single file, several when files given
 * together form one capture stream (flows carry over from one file to the next).
 */
export const CAPTURE_FILE_COLUMNS = [
  ['capture_id', 'INTEGER'],
  ['file_index', 'INTEGER'],
  ['path', 'VARCHAR'],
  ['size', 'BIGINT'],
  ['sha256', 'VARCHAR'],
  ['format', 'VARCHAR'],
  ['linktypes', 'INTEGER[]'],
  ['snaplen', 'INTEGER'],
  ['stream_offset', 'BIGINT'],
  ['packets', 'BIGINT'],
  ['bytes', 'BIGINT'],
  ['first_ts', 'TIMESTAMP_NS'],
  ['last_ts', 'TIMESTAMP_NS'],
  ['status', 'VARCHAR'],
  ['error', 'VARCHAR'],
  ['error_offset', 'BIGINT'],
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

/** Address-to-MAC bindings read from ARP and IPv6 Neighbor Advertisements, per capture. */
export const L2_BINDING_COLUMNS = [
  ['capture_id', 'INTEGER'],
  ['kind', 'VARCHAR'],
  ['addr', 'VARCHAR'],
  ['mac', 'VARCHAR'],
  ['first_ts', 'TIMESTAMP_NS'],
  ['last_ts', 'TIMESTAMP_NS'],
  ['packets', 'BIGINT'],
] as const;

/** sFlow v5 flow samples (from captures with sFlow datagrams, or `onpath sflow`); packets and bytes scaled by the sampling rate. */
export const SFLOW_FLOW_COLUMNS = [
  ['capture_id', 'INTEGER'], ['ts', 'TIMESTAMP_NS'], ['agent', 'VARCHAR'], ['sub_agent', 'UINTEGER'], ['datagram_seq', 'UINTEGER'],
  ['sample_type', 'UTINYINT'], ['sample_seq', 'UINTEGER'], ['source_id_type', 'UTINYINT'], ['source_id_index', 'UINTEGER'],
  ['sampling_rate', 'UINTEGER'], ['sample_pool', 'UINTEGER'], ['drops', 'UINTEGER'],
  ['input_format', 'UTINYINT'], ['input_if', 'UINTEGER'], ['output_format', 'UTINYINT'], ['output_if', 'UINTEGER'],
  ['header_protocol', 'UINTEGER'], ['frame_length', 'UINTEGER'], ['stripped', 'UINTEGER'], ['header_length', 'UINTEGER'],
  ['ip_version', 'UTINYINT'], ['src_addr', 'VARCHAR'], ['dst_addr', 'VARCHAR'], ['proto', 'UTINYINT'],
  ['src_port', 'USMALLINT'], ['dst_port', 'USMALLINT'], ['tcp_flags', 'USMALLINT'], ['ip_len', 'UINTEGER'],
  ['src_mac', 'VARCHAR'], ['dst_mac', 'VARCHAR'], ['vlan', 'SMALLINT'], ['src_vlan', 'UINTEGER'], ['dst_vlan', 'UINTEGER'],
  ['router_next_hop', 'VARCHAR'], ['gw_next_hop', 'VARCHAR'], ['gw_router_as', 'UINTEGER'], ['gw_src_as', 'UINTEGER'],
  ['gw_src_peer_as', 'UINTEGER'], ['gw_dst_as_path', 'VARCHAR'], ['gw_dst_as', 'UINTEGER'],
  ['packets', 'BIGINT'], ['bytes', 'BIGINT'],
] as const;

export const SFLOW_COUNTER_COLUMNS = [
  ['capture_id', 'INTEGER'], ['ts', 'TIMESTAMP_NS'], ['agent', 'VARCHAR'], ['sub_agent', 'UINTEGER'], ['datagram_seq', 'UINTEGER'],
  ['sample_seq', 'UINTEGER'], ['source_id_type', 'UTINYINT'], ['source_id_index', 'UINTEGER'],
  ['if_index', 'UINTEGER'], ['if_type', 'UINTEGER'], ['if_speed', 'UBIGINT'], ['if_direction', 'UINTEGER'], ['if_status', 'UINTEGER'],
  ['in_octets', 'UBIGINT'], ['in_ucast_pkts', 'UINTEGER'], ['in_multicast_pkts', 'UINTEGER'], ['in_broadcast_pkts', 'UINTEGER'],
  ['in_discards', 'UINTEGER'], ['in_errors', 'UINTEGER'],
  ['out_octets', 'UBIGINT'], ['out_ucast_pkts', 'UINTEGER'], ['out_multicast_pkts', 'UINTEGER'], ['out_broadcast_pkts', 'UINTEGER'],
  ['out_discards', 'UINTEGER'], ['out_errors', 'UINTEGER'],
] as const;

/** Per agent: datagrams seen and lost (sequence gaps). */
export const SFLOW_AGENT_COLUMNS = [
  ['capture_id', 'INTEGER'], ['agent', 'VARCHAR'], ['sub_agent', 'UINTEGER'], ['datagrams', 'BIGINT'],
  ['lost_datagrams', 'BIGINT'], ['sequence_resets', 'BIGINT'],
] as const;

export const DNS_COLUMNS = [
  ['flow_id', 'BIGINT'],
  ['capture_id', 'INTEGER'],
  ['ts', 'TIMESTAMP_NS'],
  ['transport', 'VARCHAR'],
  ['flavor', 'VARCHAR'],
  ['id', 'USMALLINT'],
  ['query_name', 'VARCHAR'],
  ['query_type', 'VARCHAR'],
  ['opcode', 'UTINYINT'],
  ['flags', 'USMALLINT'],
  ['rcode', 'VARCHAR'],
  ['answered', 'BOOLEAN'],
  ['response_ts', 'TIMESTAMP_NS'],
  ['rtt_us', 'DOUBLE'],
  ['queries', 'INTEGER'],
  ['answers', 'STRUCT(name VARCHAR, type VARCHAR, ttl UINTEGER, data VARCHAR)[]'],
  ['answer_addrs', 'VARCHAR[]'],
  ['min_ttl', 'UINTEGER'],
  ['svcb_alpn', 'VARCHAR[]'],
  ['svcb_ech', 'BOOLEAN'],
  ['truncated', 'BOOLEAN'],
] as const;

/** ClientHello fields shared by `tls` and `quic`. */
const HELLO_COLUMNS = [
  ['sni', 'VARCHAR'],
  ['alpn', 'VARCHAR[]'],
  ['client_version', 'VARCHAR'],
  ['supported_versions', 'USMALLINT[]'],
  ['cipher_suites', 'USMALLINT[]'],
  ['extensions', 'USMALLINT[]'],
  ['groups', 'USMALLINT[]'],
  ['sig_algs', 'USMALLINT[]'],
  ['ech', 'BOOLEAN'],
  ['session_id_len', 'UTINYINT'],
  ['ja3', 'VARCHAR'],
  ['ja3_full', 'VARCHAR'],
  ['ja4', 'VARCHAR'],
  ['ja4_r', 'VARCHAR'],
  ['hello_truncated', 'BOOLEAN'],
  ['version', 'VARCHAR'],
  ['server_cipher', 'USMALLINT'],
  ['server_alpn', 'VARCHAR'],
  ['ja3s', 'VARCHAR'],
] as const;

export const TLS_COLUMNS = [
  ['flow_id', 'BIGINT'],
  ['capture_id', 'INTEGER'],
  ['ts', 'TIMESTAMP_NS'],
  ['client_is_orig', 'BOOLEAN'],
  ...HELLO_COLUMNS,
  ['cert_chain', 'VARCHAR[]'],
  ['alert', 'INTEGER'],
] as const;

export const QUIC_COLUMNS = [
  ['flow_id', 'BIGINT'],
  ['capture_id', 'INTEGER'],
  ['ts', 'TIMESTAMP_NS'],
  ['quic_version', 'VARCHAR'],
  ['dcid', 'VARCHAR'],
  ['scid', 'VARCHAR'],
  ['server_scid', 'VARCHAR'],
  ...HELLO_COLUMNS,
  ['client_initials', 'INTEGER'],
  ['server_initials', 'INTEGER'],
  ['retry', 'BOOLEAN'],
] as const;

export const HTTP_COLUMNS = [
  ['flow_id', 'BIGINT'],
  ['capture_id', 'INTEGER'],
  ['ts', 'TIMESTAMP_NS'],
  ['method', 'VARCHAR'],
  ['host', 'VARCHAR'],
  ['port', 'INTEGER'],
  ['path', 'VARCHAR'],
  ['user_agent', 'VARCHAR'],
  ['version', 'VARCHAR'],
  ['status', 'SMALLINT'],
  ['content_type', 'VARCHAR'],
  ['server', 'VARCHAR'],
  ['response_ts', 'TIMESTAMP_NS'],
] as const;

export const CERT_COLUMNS = [
  ['sha256', 'VARCHAR PRIMARY KEY'],
  ['subject', 'VARCHAR'],
  ['issuer', 'VARCHAR'],
  ['common_name', 'VARCHAR'],
  ['san_dns', 'VARCHAR[]'],
  ['san_ip', 'VARCHAR[]'],
  ['not_before', 'TIMESTAMP'],
  ['not_after', 'TIMESTAMP'],
  ['key_type', 'VARCHAR'],
  ['key_bits', 'INTEGER'],
  ['curve', 'VARCHAR'],
  ['serial', 'VARCHAR'],
  ['is_ca', 'BOOLEAN'],
  ['self_issued', 'BOOLEAN'],
  ['first_capture_id', 'INTEGER'],
] as const;

/** Well-known DNS-over-HTTPS resolvers: a flow to one of them on 443 hides its DNS. Users may add rows. */
export const DOH_RESOLVER_COLUMNS = [
  ['addr', 'VARCHAR PRIMARY KEY'],
  ['name', 'VARCHAR'],
] as const;

export const DOH_RESOLVERS: readonly (readonly [string, string])[] = [
  ['1.1.1.1', 'Cloudflare'], ['1.0.0.1', 'Cloudflare'], ['2606:4700:4700::1111', 'Cloudflare'], ['2606:4700:4700::1001', 'Cloudflare'],
  ['8.8.8.8', 'Google'], ['8.8.4.4', 'Google'], ['2001:4860:4860::8888', 'Google'], ['2001:4860:4860::8844', 'Google'],
  ['9.9.9.9', 'Quad9'], ['149.112.112.112', 'Quad9'], ['2620:fe::fe', 'Quad9'], ['2620:fe::9', 'Quad9'],
  ['208.67.222.222', 'OpenDNS'], ['208.67.220.220', 'OpenDNS'], ['2620:119:35::35', 'OpenDNS'], ['2620:119:53::53', 'OpenDNS'],
  ['94.140.14.14', 'AdGuard'], ['94.140.15.15', 'AdGuard'], ['2a10:50c0::ad1:ff', 'AdGuard'], ['2a10:50c0::ad2:ff', 'AdGuard'],
  ['185.228.168.168', 'CleanBrowsing'], ['76.76.2.0', 'Control D'], ['76.76.10.0', 'Control D'],
  ['45.90.28.0', 'NextDNS'], ['45.90.30.0', 'NextDNS'], ['194.242.2.2', 'Mullvad'], ['2a07:e340::2', 'Mullvad'],
];

/**
 * One row per flow: the best name an on-path observer learns for it, where from, what encrypts
 * it, and what hid the name. Priority: TLS SNI, QUIC SNI, HTTP Host, the leaf certificate's first
 * DNS SAN (else its CN), then a DNS answer earlier in the same capture that resolved a name to the
 * flow's responder address.
 */
export const EXPOSURE_VIEW = `CREATE OR REPLACE VIEW exposure AS
WITH t AS (
  SELECT flow_id, any_value(sni) AS sni, bool_or(ech) AS ech, any_value(version) AS version,
         any_value(cert_chain[1]) AS leaf
  FROM tls GROUP BY flow_id
), q AS (
  SELECT flow_id, any_value(sni) AS sni, bool_or(ech) AS ech, any_value(quic_version) AS quic_version
  FROM quic GROUP BY flow_id
), h AS (
  SELECT flow_id, first(host ORDER BY ts) FILTER (WHERE host IS NOT NULL) AS host, count(*) AS requests FROM http GROUP BY flow_id
), d AS (
  SELECT capture_id, coalesce(response_ts, ts) AS ts, query_name, unnest(answer_addrs) AS addr
  FROM dns WHERE answered AND query_name IS NOT NULL
), dn AS (
  SELECT f.flow_id, d.query_name
  FROM flows f ASOF JOIN d ON f.capture_id = d.capture_id AND f.resp_addr = d.addr AND f.first_ts >= d.ts
), dq AS (
  SELECT DISTINCT flow_id FROM dns
)
SELECT
  f.flow_id, f.capture_id,
  CASE WHEN t.sni IS NOT NULL THEN t.sni
       WHEN q.sni IS NOT NULL THEN q.sni
       WHEN h.host IS NOT NULL THEN h.host
       WHEN c.sha256 IS NOT NULL AND (len(c.san_dns) > 0 OR c.common_name IS NOT NULL) THEN coalesce(c.san_dns[1], c.common_name)
       WHEN dn.query_name IS NOT NULL THEN dn.query_name END AS hostname,
  CASE WHEN t.sni IS NOT NULL THEN 'sni'
       WHEN q.sni IS NOT NULL THEN 'quic_sni'
       WHEN h.host IS NOT NULL THEN 'http_host'
       WHEN c.sha256 IS NOT NULL AND (len(c.san_dns) > 0 OR c.common_name IS NOT NULL) THEN 'cert_san'
       WHEN dn.query_name IS NOT NULL THEN 'dns'
       ELSE 'none' END AS source,
  CASE WHEN t.flow_id IS NOT NULL THEN 'tls'
       WHEN q.flow_id IS NOT NULL THEN 'quic'
       WHEN f.proto = 50 THEN 'ipsec-esp'
       WHEN f.proto = 6 AND f.resp_port = 22 THEN 'ssh'
       WHEN f.proto = 17 AND f.resp_port = 51820 THEN 'wireguard'
       WHEN f.proto = 6 AND f.resp_port IN (443, 853, 993, 995, 465, 8443) THEN 'tls?'
       WHEN f.proto = 17 AND f.resp_port IN (443, 853) THEN 'quic?'
       WHEN h.flow_id IS NOT NULL OR dq.flow_id IS NOT NULL THEN 'none'
       ELSE 'unknown' END AS encryption,
  (t.flow_id IS NOT NULL OR q.flow_id IS NOT NULL OR f.proto = 50
    OR (f.proto = 6 AND f.resp_port IN (22, 443, 853, 993, 995, 465, 8443))
    OR (f.proto = 17 AND f.resp_port IN (443, 853, 51820))) AS encrypted,
  t.version AS tls_version,
  q.quic_version,
  coalesce(t.ech, false) OR coalesce(q.ech, false) AS ech,
  CASE WHEN coalesce(t.ech, false) OR coalesce(q.ech, false) THEN 'ech'
       WHEN f.resp_port = 853 AND f.proto IN (6, 17) THEN 'encrypted_dns'
       WHEN f.resp_port = 443 AND r.addr IS NOT NULL THEN 'encrypted_dns' END AS hidden_by,
  f.orig_wire_bytes + f.resp_wire_bytes AS bytes
FROM flows f
LEFT JOIN t USING (flow_id)
LEFT JOIN q USING (flow_id)
LEFT JOIN h USING (flow_id)
LEFT JOIN dq USING (flow_id)
LEFT JOIN certs c ON c.sha256 = t.leaf
LEFT JOIN dn USING (flow_id)
LEFT JOIN doh_resolvers r ON r.addr = f.resp_addr`;

function createTable(name: string, cols: readonly (readonly [string, string])[]): string {
  return `CREATE TABLE IF NOT EXISTS ${name} (\n  ${cols.map(([c, t]) => `${c} ${t}`).join(',\n  ')}\n)`;
}

/** DDL that creates every table that is missing; safe to run on each open. */
export const SCHEMA_DDL: readonly string[] = [
  createTable('captures', CAPTURE_COLUMNS),
  createTable('capture_files', CAPTURE_FILE_COLUMNS),
  createTable('flows', FLOW_TABLE_COLUMNS),
  createTable('anomalies', ANOMALY_COLUMNS),
  createTable('l2', L2_COLUMNS),
  createTable('l2_bindings', L2_BINDING_COLUMNS),
  createTable('sflow_flows', SFLOW_FLOW_COLUMNS),
  createTable('sflow_counters', SFLOW_COUNTER_COLUMNS),
  createTable('sflow_agents', SFLOW_AGENT_COLUMNS),
  createTable('dns', DNS_COLUMNS),
  createTable('tls', TLS_COLUMNS),
  createTable('quic', QUIC_COLUMNS),
  createTable('http', HTTP_COLUMNS),
  createTable('certs', CERT_COLUMNS),
  createTable('doh_resolvers', DOH_RESOLVER_COLUMNS),
  `INSERT OR IGNORE INTO doh_resolvers VALUES ${DOH_RESOLVERS.map(([a, n]) => `('${a}', '${n}')`).join(', ')}`,
  EXPOSURE_VIEW,
  ...CONTEXT_DDL,
  ...CONTEXT_VIEWS,
];
