import { createBatch, EndReason, FLOW_COLUMNS, HISTORY_MAX, type FlowBatch } from './batch.js';
import { compareEndpoints, hashKey, KEY_WORDS } from './key.js';
import { FragmentMap, type StrayFragmentPorts } from './fragments.js';
import { LruLists } from './lru.js';
import type { FlowOptions } from './options.js';
import { ZeekState, zeekFlip, icmpCounterpart, ZEEK_TCP_ATTEMPT_DELAY_S } from './zeek-state.js';
import type { Decoded } from '../wire/packet.js';
import { A, type AnomalyCounters } from '../wire/anomaly.js';

const TCP = 6, UDP = 17, ICMP = 1, ICMPV6 = 58, SCTP = 132;
const SYN = 0x02, ACK = 0x10;
const LIST_TCP = 0, LIST_UDP = 1, LIST_OTHER = 2, LIST_CLOSING = 3;
const OUT_ROWS = 4096;
const INITIAL_FLOWS = 4096;

/**
 * Bidirectional flows in struct-of-arrays form. A flow's fields live in a FlowBatch used
 * as the live table (row = flow index); an open-addressing index (linear probing,
 * backward-shift deletion) maps keys to rows. Timeouts run on capture time.
 * Finished flows are copied into output batches, ready for the sink.
 */
export class FlowTable {
  private live: FlowBatch;
  private cap: number;
  private keys: Uint32Array;
  private hashes: Uint32Array;
  private origIsLow: Uint8Array;
  private gen: Uint32Array;
  private synRel: Float64Array;
  private synAckRel: Float64Array;
  private ackRel: Float64Array;
  private ackRespRel: Float64Array;
  /** Handshake sides: bits 0-1 the first SYN's sender, bits 2-3 the SYN-ACK's (1 originator, 2 responder). */
  private hsSide: Uint8Array;
  private prevRel: Float64Array;
  private closeSec: Float64Array;
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
  private readonly scratch = new Uint32Array(KEY_WORDS);
  private nowSec = -Infinity;
  private nowNs = 0;
  private readonly idleSec: Float64Array;

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
    this.live = createBatch(this.cap, opts.splt);
    this.keys = new Uint32Array(this.cap * KEY_WORDS);
    this.hashes = new Uint32Array(this.cap);
    this.origIsLow = new Uint8Array(this.cap);
    this.gen = new Uint32Array(this.cap);
    this.synRel = new Float64Array(this.cap);
    this.synAckRel = new Float64Array(this.cap);
    this.ackRel = new Float64Array(this.cap);
    this.ackRespRel = new Float64Array(this.cap);
    this.hsSide = new Uint8Array(this.cap);
    this.prevRel = new Float64Array(this.cap);
    this.closeSec = new Float64Array(this.cap);
    this.zeek = new ZeekState(this.cap);
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
      if (f >= 0 && this.frags.genAt(p.src, p.dst, proto, p.fragId) === this.gen[f] && this.lru.list[f] >= 0) {
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
      else if (strayPorts >= 0) { sport = strayPorts >>> 16; dport = strayPorts & 0xffff; }
      else if ((proto === ICMP || proto === ICMPV6) && p.icmpType >= 0) {
        sport = p.icmpType;
        const c = icmpCounterpart(proto === ICMPV6, p.icmpType);
        dport = c >= 0 ? c : p.icmpCode;
      }
      const k = this.scratch;
      fromLow = compareEndpoints(p.src, sport, p.dst, dport) <= 0;
      const lo = fromLow ? p.src : p.dst, hi = fromLow ? p.dst : p.src;
      for (let i = 0; i < 4; i++) { k[i] = lo[i]; k[4 + i] = hi[i]; }
      k[8] = fromLow ? ((sport << 16) | dport) >>> 0 : ((dport << 16) | sport) >>> 0;
      k[9] = proto;
      const h = hashKey(k, 0);
      idx = this.find(k, h);
      let restarted = false;
      if (idx >= 0 && this.mustRestart(idx, p, sec)) { idx = -1; restarted = true; }
      if (idx < 0) idx = this.create(k, h, p, sec, ns, fromLow, sport, dport, restarted);
      if (p.isFragment && (p.fragFirst || strayPorts >= 0)) this.frags.put(p.src, p.dst, proto, p.fragId, idx, this.gen[idx]);
    }
    const isOrig = fromLow === (this.origIsLow[idx] === 1);
    this.lastFlow = idx;
    this.lastIsOrig = isOrig;
    this.update(idx, p, sec, ns, wireLen, truncated, isOrig);
  }

  /** The tag of the flow in `slot`. */
  tagOf(slot: number): number { return this.live.cols.tag[slot]; }

  private packetFromLow(f: number, src: Uint32Array): boolean {
    const k = this.keys, o = f * KEY_WORDS;
    for (let i = 0; i < 4; i++) if (k[o + i] !== src[i]) return false;
    return true;
  }

  private find(k: Uint32Array, h: number): number {
    const keys = this.keys, index = this.index, mask = this.mask, hashes = this.hashes;
    for (let s = h & mask; ; s = (s + 1) & mask) {
      const f = index[s];
      if (f < 0) return -1;
      if (hashes[f] !== h) continue;
      const o = f * KEY_WORDS;
      let eq = true;
      for (let i = 0; i < KEY_WORDS; i++) if (keys[o + i] !== k[i]) { eq = false; break; }
      if (eq) return f;
    }
  }

  /** Active timeout, or a new SYN on a closed TCP flow (port reuse): the old flow ends here. */
  private mustRestart(f: number, p: Decoded, sec: number): boolean {
    const c = this.live.cols;
    if (sec - c.firstSec[f] >= this.opts.activeSec) { this.emit(f, EndReason.Active); return true; }
    if (p.proto === TCP && p.tcpFull && (this.zeek.tcpIsReuse(f, p.tcpFlags, p.seq) ||
        (this.zeek.tcpIsAttempt(f) && sec - c.firstSec[f] > ZEEK_TCP_ATTEMPT_DELAY_S))) {
      const closed = this.zeek.tcpClosed(f);
      this.emit(f, closed === 2 ? EndReason.Rst : closed === 1 ? EndReason.Fin : EndReason.Idle);
      return true;
    }
    return false;
  }

  /** `restarted`: the key's previous flow ended at this very packet (so this flow cannot continue one from an earlier range). */
  private create(k: Uint32Array, h: number, p: Decoded, sec: number, ns: number, fromLow: boolean, sport: number, dport: number, restarted: boolean): number {
    if (this.used >= this.opts.maxFlows) this.evictOldest();
    let f: number;
    if (this.freeTop > 0) f = this.freeList[--this.freeTop];
    else {
      if (this.nextUnused >= this.cap) this.grow();
      f = this.nextUnused++;
    }
    this.used++;
    this.gen[f]++;
    const o = f * KEY_WORDS;
    for (let i = 0; i < KEY_WORDS; i++) this.keys[o + i] = k[i];
    this.hashes[f] = h;
    for (let s = h & this.mask; ; s = (s + 1) & this.mask) {
      if (this.index[s] < 0) { this.index[s] = f; break; }
    }
    const flip = zeekFlip(p.proto, sport, dport, p.tcpFlags);
    const origIsLow = flip ? !fromLow : fromLow;
    this.origIsLow[f] = origIsLow ? 1 : 0;
    const c = this.live.cols;
    const a4 = f * 4;
    const origAddr = flip ? p.dst : p.src, respAddr = flip ? p.src : p.dst;
    for (let i = 0; i < 4; i++) { c.origAddr[a4 + i] = origAddr[i]; c.respAddr[a4 + i] = respAddr[i]; }
    c.origPort[f] = flip ? dport : sport;
    c.respPort[f] = flip ? sport : dport;
    c.proto[f] = p.proto;
    c.ipVersion[f] = p.ipVersion;
    c.firstSec[f] = sec; c.firstNs[f] = ns; c.lastSec[f] = sec; c.lastNs[f] = ns;
    c.origPkts[f] = 0; c.respPkts[f] = 0;
    c.origWireBytes[f] = 0; c.respWireBytes[f] = 0;
    c.origIpBytes[f] = 0; c.respIpBytes[f] = 0;
    c.origPayloadBytes[f] = 0; c.respPayloadBytes[f] = 0;
    c.synToSynAckUs[f] = NaN; c.synAckToAckUs[f] = NaN;
    c.origMac[f] = flip ? p.dstMac : p.srcMac;
    c.respMac[f] = flip ? p.srcMac : p.dstMac;
    c.vlanOuter[f] = p.vlanOuter; c.vlanInner[f] = p.vlanInner; c.mplsLabel[f] = p.mplsLabel;
    c.origTtl[f] = -1; c.respTtl[f] = -1;
    c.origTcpFlags[f] = 0; c.respTcpFlags[f] = 0;
    c.fragments[f] = 0; c.truncatedPkts[f] = 0;
    c.tunnelKind[f] = p.tunnelKind;
    for (let i = 0; i < 4; i++) { c.tunnelSrc[a4 + i] = p.tunnelSrc[i]; c.tunnelDst[a4 + i] = p.tunnelDst[i]; }
    c.connState[f] = 0; c.endReason[f] = 0; c.historyLen[f] = 0; c.spltLen[f] = 0;
    // Joinable with a part from the previous range only when nothing ended this key before it here.
    c.joinable[f] = restarted ? 0 : 1;
    c.tag[f] = this.tagBase + this.serial++;
    this.synRel[f] = NaN; this.synAckRel[f] = NaN; this.ackRel[f] = NaN; this.ackRespRel[f] = NaN; this.hsSide[f] = 0; this.prevRel[f] = 0; this.closeSec[f] = 0;
    this.zeek.init(f, p.proto, flip);
    this.lru.pushTail(f, p.proto === TCP ? LIST_TCP : p.proto === UDP ? LIST_UDP : LIST_OTHER);
    return f;
  }

  private update(f: number, p: Decoded, sec: number, ns: number, wireLen: number, truncated: boolean, isOrig: boolean): void {
    const c = this.live.cols;
    if (sec > c.lastSec[f] || (sec === c.lastSec[f] && ns > c.lastNs[f])) { c.lastSec[f] = sec; c.lastNs[f] = ns; }
    if (sec < c.firstSec[f] || (sec === c.firstSec[f] && ns < c.firstNs[f])) { c.firstSec[f] = sec; c.firstNs[f] = ns; }
    const rel = (sec - c.firstSec[f]) * 1e9 + (ns - c.firstNs[f]);
    if (isOrig) {
      c.origPkts[f]++; c.origWireBytes[f] += wireLen; c.origIpBytes[f] += p.ipLen; c.origPayloadBytes[f] += p.payloadLen;
      if (c.origTtl[f] < 0) c.origTtl[f] = p.ttl;
      if (c.origMac[f] !== c.origMac[f]) c.origMac[f] = p.srcMac;
    } else {
      c.respPkts[f]++; c.respWireBytes[f] += wireLen; c.respIpBytes[f] += p.ipLen; c.respPayloadBytes[f] += p.payloadLen;
      if (c.respTtl[f] < 0) c.respTtl[f] = p.ttl;
      if (c.respMac[f] !== c.respMac[f]) c.respMac[f] = p.srcMac;
    }
    if (p.isFragment) c.fragments[f]++;
    if (truncated) c.truncatedPkts[f]++;
    const n = this.live.spltN;
    const sl = c.spltLen[f];
    if (sl < n) {
      const o = f * n + sl;
      c.spltSize[o] = isOrig ? p.ipLen : -p.ipLen;
      c.spltGapUs[o] = sl === 0 ? 0 : (rel - this.prevRel[f]) / 1000;
      c.spltLen[f] = sl + 1;
    }
    this.prevRel[f] = rel;
    const proto = p.proto;
    const headerPacket = !p.isFragment || p.fragFirst;
    if (proto === TCP && p.hasPorts) {
      const fl = p.tcpFlags;
      if (isOrig) c.origTcpFlags[f] |= fl; else c.respTcpFlags[f] |= fl;
      // Handshake marks by what the packets are, not by which side the flow saw first: a range
      // may begin a flow at its SYN-ACK, and the merge joins the marks across ranges.
      const side = isOrig ? 1 : 2;
      if ((fl & (SYN | ACK)) === SYN) {
        if (this.synRel[f] !== this.synRel[f]) { this.synRel[f] = rel; this.hsSide[f] = (this.hsSide[f] & ~3) | side; }
      } else if ((fl & (SYN | ACK)) === (SYN | ACK)) {
        if (this.synAckRel[f] !== this.synAckRel[f] && (this.hsSide[f] & 3) !== side) {
          this.synAckRel[f] = rel;
          this.hsSide[f] |= side << 2;
          if (this.synRel[f] === this.synRel[f]) c.synToSynAckUs[f] = (rel - this.synRel[f]) / 1000;
        }
      } else if ((fl & ACK) !== 0) {
        if (isOrig) { if (this.ackRel[f] !== this.ackRel[f]) this.ackRel[f] = rel; }
        else if (this.ackRespRel[f] !== this.ackRespRel[f]) this.ackRespRel[f] = rel;
        const sa = this.hsSide[f] >> 2;
        if (sa !== 0 && sa !== side && c.synAckToAckUs[f] !== c.synAckToAckUs[f]) c.synAckToAckUs[f] = (rel - this.synAckRel[f]) / 1000;
      }
      if (headerPacket && p.tcpFull) this.zeek.tcp(f, isOrig, fl, p.seq, p.ack, p.payloadLen, p.window, p.payloadCaptured);
      if (this.lru.list[f] !== LIST_CLOSING) {
        if (this.zeek.tcpClosed(f) !== 0) { this.closeSec[f] = sec + ns / 1e9; this.lru.pushTail(f, LIST_CLOSING); }
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
    const c = this.live.cols, lru = this.lru;
    for (let l = 0; l < 3; l++) {
      const t = this.idleSec[l];
      for (let f = lru.head[l]; f >= 0 && c.lastSec[f] + c.lastNs[f] / 1e9 + t < now; f = lru.head[l]) this.emit(f, EndReason.Idle);
    }
    for (let f = lru.head[LIST_CLOSING]; f >= 0 && this.closeSec[f] + this.opts.closeDelaySec < now; f = lru.head[LIST_CLOSING]) {
      this.emit(f, this.zeek.tcpClosed(f) === 2 ? EndReason.Rst : EndReason.Fin);
    }
  }

  private evictOldest(): void {
    const c = this.live.cols, lru = this.lru;
    let best = -1;
    for (let l = 0; l < 4; l++) {
      const f = lru.head[l];
      if (f < 0) continue;
      if (best < 0 || c.lastSec[f] < c.lastSec[best] || (c.lastSec[f] === c.lastSec[best] && c.lastNs[f] < c.lastNs[best])) best = f;
    }
    if (best < 0) return;
    this.anomalies.add(A.flow_table_full_evicted, -1);
    this.emit(best, lru.list[best] === LIST_CLOSING ? (this.zeek.tcpClosed(best) === 2 ? EndReason.Rst : EndReason.Fin) : EndReason.Evicted);
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
    const src = this.live, dst = this.out;
    const r = dst.n;
    copyRow(src, f, dst, r);
    const dc = dst.cols;
    dc.endReason[r] = reason;
    dc.connState[r] = this.zeek.connState(f);
    dc.historyLen[r] = this.zeek.history(f, dc.history, r * HISTORY_MAX, HISTORY_MAX);
    dc.closeSec[r] = this.lru.list[f] === LIST_CLOSING ? this.closeSec[f] : NaN;
    dc.synRel[r] = this.synRel[f]; dc.synAckRel[r] = this.synAckRel[f]; dc.ackRel[r] = this.ackRel[f]; dc.ackRespRel[r] = this.ackRespRel[f];
    if (p_isTcp(dc.proto[r])) {
      dc.zOrigState[r] = this.zeek.tcpEndpointState(f, true);
      dc.zRespState[r] = this.zeek.tcpEndpointState(f, false);
      dc.zOrigSize[r] = this.zeek.tcpBytes(f, true);
      dc.zRespSize[r] = this.zeek.tcpBytes(f, false);
    } else {
      dc.zOrigState[r] = dc.origPkts[r] > 0 ? 1 : 0;
      dc.zRespState[r] = dc.respPkts[r] > 0 ? 1 : 0;
      dc.zOrigSize[r] = 0; dc.zRespSize[r] = 0;
    }
    if (this.zeek.swapped(f)) swapRoles(dst, r);
    dst.n = r + 1;
    this.flowsEmitted++;
    if (dst.n === dst.capacity) { this.ready.push(dst); this.out = createBatch(OUT_ROWS, this.opts.splt); }
    if (this.onEnd !== null) this.onEnd(f, src.cols.tag[f]);
    this.release(f);
  }

  private release(f: number): void {
    this.lru.remove(f);
    // Backward-shift deletion keeps probe chains intact without tombstones.
    const index = this.index, mask = this.mask, hashes = this.hashes;
    let s = hashes[f] & mask;
    while (index[s] !== f) s = (s + 1) & mask;
    let hole = s;
    for (let j = (hole + 1) & mask; index[j] >= 0; j = (j + 1) & mask) {
      const home = hashes[index[j]] & mask;
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
    const live = createBatch(cap, this.opts.splt);
    for (const [name] of FLOW_COLUMNS) {
      (live.cols[name] as Uint8Array).set(this.live.cols[name] as Uint8Array);
    }
    this.live = live;
    this.keys = growU32(this.keys, cap * KEY_WORDS);
    this.hashes = growU32(this.hashes, cap);
    this.gen = growU32(this.gen, cap);
    const oil = new Uint8Array(cap); oil.set(this.origIsLow); this.origIsLow = oil;
    this.synRel = growF64(this.synRel, cap);
    this.synAckRel = growF64(this.synAckRel, cap);
    this.ackRel = growF64(this.ackRel, cap);
    this.ackRespRel = growF64(this.ackRespRel, cap);
    { const h = new Uint8Array(cap); h.set(this.hsSide); this.hsSide = h; }
    this.prevRel = growF64(this.prevRel, cap);
    this.closeSec = growF64(this.closeSec, cap);
    this.zeek.grow(cap);
    this.lru.grow(cap);
    const slots = nextPow2(cap * 2);
    if (slots > this.index.length) {
      this.index = new Int32Array(slots).fill(-1);
      this.mask = slots - 1;
      for (let f = 0; f < this.nextUnused; f++) {
        if (this.lru.list[f] < 0) continue;
        for (let s = this.hashes[f] & this.mask; ; s = (s + 1) & this.mask) {
          if (this.index[s] < 0) { this.index[s] = f; break; }
        }
      }
    }
    this.cap = cap;
  }
}

function nextPow2(n: number): number { let p = 1; while (p < n) p *= 2; return p; }
function growU32(a: Uint32Array, n: number): Uint32Array { const b = new Uint32Array(n); b.set(a); return b; }
function growF64(a: Float64Array, n: number): Float64Array { const b = new Float64Array(n); b.set(a); return b; }

function p_isTcp(proto: number): boolean { return proto === TCP; }

function swapF64(a: Float64Array, b: Float64Array, r: number): void { const t = a[r]; a[r] = b[r]; b[r] = t; }

/** Zeek turned the roles around after the flow began: the responder's columns become the originator's. */
export function swapRoles(b: FlowBatch, r: number): void {
  const c = b.cols;
  for (let i = r * 4; i < r * 4 + 4; i++) { const t = c.origAddr[i]; c.origAddr[i] = c.respAddr[i]; c.respAddr[i] = t; }
  swapF64(c.origPkts, c.respPkts, r);
  swapF64(c.origWireBytes, c.respWireBytes, r);
  swapF64(c.origIpBytes, c.respIpBytes, r);
  swapF64(c.origPayloadBytes, c.respPayloadBytes, r);
  swapF64(c.origMac, c.respMac, r);
  swapF64(c.ackRel, c.ackRespRel, r);
  let t: number = c.origPort[r]; c.origPort[r] = c.respPort[r]; c.respPort[r] = t;
  t = c.origTtl[r]; c.origTtl[r] = c.respTtl[r]; c.respTtl[r] = t;
  t = c.origTcpFlags[r]; c.origTcpFlags[r] = c.respTcpFlags[r]; c.respTcpFlags[r] = t;
  const n = b.spltN;
  for (let i = r * n; i < r * n + c.spltLen[r]; i++) c.spltSize[i] = -c.spltSize[i];
}

/**
 * A batch's columns grouped by element type, so a row copy runs monomorphic loops. Width -1 marks
 * a SPLT column and -2 the history: only their used entries are copied.
 */
interface ColumnGroups {
  f64: Float64Array[]; f64w: number[];
  u32: Uint32Array[]; u32w: number[];
  i32: Int32Array[]; i32w: number[];
  u16: Uint16Array[]; u16w: number[];
  u8: Uint8Array[]; u8w: number[];
  spltLen: Uint8Array; historyLen: Uint8Array; spltN: number;
}

const groupCache = new WeakMap<FlowBatch, ColumnGroups>();

function groupsOf(b: FlowBatch): ColumnGroups {
  let g = groupCache.get(b);
  if (g) return g;
  g = { f64: [], f64w: [], u32: [], u32w: [], i32: [], i32w: [], u16: [], u16w: [], u8: [], u8w: [],
    spltLen: b.cols.spltLen, historyLen: b.cols.historyLen, spltN: b.spltN };
  const cols = b.cols as unknown as Record<string, never>;
  for (const [name, kind, per] of FLOW_COLUMNS) {
    const w = per === 'splt' ? (b.spltN === 0 ? 0 : -1) : per === 'hist' ? -2 : per;
    if (w === 0) continue;
    (g[kind] as unknown[]).push(cols[name]);
    (g[`${kind}w`] as number[]).push(w);
  }
  groupCache.set(b, g);
  return g;
}

/** Copies one row across batches of the same SPLT width, column by column. */
export function copyRow(src: FlowBatch, sr: number, dst: FlowBatch, dr: number): void {
  const s = groupsOf(src), d = groupsOf(dst);
  const splt = s.spltLen[sr], hist = s.historyLen[sr], n = s.spltN;
  copyF64(s.f64, d.f64, s.f64w, sr, dr, n, splt, hist);
  copyU32(s.u32, d.u32, s.u32w, sr, dr, n, splt, hist);
  copyI32(s.i32, d.i32, s.i32w, sr, dr, n, splt, hist);
  copyU16(s.u16, d.u16, s.u16w, sr, dr, n, splt, hist);
  copyU8(s.u8, d.u8, s.u8w, sr, dr, n, splt, hist);
}

function copyF64(s: Float64Array[], d: Float64Array[], w: number[], sr: number, dr: number, spltN: number, splt: number, hist: number): void {
  for (let c = 0; c < s.length; c++) {
    const a = s[c], b = d[c];
    let n = w[c];
    if (n === 1) { b[dr] = a[sr]; continue; }
    let used = n;
    if (n === -1) { n = spltN; used = splt; } else if (n === -2) { n = HISTORY_MAX; used = hist; }
    for (let i = 0; i < used; i++) b[dr * n + i] = a[sr * n + i];
  }
}
function copyU32(s: Uint32Array[], d: Uint32Array[], w: number[], sr: number, dr: number, spltN: number, splt: number, hist: number): void {
  for (let c = 0; c < s.length; c++) {
    const a = s[c], b = d[c];
    let n = w[c];
    if (n === 1) { b[dr] = a[sr]; continue; }
    let used = n;
    if (n === -1) { n = spltN; used = splt; } else if (n === -2) { n = HISTORY_MAX; used = hist; }
    for (let i = 0; i < used; i++) b[dr * n + i] = a[sr * n + i];
  }
}
function copyI32(s: Int32Array[], d: Int32Array[], w: number[], sr: number, dr: number, spltN: number, splt: number, hist: number): void {
  for (let c = 0; c < s.length; c++) {
    const a = s[c], b = d[c];
    let n = w[c];
    if (n === 1) { b[dr] = a[sr]; continue; }
    let used = n;
    if (n === -1) { n = spltN; used = splt; } else if (n === -2) { n = HISTORY_MAX; used = hist; }
    for (let i = 0; i < used; i++) b[dr * n + i] = a[sr * n + i];
  }
}
function copyU16(s: Uint16Array[], d: Uint16Array[], w: number[], sr: number, dr: number, spltN: number, splt: number, hist: number): void {
  for (let c = 0; c < s.length; c++) {
    const a = s[c], b = d[c];
    let n = w[c];
    if (n === 1) { b[dr] = a[sr]; continue; }
    let used = n;
    if (n === -1) { n = spltN; used = splt; } else if (n === -2) { n = HISTORY_MAX; used = hist; }
    for (let i = 0; i < used; i++) b[dr * n + i] = a[sr * n + i];
  }
}
function copyU8(s: Uint8Array[], d: Uint8Array[], w: number[], sr: number, dr: number, spltN: number, splt: number, hist: number): void {
  for (let c = 0; c < s.length; c++) {
    const a = s[c], b = d[c];
    let n = w[c];
    if (n === 1) { b[dr] = a[sr]; continue; }
    let used = n;
    if (n === -1) { n = spltN; used = splt; } else if (n === -2) { n = HISTORY_MAX; used = hist; }
    for (let i = 0; i < used; i++) b[dr * n + i] = a[sr * n + i];
  }
}
