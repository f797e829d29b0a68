/** Tunnel kinds; must match TunnelKind / TUNNEL_NAMES in src/flow/batch.ts. */
export const TUNNEL = { None: 0, IpInIp: 1, Gre: 2, Vxlan: 3, GtpU: 4, Teredo: 5 } as const;
