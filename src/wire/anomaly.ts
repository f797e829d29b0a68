/**
 * Malformed-input counters, in the way of Zeek's weird.log: a numeric code per kind,
 * counted in preallocated arrays, turned into names only when written out.
 */
export const ANOMALY_NAMES = [
  'unknown_linktype',
  'truncated_link_header',
  'truncated_vlan_header',
  'vlan_depth_exceeded',
  'truncated_mpls_header',
  'mpls_depth_exceeded',
  'mpls_unknown_payload',
  'truncated_ip_header',
  'bad_ip_version',
  'bad_ipv4_ihl',
  'ip_total_len_lt_header',
  'ip_total_len_gt_wire',
  'truncated_ipv6_ext_header',
  'ipv6_ext_chain_too_long',
  'truncated_tcp_header',
  'bad_tcp_data_offset',
  'truncated_udp_header',
  'bad_udp_length',
  'truncated_icmp_header',
  'truncated_sctp_header',
  'truncated_gre_header',
  'gre_unknown_protocol',
  'bad_gre_version',
  'truncated_tunnel_header',
  'tunnel_depth_exceeded',
  'fragment_without_first',
  'caplen_gt_wirelen',
  'caplen_gt_snaplen',
  'unknown_interface_id',
  'truncated_ppp_header',
  'ppp_unknown_protocol',
  'truncated_sll_header',
  'null_unknown_family',
  'truncated_nflog_header',
  'flow_table_full_evicted',
  'zero_length_packet',
  'bad_ip_version_in_raw',
  'truncated_pppoe_header',
] as const;

export type AnomalyName = (typeof ANOMALY_NAMES)[number];

export const A = Object.fromEntries(ANOMALY_NAMES.map((n, i) => [n, i])) as { readonly [K in AnomalyName]: number };

export class AnomalyCounters {
  readonly count = new Float64Array(ANOMALY_NAMES.length);
  readonly firstOffset = new Float64Array(ANOMALY_NAMES.length).fill(-1);

  add(code: number, offset: number): void {
    if (this.count[code]++ === 0) this.firstOffset[code] = offset;
  }

  records(): { kind: string; count: number; firstOffset: number }[] {
    const out: { kind: string; count: number; firstOffset: number }[] = [];
    for (let i = 0; i < ANOMALY_NAMES.length; i++) {
      if (this.count[i] > 0) out.push({ kind: ANOMALY_NAMES[i], count: this.count[i], firstOffset: this.firstOffset[i] });
    }
    return out;
  }
}
