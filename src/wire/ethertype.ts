/** EtherTypes the link decoders act on. */
export const ETHERTYPE = {
  IPV4: 0x0800,
  ARP: 0x0806,
  VLAN: 0x8100,
  QINQ: 0x88a8,
  QINQ_OLD: 0x9100,
  QINQ_OLD2: 0x9200,
  IPV6: 0x86dd,
  MPLS_UC: 0x8847,
  MPLS_MC: 0x8848,
  PPPOE_SESSION: 0x8864,
  TEB: 0x6558, // Transparent Ethernet Bridging (GRE)
  PPP: 0x880b, // PPP inside GRE (PPTP)
  ERSPAN_2: 0x88be,
  ERSPAN_3: 0x22eb,
  LLDP: 0x88cc,
} as const;

const NAMES: Record<number, string> = {
  0x0000: '802.3-llc', 0x0800: 'ipv4', 0x0806: 'arp', 0x0842: 'wake-on-lan', 0x22f3: 'trill', 0x6002: 'dec-mop',
  0x8035: 'rarp', 0x809b: 'appletalk', 0x80f3: 'aarp', 0x8100: 'vlan', 0x8137: 'ipx', 0x86dd: 'ipv6',
  0x8808: 'ethernet-flow-control', 0x8809: 'slow-protocols(lacp)', 0x8847: 'mpls', 0x8848: 'mpls-multicast',
  0x8863: 'pppoe-discovery', 0x8864: 'pppoe-session', 0x888e: 'eapol', 0x8892: 'profinet', 0x88a8: 'qinq',
  0x88cc: 'lldp', 0x88e5: 'macsec', 0x88f7: 'ptp', 0x8902: 'cfm', 0x8906: 'fcoe', 0x8914: 'fip', 0x9000: 'loopback',
  0x88e7: 'pbb', 0x893a: 'ieee1905', 0x88b5: 'local-experimental', 0x88b6: 'local-experimental-2',
};

export function ethertypeName(t: number): string {
  return NAMES[t] ?? `0x${t.toString(16).padStart(4, '0')}`;
}
