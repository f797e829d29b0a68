/**
 * sFlow datagrams found in a capture (or received by `onpath sflow`) as rows: flow samples for
 * sflow_flows, counter samples for sflow_counters, each as JSON text without capture_id (the
 * writer adds it), and the (agent, sub-agent, sequence) of every datagram in order, for the loss
 * count per agent, which only the writer can make across ranges.
 */
import { SflowDecoder, SflowSequence, type SflowCounterSample, type SflowDatagram, type SflowFlowSample, type SflowSink } from '../wire/sflow.js';
import { nsText } from '../inspect/json-text.js';

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

/**
 * What a writer makes of the rows of successive ranges (or collector batches) of one capture: the
 * lines with capture_id, the datagram sequence followed per agent in order (losses, resets), and
 * the anomalies summed by kind. Shared by `ingest` and `onpath sflow`.
 */
export class SflowCapture {
  flows: string[] = [];
  counters: string[] = [];
  samples = 0;
  readonly anomalies = new Map<string, [number, number]>();
  private readonly seq = new SflowSequence();
  private readonly agents = new Map<string, { agent: string; sub: number; datagrams: number; lost: number; resets: number }>();
  private readonly prefix: string;

  constructor(readonly captureId: number) {
    this.prefix = `{"capture_id":${captureId},`;
  }

  add(r: SflowRows): void {
    for (const l of r.flows) this.flows.push(this.prefix + l.slice(1));
    for (const l of r.counters) this.counters.push(this.prefix + l.slice(1));
    this.samples += r.flows.length + r.counters.length;
    const s = r.seqs;
    for (let i = 0; i < s.length; i += 3) {
      const agent = s[i] as string, sub = s[i + 1] as number;
      const key = `${agent}/${sub}`;
      let e = this.agents.get(key);
      if (!e) { e = { agent, sub, datagrams: 0, lost: 0, resets: 0 }; this.agents.set(key, e); }
      const resets = this.seq.resets;
      e.lost += this.seq.see(agent, sub, s[i + 2] as number);
      e.resets += this.seq.resets - resets;
      e.datagrams++;
    }
    for (const [kind, count, first] of r.anomalies) {
      const e = this.anomalies.get(kind);
      if (e === undefined) this.anomalies.set(kind, [count, first]);
      else { e[0] += count; if (first >= 0 && (e[1] < 0 || first < e[1])) e[1] = first; }
    }
  }

  /** Lines waiting to be written. */
  get pending(): number { return this.flows.length + this.counters.length; }

  /** Takes the waiting lines (and, with `agents`, the per-agent rows as they stand). */
  take(agents: boolean): { flows: string[]; counters: string[]; agents: string[] } {
    const out = {
      flows: this.flows, counters: this.counters,
      agents: agents ? [...this.agents.values()].map((x) => JSON.stringify({
        capture_id: this.captureId, agent: x.agent, sub_agent: x.sub, datagrams: x.datagrams, lost_datagrams: x.lost, sequence_resets: x.resets,
      })) : [],
    };
    this.flows = []; this.counters = [];
    return out;
  }

  get agentCount(): number { return this.agents.size; }
  get lost(): number { let n = 0; for (const a of this.agents.values()) n += a.lost; return n; }

  anomalyRecords(): { kind: string; count: number; firstOffset: number }[] {
    return [...this.anomalies].map(([kind, [count, firstOffset]]) => ({ kind, count, firstOffset }));
  }
}
