/**
 * sFlow v5 decoder against the shared/ixp fixtures and hand-built datagrams.
 *
 * References: `X.pcap.sflow.tsv` (one row per flow sample, from tshark 4.0.17) and the upstream
 * tcpdump outputs `X.pcap.tcpdump.out` (datagram headers, sample headers, counter records,
 * switch and raw-header records). Both are read in place, never modified.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readCapture } from '../../src/io/capture-reader.js';
import { AnomalyCounters } from '../../src/wire/anomaly.js';
import { decodeLink } from '../../src/wire/link.js';
import { Decoded } from '../../src/wire/packet.js';
import { TUNNEL } from '../../src/wire/tunnel-kind.js';
import {
  SflowDecoder, SflowSequence, sflowHeaderLinktype, SFLOW_PORT,
  type SflowCounterSample, type SflowDatagram, type SflowFlowSample, type SflowSink,
} from '../../src/wire/sflow.js';
import { Collect } from '../io/collect.js';
import { readTsv } from '../helpers/corpus.js';
import { be16, be32, cat, ether, ETHERTYPE, ip4, ip6, ipv4, ipv6, IPPROTO, tcp, TCPF, udp, zeros } from '../helpers/bytes.js';
import { mulberry32 } from '../helpers/rng.js';

const IXP = fileURLToPath(new URL('../../../shared/ixp/', import.meta.url));

/** Everything the decoder handed a sink for one datagram. */
class Got implements SflowSink {
  readonly datagrams: SflowDatagram[] = [];
  readonly flows: SflowFlowSample[] = [];
  readonly counters: SflowCounterSample[] = [];
  readonly anomalies: string[] = [];
  /** Sample kinds in wire order ('F' flow, 'C' counters). */
  readonly order: ('F' | 'C')[] = [];
  datagram(d: SflowDatagram): void { this.datagrams.push(d); }
  flowSample(s: SflowFlowSample): void { this.flows.push(s); this.order.push('F'); }
  counterSample(s: SflowCounterSample): void { this.counters.push(s); this.order.push('C'); }
  anomaly(kind: string): void { this.anomalies.push(kind); }
}

interface Frame {
  no: number;
  got: Got;
  /** UDP payload bytes handed to the decoder. */
  payloadLen: number;
  /** The UDP length field disagreed with the IP length (the payload was cut to the UDP length). */
  udpShort: boolean;
}

/**
 * Reads a fixture with the project's capture reader, decodes each frame's Ethernet/IP/UDP with
 * decodeLink and gives the UDP payload to one SflowDecoder.
 *
 * `udpLength`: onpath's UDP decoder sizes the payload by the IP header (payloadCaptured); a
 * socket, tcpdump and tshark go by the UDP length field. With `udpLength` the payload is cut to
 * the UDP length, as a collector would receive it. Only tcpdump-sflow-print-segv.pcap differs.
 */
async function decodeFile(file: string, udpLength = true): Promise<{ frames: Frame[]; decoder: SflowDecoder }> {
  const c = new Collect();
  await readCapture(join(IXP, file), c);
  const decoder = new SflowDecoder();
  const frames = c.pkts.map((pk, i): Frame => {
    const buf = Uint8Array.from(pk.data);
    const dv = new DataView(buf.buffer);
    const p = new Decoded(new AnomalyCounters());
    p.reset(pk.offset, buf.length, pk.wire);
    decodeLink(p, dv, pk.linktype, 0, buf.length);
    expect(p.proto, `${file} frame ${i + 1}`).toBe(IPPROTO.UDP);
    expect(p.dport, `${file} frame ${i + 1}`).toBe(SFLOW_PORT);
    let end = p.payloadOff + p.payloadCaptured;
    const udpLen = dv.getUint16(p.payloadOff - 8 + 4);
    const udpShort = p.payloadOff - 8 + udpLen < end;
    if (udpLength && udpShort) end = p.payloadOff - 8 + udpLen;
    const got = new Got();
    expect(() => decoder.decode(dv, p.payloadOff, end, got, pk.offset)).not.toThrow();
    return { no: i + 1, got, payloadLen: end - p.payloadOff, udpShort };
  });
  return { frames, decoder };
}

const pcaps = readdirSync(IXP).filter((f) => f.endsWith('.pcap') && f.includes('sflow')).sort();
const tsvFiles = readdirSync(IXP).filter((f) => f.endsWith('.pcap.sflow.tsv')).sort();
const tcpdumpFiles = readdirSync(IXP).filter((f) => f.endsWith('.pcap.tcpdump.out')).sort();

const num = (v: string | undefined): number | null => (v === undefined || v === '' ? null : Number(v));
const text = (v: string | undefined): string | null => (v === undefined || v === '' ? null : v);

describe('sFlow fixtures: flow samples against the tshark TSV', () => {
  it('every sflow pcap has a TSV', () => {
    expect(tsvFiles.map((f) => f.replace(/\.sflow\.tsv$/, ''))).toEqual(pcaps);
    expect(pcaps.length).toBe(14);
  });

  for (const tsv of tsvFiles) {
    const pcap = tsv.replace(/\.sflow\.tsv$/, '');
    it(pcap, async () => {
      const rows = readTsv(join(IXP, tsv));
      const { frames } = await decodeFile(pcap);
      const flows = frames.flatMap((f) => f.got.flows.map((s) => ({ frame: f.no, s })));
      expect(flows.length).toBe(rows.length);
      rows.forEach((r, i) => {
        const { frame, s } = flows[i]!;
        const at = `${pcap} row ${i + 1}`;
        expect(frame, at).toBe(Number(r.frame));
        expect({
          agent: s.agent, datagram_seq: s.datagramSeq, sample_type: s.sampleType, sample_seq: s.sampleSeq,
          source_id_index: s.sourceIdIndex, sampling_rate: s.samplingRate, sample_pool: s.samplePool, drops: s.drops,
          in_if_format: s.inputFormat, in_if_value: s.inputValue, out_if_format: s.outputFormat, out_if_value: s.outputValue,
          header_protocol: s.headerProtocol, frame_length: s.frameLength, stripped: s.stripped, header_len: s.headerLength,
          in_vlan: s.srcVlan, out_vlan: s.dstVlan,
          gw_nexthop: s.gwNextHop, gw_router_as: s.gwRouterAs, gw_src_as: s.gwSrcAs, gw_src_peer_as: s.gwSrcPeerAs,
          // tshark leaves the column empty for an empty path; the decoder gives '' (a record with no segments).
          gw_dst_as_path: s.gwDstAsPath === '' ? null : s.gwDstAsPath,
        }, at).toEqual({
          agent: r.agent, datagram_seq: num(r.datagram_seq), sample_type: num(r.sample_type), sample_seq: num(r.sample_seq),
          source_id_index: num(r.source_id_index), sampling_rate: num(r.sampling_rate), sample_pool: num(r.sample_pool), drops: num(r.drops),
          in_if_format: num(r.in_if_format), in_if_value: num(r.in_if_value), out_if_format: num(r.out_if_format), out_if_value: num(r.out_if_value),
          header_protocol: num(r.header_protocol), frame_length: num(r.frame_length), stripped: num(r.stripped), header_len: num(r.header_len),
          in_vlan: num(r.in_vlan), out_vlan: num(r.out_vlan),
          gw_nexthop: text(r.gw_nexthop), gw_router_as: num(r.gw_router_as), gw_src_as: num(r.gw_src_as), gw_src_peer_as: num(r.gw_src_peer_as),
          gw_dst_as_path: text(r.gw_dst_as_path),
        });
        // The usual estimates: one sample stands for samplingRate packets of its frame length.
        expect(s.scaledPackets, at).toBe(s.samplingRate);
        expect(s.scaledBytes, at).toBe(s.frameLength! * s.samplingRate);

        // The sampled header. tshark's inner_* are the FIRST IP and TCP/UDP layer inside the
        // header; onpath's decoders unwrap tunnels (VXLAN, GRE, IP-in-IP, GTP-U, Teredo) down to
        // the INNERMOST packet and keep the outermost addresses as tunnelSrc/tunnelDst. So for
        // a tunnelled header tshark's src/dst are the decoder's tunnel addresses, and tshark's
        // proto/ports (the outer UDP to 4789) have no counterpart: the decoder reports the
        // inner packet's (here ICMPv6 between 2001:db8:4::1 and 2001:db8:4::3) instead.
        if (s.tunnelKind !== null) {
          expect(s.tunnelKind, at).toBe(TUNNEL.Vxlan);
          expect([s.tunnelSrcAddr, s.tunnelDstAddr], at).toEqual([r.inner_src, r.inner_dst]);
          expect([num(r.inner_proto), num(r.inner_dport)], at).toEqual([IPPROTO.UDP, 4789]);
        } else {
          expect([s.srcAddr, s.dstAddr, s.proto, s.sport, s.dport], at)
            .toEqual([text(r.inner_src), text(r.inner_dst), num(r.inner_proto), num(r.inner_sport), num(r.inner_dport)]);
        }
      });
    });
  }

  it('VXLAN: the decoder reaches the innermost packet tshark does not show', async () => {
    const { frames } = await decodeFile('akvorado-sflow-encap-vxlan.pcap');
    const s = frames[0]!.got.flows[0]!;
    expect(s).toMatchObject({
      tunnelKind: TUNNEL.Vxlan, tunnelSrcAddr: '192.168.108.40', tunnelDstAddr: '192.168.15.14',
      ipVersion: 6, srcAddr: '2001:db8:4::1', dstAddr: '2001:db8:4::3', proto: IPPROTO.ICMPV6, icmpType: 128, icmpCode: 0,
      sport: null, dport: null, srcMac: '00:17:08:7d:77:42', dstMac: '30:e4:db:3e:33:7f',
    });
  });

  it('inner header details: VLAN tags, MACs, TCP flags, IP length, extended records', async () => {
    const qinq = (await decodeFile('akvorado-sflow-qinq.pcap')).frames[0]!.got.flows[0]!;
    expect(qinq).toMatchObject({ vlan: 1062, vlanInner: 1493, srcMac: '4c:ae:a3:52:0f:f6', dstMac: '00:01:10:62:14:93', tcpFlags: TCPF.ACK, ipLen: 80, srcVlan: null });
    const exp = (await decodeFile('tcpdump-sflow-expanded.pcap')).frames[0]!.got.flows[0]!;
    expect(exp).toMatchObject({
      vlan: 809, tcpFlags: TCPF.PSH | TCPF.ACK, ipLen: 104, routerNextHop: '54.54.54.54', srcMaskLen: 32, dstMaskLen: 22,
      gwDstAsPathSegments: [{ type: 2, asns: [8218, 29605, 203361] }], gwDstAs: 203361,
      gwCommunities: '8218:101 29169:100 29169:50000 29169:51706', gwLocalPref: 100, otherRecords: 0,
    });
    const raw = (await decodeFile('akvorado-sflow-raw-ipv4.pcap')).frames[0]!.got.flows;
    expect(raw.map((s) => [s.ipVersion, s.srcMac, s.icmpType, s.ipLen])).toEqual([[4, null, 0, 32], [4, null, 0, 32]]);
    const gw = (await decodeFile('akvorado-sflow-1140.pcap')).frames[0]!.got.flows;
    expect(gw[1]).toMatchObject({ gwNextHop: '0.0.0.0', gwDstAsPathSegments: [], gwDstAs: null, gwCommunities: '', gwLocalPref: 0 });
    expect(gw[3]).toMatchObject({
      gwDstAs: 26615, gwCommunities: '39421:1000 39421:1001 65000:40000 65000:40001 65000:60001', gwLocalPref: 100,
    });
  });
});

// ---------------------------------------------------------------- tcpdump -v output

interface TdSample { head: string; records: string[] }
interface TdFrame { no: number; datagram: string | null; fault: string | null; samples: TdSample[] }

/**
 * The parts of tcpdump's sFlow print that the decoder also produces, as comparable strings.
 * Counter records become their numbers in print order (which is the field order of the spec).
 */
function parseTcpdump(path: string): TdFrame[] {
  const frames: TdFrame[] = [];
  let frame: TdFrame | null = null;
  let sample: TdSample | null = null;
  let pending: { kind: string; lines: number; nums: string[] } | null = null;
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    const f = /^\s*(\d+)\s+\d{4}-\d\d-\d\d /.exec(line);
    if (f) { frame = { no: Number(f[1]), datagram: null, fault: null, samples: [] }; frames.push(frame); sample = null; pending = null; }
    if (frame === null) continue;
    let m = /sFlowv5, IPv([46]) agent (\S+), agent-id (\d+), seqnum (\d+), uptime (\d+), samples (\d+), length (\d+)/.exec(line);
    if (m) { frame.datagram = `v${m[1]} ${m[2]} sub=${m[3]} seq=${m[4]} up=${m[5]} n=${m[6]} len=${m[7]}`; continue; }
    if (/sFlowv5 \[length \d+ < \d+\] \(invalid\)/.test(line)) { frame.fault = 'sflow_truncated'; continue; }
    if (/sFlow version \d+ packet not supported/.test(line)) { frame.fault = 'sflow_bad_version'; continue; }
    m = /(flow|counter) sample \((\d+)\), length \d+, seqnum (\d+), type (\d+), idx (\d+), (.*)records (\d+)/.exec(line);
    if (m) {
      let head = `${m[1]} ${m[2]} seq=${m[3]} type=${m[4]} idx=${m[5]} records=${m[7]}`;
      if (m[1] === 'flow') {
        const x = /rate (\d+), pool (\d+), drops (\d+), input (\d+)(?: \((\d+)\),)? output (\d+)(?: \((\d+)\),)? /.exec(m[6]!);
        expect(x, line).not.toBeNull();
        // Compact: the raw interface words. Expanded: value (format).
        const inp = x![5] === undefined ? x![4] : `${x![4]}(${x![5]})`;
        const out = x![7] === undefined ? x![6] : `${x![6]}(${x![7]})`;
        head += ` rate=${x![1]} pool=${x![2]} drops=${x![3]} in=${inp} out=${out}`;
      }
      sample = { head, records: [] };
      frame.samples.push(sample);
      pending = null;
      continue;
    }
    m = /enterprise (\d+),? (.+?) \((\d+)\) length (\d+)/.exec(line);
    if (m && sample) {
      const name = m[2]!;
      pending = null;
      if (name === 'Generic counter') pending = { kind: 'G', lines: 6, nums: [] };
      else if (name === 'Ethernet counter') pending = { kind: 'E', lines: 3, nums: [] };
      else if (name === 'Extended Switch data') pending = { kind: 'S', lines: 1, nums: [] };
      else if (name === 'Raw packet') pending = { kind: 'H', lines: 1, nums: [] };
      else if (name === 'Extended Gateway data' || name === 'Extended Router data') sample.records.push(`X ${m[3]}`);
      else sample.records.push(`U ${m[1]} ${m[3]} ${m[4]}`);
      continue;
    }
    if (pending && sample) {
      pending.nums.push(...(line.match(/\b\d+\b/g) ?? []));
      if (--pending.lines === 0) { sample.records.push(`${pending.kind} ${pending.nums.join(' ')}`); pending = null; }
    }
  }
  for (const fr of frames) for (const s of fr.samples) s.records.sort();
  return frames;
}

/** The decoder's view of a frame in the same strings. */
function asTcpdump(fr: Frame): TdFrame {
  const d = fr.got.datagrams[0];
  const out: TdFrame = {
    no: fr.no,
    datagram: d === undefined ? null
      : `v${d.agentIpVersion} ${d.agent} sub=${d.subAgent} seq=${d.datagramSeq} up=${d.uptimeMs} n=${d.sampleCount} len=${fr.payloadLen}`,
    fault: fr.got.anomalies.length > 0 ? fr.got.anomalies.join(',') : null,
    samples: [],
  };
  let fi = 0, ci = 0;
  for (const k of fr.got.order) {
    if (k === 'F') {
      const s = fr.got.flows[fi++]!;
      const iface = (fmt: number, v: number): string => (s.sampleType === 1 ? String(((fmt << 30) | v) >>> 0) : `${v}(${fmt})`);
      const records: string[] = [];
      if (s.headerProtocol !== null) records.push(`H ${s.headerProtocol} ${s.frameLength} ${s.stripped} ${s.headerLength}`);
      if (s.srcVlan !== null) records.push(`S ${s.srcVlan} ${s.srcPriority} ${s.dstVlan} ${s.dstPriority}`);
      if (s.srcMaskLen !== null) records.push('X 1002');
      if (s.gwRouterAs !== null) records.push('X 1003');
      out.samples.push({
        head: `flow ${s.sampleType} seq=${s.sampleSeq} type=${s.sourceIdType} idx=${s.sourceIdIndex} records=${s.recordCount}`
          + ` rate=${s.samplingRate} pool=${s.samplePool} drops=${s.drops} in=${iface(s.inputFormat, s.inputValue)} out=${iface(s.outputFormat, s.outputValue)}`,
        records: records.sort(),
      });
    } else {
      const s = fr.got.counters[ci++]!;
      const records: string[] = [];
      if (s.generic) records.push(`G ${Object.values(s.generic).join(' ')}`);
      if (s.ethernet) records.push(`E ${Object.values(s.ethernet).join(' ')}`);
      for (const o of s.others) records.push(`U ${o.enterprise} ${o.format} ${o.length}`);
      out.samples.push({ head: `counter ${s.sampleType} seq=${s.sampleSeq} type=${s.sourceIdType} idx=${s.sourceIdIndex} records=${s.recordCount}`, records: records.sort() });
    }
  }
  return out;
}

/** [samples, detailed records] in each tcpdump output. */
const TCPDUMP_COUNTS: Record<string, [number, number]> = {
  'tcpdump-sflow-expanded.pcap': [1, 3],
  'tcpdump-sflow-multiple-counter-30-pdus.pcap': [144, 142 * 2 + 12],
  'tcpdump-sflow-print-segv.pcap': [0, 0],
  'tcpdump-sflow-print-v6.pcap': [61, 61 * 2],
};

describe('sFlow fixtures: against the upstream tcpdump -v output', () => {
  for (const out of tcpdumpFiles) {
    const pcap = out.replace(/\.tcpdump\.out$/, '');
    it(pcap, async () => {
      const want = parseTcpdump(join(IXP, out));
      // What the parse found (so an empty parse cannot pass): samples, and records among them.
      expect([want.flatMap((f) => f.samples).length, want.flatMap((f) => f.samples.flatMap((x) => x.records)).length])
        .toEqual(TCPDUMP_COUNTS[pcap]);
      const { frames } = await decodeFile(pcap);
      expect(frames.length).toBe(want.length);
      expect(frames.map(asTcpdump)).toEqual(want);
    });
  }

  it('tcpdump-sflow-multiple-counter-30-pdus.pcap: counts, values, and the non-v5 datagrams', async () => {
    const { frames, decoder } = await decodeFile('tcpdump-sflow-multiple-counter-30-pdus.pcap');
    const counters = frames.flatMap((f) => f.got.counters);
    expect(frames.flatMap((f) => f.got.flows)).toEqual([]);
    expect(counters.filter((c) => c.sampleType === 4).length).toBe(142);
    expect(counters.filter((c) => c.sampleType === 2).length).toBe(2);
    expect(decoder).toMatchObject({ datagrams: 25, flowSamples: 0, counterSamples: 144, skippedSamples: 0, skippedRecords: 12 });
    // Frames 13 and 19-22 carry "version" 0x00050001/0x00050002: not sFlow v5 (tcpdump: not supported).
    expect(frames.filter((f) => f.got.anomalies.length > 0).map((f) => [f.no, f.got.anomalies]))
      .toEqual([13, 19, 20, 21, 22].map((n) => [n, ['sflow_bad_version']]));
    // A few generic interface counters, as tcpdump prints them (frame 1, first and third sample).
    expect(counters[0]!.generic).toEqual({
      ifIndex: 55, ifType: 117, ifSpeed: 1000000000, ifDirection: 1, ifStatus: 3,
      inOctets: 820721n, inUcastPkts: 9601, inMulticastPkts: 0, inBroadcastPkts: 1302, inDiscards: 0, inErrors: 0, inUnknownProtos: 0,
      outOctets: 178785248n, outUcastPkts: 9736, outMulticastPkts: 132958, outBroadcastPkts: 2213534, outDiscards: 0, outErrors: 0,
      promiscuousMode: 2,
    });
    expect(counters[2]).toMatchObject({ agent: '15.184.8.4', subAgent: 2, datagramSeq: 204720, sampleSeq: 87099, sourceIdIndex: 57 });
    expect(counters[2]!.generic).toMatchObject({ inOctets: 3051593057n, inUcastPkts: 52919488, inMulticastPkts: 1491, outOctets: 1525716840n, outUcastPkts: 30013667 });
    const compact = counters.filter((c) => c.sampleType === 2);
    expect(compact.map((c) => [c.agent, c.sourceIdType, c.sourceIdIndex, c.generic, c.others.map((o) => o.format)])).toEqual([
      ['15.184.4.165', 2, 1, null, [2001, 2005, 2004, 2003, 2006, 2000]],
      ['15.184.13.52', 2, 1, null, [2001, 2005, 2004, 2003, 2006, 2000]],
    ]);
  });

  it('tcpdump-sflow-print-v6.pcap: IPv6 agent, 13 flow and 48 counter samples', async () => {
    const { frames, decoder } = await decodeFile('tcpdump-sflow-print-v6.pcap');
    expect(decoder).toMatchObject({ datagrams: 25, flowSamples: 13, counterSamples: 48, anomalies: 0 });
    expect(new Set(frames.map((f) => f.got.datagrams[0]!.agent))).toEqual(new Set(['30::1:1:1']));
    expect(frames[0]!.got.counters[0]!.generic).toMatchObject({ ifIndex: 23001, ifType: 6, ifSpeed: 400000000000, outOctets: 9717n, outMulticastPkts: 79 });
  });
});

describe('sFlow fixtures: the malformed datagram (tcpdump-sflow-print-segv.pcap)', () => {
  it('cut to its UDP length (8 bytes, as tcpdump and tshark read it): truncated, nothing delivered', async () => {
    const { frames } = await decodeFile('tcpdump-sflow-print-segv.pcap');
    expect(frames.length).toBe(1);
    expect(frames[0]).toMatchObject({ udpShort: true, payloadLen: 8 });
    expect(frames[0]!.got).toMatchObject({ datagrams: [], flows: [], counters: [], anomalies: ['sflow_truncated'] });
  });

  it('all 868 bytes the IP header claims: no throw, anomalies, and what could be read', async () => {
    const { frames } = await decodeFile('tcpdump-sflow-print-segv.pcap', false);
    const g = frames[0]!.got;
    expect(frames[0]!.payloadLen).toBe(868);
    expect(g.datagrams).toMatchObject([{ agent: '10.0.0.250', subAgent: 0, datagramSeq: 4821297, sampleCount: 5 }]);
    // The first sample's fixed fields fit its declared 156 bytes, so it is delivered, but its
    // record count (768) cannot fit, its first record overruns the sample, and the second
    // sample's length runs past the datagram: decoding stops there.
    expect(g.flows.length).toBe(1);
    expect(g.flows[0]).toMatchObject({ sampleSeq: 6780866, sourceIdIndex: 21, recordCount: 768, headerProtocol: null, scaledBytes: 0 });
    expect(g.anomalies).toEqual(['sflow_too_many_records', 'sflow_bad_record_length', 'sflow_bad_sample_length']);
  });

  it('every other fixture has a UDP length that agrees with the IP length', async () => {
    for (const pcap of pcaps.filter((p) => !p.includes('segv'))) {
      const { frames } = await decodeFile(pcap);
      expect(frames.every((f) => !f.udpShort), pcap).toBe(true);
    }
  });
});

describe('SflowSequence', () => {
  it('counts missing datagrams per agent and sub-agent; a step back is a reset, not a loss', () => {
    const q = new SflowSequence();
    expect(q.see('192.0.2.1', 0, 10)).toBe(0); // first
    expect(q.see('192.0.2.1', 0, 11)).toBe(0);
    expect(q.see('192.0.2.1', 0, 15)).toBe(3);
    expect(q.see('192.0.2.1', 1, 500)).toBe(0); // another sub-agent: its own sequence
    expect(q.see('192.0.2.2', 0, 12)).toBe(0); // another agent
    expect(q.see('192.0.2.1', 0, 15)).toBe(0); // repeat
    expect(q.see('192.0.2.1', 0, 1)).toBe(0); // agent restart
    expect(q.see('192.0.2.1', 0, 2)).toBe(0);
    expect(q.see('192.0.2.1', 1, 502)).toBe(1);
    expect(q.see('192.0.2.1', 0, 3_000_000_000)).toBe(2_999_999_997);
    expect(q.see('192.0.2.1', 0, 5)).toBe(0); // far back: reset
    expect(q).toMatchObject({ lost: 3 + 1 + 2_999_999_997, resets: 2 });
  });

  it('counts through a u32 wrap', () => {
    const q = new SflowSequence();
    q.see('a', 0, 0xfffffffe);
    expect(q.see('a', 0, 1)).toBe(2); // 0xffffffff and 0 missing
    expect(q.resets).toBe(0);
  });

  it('the fixtures lose nothing', async () => {
    for (const pcap of ['tcpdump-sflow-multiple-counter-30-pdus.pcap', 'tcpdump-sflow-print-v6.pcap']) {
      const q = new SflowSequence();
      const { frames } = await decodeFile(pcap);
      for (const f of frames) for (const d of f.got.datagrams) expect(q.see(d.agent, d.subAgent, d.datagramSeq), pcap).toBe(0);
      expect(q).toMatchObject({ lost: 0, resets: 0 });
    }
  });
});

// ---------------------------------------------------------------- hand-built datagrams

const u32s = (...v: number[]): number[] => v.flatMap((x) => be32(x >>> 0));
const pad4 = (b: ArrayLike<number>): number[] => [...Array.from(b), ...zeros((4 - (b.length % 4)) % 4)];
/** A sample or record: data format word, length, body. */
const rec = (format: number, body: ArrayLike<number>): number[] => [...be32(format), ...be32(body.length), ...Array.from(body)];
const v4addr = (s: string): number[] => [...be32(1), ...ip4(s)];
const v6addr = (s: string): number[] => [...be32(2), ...ip6(s)];

function datagram(o: { version?: number; agent?: number[]; count?: number; samples: number[][] }): Uint8Array {
  return cat(be32(o.version ?? 5), o.agent ?? v4addr('192.0.2.10'), u32s(7, 100, 5000, o.count ?? o.samples.length), ...o.samples);
}

const sampledFrame = ether(ETHERTYPE.VLAN, cat(be16(42), be16(ETHERTYPE.IPV4),
  ipv4({ src: '198.51.100.1', dst: '203.0.113.9', proto: IPPROTO.TCP, totalLen: 1500 }, tcp({ sport: 1234, dport: 443, flags: TCPF.SYN }))),
{ src: '02:00:00:00:00:aa', dst: '02:00:00:00:00:bb' });
const rawHeader = (protocol: number, frameLength: number, stripped: number, h: ArrayLike<number>): number[] =>
  rec(1, [...u32s(protocol, frameLength, stripped, h.length), ...pad4(h)]);
const extSwitch = rec(1001, u32s(42, 3, 43, 0));
const extRouter = rec(1002, [...v6addr('2001:db8::1'), ...u32s(24, 16)]);
const extGateway = rec(1003, [
  ...v4addr('192.0.2.254'), ...u32s(64500, 64501, 64502),
  ...u32s(2), ...u32s(2, 2, 64502, 64510), ...u32s(1, 2, 65001, 65002), // AS_SEQUENCE 64502 64510, AS_SET {65001,65002}
  ...u32s(2, (64500 << 16) | 100, (65535 << 16) | 65281), ...u32s(200),
]);
const unknownRecord = rec((4413 << 12) | 5, u32s(1, 2, 3));

const compactFlow = rec(1, [
  ...u32s(9, (0 << 24) | 17, 512, 51200, 3, 17, (1 << 30) | 258, 5),
  ...rawHeader(1, 1518, 4, sampledFrame), ...extSwitch, ...extRouter, ...extGateway, ...unknownRecord,
]);
const ipv6Header = ipv6({ src: '2001:db8:1::1', dst: '2001:db8:2::2', next: IPPROTO.UDP }, udp(5353, 53, zeros(20)));
const expandedFlow = rec(3, [
  ...u32s(10, 3, 0x01000001, 2048, 4096, 0, 0, 5, 2, 3, 2), ...rawHeader(12, 72, 0, ipv6Header), ...rawHeader(11, 1, 0, [0x45]),
]);
const big = 2n ** 60n + 12345n;
const genericRecord = rec(1, [
  ...u32s(5, 6), ...be32(Number(100_000_000_000n >> 32n)), ...be32(Number(100_000_000_000n & 0xffffffffn)), ...u32s(1, 3),
  ...be32(Number(big >> 32n)), ...be32(Number(big & 0xffffffffn)), ...u32s(11, 12, 13, 14, 15, 16),
  ...u32s(0, 999), ...u32s(21, 22, 23, 24, 25, 1),
]);
const ethernetRecord = rec(2, u32s(...Array.from({ length: 13 }, (_, i) => 100 + i)));
const expandedCounters = rec(4, [...u32s(77, 0, 5, 3), ...genericRecord, ...ethernetRecord, ...rec(2005, zeros(52))]);
const unknownSample = rec((4300 << 12) | 1, u32s(1, 2, 3, 4));
const good = datagram({ samples: [compactFlow, expandedCounters, unknownSample, expandedFlow] });

function run(bytes: ArrayLike<number>, decoder = new SflowDecoder(), filler = 0xa5): Got {
  // The datagram sits inside a bigger buffer, as in a capture: the decoder must stay in bounds.
  const buf = new Uint8Array(bytes.length + 40).fill(filler);
  buf.set(Array.from(bytes), 17);
  const g = new Got();
  expect(() => decoder.decode(new DataView(buf.buffer), 17, 17 + bytes.length, g)).not.toThrow();
  return g;
}

const big64 = (_k: string, v: unknown): unknown => (typeof v === 'bigint' ? `${v}n` : v);

describe('sFlow hand-built datagrams', () => {
  it('a good datagram: every decoded field', () => {
    const dec = new SflowDecoder();
    const g = run(good, dec);
    expect(g.anomalies).toEqual([]);
    expect(g.order).toEqual(['F', 'C', 'F']);
    expect(g.datagrams).toEqual([{ agent: '192.0.2.10', agentIpVersion: 4, subAgent: 7, datagramSeq: 100, uptimeMs: 5000, sampleCount: 4 }]);
    expect(dec).toMatchObject({ datagrams: 1, flowSamples: 2, counterSamples: 1, skippedSamples: 1, skippedRecords: 3, anomalies: 0 });
    expect(g.flows[0]).toEqual({
      agent: '192.0.2.10', subAgent: 7, datagramSeq: 100, uptimeMs: 5000, sampleType: 1, sampleSeq: 9, sourceIdType: 0, sourceIdIndex: 17,
      samplingRate: 512, samplePool: 51200, drops: 3, inputFormat: 0, inputValue: 17, outputFormat: 1, outputValue: 258,
      recordCount: 5, otherRecords: 1,
      headerProtocol: 1, frameLength: 1518, stripped: 4, headerLength: sampledFrame.length,
      ipVersion: 4, srcAddr: '198.51.100.1', dstAddr: '203.0.113.9', proto: 6, sport: 1234, dport: 443, tcpFlags: TCPF.SYN,
      icmpType: null, icmpCode: null, ipLen: 1500, ethertype: null, srcMac: '02:00:00:00:00:aa', dstMac: '02:00:00:00:00:bb',
      vlan: 42, vlanInner: null, tunnelKind: null, tunnelSrcAddr: null, tunnelDstAddr: null,
      srcVlan: 42, srcPriority: 3, dstVlan: 43, dstPriority: 0,
      routerNextHop: '2001:db8::1', srcMaskLen: 24, dstMaskLen: 16,
      gwNextHop: '192.0.2.254', gwRouterAs: 64500, gwSrcAs: 64501, gwSrcPeerAs: 64502,
      gwDstAsPath: '64502 64510 {65001,65002}', gwDstAsPathSegments: [{ type: 2, asns: [64502, 64510] }, { type: 1, asns: [65001, 65002] }],
      gwDstAs: 65002, gwCommunities: '64500:100 65535:65281', gwLocalPref: 200,
      scaledPackets: 512, scaledBytes: 1518 * 512,
    });
    // Expanded: separate source id fields and interface format/value; header protocol 12 is
    // raw IPv6; a second raw header record is skipped (the first one wins).
    expect(g.flows[1]).toMatchObject({
      sampleType: 3, sampleSeq: 10, sourceIdType: 3, sourceIdIndex: 0x01000001, samplingRate: 2048, samplePool: 4096,
      inputFormat: 0, inputValue: 5, outputFormat: 2, outputValue: 3, recordCount: 2, otherRecords: 1,
      headerProtocol: 12, frameLength: 72, ipVersion: 6, srcAddr: '2001:db8:1::1', dstAddr: '2001:db8:2::2', proto: 17,
      sport: 5353, dport: 53, tcpFlags: null, srcMac: null, vlan: null, srcVlan: null, gwNextHop: null, scaledBytes: 72 * 2048,
    });
    expect(g.counters).toEqual([{
      agent: '192.0.2.10', subAgent: 7, datagramSeq: 100, uptimeMs: 5000, sampleType: 4, sampleSeq: 77, sourceIdType: 0, sourceIdIndex: 5,
      recordCount: 3,
      generic: {
        ifIndex: 5, ifType: 6, ifSpeed: 100_000_000_000, ifDirection: 1, ifStatus: 3, inOctets: big,
        inUcastPkts: 11, inMulticastPkts: 12, inBroadcastPkts: 13, inDiscards: 14, inErrors: 15, inUnknownProtos: 16,
        outOctets: 999n, outUcastPkts: 21, outMulticastPkts: 22, outBroadcastPkts: 23, outDiscards: 24, outErrors: 25, promiscuousMode: 1,
      },
      ethernet: {
        alignmentErrors: 100, fcsErrors: 101, singleCollisionFrames: 102, multipleCollisionFrames: 103, sqeTestErrors: 104,
        deferredTransmissions: 105, lateCollisions: 106, excessiveCollisions: 107, internalMacTransmitErrors: 108,
        carrierSenseErrors: 109, frameTooLongs: 110, internalMacReceiveErrors: 111, symbolErrors: 112,
      },
      others: [{ enterprise: 0, format: 2005, length: 52 }],
    }]);
  });

  it('an IPv6 agent, an unknown (type 0) agent, and a bad address type', () => {
    expect(run(datagram({ agent: v6addr('2001:db8::a'), samples: [] })).datagrams).toMatchObject([{ agent: '2001:db8::a', agentIpVersion: 6 }]);
    expect(run(datagram({ agent: be32(0), samples: [] })).datagrams).toMatchObject([{ agent: '', agentIpVersion: 0 }]);
    expect(run(datagram({ agent: [...be32(3), ...zeros(16)], samples: [compactFlow] }))).toMatchObject({ datagrams: [], flows: [], anomalies: ['sflow_bad_address_type'] });
  });

  it('a truncated header', () => {
    expect(run(good.subarray(0, 20))).toMatchObject({ datagrams: [], anomalies: ['sflow_truncated'] });
    expect(run([])).toMatchObject({ datagrams: [], anomalies: ['sflow_truncated'] });
    expect(run(good.subarray(0, 3)).anomalies).toEqual(['sflow_truncated']);
  });

  it('every prefix of a good datagram: no throw, an anomaly, never more than the whole', () => {
    for (let n = 0; n < good.length; n++) {
      const g = run(good.subarray(0, n));
      expect(g.anomalies.length, `prefix ${n}`).toBeGreaterThan(0);
      expect(g.flows.length + g.counters.length, `prefix ${n}`).toBeLessThanOrEqual(3);
    }
  });

  it('a wrong version', () => {
    expect(run(datagram({ version: 4, samples: [compactFlow] }))).toMatchObject({ datagrams: [], flows: [], anomalies: ['sflow_bad_version'] });
    expect(run(datagram({ version: 0x00050001, samples: [] })).anomalies).toEqual(['sflow_bad_version']);
  });

  it('a sample length past the end: the samples before it are kept', () => {
    const bad = [...expandedCounters];
    bad.splice(4, 4, ...be32(expandedCounters.length)); // its length now counts 8 bytes too many
    const g = run(datagram({ samples: [compactFlow, bad] }));
    expect(g.order).toEqual(['F']);
    expect(g.anomalies).toEqual(['sflow_bad_sample_length']);
  });

  it('a sample too short for its own fixed fields', () => {
    const g = run(datagram({ samples: [rec(1, u32s(1, 2, 3)), expandedCounters] }));
    expect(g.order).toEqual(['C']);
    expect(g.anomalies).toEqual(['sflow_bad_sample_length']);
  });

  it('a huge sample count: what fits is decoded, one anomaly', () => {
    const g = run(datagram({ count: 0xffffffff, samples: [compactFlow, expandedCounters] }));
    expect(g.order).toEqual(['F', 'C']);
    expect(g.datagrams[0]!.sampleCount).toBe(0xffffffff);
    expect(g.anomalies).toEqual(['sflow_too_many_samples']);
  });

  it('fewer samples than the count says: truncated', () => {
    const g = run(datagram({ count: 3, samples: [compactFlow, expandedCounters] }));
    expect(g.order).toEqual(['F', 'C']);
    expect(g.anomalies).toEqual(['sflow_truncated']);
  });

  it('bad records inside a sample: the sample keeps what was read', () => {
    // Record length past the end of its sample.
    const overrun = rec(1, [...u32s(1, 1, 1, 1, 0, 1, 2, 2), ...extSwitch, ...be32(1001), ...be32(400), ...u32s(1, 2, 3, 4)]);
    let g = run(datagram({ samples: [overrun, expandedCounters] }));
    expect(g.order).toEqual(['F', 'C']);
    expect(g.flows[0]).toMatchObject({ srcVlan: 42, headerProtocol: null });
    expect(g.anomalies).toEqual(['sflow_bad_record_length']);
    // Header length past its record: the bytes that are there are still decoded.
    const h = Array.from(sampledFrame);
    const cut = rec(1, [...u32s(1, 1518, 4, h.length + 100), ...pad4(h)]);
    g = run(datagram({ samples: [rec(1, [...u32s(1, 1, 1, 1, 0, 1, 2, 1), ...cut])] }));
    expect(g.flows[0]).toMatchObject({ headerLength: h.length + 100, srcAddr: '198.51.100.1', dport: 443 });
    expect(g.anomalies).toEqual(['sflow_bad_record_length']);
    // A gateway record cut inside its AS path keeps the fields before it.
    const gw = rec(1003, [...v4addr('192.0.2.254'), ...u32s(64500, 64501, 64502, 1, 2, 1000)]);
    g = run(datagram({ samples: [rec(1, [...u32s(1, 1, 1, 1, 0, 1, 2, 1), ...gw])] }));
    expect(g.flows[0]).toMatchObject({ gwNextHop: '192.0.2.254', gwRouterAs: 64500, gwSrcPeerAs: 64502, gwDstAsPath: null });
    expect(g.anomalies).toEqual(['sflow_bad_record_length']);
    // A record count that cannot fit.
    g = run(datagram({ samples: [rec(1, [...u32s(1, 1, 1, 1, 0, 1, 2, 0x7fffffff), ...extSwitch])] }));
    expect(g.flows[0]).toMatchObject({ srcVlan: 42, recordCount: 0x7fffffff });
    expect(g.anomalies).toEqual(['sflow_too_many_records']);
    // A counter record too short for its format.
    g = run(datagram({ samples: [rec(2, [...u32s(1, 5, 1), ...rec(1, zeros(40))])] }));
    expect(g.counters[0]).toMatchObject({ generic: null, others: [{ enterprise: 0, format: 1, length: 40 }] });
    expect(g.anomalies).toEqual(['sflow_bad_record_length']);
  });

  it('a sampled header the link decoders find malformed: reported as sflow_header_<name>', () => {
    const g = run(datagram({ samples: [rec(1, [...u32s(1, 1, 1, 1, 0, 1, 2, 1), ...rawHeader(11, 40, 0, [0x45, 0, 0, 40])])] }));
    expect(g.flows[0]).toMatchObject({ headerProtocol: 11, ipVersion: null });
    expect(g.anomalies).toEqual(['sflow_header_truncated_ip_header']);
  });

  it('header protocols: which link type each decodes with', () => {
    expect([1, 11, 12, 2, 13].map(sflowHeaderLinktype)).toEqual([1, 228, 229, -1, -1]);
    const g = run(datagram({ samples: [rec(1, [...u32s(1, 1, 1, 1, 0, 1, 2, 1), ...rawHeader(7, 60, 0, [0xff, 0x03, 0, 0x21])])] }));
    expect(g.flows[0]).toMatchObject({ headerProtocol: 7, ipVersion: null, srcMac: null });
    expect(g.anomalies).toEqual([]);
  });

  it('random corruption never throws and never reads outside the datagram', () => {
    const rnd = mulberry32(0x5f10);
    const dec = new SflowDecoder();
    for (let t = 0; t < 1500; t++) {
      const b = Uint8Array.from(good);
      const flips = 1 + Math.floor(rnd() * 6);
      for (let k = 0; k < flips; k++) {
        const at = Math.floor(rnd() * b.length);
        // Mostly bytes of length and count words: set them high or low.
        b[at] = rnd() < 0.5 ? Math.floor(rnd() * 256) : rnd() < 0.5 ? 0xff : 0;
      }
      const n = rnd() < 0.3 ? Math.floor(rnd() * b.length) : b.length;
      // Different bytes around the datagram must not change a thing: nothing outside is read.
      const a = run(b.subarray(0, n), dec, 0xa5), z = run(b.subarray(0, n), dec, 0x5a);
      expect(JSON.stringify(a, big64), `case ${t}`).toBe(JSON.stringify(z, big64));
    }
  });
});
