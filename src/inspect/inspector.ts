/**
 * Inspection in the decode loop. The flow table says which flow (slot) and direction a packet
 * belongs to; this decides once per flow, from its first payload bytes, whether the flow carries
 * something an observer can read (DNS, TLS, QUIC Initials, HTTP/1.x) and then feeds only those
 * flows to their session. Flows that carry nothing readable cost one array read per packet and
 * allocate nothing. Per-slot state lives in typed arrays; sessions exist only for inspected flows.
 */
import type { Decoded } from '../wire/packet.js';
import { InspectContext } from './context.js';
import { TcpStreams, type StreamConsumer } from './tcp-stream.js';
import { TlsSession } from './tls-session.js';
import { HttpSession } from './http-session.js';
import { DnsTcpSession, dnsFlavorForPorts, inspectDnsDatagram, MAX_DNS_MESSAGES_PER_FLOW } from './dns-session.js';
import { QuicSession } from './quic-session.js';
import { BgpCaptureSession } from './bgp-session.js';
import { quickLooksLikeQuicInitial } from './quic.js';
import { looksLikeTlsHello, type TlsAnomaly } from './tls.js';
import { clientFields, serverFields } from './hello-fields.js';
import type { TlsRec } from './records.js';
import { HTTP_METHODS } from './http.js';
import type { DnsFlavor } from './dns.js';

const M_NEW = 0, M_OFF = 1, M_TCP = 2, M_QUIC = 3, M_DNS = 4, M_SCTP = 5, M_TLS_CUT = 6;
/** Packets looked at for the ServerHello after a cut ClientHello. */
const MAX_CUT_TLS_PACKETS = 6;
const ICMP = 1, TCP = 6, UDP = 17, ICMPV6 = 58, SCTP = 132, SYN = 0x02;
/** Payload packets looked at before a flow is given up as unreadable. */
const MAX_TRIES = 3;
const FLAVORS: readonly DnsFlavor[] = ['dns', 'mdns', 'llmnr'];

type TcpSession = TlsSession | HttpSession | DnsTcpSession | BgpCaptureSession;

/**
 * A flow whose first data segment arrived ahead of the stream's start (the SYN says where that
 * is): the decision waits for the in-order bytes, which TcpStreams holds the segment for.
 */
class DeferredSession implements StreamConsumer {
  target: TcpSession | null = null;
  private given = false;
  constructor(private readonly pick: (buf: Uint8Array, off: number, len: number) => TcpSession | null) {}
  get finished(): boolean { return this.given || (this.target !== null && this.target.finished); }
  data(dir: number, buf: Uint8Array, off: number, len: number): void {
    if (this.given) return;
    if (this.target === null) {
      this.target = this.pick(buf, off, len);
      if (this.target === null) { this.given = true; return; }
    }
    this.target.data(dir, buf, off, len);
  }
  gap(dir: number, n: number): void {
    if (this.target !== null) this.target.gap(dir, n);
    else this.given = true; // the start never came: nothing to decide on
  }
}

class TcpInspect {
  readonly streams: TcpStreams;
  constructor(readonly session: TcpSession | DeferredSession) { this.streams = new TcpStreams(session); }
}

export class FlowInspector {
  readonly ctx = new InspectContext();
  private mode: Uint8Array = new Uint8Array(1024);
  private tries: Uint8Array = new Uint8Array(1024);
  private flavor: Uint8Array = new Uint8Array(1024);
  /** Header-only TLS: the hello read first (1 ClientHello, 2 ServerHello); the other one is looked for next. */
  private cutFirst: Uint8Array = new Uint8Array(1024);
  private dnsCount = new Uint16Array(1024);
  private slotTag = new Float64Array(1024).fill(-1);
  private synSeq = new Float64Array(2048).fill(NaN);
  private tcp: (TcpInspect | null)[] = [];
  private quic: (QuicSession | null)[] = [];
  private sctp: (HttpSession | null)[] = [];
  /** Header-only TLS: the record of a flow whose ClientHello the capture cut, waiting for the ServerHello. */
  private tlsCut: (TlsRec | null)[] = [];
  /** Flows inspected (a session or DNS datagrams). */
  inspected = 0;

  /**
   * The packet's flow tag (the flow's id in this range) and its time (seconds, nanoseconds), which
   * the caller writes before each packet(). They come this way, not as arguments, because a tag or
   * a time in seconds is above 2^30, and V8 boxes such a number at each call it does not inline:
   * an allocation for every packet, inspected or not.
   */
  readonly at = new Float64Array(3);

  /** One packet of flow `slot` (tag and time in `at`), from its originator when dir is 0. */
  packet(slot: number, dir: number, p: Decoded, buf: Uint8Array): void {
    if (slot >= this.mode.length) this.grow(slot);
    const at = this.at;
    if (this.slotTag[slot] !== at[0]) this.reset(slot, at[0]);
    const m = this.mode[slot];
    if (m === M_OFF) return;
    const ctx = this.ctx;
    ctx.sec = at[1]; ctx.ns = at[2]; ctx.recordOffset = p.recordOffset;
    try {
      const proto = p.proto;
      // (The flow's tag is read again where a session is made, from slotTag: not passed on, so not boxed.)
      if (proto === TCP) this.tcpPacket(slot, dir, m, p, buf);
      else if (proto === UDP) this.udpPacket(slot, dir, m, p, buf);
      else if (proto === SCTP) this.sctpPacket(slot, dir, m, p, buf);
      else if (proto === ICMP || proto === ICMPV6) inspectIcmpQuote(this.ctx, at[0], dir, p, buf);
    } catch {
      // Parsers do not throw on bad input; should one, the flow is no longer inspected and the worker goes on.
      this.failed(slot);
    }
  }

  private failed(slot: number): void {
    this.ctx.note('inspect_internal_error');
    this.mode[slot] = M_OFF;
    this.tcp[slot] = null;
    this.quic[slot] = null;
    this.sctp[slot] = null;
    this.tlsCut[slot] = null;
  }

  /**
   * After a cut hello: the other side's hello (the ServerHello after a ClientHello, or a ClientHello
   * that comes after a ServerHello seen first), read from its packet alone.
   */
  private tlsCutPacket(slot: number, dir: number, p: Decoded, buf: Uint8Array): void {
    const rec = this.tlsCut[slot]!;
    if (p.payloadCaptured === 0) return;
    const o = p.payloadOff, n = p.payloadCaptured;
    // The hello still missing: the ServerHello after a ClientHello, and the other way round.
    const want = this.cutFirst[slot] === 1 ? 2 : 1;
    const fromClient = dir === (rec.clientIsOrig ? 0 : 1);
    if (fromClient === (want === 1) && n >= 9 && buf[o] === 0x16 && buf[o + 5] === want) {
      this.readCutHello(rec, want === 1, buf, o, n);
      this.finish(slot);
      return;
    }
    if (++this.tries[slot] >= MAX_CUT_TLS_PACKETS) this.finish(slot);
  }

  /**
   * The hello in one packet's TLS record at `o` (`n` bytes captured, at least the 9 bytes of the
   * record and handshake headers): read as far as the capture goes, into the record's client or
   * server fields; its anomalies counted, except those that only say the bytes were cut.
   */
  private readCutHello(rec: TlsRec, client: boolean, buf: Uint8Array, o: number, n: number): void {
    const len = (buf[o + 6] << 16) | (buf[o + 7] << 8) | buf[o + 8];
    const cut = 9 + len > n;
    const body = buf.subarray(o + 9, cut ? o + n : o + 9 + len);
    const notes: TlsAnomaly[] = [];
    if (client) rec.client = clientFields(body, cut, 't', notes);
    else rec.server = serverFields(body, cut, notes);
    this.ctx.noteAll(notes, true);
  }

  /** SCTP: the user data of DATA chunks, in arrival order per direction, read as HTTP/1.x when it looks like it. */
  private sctpPacket(slot: number, dir: number, m: number, p: Decoded, buf: Uint8Array): void {
    let off = p.payloadOff;
    const end = off + p.payloadCaptured;
    while (end - off >= 4) {
      const type = buf[off];
      const len = (buf[off + 2] << 8) | buf[off + 3];
      if (len < 4) { this.ctx.note('sctp_bad_chunk_length'); return; }
      const dataOff = off + 16;
      const dataEnd = Math.min(off + len, end);
      if (type === 0 && dataEnd > dataOff) {
        if (m === M_NEW) {
          if (!looksLikeHttp(buf, dataOff, dataEnd - dataOff)) {
            if (++this.tries[slot] >= MAX_TRIES) this.mode[slot] = M_OFF;
            return;
          }
          this.sctp[slot] = new HttpSession(this.ctx, this.slotTag[slot]);
          this.mode[slot] = m = M_SCTP;
          this.inspected++;
        }
        if (m !== M_SCTP) return;
        const h = this.sctp[slot]!;
        h.data(dir, buf, dataOff, dataEnd - dataOff);
        if (h.finished) { this.finish(slot); return; }
      }
      off += (len + 3) & ~3;
    }
  }

  private tcpPacket(slot: number, dir: number, m: number, p: Decoded, buf: Uint8Array): void {
    if (m === M_TLS_CUT) { this.tlsCutPacket(slot, dir, p, buf); return; }
    if (m === M_NEW) {
      if ((p.tcpFlags & SYN) !== 0) this.synSeq[slot * 2 + dir] = p.seq;
      if (p.payloadCaptured === 0) return;
      // Header-only capture: a ClientHello cut by the snaplen is read from this one packet; no
      // stream is kept (what follows it is cut as well), only a look at the ServerHello. A cut
      // ServerHello seen first (the client's side not on this path, not captured, or captured
      // later) is read the same way.
      const o = p.payloadOff;
      if (p.payloadCaptured < p.payloadLen && p.payloadCaptured >= 9 && buf[o] === 0x16 && (buf[o + 5] === 1 || buf[o + 5] === 2) &&
          looksLikeTlsHello(buf, o, p.payloadCaptured) && dnsFlavorForPorts(p.sport, p.dport) === null && p.sport !== 179 && p.dport !== 179) {
        const client = buf[o + 5] === 1;
        const rec: TlsRec = {
          tag: this.slotTag[slot], sec: this.ctx.sec, ns: this.ctx.ns, clientIsOrig: client === (dir === 0), client: null, server: null, certChain: [], alert: -1,
        };
        this.readCutHello(rec, client, buf, o, p.payloadCaptured);
        this.cutFirst[slot] = client ? 1 : 2;
        // Then a look at the other side's hello, in the packets that follow (tlsCutPacket).
        this.tlsCut[slot] = rec;
        this.tries[slot] = 0;
        this.mode[slot] = M_TLS_CUT;
        this.inspected++;
        return;
      }
      const tag = this.slotTag[slot];
      let session: TcpSession | DeferredSession | null = this.tcpSession(p.sport, p.dport, buf, p.payloadOff, p.payloadCaptured, tag);
      if (session === null) {
        const isn = this.synSeq[slot * 2 + dir];
        const ahead = (p.seq - isn - 1) | 0;
        // Only the very first payload of the flow, a little ahead of the start the SYN gave.
        if (this.tries[slot] === 0 && isn === isn && ahead > 0 && ahead < 65536) {
          const sport = p.sport, dport = p.dport;
          session = new DeferredSession((b, o, l) => this.tcpSession(sport, dport, b, o, l, tag));
        } else {
          if (++this.tries[slot] >= MAX_TRIES) this.mode[slot] = M_OFF;
          return;
        }
      }
      const t = new TcpInspect(session);
      for (let d = 0; d < 2; d++) {
        const s = this.synSeq[slot * 2 + d];
        if (s === s) t.streams.syn(d, s);
      }
      this.tcp[slot] = t;
      this.mode[slot] = M_TCP;
      this.inspected++;
    }
    const t = this.tcp[slot]!;
    if ((p.tcpFlags & SYN) !== 0) t.streams.syn(dir, p.seq);
    if (p.payloadLen > 0) t.streams.segment(dir, p.seq, buf, p.payloadOff, p.payloadCaptured, p.payloadLen);
    if (t.session.finished) this.finish(slot);
  }

  private tcpSession(sport: number, dport: number, buf: Uint8Array, off: number, len: number, tag: number): TcpSession | null {
    const flavor = dnsFlavorForPorts(sport, dport);
    if (flavor !== null) return new DnsTcpSession(this.ctx, tag, flavor);
    if (sport === 179 || dport === 179) return new BgpCaptureSession(this.ctx, tag, this.ctx.out.bgp);
    if (buf[off] === 0x16 && looksLikeTlsHello(buf, off, len)) return new TlsSession(this.ctx, tag);
    if (looksLikeHttp(buf, off, len)) return new HttpSession(this.ctx, tag);
    return null;
  }

  private udpPacket(slot: number, dir: number, m: number, p: Decoded, buf: Uint8Array): void {
    const off = p.payloadOff, len = p.payloadCaptured;
    if (len === 0) return;
    if (m === M_NEW) {
      const flavor = dnsFlavorForPorts(p.sport, p.dport);
      if (flavor !== null) {
        this.mode[slot] = M_DNS;
        this.flavor[slot] = FLAVORS.indexOf(flavor);
        this.inspected++;
      } else if (quickLooksLikeQuicInitial(buf, off, len)) {
        this.quic[slot] = new QuicSession(this.ctx, this.slotTag[slot]);
        this.mode[slot] = M_QUIC;
        this.inspected++;
      } else {
        if (++this.tries[slot] >= MAX_TRIES) this.mode[slot] = M_OFF;
        return;
      }
      m = this.mode[slot];
    }
    if (m === M_DNS) {
      if (this.dnsCount[slot] >= MAX_DNS_MESSAGES_PER_FLOW) { this.ctx.note('dns_flow_message_limit'); return; }
      this.dnsCount[slot]++;
      inspectDnsDatagram(this.ctx, this.slotTag[slot], dir === 0, FLAVORS[this.flavor[slot]], buf, off, len, 'udp', len < p.payloadLen);
    } else if (m === M_QUIC) {
      const q = this.quic[slot]!;
      q.datagram(buf, off, len, dir === 0, len < p.payloadLen);
      if (q.finished) this.finish(slot);
    }
  }

  /** Flow `slot` ended (its row was written): what its session learned becomes records. */
  end(slot: number, tag: number): void {
    if (slot >= this.mode.length || this.slotTag[slot] !== tag) return;
    try { this.finish(slot); } catch { this.failed(slot); }
    this.slotTag[slot] = -1;
  }

  private finish(slot: number): void {
    const m = this.mode[slot];
    this.mode[slot] = M_OFF;
    if (m === M_TCP) {
      const t = this.tcp[slot]!;
      this.tcp[slot] = null;
      t.streams.finish();
      const s = t.session instanceof DeferredSession ? t.session.target : t.session;
      if (s === null) return;
      if (s instanceof TlsSession) { const r = s.take(); if (r !== null) this.ctx.tls(r); }
      else s.end();
    } else if (m === M_QUIC) {
      const q = this.quic[slot]!;
      this.quic[slot] = null;
      const r = q.take();
      if (r !== null) this.ctx.quic(r);
    } else if (m === M_TLS_CUT) {
      const r = this.tlsCut[slot]!;
      this.tlsCut[slot] = null;
      this.ctx.tls(r);
    } else if (m === M_SCTP) {
      const h = this.sctp[slot]!;
      this.sctp[slot] = null;
      h.end();
    }
  }

  private reset(slot: number, tag: number): void {
    const old = this.mode[slot];
    if (old === M_TCP || old === M_QUIC || old === M_SCTP || old === M_TLS_CUT) this.finish(slot);
    this.slotTag[slot] = tag;
    this.mode[slot] = M_NEW;
    this.tries[slot] = 0;
    this.dnsCount[slot] = 0;
    this.synSeq[slot * 2] = NaN;
    this.synSeq[slot * 2 + 1] = NaN;
  }

  private grow(slot: number): void {
    let n = this.mode.length;
    while (n <= slot) n *= 2;
    const g8 = (a: Uint8Array): Uint8Array => { const b = new Uint8Array(n); b.set(a); return b; };
    this.mode = g8(this.mode);
    this.tries = g8(this.tries);
    this.flavor = g8(this.flavor);
    this.cutFirst = g8(this.cutFirst);
    const dc = new Uint16Array(n); dc.set(this.dnsCount); this.dnsCount = dc;
    const st = new Float64Array(n).fill(-1); st.set(this.slotTag); this.slotTag = st;
    const ss = new Float64Array(n * 2).fill(NaN); ss.set(this.synSeq); this.synSeq = ss;
  }
}

/**
 * An ICMP error quotes the packet that caused it: when that was a DNS datagram (its header and
 * start survive in the quote), the question is learned from the error. Stateless, per packet.
 */
function inspectIcmpQuote(ctx: InspectContext, tag: number, dir: number, p: Decoded, buf: Uint8Array): void {
  const t = p.icmpType;
  const v6 = p.proto === ICMPV6;
  if (v6 ? !(t >= 1 && t <= 4) : !(t === 3 || t === 11 || t === 12)) return;
  let off = p.payloadOff;
  const end = off + p.payloadCaptured;
  if (end - off < 1) return;
  const ver = buf[off] >> 4;
  let proto: number;
  if (ver === 4 && end - off >= 20) {
    const ihl = (buf[off] & 15) * 4;
    if (ihl < 20 || ((buf[off + 6] & 0x1f) | buf[off + 7]) !== 0) return; // not a first fragment
    proto = buf[off + 9];
    off += ihl;
  } else if (ver === 6 && end - off >= 40) {
    proto = buf[off + 6];
    off += 40;
  } else return;
  if (proto !== UDP || end - off < 8) return;
  const sport = (buf[off] << 8) | buf[off + 1], dport = (buf[off + 2] << 8) | buf[off + 3];
  const flavor = dnsFlavorForPorts(sport, dport);
  if (flavor === null) return;
  inspectDnsDatagram(ctx, tag, dir === 0, flavor, buf, off + 8, end - off - 8, 'icmp', true);
}

/** An HTTP/1.x request line (a registered method, then a space) or a status line ("HTTP/1."). */
export function looksLikeHttp(buf: Uint8Array, off: number, len: number): boolean {
  if (len >= 8 && buf[off] === 0x48 && buf[off + 1] === 0x54 && buf[off + 2] === 0x54 && buf[off + 3] === 0x50 &&
      buf[off + 4] === 0x2f && buf[off + 5] === 0x31 && buf[off + 6] === 0x2e) return true;
  let i = 0;
  const max = len < 24 ? len : 24;
  while (i < max) {
    const c = buf[off + i];
    if ((c >= 0x41 && c <= 0x5a) || c === 0x2d) i++;
    else break;
  }
  if (i < 3 || i >= max || buf[off + i] !== 0x20) return false;
  return HTTP_METHODS.has(String.fromCharCode(...buf.subarray(off, off + i)));
}
