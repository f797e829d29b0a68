export interface FlowOptions {
  /** Flows held at once; past it the least recently active flow is evicted. */
  maxFlows: number;
  /** SPLT entries per flow (0 = off). */
  splt: number;
  tcpIdleSec: number;
  udpIdleSec: number;
  /** ICMP and other IP protocols. */
  otherIdleSec: number;
  activeSec: number;
  /** How long a closed TCP flow (FIN both ways, or RST) waits for stray packets before it is written. */
  closeDelaySec: number;
}

export const DEFAULT_FLOW_OPTIONS: FlowOptions = {
  maxFlows: 1_000_000,
  splt: 20,
  tcpIdleSec: 300,
  udpIdleSec: 60,
  otherIdleSec: 60,
  activeSec: 1800,
  closeDelaySec: 5,
};
