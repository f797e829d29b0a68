/**
 * Exchange-point context tables (public interface, like src/sink/schema.ts): what `onpath context
 * load` reads (member exports, prefix-to-AS tables, MRT dumps), what annotation derives (origin of
 * each address), and the views that join flows to members and origins.
 */

export const CONTEXT_TABLES = ['context_sources', 'context_anomalies', 'members', 'member_addrs', 'ixf_macs', 'prefixes', 'as_paths', 'addr_origins'] as const;

const COLUMNS: Record<(typeof CONTEXT_TABLES)[number], readonly (readonly [string, string])[]> = {
  context_sources: [
    ['source_id', 'INTEGER PRIMARY KEY'], ['kind', 'VARCHAR'], ['path', 'VARCHAR'], ['sha256', 'VARCHAR'],
    ['version', 'VARCHAR'], ['records', 'BIGINT'], ['anomalies', 'BIGINT'], ['error', 'VARCHAR'], ['loaded_at', 'TIMESTAMP'],
  ],
  context_anomalies: [['source_id', 'INTEGER'], ['kind', 'VARCHAR'], ['location', 'VARCHAR'], ['value', 'VARCHAR']],
  members: [
    ['source_id', 'INTEGER'], ['asn', 'UINTEGER'], ['name', 'VARCHAR'], ['member_type', 'VARCHAR'], ['url', 'VARCHAR'],
    ['peering_policy', 'VARCHAR'], ['connections', 'INTEGER'], ['vlans', 'INTEGER[]'], ['ipv4', 'VARCHAR[]'], ['ipv6', 'VARCHAR[]'], ['macs', 'VARCHAR[]'],
  ],
  member_addrs: [
    ['source_id', 'INTEGER'], ['address', 'VARCHAR'], ['asn', 'UINTEGER'], ['ixp_id', 'INTEGER'], ['vlan_id', 'INTEGER'],
    ['family', 'UTINYINT'], ['routeserver', 'BOOLEAN'], ['as_macro', 'VARCHAR'], ['max_prefix', 'INTEGER'],
  ],
  ixf_macs: [['source_id', 'INTEGER'], ['mac', 'VARCHAR'], ['asn', 'UINTEGER']],
  prefixes: [
    ['source_id', 'INTEGER'], ['prefix', 'VARCHAR'], ['length', 'UTINYINT'], ['family', 'UTINYINT'],
    ['origin_asns', 'UINTEGER[]'], ['origin_text', 'VARCHAR'], ['source', 'VARCHAR'], ['time', 'TIMESTAMP'],
  ],
  as_paths: [
    ['source_id', 'INTEGER'], ['prefix', 'VARCHAR'], ['peer_ip', 'VARCHAR'], ['peer_as', 'UINTEGER'], ['path', 'UINTEGER[]'],
    ['path_text', 'VARCHAR'], ['origin_as', 'UINTEGER'], ['next_hop', 'VARCHAR'], ['kind', 'VARCHAR'], ['time', 'TIMESTAMP'],
  ],
  addr_origins: [
    ['addr', 'VARCHAR PRIMARY KEY'], ['prefix', 'VARCHAR'], ['origin_asn', 'UINTEGER'], ['origin_asns', 'UINTEGER[]'],
  ],
};

/** BGP messages of sessions seen inside captures (TCP 179), one row per message: a capture's child table. */
export const BGP_MESSAGE_COLUMNS = [
  ['flow_id', 'BIGINT'], ['capture_id', 'INTEGER'], ['ts', 'TIMESTAMP_NS'], ['from_orig', 'BOOLEAN'], ['type', 'VARCHAR'],
  // 1, or for the one KEEPALIVE row per direction of a session: how many were seen (ts: the last).
  ['messages', 'INTEGER'],
  ['asn', 'UINTEGER'], ['hold_time', 'USMALLINT'], ['router_id', 'VARCHAR'], ['as4', 'BOOLEAN'],
  ['withdrawn', 'VARCHAR[]'], ['nlri', 'VARCHAR[]'], ['as_path', 'UINTEGER[]'], ['as_path_text', 'VARCHAR'], ['origin_as', 'UINTEGER'],
  ['next_hop', 'VARCHAR'], ['communities', 'VARCHAR[]'], ['error_code', 'UTINYINT'], ['error_subcode', 'UTINYINT'],
] as const;

export function contextColumns(t: (typeof CONTEXT_TABLES)[number]): readonly (readonly [string, string])[] {
  return COLUMNS[t];
}

const ddl = (t: string, cols: readonly (readonly [string, string])[]): string =>
  `CREATE TABLE IF NOT EXISTS ${t} (\n  ${cols.map(([c, ty]) => `${c} ${ty}`).join(',\n  ')}\n)`;

export const CONTEXT_DDL: readonly string[] = [
  ...CONTEXT_TABLES.map((t) => ddl(t, COLUMNS[t])),
  ddl('bgp_messages', BGP_MESSAGE_COLUMNS),
];

/**
 * Views. member_macs: a MAC from the export when the export lists it, else learned from the
 * captures: a BGP session (TCP 179) between peering-LAN addresses binds each side's address to the
 * MAC it sent from, and so do ARP and Neighbor Advertisements (l2_bindings); the export maps the
 * address to a member.
 * flows_ctx: each flow with its sending and receiving member (by MAC), the origin AS of each
 * address (longest-prefix match, in addr_origins), and a detour flag with its reason.
 */
export const CONTEXT_VIEWS: readonly string[] = [
  `CREATE OR REPLACE VIEW route_paths AS
SELECT prefix, path, 'mrt' AS source FROM as_paths WHERE len(path) > 0
UNION ALL
SELECT unnest(nlri) AS prefix, as_path AS path, 'capture' AS source FROM bgp_messages WHERE type = 'UPDATE' AND len(nlri) > 0 AND len(as_path) > 0`,
  `CREATE OR REPLACE VIEW member_macs AS
SELECT mac, asn, 'ixf' AS source, NULL::TIMESTAMP_NS AS first_seen, NULL::TIMESTAMP_NS AS last_seen FROM ixf_macs
UNION ALL
SELECT l.mac, a.asn, l.source, min(l.first_seen), max(l.last_seen)
FROM (
  SELECT orig_mac AS mac, orig_addr AS addr, first_ts AS first_seen, last_ts AS last_seen, 'bgp' AS source
  FROM flows WHERE proto = 6 AND (resp_port = 179 OR orig_port = 179) AND orig_mac IS NOT NULL
  UNION ALL
  SELECT resp_mac, resp_addr, first_ts, last_ts, 'bgp'
  FROM flows WHERE proto = 6 AND (resp_port = 179 OR orig_port = 179) AND resp_mac IS NOT NULL AND resp_pkts > 0
  UNION ALL
  SELECT mac, addr, first_ts, last_ts, kind FROM l2_bindings
) l JOIN (SELECT DISTINCT address, asn FROM member_addrs) a ON a.address = l.addr
WHERE l.mac NOT IN (SELECT mac FROM ixf_macs)
GROUP BY l.mac, a.asn, l.source`,
  `CREATE OR REPLACE VIEW flows_ctx AS
WITH mm AS (
  -- A MAC that several members claim (a shared router, a forged ARP reply) names no member.
  SELECT mac, CASE WHEN count(DISTINCT asn) = 1 THEN min(asn) END AS asn FROM member_macs GROUP BY mac),
mn AS (SELECT asn, any_value(name) AS name FROM members GROUP BY asn),
lan AS (SELECT DISTINCT address FROM member_addrs),
on_path AS (SELECT DISTINCT prefix, unnest(path) AS asn FROM route_paths),
has_path AS (SELECT DISTINCT prefix FROM route_paths),
rtt AS (
  SELECT f.capture_id, o.prefix, median(f.syn_synack_us) AS med, count(*) AS n
  FROM flows f JOIN addr_origins o ON o.addr = f.resp_addr
  WHERE f.syn_synack_us IS NOT NULL AND f.resp_addr NOT IN (SELECT address FROM lan) GROUP BY ALL
),
x AS (
  SELECT f.*, sm.asn AS orig_member_asn, rm.asn AS resp_member_asn,
    oo.prefix AS orig_prefix, oo.origin_asn AS orig_origin_asn, oo.origin_asns AS orig_origin_asns,
    ro.prefix AS resp_prefix, ro.origin_asn AS resp_origin_asn, ro.origin_asns AS resp_origin_asns,
    (sm.asn IS NOT NULL AND oo.origin_asn IS NOT NULL AND NOT list_contains(oo.origin_asns, sm.asn) AND op1.asn IS NULL AND l1.address IS NULL) AS orig_off_path,
    hp1.prefix IS NOT NULL AS orig_path_known,
    (rm.asn IS NOT NULL AND ro.origin_asn IS NOT NULL AND NOT list_contains(ro.origin_asns, rm.asn) AND op2.asn IS NULL AND l2.address IS NULL AND f.resp_pkts > 0) AS resp_off_path,
    hp2.prefix IS NOT NULL AS resp_path_known,
    (r.n >= 5 AND f.syn_synack_us > 3 * r.med AND f.syn_synack_us - r.med > 20000 AND l2.address IS NULL) AS rtt_jump, r.med AS usual_rtt_us
  FROM flows f
  LEFT JOIN mm sm ON sm.mac = f.orig_mac
  LEFT JOIN mm rm ON rm.mac = f.resp_mac
  LEFT JOIN addr_origins oo ON oo.addr = f.orig_addr
  LEFT JOIN addr_origins ro ON ro.addr = f.resp_addr
  LEFT JOIN on_path op1 ON op1.prefix = oo.prefix AND op1.asn = sm.asn
  LEFT JOIN on_path op2 ON op2.prefix = ro.prefix AND op2.asn = rm.asn
  LEFT JOIN has_path hp1 ON hp1.prefix = oo.prefix
  LEFT JOIN has_path hp2 ON hp2.prefix = ro.prefix
  LEFT JOIN rtt r ON r.capture_id = f.capture_id AND r.prefix = ro.prefix
  -- A router's own peering-LAN address (a BGP session, say) is not traffic it delivers for others.
  LEFT JOIN lan l1 ON l1.address = f.orig_addr
  LEFT JOIN lan l2 ON l2.address = f.resp_addr
)
SELECT x.flow_id, x.capture_id, x.proto, x.orig_addr, x.orig_port, x.resp_addr, x.resp_port, x.first_ts, x.last_ts,
  x.orig_mac, x.resp_mac,
  x.orig_member_asn, m1.name AS orig_member, x.resp_member_asn, m2.name AS resp_member,
  x.orig_prefix, x.orig_origin_asn, x.resp_prefix, x.resp_origin_asn,
  x.orig_pkts, x.resp_pkts, x.orig_wire_bytes, x.resp_wire_bytes, x.orig_wire_bytes + x.resp_wire_bytes AS bytes,
  x.syn_synack_us, x.usual_rtt_us,
  coalesce(x.orig_off_path OR x.resp_off_path OR x.rtt_jump, false) AS detour,
  CASE WHEN x.orig_off_path THEN CASE WHEN x.orig_path_known THEN 'orig_member_not_on_path' ELSE 'orig_member_not_origin' END
       WHEN x.resp_off_path THEN CASE WHEN x.resp_path_known THEN 'resp_member_not_on_path' ELSE 'resp_member_not_origin' END
       WHEN x.rtt_jump THEN 'rtt_jump' END AS detour_reason,
  CASE WHEN x.orig_off_path THEN printf('AS%d delivered traffic from %s (%s, origin AS%d)%s', x.orig_member_asn, x.orig_addr, x.orig_prefix, x.orig_origin_asn,
         CASE WHEN x.orig_path_known THEN printf('; no loaded AS path to %s contains AS%d', x.orig_prefix, x.orig_member_asn) ELSE '; no AS path to the prefix is loaded' END)
       WHEN x.resp_off_path THEN printf('AS%d delivered traffic from %s (%s, origin AS%d)%s', x.resp_member_asn, x.resp_addr, x.resp_prefix, x.resp_origin_asn,
         CASE WHEN x.resp_path_known THEN printf('; no loaded AS path to %s contains AS%d', x.resp_prefix, x.resp_member_asn) ELSE '; no AS path to the prefix is loaded' END)
       WHEN x.rtt_jump THEN printf('SYN to SYN-ACK %.1f ms, usual %.1f ms for %s in this capture', x.syn_synack_us / 1000, x.usual_rtt_us / 1000, x.resp_prefix) END AS detour_evidence
FROM x
LEFT JOIN mn m1 ON m1.asn = x.orig_member_asn
LEFT JOIN mn m2 ON m2.asn = x.resp_member_asn`,
  `CREATE OR REPLACE VIEW sflow_flows_ctx AS
WITH mm AS (SELECT mac, min(asn) AS asn FROM member_macs GROUP BY mac),
mn AS (SELECT asn, any_value(name) AS name FROM members GROUP BY asn)
SELECT s.*, sm.asn AS src_member_asn, m1.name AS src_member, dm.asn AS dst_member_asn, m2.name AS dst_member,
  so.prefix AS src_prefix, so.origin_asn AS src_origin_asn, dao.prefix AS dst_prefix, dao.origin_asn AS dst_origin_asn
FROM sflow_flows s
LEFT JOIN mm sm ON sm.mac = s.src_mac
LEFT JOIN mm dm ON dm.mac = s.dst_mac
LEFT JOIN mn m1 ON m1.asn = sm.asn
LEFT JOIN mn m2 ON m2.asn = dm.asn
LEFT JOIN addr_origins so ON so.addr = s.src_addr
LEFT JOIN addr_origins dao ON dao.addr = s.dst_addr`,
];
