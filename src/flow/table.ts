import { createBatch, EndReason, HISTORY_MAX, type FlowBatch } from './batch.js';
import { compareEndpoints, flowPorts, hashParts } from './key.js';
import { FragmentMap, type StrayFragmentPorts } from './fragments.js';
import { LruLists } from './lru.js';
import { createRows, growRows, Row, rowToBatch, rowWords, type RowViews } from './row.js';
import type { FlowOptions } from './options.js';
import { ZeekState, zeekFlip, ZEEK_TCP_ATTEMPT_DELAY_S } from './zeek-state.js';
import type { Decoded } from '../wire/packet.js';
import { A, type AnomalyCounters } from '../wire/anomaly.js';

const TCP = 6, UDP = 17;
const SYN = 0x02, ACK = 0x10;
const LIST_TCP = 0, LIST_UDP = 1, LIST_OTHER = 2, LIST_CLOSING = 3;
const OUT_ROWS = 4096;
const INITIAL_FLOWS = 4096;

/**
 * Bidirectional flows. A flow's fields live in one row of the live table (row.ts; row = flow
 * index, SPLT entries and Zeek state included); an open-addressing index (linear probing,
 * backward-shift deletion) maps keys to rows. Timeouts run on capture time.
 * Finished flows are written into output batches (struct-of-arrays), ready for the sink.
 */
export class FlowTable {
  private rows: RowViews;
  private rf: Float64Array;
  private ru: Uint32Array;
  private ri: Int32Array;
  /** Row stride in words and in doubles. */
  private readonly rw: number;
  private readonly rd: number;
  private readonly spltN: number;
  private cap: number;
  private zeek: ZeekState;
  private readonly lru: LruLists;
  private index: Int32Array;
  private mask: number;
  private readonly freeList: Int32Array;
  private freeTop = 0;
  private used = 0;
  private nextUnused = 0;
  private readonly frags = new FragmentMap();
  /** Ports of datagrams whose first fragment lies in the previous range (set by the range task). */
  strayFragment: StrayFragmentPorts | null = null;
  private nowSec = -Infinity;
  private nowNs = 0;
  private readonly idleSec: Float64Array;
  /** Per LRU list: the head flow whose deadline dueAt holds (-1: none); a flow's update or end clears it. */
  private readonly dueHead = new Int32Array(4).fill(-1);
  private readonly dueAt = new Float64Array(4);

  /** Added to the per-table serial to make each flow's tag (the range index * 2^32). */
  tagBase = 0;
  private serial = 0;
  /** The flow (slot) and direction of the packet `add` took last. */
  lastFlow = -1;
  lastIsOrig = true;
  /** Told when a flow ends, before its slot is reused (inspection finishes the flow's sessions). */
  onEnd: ((slot: number, tag: number) => void) | null = null;

  private out: FlowBatch;
  /** Output batches that are full, waiting to be taken by the sink. */
  readonly ready: FlowBatch[] = [];
  flowsEmitted = 0;

  constructor(private readonly opts: FlowOptions, private readonly anomalies: AnomalyCounters) {
    this.cap = Math.min(INITIAL_FLOWS, opts.maxFlows);
    this.rows = createRows(this.cap, rowWords(opts.splt));
    this.rf = this.rows.f; this.ru = this.rows.u; this.ri = this.rows.i;
    this.rw = this.rows.words; this.rd = this.rows.doubles;
    this.spltN = opts.splt;
    this.zeek = new ZeekState(this.cap, { words: this.rw, u: Row.W_ZEEK_U, g: Row.F_ZEEK_G, hist: Row.B_ZEEK_HIST }, this.rows.buffer);
    this.lru = new LruLists(this.cap, 4);
    this.freeList = new Int32Array(opts.maxFlows);
    const slots = nextPow2(this.cap * 2);
    this.index = new Int32Array(slots).fill(-1);
    this.mask = slots - 1;
    this.out = createBatch(OUT_ROWS, opts.splt);
    this.idleSec = Float64Array.of(opts.tcpIdleSec, opts.udpIdleSec, opts.otherIdleSec);
  }

  get activeFlows(): number { return this.used; }

  /** Accounts one decoded IP packet. */
  add(p: Decoded, sec: number, ns: number, wireLen: number, truncated: boolean): void {
    if (sec > this.nowSec || (sec === this.nowSec && ns > this.nowNs)) { this.nowSec = sec; this.nowNs = ns; this.expire(); }
    const proto = p.proto;
    let idx = -1;
    let fromLow = true;
    let strayPorts = -1;
    if (p.isFragment && !p.fragFirst) {
      const f = this.frags.get(p.src, p.dst, proto, p.fragId);
      if (f >= 0 && this.frags.genAt(p.src, p.dst, proto, p.fragId) === this.ru[f * this.rw + Row.W_GEN] && this.lru.listOf(f) >= 0) {
        idx = f;
        fromLow = this.packetFromLow(f, p.src);
      } else if (this.strayFragment !== null && this.strayFragment.ports(p)) {
        strayPorts = this.strayFragment.found;
      } else {
        this.anomalies.add(A.fragment_without_first, p.recordOffset);
      }
    }
    if (idx < 0) {
      let sport = 0, dport = 0;
      if (p.hasPorts) { sport = p.sport; dport = p.dport; }
      else {
        // A later fragment: the ports its first fragment (in the previous range) was keyed by.
        const ports = strayPorts >= 0 ? strayPorts : flowPorts(p);
        sport = ports >>> 16; dport = ports & 0xffff;
      }
      // The key (key.ts): low endpoint's address, high endpoint's, ports (low << 16 | high), protocol.
      fromLow = compareEndpoints(p.src, sport, p.dst, dport) <= 0;
      const lo = fromLow ? p.src : p.dst, hi = fromLow ? p.dst : p.src;
      // The ports go as two 16-bit numbers: their 32-bit word would be boxed at each call.
      const lowPort = fromLow ? sport : dport, highPort = fromLow ? dport : sport;
      const h = hashParts(lo, hi, lowPort, highPort, proto);
      idx = this.find(lo, hi, lowPort, highPort, proto, h);
      let restarted = false;
      if (idx >= 0 && this.mustRestart(idx, p, sec)) { idx = -1; restarted = true; }
      if (idx < 0) idx = this.create(lo, hi, lowPort, highPort, h, p, sec, ns, fromLow, sport, dport, restarted);
      if (p.isFragment && (p.fragFirst || strayPorts >= 0)) this.frags.put(p.src, p.dst, proto, p.fragId, idx, this.ru[idx * this.rw + Row.W_GEN]);
    }
    const isOrig = fromLow === (this.ru[idx * this.rw + Row.W_ORIG_IS_LOW] === 1);
    this.lastFlow = idx;
    this.lastIsOrig = isOrig;
    this.update(idx, p, sec, ns, wireLen, truncated, isOrig);
  }

  /** The tag of the flow in `slot`. */
  tagOf(slot: number): number { return this.rf[slot * this.rd + Row.F_TAG]; }

  private packetFromLow(f: number, src: Uint32Array): boolean {
    const ru = this.ru, o = f * this.rw + Row.W_KEY;
    for (let i = 0; i < 4; i++) if (ru[o + i] !== src[i]) return false;
    return true;
  }

  private find(lo: Uint32Array, hi: Uint32Array, lowPort: number, highPort: number, proto: number, h: number): number {
    const ru = this.ru, index = this.index, mask = this.mask;
    const ports = ((lowPort << 16) | highPort) >>> 0;
    for (let s = h & mask; ; s = (s + 1) & mask) {
      const f = index[s];
      if (f < 0) return -1;
      const w = f * this.rw, o = w + Row.W_KEY;
      if (ru[w + Row.W_HASH] !== h || ru[o + 8] !== ports || ru[o + 9] !== proto) continue;
      if (ru[o] === lo[0] && ru[o + 1] === lo[1] && ru[o + 2] === lo[2] && ru[o + 3] === lo[3] &&
          ru[o + 4] === hi[0] && ru[o + 5] === hi[1] && ru[o + 6] === hi[2] && ru[o + 7] === hi[3]) return f;
    }
  }

  /** Active timeout, or a new SYN on a closed TCP flow (port reuse): the old flow ends here. */
  private mustRestart(f: number, p: Decoded, sec: number): boolean {
    const firstSec = this.rf[f * this.rd + Row.F_FIRST_SEC];
    if (sec - firstSec >= this.opts.activeSec) { this.emit(f, EndReason.Active); return true; }
    // (Only a SYN can be a reuse: the test keeps p.seq, boxed when above 2^30, off the other packets.)
    if (p.proto === TCP && p.tcpFull && (((p.tcpFlags & SYN) !== 0 && this.zeek.tcpIsReuse(f, p.tcpFlags, p.seq)) ||
        (this.zeek.tcpIsAttempt(f) && sec - firstSec > ZEEK_TCP_ATTEMPT_DELAY_S))) {
      const closed = this.zeek.tcpClosed(f);
      this.emit(f, closed === 2 ? EndReason.Rst : closed === 1 ? EndReason.Fin : EndReason.Idle);
      return true;
    }
    return false;
  }

  /** `restarted`: the key's previous flow ended at this very packet (so this flow cannot continue one from an earlier range). */
  private create(lo: Uint32Array, hi: Uint32Array, lowPort: number, highPort: number, h: number, p: Decoded, sec: number, ns: number, fromLow: boolean, sport: number, dport: number, restarted: boolean): number {
    if (this.used >= this.opts.maxFlows) this.evictOldest();
    let f: number;
    if (this.freeTop > 0) f = this.freeList[--this.freeTop];
    else {
      if (this.nextUnused >= this.cap) this.grow();
      f = this.nextUnused++;
    }
    this.used++;
    const rf = this.rf, ru = this.ru, ri = this.ri;
    const fb = f * this.rd, wb = f * this.rw;
    ru[wb + Row.W_GEN]++;
    for (let i = 0; i < 4; i++) { ru[wb + Row.W_KEY + i] = lo[i]; ru[wb + Row.W_KEY + 4 + i] = hi[i]; }
    ru[wb + Row.W_KEY + 8] = (lowPort << 16) | highPort; ru[wb + Row.W_KEY + 9] = p.proto;
    ru[wb + Row.W_HASH] = h;
    for (let s = h & this.mask; ; s = (s + 1) & this.mask) {
      if (this.index[s] < 0) { this.index[s] = f; break; }
    }
    const flip = zeekFlip(p.proto, sport, dport, p.tcpFlags);
    const origIsLow = flip ? !fromLow : fromLow;
    ru[wb + Row.W_ORIG_IS_LOW] = origIsLow ? 1 : 0;
    const origAddr = flip ? p.dst : p.src, respAddr = flip ? p.src : p.dst;
    for (let i = 0; i < 4; i++) {
      ru[wb + Row.W_ORIG_ADDR + i] = origAddr[i]; ru[wb + Row.W_RESP_ADDR + i] = respAddr[i];
      ru[wb + Row.W_TUNNEL_SRC + i] = p.tunnelSrc[i]; ru[wb + Row.W_TUNNEL_DST + i] = p.tunnelDst[i];
    }
    ru[wb + Row.W_ORIG_PORT] = flip ? dport : sport;
    ru[wb + Row.W_RESP_PORT] = flip ? sport : dport;
    ru[wb + Row.W_PROTO] = p.proto;
    ru[wb + Row.W_IP_VERSION] = p.ipVersion;
    rf[fb + Row.F_FIRST_SEC] = sec; ru[wb + Row.W_FIRST_NS] = ns; rf[fb + Row.F_LAST_SEC] = sec; ru[wb + Row.W_LAST_NS] = ns;
    for (let d = 0; d <= Row.DIR_F; d += Row.DIR_F) {
      rf[fb + d + Row.F_PKTS] = 0; rf[fb + d + Row.F_WIRE] = 0; rf[fb + d + Row.F_IP] = 0; rf[fb + d + Row.F_PAYLOAD] = 0;
    }
    for (let d = 0; d <= Row.DIR_W; d += Row.DIR_W) { ri[wb + d + Row.W_TTL] = -1; ru[wb + d + Row.W_TCP_FLAGS] = 0; }
    rf[fb + Row.F_SYN_TO_SYN_ACK] = NaN; rf[fb + Row.F_SYN_ACK_TO_ACK] = NaN;
    rf[fb + Row.F_MAC] = flip ? p.dstMac : p.srcMac;
    rf[fb + Row.DIR_F + Row.F_MAC] = flip ? p.srcMac : p.dstMac;
    ri[wb + Row.W_VLAN_OUTER] = p.vlanOuter; ri[wb + Row.W_VLAN_INNER] = p.vlanInner; ri[wb + Row.W_MPLS] = p.mplsLabel;
    ru[wb + Row.W_FRAGMENTS] = 0; ru[wb + Row.W_TRUNCATED] = 0;
    ru[wb + Row.W_TUNNEL_KIND] = p.tunnelKind;
    ru[wb + Row.W_SPLT_LEN] = 0;
    // Joinable with a part from the previous range only when nothing ended this key before it here.
    ru[wb + Row.W_JOINABLE] = restarted ? 0 : 1;
    rf[fb + Row.F_TAG] = this.tagBase + this.serial++;
    rf[fb + Row.F_SYN_REL] = NaN; rf[fb + Row.F_SYN_ACK_REL] = NaN; rf[fb + Row.F_ACK_REL] = NaN; rf[fb + Row.F_ACK_RESP_REL] = NaN;
    ru[wb + Row.W_HS_SIDE] = 0; rf[fb + Row.F_PREV_REL] = 0; rf[fb + Row.F_CLOSE_SEC] = 0;
    this.zeek.init(f, p.proto, flip);
    this.lru.pushTail(f, p.proto === TCP ? LIST_TCP : p.proto === UDP ? LIST_UDP : LIST_OTHER);
    return f;
  }

  private update(f: number, p: Decoded, sec: number, ns: number, wireLen: number, truncated: boolean, isOrig: boolean): void {
    const rf = this.rf, ru = this.ru, ri = this.ri;
    const fb = f * this.rd, wb = f * this.rw;
    const l = this.lru.listOf(f);
    if (this.dueHead[l] === f) this.dueHead[l] = -1;
    const lastSec = rf[fb + Row.F_LAST_SEC];
    if (sec > lastSec || (sec === lastSec && ns > ru[wb + Row.W_LAST_NS])) { rf[fb + Row.F_LAST_SEC] = sec; ru[wb + Row.W_LAST_NS] = ns; }
    let firstSec = rf[fb + Row.F_FIRST_SEC], firstNs = ru[wb + Row.W_FIRST_NS];
    if (sec < firstSec || (sec === firstSec && ns < firstNs)) {
      rf[fb + Row.F_FIRST_SEC] = sec; ru[wb + Row.W_FIRST_NS] = ns; firstSec = sec; firstNs = ns;
    }
    const rel = (sec - firstSec) * 1e9 + (ns - firstNs);
    // This packet's side of the row.
    const df = fb + (isOrig ? 0 : Row.DIR_F), dw = wb + (isOrig ? 0 : Row.DIR_W);
    const ipLen = p.ipLen;
    rf[df + Row.F_PKTS]++; rf[df + Row.F_WIRE] += wireLen; rf[df + Row.F_IP] += ipLen; rf[df + Row.F_PAYLOAD] += p.payloadLen;
    if (ri[dw + Row.W_TTL] < 0) ri[dw + Row.W_TTL] = p.ttl;
    const mac = rf[df + Row.F_MAC];
    if (mac !== mac) rf[df + Row.F_MAC] = p.srcMac;
    if (p.isFragment) ru[wb + Row.W_FRAGMENTS]++;
    if (truncated) ru[wb + Row.W_TRUNCATED]++;
    const n = this.spltN;
    const sl = ru[wb + Row.W_SPLT_LEN];
    if (sl < n) {
      ri[wb + Row.W_SPLT + Row.SPLT_SIZE_W + sl * Row.SPLT_W] = isOrig ? ipLen : -ipLen;
      rf[fb + Row.F_SPLT + sl * Row.SPLT_F] = sl === 0 ? 0 : (rel - rf[fb + Row.F_PREV_REL]) / 1000;
      ru[wb + Row.W_SPLT_LEN] = sl + 1;
    }
    rf[fb + Row.F_PREV_REL] = rel;
    const proto = p.proto;
    const headerPacket = !p.isFragment || p.fragFirst;
    if (proto === TCP && p.hasPorts) {
      const fl = p.tcpFlags;
      ru[dw + Row.W_TCP_FLAGS] |= fl;
      // Handshake marks by what the packets are, not by which side the flow saw first: a range
      // may begin a flow at its SYN-ACK, and the merge joins the marks across ranges.
      const side = isOrig ? 1 : 2;
      const hs = ru[wb + Row.W_HS_SIDE];
      if ((fl & (SYN | ACK)) === SYN) {
        const syn = rf[fb + Row.F_SYN_REL];
        if (syn !== syn) { rf[fb + Row.F_SYN_REL] = rel; ru[wb + Row.W_HS_SIDE] = (hs & ~3) | side; }
      } else if ((fl & (SYN | ACK)) === (SYN | ACK)) {
        const synAck = rf[fb + Row.F_SYN_ACK_REL];
        if (synAck !== synAck && (hs & 3) !== side) {
          rf[fb + Row.F_SYN_ACK_REL] = rel;
          ru[wb + Row.W_HS_SIDE] = hs | (side << 2);
          const syn = rf[fb + Row.F_SYN_REL];
          if (syn === syn) rf[fb + Row.F_SYN_TO_SYN_ACK] = (rel - syn) / 1000;
        }
      } else if ((fl & ACK) !== 0) {
        const a = fb + (isOrig ? Row.F_ACK_REL : Row.F_ACK_RESP_REL);
        const ack = rf[a];
        if (ack !== ack) rf[a] = rel;
        const sa = hs >> 2;
        const d = rf[fb + Row.F_SYN_ACK_TO_ACK];
        if (sa !== 0 && sa !== side && d !== d) rf[fb + Row.F_SYN_ACK_TO_ACK] = (rel - rf[fb + Row.F_SYN_ACK_REL]) / 1000;
      }
      if (headerPacket && p.tcpFull) {
        const z = this.zeek;
        z.seqIn[0] = p.seq; z.seqIn[1] = p.ack;
        z.tcpSegment(f, isOrig, fl, p.payloadLen, p.window, p.payloadCaptured);
      }
      if (l !== LIST_CLOSING) {
        if (this.zeek.tcpClosed(f) !== 0) { rf[fb + Row.F_CLOSE_SEC] = sec + ns / 1e9; this.lru.pushTail(f, LIST_CLOSING); }
        else this.lru.pushTail(f, LIST_TCP);
      }
    } else {
      if (headerPacket) this.zeek.other(f, isOrig, p.payloadLen);
      this.lru.pushTail(f, proto === TCP ? LIST_TCP : proto === UDP ? LIST_UDP : LIST_OTHER);
    }
  }

  /** Writes out flows whose idle timeout (or close delay) has passed at the current capture time. */
  private expire(): void {
    const now = this.nowSec + this.nowNs / 1e9;
    const lru = this.lru, dueHead = this.dueHead, dueAt = this.dueAt;
    for (let l = 0; l < 4; l++) {
      for (let f = lru.head[l]; f >= 0; f = lru.head[l]) {
        if (dueHead[l] !== f) {
          dueHead[l] = f;
          dueAt[l] = l === LIST_CLOSING ? this.rf[f * this.rd + Row.F_CLOSE_SEC] + this.opts.closeDelaySec : this.lastTime(f) + this.idleSec[l];
        }
        if (!(dueAt[l] < now)) break;
        this.emit(f, l !== LIST_CLOSING ? EndReason.Idle : this.zeek.tcpClosed(f) === 2 ? EndReason.Rst : EndReason.Fin);
      }
    }
  }

  /** The flow's last packet time in seconds (as a double). */
  private lastTime(f: number): number {
    return this.rf[f * this.rd + Row.F_LAST_SEC] + this.ru[f * this.rw + Row.W_LAST_NS] / 1e9;
  }

  private evictOldest(): void {
    const rf = this.rf, ru = this.ru, lru = this.lru;
    let best = -1;
    for (let l = 0; l < 4; l++) {
      const f = lru.head[l];
      if (f < 0) continue;
      if (best < 0) { best = f; continue; }
      const fs = rf[f * this.rd + Row.F_LAST_SEC], bs = rf[best * this.rd + Row.F_LAST_SEC];
      if (fs < bs || (fs === bs && ru[f * this.rw + Row.W_LAST_NS] < ru[best * this.rw + Row.W_LAST_NS])) best = f;
    }
    if (best < 0) return;
    this.anomalies.add(A.flow_table_full_evicted, -1);
    this.emit(best, lru.listOf(best) === LIST_CLOSING ? (this.zeek.tcpClosed(best) === 2 ? EndReason.Rst : EndReason.Fin) : EndReason.Evicted);
  }

  /** Ends every remaining flow: end of capture, or `shutdown` when a live capture stops. */
  flush(openReason: number = EndReason.EndOfCapture): void {
    const lru = this.lru;
    for (let l = 0; l < 4; l++) {
      for (let f = lru.head[l]; f >= 0; f = lru.head[l]) {
        const closed = l === LIST_CLOSING ? this.zeek.tcpClosed(f) : 0;
        this.emit(f, closed === 2 ? EndReason.Rst : closed === 1 ? EndReason.Fin : openReason);
      }
    }
    if (this.out.n > 0) { this.ready.push(this.out); this.out = createBatch(OUT_ROWS, this.opts.splt); }
  }

  /** Takes the full output batches (and, with `all`, the partial one too). */
  take(all = false): FlowBatch[] {
    if (all && this.out.n > 0) { this.ready.push(this.out); this.out = createBatch(OUT_ROWS, this.opts.splt); }
    return this.ready.splice(0, this.ready.length);
  }

  private emit(f: number, reason: number): void {
    const dst = this.out, z = this.zeek;
    const r = dst.n;
    rowToBatch(this.rows, f, dst, r, z.swapped(f), this.lru.listOf(f) === LIST_CLOSING);
    const dc = dst.cols;
    dc.endReason[r] = reason;
    dc.connState[r] = z.connState(f);
    dc.historyLen[r] = z.history(f, dc.history, r * HISTORY_MAX, HISTORY_MAX);
    if (this.ru[f * this.rw + Row.W_PROTO] === TCP) {
      dc.zOrigState[r] = z.tcpEndpointState(f, true);
      dc.zRespState[r] = z.tcpEndpointState(f, false);
      dc.zOrigSize[r] = z.tcpBytes(f, true);
      dc.zRespSize[r] = z.tcpBytes(f, false);
    } else {
      // By the table's own roles (before any swap), as the columns were before the turn-around.
      const fb = f * this.rd;
      dc.zOrigState[r] = this.rf[fb + Row.F_PKTS] > 0 ? 1 : 0;
      dc.zRespState[r] = this.rf[fb + Row.DIR_F + Row.F_PKTS] > 0 ? 1 : 0;
      dc.zOrigSize[r] = 0; dc.zRespSize[r] = 0;
    }
    dst.n = r + 1;
    this.flowsEmitted++;
    if (dst.n === dst.capacity) { this.ready.push(dst); this.out = createBatch(OUT_ROWS, this.opts.splt); }
    if (this.onEnd !== null) this.onEnd(f, this.rf[f * this.rd + Row.F_TAG]);
    this.release(f);
  }

  private release(f: number): void {
    this.lru.remove(f);
    for (let l = 0; l < 4; l++) if (this.dueHead[l] === f) this.dueHead[l] = -1;
    // Backward-shift deletion keeps probe chains intact without tombstones.
    const index = this.index, mask = this.mask, ru = this.ru;
    let s = ru[f * this.rw + Row.W_HASH] & mask;
    while (index[s] !== f) s = (s + 1) & mask;
    let hole = s;
    for (let j = (hole + 1) & mask; index[j] >= 0; j = (j + 1) & mask) {
      const home = ru[index[j] * this.rw + Row.W_HASH] & mask;
      // Move j into the hole if its home position is not cyclically within (hole, j].
      const dist = (j - home) & mask, holeDist = (j - hole) & mask;
      if (dist >= holeDist) { index[hole] = index[j]; hole = j; }
    }
    index[hole] = -1;
    this.freeList[this.freeTop++] = f;
    this.used--;
  }

  private grow(): void {
    const cap = Math.min(this.cap * 2, this.opts.maxFlows);
    this.rows = growRows(this.rows, cap);
    this.rf = this.rows.f; this.ru = this.rows.u; this.ri = this.rows.i;
    this.zeek.attach(this.rows.buffer, cap);
    this.lru.grow(cap);
    const slots = nextPow2(cap * 2);
    if (slots > this.index.length) {
      this.index = new Int32Array(slots).fill(-1);
      this.mask = slots - 1;
      for (let f = 0; f < this.nextUnused; f++) {
        if (this.lru.listOf(f) < 0) continue;
        for (let s = this.ru[f * this.rw + Row.W_HASH] & this.mask; ; s = (s + 1) & this.mask) {
          if (this.index[s] < 0) { this.index[s] = f; break; }
        }
      }
    }
    this.cap = cap;
  }
}

function nextPow2(n: number): number { let p = 1; while (p < n) p *= 2; return p; }
