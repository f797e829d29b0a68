import { describe, expect, it } from 'vitest';
import { CONN_STATE_NAMES, END_REASON_NAMES, HISTORY_MAX, TUNNEL_NAMES, type FlowBatch } from '../../src/flow/batch.js';
import { DEFAULT_FLOW_OPTIONS, type FlowOptions } from '../../src/flow/options.js';
import { PacketProcessor } from '../../src/pipeline/processor.js';
import { ANOMALY_NAMES } from '../../src/wire/anomaly.js';
import {
  ETHERTYPE, IPPROTO, TCPF, addrText, ether, fill, frag6, icmp, ipv4, ipv6, macNum, mpls, norm, sll, tcp, udp, vxlan,
} from '../helpers/bytes.js';

const { SYN, ACK, FIN, RST, PSH } = TCPF;
const A = '10.0.0.1', B = '10.0.0.2';
const MAC_A = '02:aa:00:00:00:01', MAC_B = '02:bb:00:00:00:02';

/** Drives a PacketProcessor with frames at capture times given in seconds. */
class Feeder {
  readonly proc: PacketProcessor;
  private rec = 0;

  constructor(opts: Partial<FlowOptions> = {}) {
    this.proc = new PacketProcessor({ ...DEFAULT_FLOW_OPTIONS, ...opts });
  }

  /** One frame at time `t` (seconds); `caplen` cuts it as a snaplen would. */
  at(t: number, frame: Uint8Array, o: { caplen?: number; linktype?: number } = {}): void {
    const sec = Math.floor(t);
    const ns = Math.round((t - sec) * 1e9);
    const caplen = o.caplen ?? frame.length;
    const buf = frame.slice(0, caplen);
    this.proc.packet(buf, new DataView(buf.buffer), 0, caplen, frame.length, sec, ns, o.linktype ?? 1, this.rec += 100);
  }

  /** Ends the capture and reads every flow written. */
  rows(): Row[] {
    this.proc.flows.flush();
    return this.proc.flows.take(true).flatMap(rowsOf);
  }

  weird(): Record<string, number> {
    const out: Record<string, number> = {};
    const c = this.proc.anomalies.count;
    for (let i = 0; i < ANOMALY_NAMES.length; i++) if (c[i] > 0) out[ANOMALY_NAMES[i]] = c[i];
    return out;
  }
}

type Row = ReturnType<typeof rowAt>;

function rowsOf(b: FlowBatch): Row[] {
  return Array.from({ length: b.n }, (_, r) => rowAt(b, r));
}

function rowAt(b: FlowBatch, r: number) {
  const c = b.cols;
  const h = r * HISTORY_MAX;
  const s = r * b.spltN;
  return {
    orig: addrText(c.origAddr, r * 4), resp: addrText(c.respAddr, r * 4), origPort: c.origPort[r], respPort: c.respPort[r],
    proto: c.proto[r], ipVersion: c.ipVersion[r],
    origPkts: c.origPkts[r], respPkts: c.respPkts[r], origIpBytes: c.origIpBytes[r], respIpBytes: c.respIpBytes[r],
    origWireBytes: c.origWireBytes[r], respWireBytes: c.respWireBytes[r],
    origPayloadBytes: c.origPayloadBytes[r], respPayloadBytes: c.respPayloadBytes[r],
    first: [c.firstSec[r], c.firstNs[r]], last: [c.lastSec[r], c.lastNs[r]],
    endReason: END_REASON_NAMES[c.endReason[r]], connState: CONN_STATE_NAMES[c.connState[r]],
    history: String.fromCharCode(...c.history.subarray(h, h + c.historyLen[r])),
    spltSize: Array.from(c.spltSize.subarray(s, s + c.spltLen[r])), spltGapUs: Array.from(c.spltGapUs.subarray(s, s + c.spltLen[r])),
    synToSynAckUs: c.synToSynAckUs[r], synAckToAckUs: c.synAckToAckUs[r],
    origTtl: c.origTtl[r], respTtl: c.respTtl[r], origMac: c.origMac[r], respMac: c.respMac[r],
    origTcpFlags: c.origTcpFlags[r], respTcpFlags: c.respTcpFlags[r],
    vlanOuter: c.vlanOuter[r], vlanInner: c.vlanInner[r], mplsLabel: c.mplsLabel[r],
    fragments: c.fragments[r], truncatedPkts: c.truncatedPkts[r],
    tunnel: c.tunnelKind[r] === 0 ? '' : `${TUNNEL_NAMES[c.tunnelKind[r]]} ${addrText(c.tunnelSrc, r * 4)}>${addrText(c.tunnelDst, r * 4)}`,
  };
}

interface PktOpts { ttl?: number; srcMac?: string; dstMac?: string; len?: number; seq?: number; ack?: number; id?: number }

const macsFor = (src: string, o: PktOpts) => ({ src: o.srcMac ?? (src === A ? MAC_A : MAC_B), dst: o.dstMac ?? (src === A ? MAC_B : MAC_A) });

function tcpFrame(src: string, sport: number, dst: string, dport: number, flags: number, o: PktOpts = {}): Uint8Array {
  const seg = tcp({ sport, dport, flags, seq: o.seq ?? 1, ack: o.ack ?? 0 }, fill(o.len ?? 0));
  return ether(ETHERTYPE.IPV4, ipv4({ proto: IPPROTO.TCP, src, dst, ttl: o.ttl ?? 64 }, seg), macsFor(src, o));
}

function udpFrame(src: string, sport: number, dst: string, dport: number, o: PktOpts = {}): Uint8Array {
  return ether(ETHERTYPE.IPV4, ipv4({ proto: IPPROTO.UDP, src, dst, ttl: o.ttl ?? 64 }, udp(sport, dport, fill(o.len ?? 0))), macsFor(src, o));
}

/** A TCP conversation between A:aPort and B:bPort that keeps sequence numbers right. */
function conv(f: Feeder, aPort = 40000, bPort = 80) {
  let seqA = 1000, seqB = 9000;
  const send = (fromA: boolean, t: number, flags: number, len = 0, o: PktOpts = {}) => {
    const seq = fromA ? seqA : seqB;
    const ack = flags & ACK ? (fromA ? seqB : seqA) : 0;
    f.at(t, fromA ? tcpFrame(A, aPort, B, bPort, flags, { ...o, seq, ack, len }) : tcpFrame(B, bPort, A, aPort, flags, { ...o, seq, ack, len }));
    const adv = len + (flags & (SYN | FIN) ? 1 : 0);
    if (!(flags & RST)) { if (fromA) seqA += adv; else seqB += adv; }
  };
  return {
    a: (t: number, flags: number, len?: number, o?: PktOpts) => send(true, t, flags, len, o),
    b: (t: number, flags: number, len?: number, o?: PktOpts) => send(false, t, flags, len, o),
  };
}

describe('bidirectional TCP flow', () => {
  it('one flow with counters per direction, SPLT, handshake timings, fin', () => {
    const f = new Feeder();
    const c = conv(f);
    c.a(1.0, SYN, 0, { ttl: 64 });
    c.b(1.0001, SYN | ACK, 0, { ttl: 120 });
    c.a(1.0003, ACK, 0, { ttl: 63 });
    c.a(1.001, PSH | ACK, 100);
    c.b(1.002, PSH | ACK, 1000, { ttl: 119 });
    c.a(1.003, FIN | ACK);
    c.b(1.004, FIN | ACK);
    c.a(1.005, ACK);
    const rows = f.rows();
    expect(rows).toHaveLength(1);
    const r = rows[0];
    expect([r.orig, r.origPort, r.resp, r.respPort, r.proto, r.ipVersion]).toEqual([A, 40000, B, 80, 6, 4]);
    expect([r.origPkts, r.respPkts]).toEqual([5, 3]);
    expect([r.origIpBytes, r.respIpBytes]).toEqual([4 * 40 + 140, 2 * 40 + 1040]);
    expect([r.origWireBytes, r.respWireBytes]).toEqual([4 * 54 + 154, 2 * 54 + 1054]);
    expect([r.origPayloadBytes, r.respPayloadBytes]).toEqual([100, 1000]);
    expect([r.first, r.last]).toEqual([[1, 0], [1, 5_000_000]]);
    expect(r.spltSize).toEqual([40, -40, 40, 140, -1040, 40, -40, 40]);
    expect(r.spltGapUs.map((g) => Math.round(g * 1000) / 1000)).toEqual([0, 100, 200, 700, 1000, 1000, 1000, 1000]);
    expect(r.synToSynAckUs).toBeCloseTo(100, 3);
    expect(r.synAckToAckUs).toBeCloseTo(200, 3);
    expect([r.origTtl, r.respTtl]).toEqual([64, 120]);
    expect([r.origMac, r.respMac]).toEqual([macNum(MAC_A), macNum(MAC_B)]);
    expect([r.origTcpFlags, r.respTcpFlags]).toEqual([SYN | ACK | PSH | FIN, SYN | ACK | PSH | FIN]);
    expect([r.endReason, r.connState, r.history]).toEqual(['fin', 'SF', 'ShADdFf']);
    expect([r.fragments, r.truncatedPkts, r.tunnel, r.vlanOuter, r.mplsLabel]).toEqual([0, 0, '', -1, -1]);
    expect(f.weird()).toEqual({});
  });

  it('a RST ends the flow with end_reason rst', () => {
    const f = new Feeder();
    const c = conv(f, 40001, 22);
    c.a(5, SYN);
    c.b(5.01, RST | ACK);
    const [r] = f.rows();
    expect([r.endReason, r.connState, r.origPkts, r.respPkts]).toEqual(['rst', 'REJ', 1, 1]);
  });

  it('the NS flag is kept in the direction flags', () => {
    const f = new Feeder();
    f.at(1, tcpFrame(A, 1, B, 2, SYN | TCPF.NS));
    expect(f.rows()[0].origTcpFlags).toBe(0x102);
  });
});

describe('orientation (Zeek)', () => {
  it('a flow seen from its SYN-ACK (server port 80): the client is the originator', () => {
    const f = new Feeder();
    const c = conv(f, 40000, 80);
    c.b(1, SYN | ACK);
    c.a(1.1, ACK);
    const [r] = f.rows();
    expect([r.orig, r.origPort, r.resp, r.respPort, r.origPkts, r.respPkts]).toEqual([A, 40000, B, 80, 1, 1]);
  });

  it('a SYN-ACK between two unknown ports: roles flip at the ACK', () => {
    const f = new Feeder();
    const c = conv(f, 40000, 5555);
    c.b(1, SYN | ACK);
    c.a(1.1, ACK);
    const [r] = f.rows();
    expect([r.orig, r.origPort, r.respPort, r.origPkts, r.respPkts]).toEqual([A, 40000, 5555, 1, 1]);
    expect(r.history.startsWith('^h')).toBe(true);
    // The SYN-ACK came from the responder: its size is negative once the roles are fixed.
    expect(r.spltSize).toEqual([-40, 40]);
    expect([r.origMac, r.respMac]).toEqual([macNum(MAC_A), macNum(MAC_B)]);
  });

  it('a mid-stream TCP packet from port 443: the other side is the originator', () => {
    const f = new Feeder();
    f.at(1, tcpFrame(B, 443, A, 51000, PSH | ACK, { len: 10 }));
    const [r] = f.rows();
    expect([r.orig, r.origPort, r.resp, r.respPort, r.origPkts, r.respPkts]).toEqual([A, 51000, B, 443, 0, 1]);
  });

  it('UDP from port 53 to an ephemeral port: the ephemeral side is the originator', () => {
    const f = new Feeder();
    f.at(1, udpFrame(B, 53, A, 33333, { len: 100 }));
    f.at(2, udpFrame(A, 33333, B, 53, { len: 30 }));
    const [r] = f.rows();
    expect([r.orig, r.origPort, r.resp, r.respPort]).toEqual([A, 33333, B, 53]);
    expect([r.origPkts, r.respPkts, r.origPayloadBytes, r.respPayloadBytes]).toEqual([1, 1, 30, 100]);
    expect([r.origMac, r.respMac]).toEqual([macNum(MAC_A), macNum(MAC_B)]);
    expect(r.spltSize).toEqual([-128, 58]);
  });

  it('UDP between two unknown ports: the first sender is the originator', () => {
    const f = new Feeder();
    f.at(1, udpFrame(B, 40000, A, 50000));
    f.at(1.5, udpFrame(A, 50000, B, 40000));
    const [r] = f.rows();
    expect([r.orig, r.origPort, r.respPort]).toEqual([B, 40000, 50000]);
  });

  it('ICMP echo request and reply are one flow', () => {
    const f = new Feeder();
    f.at(1, ether(ETHERTYPE.IPV4, ipv4({ proto: IPPROTO.ICMP, src: A, dst: B }, icmp(8, 0, fill(56)))));
    f.at(1.01, ether(ETHERTYPE.IPV4, ipv4({ proto: IPPROTO.ICMP, src: B, dst: A }, icmp(0, 0, fill(56)))));
    f.at(2, ether(ETHERTYPE.IPV4, ipv4({ proto: IPPROTO.ICMP, src: B, dst: A }, icmp(3, 3, fill(28)))));
    const rows = f.rows();
    expect(rows.map((r) => [r.orig, r.origPort, r.respPort, r.origPkts, r.respPkts])).toEqual([
      [A, 8, 0, 1, 1],
      [B, 3, 3, 1, 0],
    ]);
  });
});

describe('timeouts on capture time', () => {
  it('UDP idles out after 60 s: a longer gap splits the flow', () => {
    const f = new Feeder();
    f.at(0, udpFrame(A, 1000, B, 2000));
    f.at(59, udpFrame(B, 2000, A, 1000));
    f.at(120, udpFrame(A, 1000, B, 2000));
    const rows = f.rows();
    expect(rows.map((r) => [r.endReason, r.origPkts, r.respPkts, r.first[0], r.last[0]])).toEqual([
      ['idle', 1, 1, 0, 59],
      ['end_of_capture', 1, 0, 120, 120],
    ]);
  });

  it('TCP idles out after 300 s, not 60', () => {
    const f = new Feeder();
    const c = conv(f);
    c.a(0, SYN); c.b(0.1, SYN | ACK); c.a(0.2, ACK);
    c.a(200, PSH | ACK, 10);
    c.b(499, PSH | ACK, 10);
    c.a(800, PSH | ACK, 10);
    const rows = f.rows();
    expect(rows.map((r) => [r.endReason, r.origPkts + r.respPkts])).toEqual([['idle', 5], ['end_of_capture', 1]]);
  });

  it('other protocols (ICMP) use otherIdleSec', () => {
    const f = new Feeder({ otherIdleSec: 10 });
    const ping = ether(ETHERTYPE.IPV4, ipv4({ proto: IPPROTO.ICMP, src: A, dst: B }, icmp(8, 0)));
    f.at(0, ping); f.at(9, ping); f.at(20, ping);
    expect(f.rows().map((r) => [r.endReason, r.origPkts])).toEqual([['idle', 2], ['end_of_capture', 1]]);
  });

  it('an idle timeout is measured from the last packet, with nanoseconds', () => {
    const f = new Feeder({ udpIdleSec: 1 });
    f.at(10.5, udpFrame(A, 1, B, 2));
    f.at(11.4, udpFrame(A, 1, B, 2)); // 0.9 s later: same flow
    f.at(12.5, udpFrame(A, 1, B, 2)); // 1.1 s later: a new one
    expect(f.rows().map((r) => r.origPkts)).toEqual([2, 1]);
  });

  it('active timeout: a long flow is cut every activeSec', () => {
    const f = new Feeder({ activeSec: 100 });
    for (let t = 0; t <= 150; t += 30) f.at(t, udpFrame(A, 1000, B, 2000));
    const rows = f.rows();
    expect(rows.map((r) => [r.endReason, r.origPkts, r.first[0], r.last[0]])).toEqual([
      ['active', 4, 0, 90],
      ['end_of_capture', 2, 120, 150],
    ]);
  });

  it('a trailing ACK within 5 s after the FINs stays in the flow; later traffic starts a new one', () => {
    const f = new Feeder();
    const c = conv(f);
    c.a(10, SYN); c.b(10.1, SYN | ACK); c.a(10.2, ACK);
    c.a(11, FIN | ACK); c.b(11.5, FIN | ACK);
    c.a(14, ACK);
    c.a(30, ACK);
    const rows = f.rows();
    expect(rows.map((r) => [r.endReason, r.origPkts, r.respPkts])).toEqual([['fin', 4, 2], ['end_of_capture', 1, 0]]);
    expect(rows[0].connState).toBe('SF');
  });

  // table.ts keeps closeSec as whole seconds and compares it with nowSec (no ns): a closed flow
  // waits anywhere between closeDelaySec and closeDelaySec + 1 s.
  it('the close delay is measured with nanoseconds: 5.5 s after the last FIN is a new flow', () => {
    const f = new Feeder();
    const c = conv(f);
    c.a(10, SYN); c.b(10.1, SYN | ACK); c.a(10.2, ACK);
    c.a(10.5, FIN | ACK); c.b(11.0, FIN | ACK);
    c.a(16.5, ACK);
    expect(f.rows().map((r) => [r.endReason, r.origPkts, r.respPkts])).toEqual([['fin', 3, 2], ['end_of_capture', 1, 0]]);
  });

  it('4.2 s after the last FIN is still the closed flow', () => {
    const f = new Feeder();
    const c = conv(f);
    c.a(10, SYN); c.b(10.1, SYN | ACK); c.a(10.2, ACK);
    c.a(10.5, FIN | ACK); c.b(11.9, FIN | ACK);
    c.a(16.1, ACK);
    expect(f.rows().map((r) => [r.endReason, r.origPkts, r.respPkts])).toEqual([['fin', 4, 2]]);
  });

  it('a new SYN with another sequence number on a closed flow starts a new flow (port reuse)', () => {
    const f = new Feeder();
    const c = conv(f);
    c.a(1, SYN); c.b(1.1, SYN | ACK); c.a(1.2, ACK); c.a(2, FIN | ACK); c.b(2.1, FIN | ACK); c.a(2.2, ACK);
    f.at(3, tcpFrame(A, 40000, B, 80, SYN, { seq: 777777 }));
    const rows = f.rows();
    expect(rows.map((r) => [r.endReason, r.origPkts + r.respPkts])).toEqual([['fin', 6], ['end_of_capture', 1]]);
  });
});

describe('--max-flows eviction', () => {
  it('the least recently active flow is evicted and counted', () => {
    const f = new Feeder({ maxFlows: 3 });
    f.at(1, tcpFrame(A, 1001, B, 80, SYN));
    f.at(2, udpFrame(A, 1002, B, 9999));
    f.at(3, udpFrame(A, 1003, B, 9999));
    f.at(4, tcpFrame(A, 1001, B, 80, SYN)); // touches the TCP flow
    f.at(5, udpFrame(A, 1004, B, 9999)); // evicts 1002
    f.at(6, udpFrame(A, 1005, B, 9999)); // evicts 1003
    const rows = f.rows();
    expect(rows.slice(0, 2).map((r) => [r.origPort, r.endReason])).toEqual([[1002, 'evicted'], [1003, 'evicted']]);
    expect(rows.slice(2).map((r) => [r.origPort, r.endReason]).sort()).toEqual([[1001, 'end_of_capture'], [1004, 'end_of_capture'], [1005, 'end_of_capture']]);
    expect(rows.find((r) => r.origPort === 1001)?.origPkts).toBe(2);
    expect(f.weird()).toEqual({ flow_table_full_evicted: 2 });
    expect(f.proc.anomalies.firstOffset[ANOMALY_NAMES.indexOf('flow_table_full_evicted')]).toBe(-1);
  });
});

describe('table growth', () => {
  /** UDP query frame template: client 10.x.y.z:port -> 192.0.2.53:53, patched per flow. */
  const template = ether(ETHERTYPE.IPV4, ipv4({ proto: IPPROTO.UDP, src: '10.0.0.0', dst: '192.0.2.53' }, udp(40000, 53, fill(20))));
  const client = (i: number) => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
  function frame(i: number, reply: boolean): Uint8Array {
    const b = template.slice();
    const dv = new DataView(b.buffer);
    const cli = (10 << 24) | i, port = 40000 + (i % 7);
    dv.setUint32(14 + (reply ? 16 : 12), cli >>> 0);
    dv.setUint32(14 + (reply ? 12 : 16), 0xc0000235);
    dv.setUint16(34 + (reply ? 2 : 0), port);
    dv.setUint16(34 + (reply ? 0 : 2), 53);
    return b;
  }

  it('20 000 concurrent flows past the initial 4096 rows: every reply finds its flow', () => {
    const N = 20000;
    const f = new Feeder();
    for (let i = 0; i < N; i++) f.at(1 + i * 1e-5, frame(i, false));
    expect(f.proc.flows.activeFlows).toBe(N);
    for (let i = N - 1; i >= 0; i--) f.at(2 + (N - i) * 1e-5, frame(i, true));
    expect(f.proc.flows.activeFlows).toBe(N);
    const rows = f.rows();
    expect(rows).toHaveLength(N);
    expect(f.weird()).toEqual({});
    const seen = new Set<string>();
    for (const r of rows) {
      if (r.origPkts !== 1 || r.respPkts !== 1 || r.respPort !== 53 || r.resp !== '192.0.2.53') throw new Error(`bad row ${JSON.stringify(r)}`);
      seen.add(`${r.orig}:${r.origPort}`);
    }
    expect(seen.size).toBe(N);
    expect(seen.has(`${client(12345)}:${40000 + (12345 % 7)}`)).toBe(true);
  });

  it('TCP state and handshake timings survive growth (handshakes completed after it)', () => {
    const N = 6000;
    const f = new Feeder();
    const port = (i: number) => 20000 + i;
    for (let i = 0; i < N; i++) f.at(1 + i * 1e-6, tcpFrame(A, port(i), B, 443, SYN, { seq: 100 }));
    for (let i = 0; i < N; i++) f.at(2 + i * 1e-6, tcpFrame(B, 443, A, port(i), SYN | ACK, { seq: 500, ack: 101 }));
    for (let i = 0; i < N; i++) f.at(3 + i * 1e-6, tcpFrame(A, port(i), B, 443, ACK, { seq: 101, ack: 501 }));
    const rows = f.rows();
    expect(rows).toHaveLength(N);
    const bad = rows.filter((r) => r.connState !== 'S1' || r.history !== 'ShA' || r.origPkts !== 2 || r.respPkts !== 1 ||
      Math.round(r.synToSynAckUs) !== 1_000_000 || Math.round(r.synAckToAckUs) !== 1_000_000);
    expect(bad.slice(0, 2)).toEqual([]);
  });

  it('slots freed by expiry are reused after growth; lookups stay right', () => {
    const f = new Feeder();
    for (let i = 0; i < 9000; i++) f.at(1 + i * 1e-5, frame(i, false));
    // 100 s later the first 9000 flows idle out when the first new packet arrives.
    for (let i = 9000; i < 15000; i++) f.at(100 + i * 1e-5, frame(i, false));
    expect(f.proc.flows.activeFlows).toBe(6000);
    for (let i = 9000; i < 15000; i += 3) f.at(101, frame(i, true));
    for (let i = 0; i < 30; i++) f.at(102, frame(i, true)); // old clients: new flows, flipped (from port 53)
    const rows = f.rows();
    expect(rows).toHaveLength(9000 + 6000 + 30);
    expect(rows.slice(0, 9000).every((r) => r.endReason === 'idle' && r.origPkts === 1 && r.respPkts === 0)).toBe(true);
    const late = rows.slice(9000);
    expect(late.filter((r) => r.respPkts === 1 && r.origPkts === 1)).toHaveLength(2000);
    expect(late.filter((r) => r.respPkts === 1 && r.origPkts === 0)).toHaveLength(30);
  });
});

describe('fragments', () => {
  const datagram = udp(5000, 6000, fill(3000));
  const frag = (src: string, dst: string, off: number, len: number, mf: boolean, id: number) =>
    ether(ETHERTYPE.IPV4, ipv4({ proto: IPPROTO.UDP, src, dst, id, mf, fragOffset: off }, datagram.slice(off, off + len)));

  it('later fragments count in the first fragment\'s flow, both directions', () => {
    const f = new Feeder();
    f.at(1, frag(A, B, 0, 1480, true, 0x77));
    f.at(1.001, frag(A, B, 1480, 1480, true, 0x77));
    f.at(1.002, frag(A, B, 2960, 48, false, 0x77));
    // The reply, also fragmented (same id from the other side is another datagram).
    const reply = udp(6000, 5000, fill(2000));
    f.at(1.01, ether(ETHERTYPE.IPV4, ipv4({ proto: IPPROTO.UDP, src: B, dst: A, id: 0x77, mf: true }, reply.slice(0, 1480))));
    f.at(1.011, ether(ETHERTYPE.IPV4, ipv4({ proto: IPPROTO.UDP, src: B, dst: A, id: 0x77, fragOffset: 1480 }, reply.slice(1480))));
    const rows = f.rows();
    expect(f.weird()).toEqual({});
    expect(rows).toHaveLength(1);
    const r = rows[0];
    expect([r.orig, r.origPort, r.respPort, r.origPkts, r.respPkts, r.fragments]).toEqual([A, 5000, 6000, 3, 2, 5]);
    expect([r.origPayloadBytes, r.respPayloadBytes]).toEqual([3000, 2000]);
    expect([r.origIpBytes, r.respIpBytes]).toEqual([1500 + 1500 + 68, 1500 + 548]);
    expect(r.spltSize).toEqual([1500, 1500, 68, -1500, -548]);
  });

  it('a fragment without its first goes to a port-0 flow: fragment_without_first', () => {
    const f = new Feeder();
    f.at(1, frag(A, B, 1480, 1480, true, 0x99));
    const rows = f.rows();
    expect(rows.map((r) => [r.orig, r.origPort, r.respPort, r.proto, r.fragments])).toEqual([[A, 0, 0, 17, 1]]);
    expect(f.weird()).toEqual({ fragment_without_first: 1 });
  });

  it('a later fragment whose first fragment\'s flow was evicted (slot reused) does not join the new flow', () => {
    const f = new Feeder({ maxFlows: 1 });
    f.at(1, frag(A, B, 0, 1480, true, 0x55));
    f.at(2, udpFrame('10.9.9.9', 1, '10.8.8.8', 2)); // evicts the fragment's flow, takes its slot
    f.at(3, frag(A, B, 1480, 1480, true, 0x55));
    const rows = f.rows();
    expect(rows.map((r) => [r.orig, r.origPort, r.origPkts, r.endReason])).toEqual([
      [A, 5000, 1, 'evicted'], ['10.9.9.9', 1, 1, 'evicted'], [A, 0, 1, 'end_of_capture'],
    ]);
    expect(f.weird()).toEqual({ flow_table_full_evicted: 2, fragment_without_first: 1 });
  });

  it('IPv6 fragments follow their first fragment too', () => {
    const f = new Feeder();
    const seg = udp(7000, 8000, fill(100));
    const v6 = (off: number, more: boolean, body: ArrayLike<number>) =>
      ether(ETHERTYPE.IPV6, ipv6({ next: IPPROTO.FRAGMENT, src: '2001:db8::a', dst: '2001:db8::b' }, [...frag6(IPPROTO.UDP, off, more, 0xabcdef01), ...Array.from(body)]));
    f.at(1, v6(0, true, seg.slice(0, 64)));
    f.at(1.1, v6(64, false, seg.slice(64)));
    const [r] = f.rows();
    expect([r.orig, r.origPort, r.respPort, r.origPkts, r.fragments, r.ipVersion, r.origPayloadBytes]).toEqual([norm('2001:db8::a'), 7000, 8000, 2, 2, 6, 100]);
    expect(f.weird()).toEqual({});
  });
});

describe('per-direction and link columns', () => {
  it('first TTL per direction, MACs per direction, truncated packets', () => {
    const f = new Feeder();
    f.at(1, udpFrame(A, 1234, B, 4321, { ttl: 64, len: 500 }), { caplen: 64 });
    f.at(2, udpFrame(A, 1234, B, 4321, { ttl: 10, len: 500 }), { caplen: 64 });
    f.at(3, udpFrame(B, 4321, A, 1234, { ttl: 250, len: 20 }));
    const [r] = f.rows();
    expect([r.origTtl, r.respTtl]).toEqual([64, 250]);
    expect([r.origMac, r.respMac]).toEqual([macNum(MAC_A), macNum(MAC_B)]);
    expect(r.truncatedPkts).toBe(2);
    expect([r.origPayloadBytes, r.origIpBytes, r.origWireBytes]).toEqual([1000, 2 * 528, 2 * 542]);
  });

  it('cooked capture: the responder MAC comes from its own first packet', () => {
    const f = new Feeder();
    const v4 = (src: string, dst: string, sp: number, dp: number) => ipv4({ proto: IPPROTO.UDP, src, dst }, udp(sp, dp));
    f.at(1, sll(ETHERTYPE.IPV4, v4(A, B, 1, 2), { addr: [2, 0xaa, 0, 0, 0, 1] }), { linktype: 113 });
    f.at(2, sll(ETHERTYPE.IPV4, v4(B, A, 2, 1), { addr: [2, 0xbb, 0, 0, 0, 2] }), { linktype: 113 });
    const [r] = f.rows();
    expect([r.origMac, r.respMac]).toEqual([macNum(MAC_A), macNum(MAC_B)]);
  });

  it('VLAN ids, MPLS label and tunnel endpoints are recorded on the flow', () => {
    const f = new Feeder();
    const inner = ipv4({ proto: IPPROTO.TCP, src: A, dst: B }, tcp({ sport: 40000, dport: 443, flags: SYN }));
    f.at(1, ether(ETHERTYPE.MPLS, mpls([1234, 56], inner), { tags: [[0x88a8, 100], [0x8100, 200]] }));
    const outer = ipv4({ proto: IPPROTO.UDP, src: '198.51.100.1', dst: '198.51.100.2' }, udp(50000, 4789, vxlan(7, ether(ETHERTYPE.IPV4, ipv4({ proto: IPPROTO.UDP, src: '10.5.5.5', dst: '10.6.6.6' }, udp(1111, 2222))))));
    f.at(2, ether(ETHERTYPE.IPV4, outer));
    const rows = f.rows();
    const tcpRow = rows.find((r) => r.proto === 6)!;
    expect([tcpRow.vlanOuter, tcpRow.vlanInner, tcpRow.mplsLabel, tcpRow.orig, tcpRow.respPort, tcpRow.tunnel]).toEqual([100, 200, 1234, A, 443, '']);
    const vx = rows.find((r) => r.proto === 17)!;
    expect([vx.orig, vx.resp, vx.origPort, vx.respPort, vx.tunnel, vx.vlanOuter]).toEqual(['10.5.5.5', '10.6.6.6', 1111, 2222, 'vxlan 198.51.100.1>198.51.100.2', -1]);
  });

  it('SPLT keeps the first `splt` packets only; 0 turns it off', () => {
    const f = new Feeder({ splt: 3 });
    for (let i = 0; i < 6; i++) f.at(1 + i * 0.25, i % 2 ? udpFrame(B, 2, A, 1, { len: i }) : udpFrame(A, 1, B, 2, { len: i }));
    const [r] = f.rows();
    expect([r.spltSize, r.spltGapUs]).toEqual([[28, -29, 30], [0, 250000, 250000]]);
    const off = new Feeder({ splt: 0 });
    off.at(1, udpFrame(A, 1, B, 2));
    expect(off.rows()[0].spltSize).toEqual([]);
  });

  it('non-IP frames make no flow', () => {
    const f = new Feeder();
    f.at(1, ether(ETHERTYPE.ARP, fill(28)));
    f.at(2, ether(ETHERTYPE.IPV4, fill(10)));
    f.at(3, udpFrame(A, 1, B, 2), { caplen: 0 });
    expect(f.rows()).toEqual([]);
    expect(f.weird()).toEqual({ truncated_ip_header: 1, zero_length_packet: 1 });
    expect(f.proc.l2Records()).toEqual([{ ethertype: 0x0806, name: 'arp', packets: 1, bytes: 42 }]);
    expect(f.proc.undecoded).toBe(2);
  });
});
