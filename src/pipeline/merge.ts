import { createBatch, EndReason, FLOW_COLUMNS, HISTORY_MAX, type FlowBatch } from '../flow/batch.js';
import { compareEndpoints, hashKey, KEY_WORDS } from '../flow/key.js';
import { copyFlowRow, swapRoles } from '../flow/batch-row.js';
import type { FlowOptions } from '../flow/options.js';
import { ZEEK_TCP_ATTEMPT_DELAY_S, TCP_ENDPOINT } from '../flow/zeek-state.js';
import { connStateFrom, endpointRank } from './conn-state.js';

const OUT_ROWS = 4096;
const TCP = 6, UDP = 17;

/** Rows [start, start + count) of a batch: flows ready to write, in order. */
export interface FlowRun { batch: FlowBatch; start: number; count: number }

/**
 * Joins the parts of one flow that crossed a range boundary, in range order.
 *
 * A part still open at the end of its range waits here. The first part of the same key in a
 * later range joins it when a single pass would have kept them one flow: not past the idle
 * timeout (or the close delay after FIN/RST), not past the active timeout. Parts that cannot
 * join, or whose deadline passes as later ranges advance capture time, are written out.
 * Counters add up; first-seen fields keep the earlier part; SPLT, history and the Zeek
 * endpoint states continue in packet order.
 *
 * Most parts began and ended inside their range: they are final as they come and leave in runs
 * of their own batch (no copy). Only parts open at a range's end are copied in, and leave from
 * the merger's own batches.
 */
export class FlowMerger {
  private store: FlowBatch;
  private cap: number;
  private keys: Uint32Array;
  private hashes: Uint32Array;
  private rangeOf: Int32Array;
  private joined: Uint8Array;
  private used: Uint8Array;
  private index: Int32Array;
  private mask: number;
  private free: number[] = [];
  private next = 0;
  private live = 0;
  private readonly k = new Uint32Array(KEY_WORDS);
  private readonly a = new Uint32Array(4);
  private readonly b = new Uint32Array(4);
  private readonly seen = new Uint8Array(128);
  private nowSec = -Infinity;
  private nowNs = 0;
  private out: FlowBatch;
  private readonly ready: FlowRun[] = [];
  flowsEmitted = 0;
  /**
   * Told when a later part (tag `part`) joins the stored one (tag `root`): their records belong to one
   * flow. `flipped`: the part's originator is the stored part's responder.
   */
  onJoin: ((root: number, part: number, flipped: boolean) => void) | null = null;
  /** Told when the stored part (tag `root`) turns its roles around (Zeek's SYN-ACK rule). */
  onFlip: ((root: number) => void) | null = null;

  constructor(private readonly opts: FlowOptions) {
    this.cap = 1024;
    this.store = createBatch(this.cap, opts.splt);
    this.keys = new Uint32Array(this.cap * KEY_WORDS);
    this.hashes = new Uint32Array(this.cap);
    this.rangeOf = new Int32Array(this.cap);
    this.joined = new Uint8Array(this.cap);
    this.used = new Uint8Array(this.cap);
    this.index = new Int32Array(this.cap * 2).fill(-1);
    this.mask = this.cap * 2 - 1;
    this.out = createBatch(OUT_ROWS, opts.splt);
  }

  get pending(): number { return this.live; }

  /** Takes the parts of range `rangeIndex` (in the order the range emitted them). */
  addRange(rangeIndex: number, batches: FlowBatch[], lastSec: number, lastNs: number): void {
    const rangeEnd = lastSec + lastNs / 1e9;
    for (const b of batches) {
      let run = 0; // first row of the current run of parts that leave as they are
      for (let r = 0; r < b.n; r++) {
        if (this.addPart(rangeIndex, b, r, rangeEnd)) continue;
        if (r > run) this.passOn(b, run, r - run);
        run = r + 1;
      }
      if (b.n > run) this.passOn(b, run, b.n - run);
    }
    if (lastSec > this.nowSec || (lastSec === this.nowSec && lastNs > this.nowNs)) { this.nowSec = lastSec; this.nowNs = lastNs; }
    this.sweep();
  }

  private passOn(batch: FlowBatch, start: number, count: number): void {
    this.ready.push({ batch, start, count });
    this.flowsEmitted += count;
  }

  /** True when the part is final as it is (it leaves in its own batch); false when it was stored or joined. */
  private addPart(rangeIndex: number, b: FlowBatch, r: number, rangeEnd: number): boolean {
    const c = b.cols;
    const h = this.keyOf(b, r);
    let p = this.find(h);
    if (p >= 0 && this.rangeOf[p] < rangeIndex && c.joinable[r] === 1 && this.canJoin(p, b, r)) {
      this.join(p, b, r);
      this.rangeOf[p] = rangeIndex;
      if (!this.isOpen(b, r, rangeEnd)) this.finalize(p, c.endReason[r]);
      return false;
    }
    if (p >= 0) { this.finalize(p, this.deadlineReason(p)); p = -1; }
    if (!this.isOpen(b, r, rangeEnd)) return true;
    p = this.insert(h);
    copyFlowRow(b, r, this.store, p);
    this.rangeOf[p] = rangeIndex;
    this.joined[p] = 0;
    return false;
  }

  /** Open at its range's end: flushed there, or closing (FIN/RST) with its close delay not yet over. */
  private isOpen(b: FlowBatch, r: number, rangeEnd: number): boolean {
    const c = b.cols;
    const reason = c.endReason[r];
    if (reason === EndReason.EndOfCapture) return true;
    const cs = c.closeSec[r];
    return (reason === EndReason.Fin || reason === EndReason.Rst) && cs === cs && !(cs + this.opts.closeDelaySec < rangeEnd);
  }

  /** The same tests the flow table applies when the part's first packet arrives. */
  private canJoin(p: number, b: FlowBatch, r: number): boolean {
    const s = this.store.cols, c = b.cols;
    const fSec = c.firstSec[r];
    const cs = s.closeSec[p];
    if (cs === cs) {
      if (cs + this.opts.closeDelaySec < fSec + c.firstNs[r] / 1e9) return false;
    } else {
      const t = this.idleFor(s.proto[p]);
      if (s.lastSec[p] + s.lastNs[p] / 1e9 + t < fSec + c.firstNs[r] / 1e9) return false;
    }
    if (fSec - s.firstSec[p] >= this.opts.activeSec) return false;
    if (s.proto[p] === TCP && fSec - s.firstSec[p] > ZEEK_TCP_ATTEMPT_DELAY_S &&
        (s.zOrigState[p] === TCP_ENDPOINT.SYN_SENT || s.zOrigState[p] === TCP_ENDPOINT.SYN_ACK_SENT) &&
        s.zRespState[p] === TCP_ENDPOINT.INACTIVE) return false;
    return true;
  }

  private idleFor(proto: number): number {
    return proto === TCP ? this.opts.tcpIdleSec : proto === UDP ? this.opts.udpIdleSec : this.opts.otherIdleSec;
  }

  private join(p: number, b: FlowBatch, r: number): void {
    const s = this.store.cols, c = b.cols;
    // Zeek turns a flow that began with an unflipped SYN-ACK around ("H" -> "^h") at its next
    // packet; when that packet is in this later part, the turn happens here.
    if (s.proto[p] === TCP && s.historyLen[p] > 0 && s.history[p * HISTORY_MAX] === 0x48) {
      this.turnAround(p);
      if (this.onFlip !== null) this.onFlip(s.tag[p]);
    }
    // Same orientation when the part's originator is the stored originator.
    let same = c.origPort[r] === s.origPort[p];
    for (let i = 0; i < 4 && same; i++) same = c.origAddr[r * 4 + i] === s.origAddr[p * 4 + i];
    if (this.onJoin !== null) this.onJoin(s.tag[p], c.tag[r], !same);
    const lastSec = s.lastSec[p], lastNs = s.lastNs[p];
    const oPk = same ? c.origPkts[r] : c.respPkts[r], rPk = same ? c.respPkts[r] : c.origPkts[r];
    s.origPkts[p] += oPk; s.respPkts[p] += rPk;
    s.origWireBytes[p] += same ? c.origWireBytes[r] : c.respWireBytes[r];
    s.respWireBytes[p] += same ? c.respWireBytes[r] : c.origWireBytes[r];
    s.origIpBytes[p] += same ? c.origIpBytes[r] : c.respIpBytes[r];
    s.respIpBytes[p] += same ? c.respIpBytes[r] : c.origIpBytes[r];
    s.origPayloadBytes[p] += same ? c.origPayloadBytes[r] : c.respPayloadBytes[r];
    s.respPayloadBytes[p] += same ? c.respPayloadBytes[r] : c.origPayloadBytes[r];
    s.fragments[p] += c.fragments[r];
    s.truncatedPkts[p] += c.truncatedPkts[r];
    s.origTcpFlags[p] |= same ? c.origTcpFlags[r] : c.respTcpFlags[r];
    s.respTcpFlags[p] |= same ? c.respTcpFlags[r] : c.origTcpFlags[r];
    if (s.origTtl[p] < 0) s.origTtl[p] = same ? c.origTtl[r] : c.respTtl[r];
    if (s.respTtl[p] < 0) s.respTtl[p] = same ? c.respTtl[r] : c.origTtl[r];
    if (s.origMac[p] !== s.origMac[p]) s.origMac[p] = same ? c.origMac[r] : c.respMac[r];
    if (s.respMac[p] !== s.respMac[p]) s.respMac[p] = same ? c.respMac[r] : c.origMac[r];
    if (s.vlanOuter[p] < 0) s.vlanOuter[p] = c.vlanOuter[r];
    if (s.vlanInner[p] < 0) s.vlanInner[p] = c.vlanInner[r];
    if (s.mplsLabel[p] < 0) s.mplsLabel[p] = c.mplsLabel[r];
    // Handshake times: the part's marks, moved onto the stored part's clock, complete the split.
    // SYN and SYN-ACK marks are what the packets were (either orientation); the ACK marks are per side.
    {
      const shift = (c.firstSec[r] - s.firstSec[p]) * 1e9 + (c.firstNs[r] - s.firstNs[p]);
      const origAck = same ? c.ackRel[r] : c.ackRespRel[r], respAck = same ? c.ackRespRel[r] : c.ackRel[r];
      if (s.synRel[p] !== s.synRel[p] && c.synRel[r] === c.synRel[r]) s.synRel[p] = shift + c.synRel[r];
      if (s.synAckRel[p] !== s.synAckRel[p] && c.synAckRel[r] === c.synAckRel[r]) s.synAckRel[p] = shift + c.synAckRel[r];
      if (s.ackRel[p] !== s.ackRel[p] && origAck === origAck) s.ackRel[p] = shift + origAck;
      if (s.ackRespRel[p] !== s.ackRespRel[p] && respAck === respAck) s.ackRespRel[p] = shift + respAck;
      if (s.synToSynAckUs[p] !== s.synToSynAckUs[p] && s.synRel[p] === s.synRel[p] && s.synAckRel[p] > s.synRel[p]) {
        s.synToSynAckUs[p] = (s.synAckRel[p] - s.synRel[p]) / 1000;
      }
      if (s.synAckToAckUs[p] !== s.synAckToAckUs[p] && s.synAckRel[p] === s.synAckRel[p]) {
        // The originator's first ACK after the SYN-ACK: the part's own first one when it came after it.
        const ack = origAck === origAck ? shift + origAck : NaN;
        if (ack > s.synAckRel[p]) s.synAckToAckUs[p] = (ack - s.synAckRel[p]) / 1000;
      }
    }
    if (s.synToSynAckUs[p] !== s.synToSynAckUs[p]) s.synToSynAckUs[p] = c.synToSynAckUs[r];
    if (s.synAckToAckUs[p] !== s.synAckToAckUs[p]) s.synAckToAckUs[p] = c.synAckToAckUs[r];
    if (c.lastSec[r] > lastSec || (c.lastSec[r] === lastSec && c.lastNs[r] > lastNs)) { s.lastSec[p] = c.lastSec[r]; s.lastNs[p] = c.lastNs[r]; }
    // SPLT continues where the stored part stopped; its first gap spans the boundary.
    const n = this.store.spltN;
    let len = s.spltLen[p];
    const gap0 = ((c.firstSec[r] - lastSec) * 1e9 + (c.firstNs[r] - lastNs)) / 1000;
    for (let i = 0; i < c.spltLen[r] && len < n; i++, len++) {
      const v = c.spltSize[r * n + i];
      s.spltSize[p * n + len] = same ? v : -v;
      s.spltGapUs[p * n + len] = i === 0 ? gap0 : c.spltGapUs[r * n + i];
    }
    s.spltLen[p] = len;
    // History: the later part's letters that the earlier part has not written yet, in order.
    const seen = this.seen;
    seen.fill(0);
    const hp = p * HISTORY_MAX;
    let hl = s.historyLen[p];
    for (let i = 0; i < hl; i++) seen[s.history[hp + i] & 127] = 1;
    const hr = r * HISTORY_MAX;
    for (let i = 0; i < c.historyLen[r] && hl < HISTORY_MAX; i++) {
      let ch = c.history[hr + i];
      if (ch === 0x5e) continue;
      if (!same) ch = ch >= 0x61 ? ch - 32 : ch >= 0x41 && ch <= 0x5a ? ch + 32 : ch;
      if (seen[ch & 127]) continue;
      seen[ch & 127] = 1;
      s.history[hp + hl++] = ch;
    }
    s.historyLen[p] = hl;
    // Zeek endpoint states: the further-along state of each side wins.
    const os = same ? c.zOrigState[r] : c.zRespState[r], rs = same ? c.zRespState[r] : c.zOrigState[r];
    if (s.proto[p] === TCP) {
      if (oPk > 0 && endpointRank(os) >= endpointRank(s.zOrigState[p])) s.zOrigState[p] = os;
      if (rPk > 0 && endpointRank(rs) >= endpointRank(s.zRespState[p])) s.zRespState[p] = rs;
    } else {
      s.zOrigState[p] |= os; s.zRespState[p] |= rs;
    }
    s.zOrigSize[p] += same ? c.zOrigSize[r] : c.zRespSize[r];
    s.zRespSize[p] += same ? c.zRespSize[r] : c.zOrigSize[r];
    const cs = c.closeSec[r];
    // Once closing (FIN/RST seen), a later part of stray ACKs does not reopen the flow.
    if (cs === cs) { s.closeSec[p] = cs; s.endReason[p] = c.endReason[r]; }
    else if (s.closeSec[p] !== s.closeSec[p]) s.endReason[p] = c.endReason[r];
    // A part that began mid-connection may close it without its own state machine noticing.
    if (s.proto[p] === TCP && s.closeSec[p] !== s.closeSec[p]) {
      const o = s.zOrigState[p], q = s.zRespState[p];
      if (o === TCP_ENDPOINT.RESET || q === TCP_ENDPOINT.RESET) { s.closeSec[p] = s.lastSec[p] + s.lastNs[p] / 1e9; s.endReason[p] = EndReason.Rst; }
      else if (o === TCP_ENDPOINT.CLOSED && q === TCP_ENDPOINT.CLOSED) { s.closeSec[p] = s.lastSec[p] + s.lastNs[p] / 1e9; s.endReason[p] = EndReason.Fin; }
    }
    this.joined[p] = 1;
  }

  private turnAround(p: number): void {
    const s = this.store.cols;
    swapRoles(this.store, p);
    let t = s.zOrigState[p]; s.zOrigState[p] = s.zRespState[p]; s.zRespState[p] = t;
    t = s.zOrigSize[p]; s.zOrigSize[p] = s.zRespSize[p]; s.zRespSize[p] = t;
    const h = p * HISTORY_MAX;
    const n = Math.min(s.historyLen[p] + 1, HISTORY_MAX);
    for (let i = n - 1; i > 0; i--) {
      const ch = s.history[h + i - 1];
      s.history[h + i] = ch >= 0x61 ? ch - 32 : ch >= 0x41 && ch <= 0x5a ? ch + 32 : ch;
    }
    s.history[h] = 0x5e;
    s.historyLen[p] = n;
  }

  /** Writes out parts whose idle timeout or close delay has passed at the current capture time. */
  private sweep(): void {
    const s = this.store.cols;
    const now = this.nowSec + this.nowNs / 1e9;
    for (let p = 0; p < this.next; p++) {
      if (!this.used[p]) continue;
      const cs = s.closeSec[p];
      const expired = cs === cs
        ? cs + this.opts.closeDelaySec < now
        : s.lastSec[p] + s.lastNs[p] / 1e9 + this.idleFor(s.proto[p]) < now;
      if (expired) this.finalize(p, this.deadlineReason(p));
    }
  }

  private deadlineReason(p: number): number {
    const s = this.store.cols;
    return s.closeSec[p] === s.closeSec[p] ? s.endReason[p] : EndReason.Idle;
  }

  /** Ends every waiting part (end of the input). */
  finish(openReason: number = EndReason.EndOfCapture): void {
    const s = this.store.cols;
    for (let p = 0; p < this.next; p++) {
      if (!this.used[p]) continue;
      this.finalize(p, s.closeSec[p] === s.closeSec[p] ? s.endReason[p] : openReason);
    }
    this.flushPartial();
  }

  /** The flows ready to write, in runs; a run's batch is not touched again by the merger. */
  take(): FlowRun[] { return this.ready.splice(0, this.ready.length); }

  /** Hands over the ended flows collected so far, also fewer than a whole batch (live checkpoints). */
  flushPartial(): void {
    if (this.out.n > 0) { this.ready.push({ batch: this.out, start: 0, count: this.out.n }); this.out = createBatch(OUT_ROWS, this.opts.splt); }
  }

  private finalize(p: number, reason: number): void {
    const d = this.out;
    const o = d.n;
    copyFlowRow(this.store, p, d, o);
    const c = d.cols;
    c.endReason[o] = reason;
    if (this.joined[p] === 1) {
      c.connState[o] = connStateFrom(c.proto[o], c.zOrigState[o], c.zRespState[o], c.zOrigSize[o], c.zRespSize[o],
        c.history, o * HISTORY_MAX, c.historyLen[o]);
    }
    d.n = o + 1;
    this.flowsEmitted++;
    if (d.n === d.capacity) this.flushPartial();
    this.remove(p);
  }

  // ---- the waiting parts: open addressing over canonical keys

  private keyOf(b: FlowBatch, r: number): number {
    const c = b.cols, a = this.a, bb = this.b, k = this.k;
    for (let i = 0; i < 4; i++) { a[i] = c.origAddr[r * 4 + i]; bb[i] = c.respAddr[r * 4 + i]; }
    const op = c.origPort[r], rp = c.respPort[r];
    const low = compareEndpoints(a, op, bb, rp) <= 0;
    for (let i = 0; i < 4; i++) { k[i] = low ? a[i] : bb[i]; k[4 + i] = low ? bb[i] : a[i]; }
    k[8] = low ? ((op << 16) | rp) >>> 0 : ((rp << 16) | op) >>> 0;
    k[9] = c.proto[r];
    return hashKey(k, 0);
  }

  private find(h: number): number {
    const k = this.k;
    for (let s = h & this.mask; ; s = (s + 1) & this.mask) {
      const p = this.index[s];
      if (p < 0) return -1;
      if (this.hashes[p] !== h) continue;
      let eq = true;
      for (let i = 0; i < KEY_WORDS; i++) if (this.keys[p * KEY_WORDS + i] !== k[i]) { eq = false; break; }
      if (eq) return p;
    }
  }

  private insert(h: number): number {
    if (this.free.length === 0 && this.next === this.cap) this.grow();
    const p = this.free.length > 0 ? this.free.pop()! : this.next++;
    this.keys.set(this.k, p * KEY_WORDS);
    this.hashes[p] = h;
    this.used[p] = 1;
    this.live++;
    for (let s = h & this.mask; ; s = (s + 1) & this.mask) {
      if (this.index[s] < 0) { this.index[s] = p; break; }
    }
    return p;
  }

  private remove(p: number): void {
    const index = this.index, mask = this.mask, hashes = this.hashes;
    let s = hashes[p] & mask;
    while (index[s] !== p) s = (s + 1) & mask;
    let hole = s;
    for (let j = (hole + 1) & mask; index[j] >= 0; j = (j + 1) & mask) {
      const home = hashes[index[j]] & mask;
      if (((j - home) & mask) >= ((j - hole) & mask)) { index[hole] = index[j]; hole = j; }
    }
    index[hole] = -1;
    this.used[p] = 0;
    this.free.push(p);
    this.live--;
  }

  private grow(): void {
    const cap = this.cap * 2;
    const store = createBatch(cap, this.opts.splt);
    for (const [name] of FLOW_COLUMNS) (store.cols[name] as Uint8Array).set(this.store.cols[name] as Uint8Array);
    this.store = store;
    const keys = new Uint32Array(cap * KEY_WORDS); keys.set(this.keys); this.keys = keys;
    const hashes = new Uint32Array(cap); hashes.set(this.hashes); this.hashes = hashes;
    const ro = new Int32Array(cap); ro.set(this.rangeOf); this.rangeOf = ro;
    const j = new Uint8Array(cap); j.set(this.joined); this.joined = j;
    const u = new Uint8Array(cap); u.set(this.used); this.used = u;
    this.index = new Int32Array(cap * 2).fill(-1);
    this.mask = cap * 2 - 1;
    for (let p = 0; p < this.next; p++) {
      if (!this.used[p]) continue;
      for (let s = this.hashes[p] & this.mask; ; s = (s + 1) & this.mask) {
        if (this.index[s] < 0) { this.index[s] = p; break; }
      }
    }
    this.cap = cap;
  }
}
