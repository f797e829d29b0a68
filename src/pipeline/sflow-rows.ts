/**
 * sFlow datagrams found in a capture (or received by `onpath sflow`) as rows: flow samples for
 * sflow_flows, counter samples for sflow_counters, each as JSON text without capture_id (the
 * writer adds it), and the (agent, sub-agent, sequence) of every datagram in order, for the loss
 * count per agent, which only the writer can make across ranges.
 */
import { SflowDecoder, type SflowCounterSample, type SflowDatagram, type SflowFlowSample, type SflowSink } from '../wire/sflow.js';
import { nsText } from '../inspect/row-json.js';

export interface SflowRows {
  flows: string[];
  counters: string[];
  /** agent, subAgent, sequence per datagram, flattened. */
  seqs: (string | number)[];
  anomalies: [string, number, number][];
}

export function emptySflowRows(): SflowRows {
  return { flows: [], counters: [], seqs: [], anomalies: [] };
}

export function flowSampleJson(s: SflowFlowSample, ts: string | null): string {
  return JSON.stringify({
    ts, agent: s.agent, sub_agent: s.subAgent, datagram_seq: s.datagramSeq, sample_type: s.sampleType, sample_seq: s.sampleSeq,
    source_id_type: s.sourceIdType, source_id_index: s.sourceIdIndex, sampling_rate: s.samplingRate, sample_pool: s.samplePool,
    drops: s.drops, input_format: s.inputFormat, input_if: s.inputValue, output_format: s.outputFormat, output_if: s.outputValue,
    header_protocol: s.headerProtocol, frame_length: s.frameLength, stripped: s.stripped, header_length: s.headerLength,
    ip_version: s.ipVersion, src_addr: s.srcAddr, dst_addr: s.dstAddr, proto: s.proto, src_port: s.sport, dst_port: s.dport,
    tcp_flags: s.tcpFlags, ip_len: s.ipLen, src_mac: s.srcMac, dst_mac: s.dstMac, vlan: s.vlan, src_vlan: s.srcVlan, dst_vlan: s.dstVlan,
    router_next_hop: s.routerNextHop, gw_next_hop: s.gwNextHop, gw_router_as: s.gwRouterAs, gw_src_as: s.gwSrcAs,
    gw_src_peer_as: s.gwSrcPeerAs, gw_dst_as_path: s.gwDstAsPath, gw_dst_as: s.gwDstAs, packets: s.scaledPackets, bytes: s.scaledBytes,
  });
}

export function counterSampleJson(s: SflowCounterSample, ts: string | null): string {
  const g = s.generic;
  return JSON.stringify({
    ts, agent: s.agent, sub_agent: s.subAgent, datagram_seq: s.datagramSeq, sample_seq: s.sampleSeq,
    source_id_type: s.sourceIdType, source_id_index: s.sourceIdIndex,
    if_index: g?.ifIndex ?? null, if_type: g?.ifType ?? null, if_speed: g?.ifSpeed ?? null, if_direction: g?.ifDirection ?? null,
    if_status: g?.ifStatus ?? null, in_octets: g ? g.inOctets.toString() : null, in_ucast_pkts: g?.inUcastPkts ?? null,
    in_multicast_pkts: g?.inMulticastPkts ?? null, in_broadcast_pkts: g?.inBroadcastPkts ?? null, in_discards: g?.inDiscards ?? null,
    in_errors: g?.inErrors ?? null, out_octets: g ? g.outOctets.toString() : null, out_ucast_pkts: g?.outUcastPkts ?? null,
    out_multicast_pkts: g?.outMulticastPkts ?? null, out_broadcast_pkts: g?.outBroadcastPkts ?? null, out_discards: g?.outDiscards ?? null,
    out_errors: g?.outErrors ?? null,
  });
}

/** Decodes datagrams into rows; one per range (or per collector). */
export class SflowCollector implements SflowSink {
  readonly rows: SflowRows = emptySflowRows();
  private readonly decoder = new SflowDecoder();
  private ts: string | null = null;
  private offset = 0;
  private readonly anomalyIndex = new Map<string, number>();

  datagramAt(dv: DataView, off: number, end: number, sec: number, ns: number, recordOffset: number): void {
    this.ts = nsText(sec, ns);
    this.offset = recordOffset;
    this.decoder.decode(dv, off, end, this, recordOffset);
  }

  datagram(d: SflowDatagram): void {
    this.rows.seqs.push(d.agent, d.subAgent, d.datagramSeq);
  }

  flowSample(s: SflowFlowSample): void { this.rows.flows.push(flowSampleJson(s, this.ts)); }
  counterSample(s: SflowCounterSample): void { this.rows.counters.push(counterSampleJson(s, this.ts)); }

  anomaly(kind: string): void {
    const i = this.anomalyIndex.get(kind);
    if (i === undefined) { this.anomalyIndex.set(kind, this.rows.anomalies.length); this.rows.anomalies.push([kind, 1, this.offset]); }
    else this.rows.anomalies[i][1]++;
  }
}
