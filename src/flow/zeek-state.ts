/**
 * Zeek's conn_state and history (conn.log), reproduced per packet without allocation.
 *
 * What this follows (Zeek 7.x source; TCP and UDP logic is unchanged through 8.x/9.0-dev):
 * - src/packet_analysis/protocol/tcp/TCPSessionAdapter.cc: Process(), update_history(),
 *   update_window(), update_last_seq(), init_endpoint(), init_peer(), get_relative_seq(),
 *   UpdateStateMachine() and its Update*State() helpers, ConnectionClosed(), IsReuse().
 * - src/analyzer/protocol/tcp/TCP_Endpoint.{h,cc}: CheckHistory() (with the "H" -> "^h" flip),
 *   AddHistory(), DidRxmit()/ZeroWindow()/Gap() (scaled letters), Size(), NoDataAcked().
 * - src/session/Session.{h,cc}: CheckHistory() masks, ScaledHistoryEntry() (base 10).
 * - src/Conn.cc: FlipRoles() appends '^'.
 * - src/packet_analysis/protocol/ip/IPBasedAnalyzer.cc: NewConn() flips (and so writes '^')
 *   before the first packet is analysed, unless the destination is 255.255.255.255.
 * - src/packet_analysis/protocol/{tcp/TCP.cc,udp/UDP.cc}: WantConnection() flip rules;
 *   ICMP and other protocols use the default, which never flips.
 * - src/packet_analysis/protocol/udp/UDP.cc, UDPSessionAdapter.cc: 'D'/'d' once per side,
 *   endpoint "active" once it sent anything.
 * - src/packet_analysis/protocol/icmp/ICMP.cc: ICMP4_counterpart()/ICMP6_counterpart(); ICMP
 *   and unknown IP protocols write no history letters.
 * - src/analyzer/protocol/tcp/TCP_Reassembler.cc + src/Reassem.cc: content gaps ('G'/'g'),
 *   approximated (see below).
 * - scripts/base/protocols/conn/main.zeek: conn_state().
 *
 * Hot path: tcp()/other() allocate nothing; a flow's state is one 128-byte Uint32 block and one
 * 128-byte Float64 block (plus HISTORY_MAX history bytes), indexed by slot, in a buffer of its
 * own or inside the flow table's rows (ZeekLayout).
 *
 * Roles: the caller fixes each flow's originator when it starts (zeekFlip() on its first
 * packet, then init(..., flipped)) and passes isOrig relative to that. Zeek can still swap the
 * roles later (a flow that began with a SYN-ACK turns "H" into "^h" at the first ACK or data,
 * and a SYN answering an earlier SYN-ACK reverses them); swapped(slot) then reads true and the
 * caller must swap its orig/resp columns (addresses, ports, counters) when writing the flow.
 * Everything returned here (connState, history, tcpBytes) is already in Zeek's final roles.
 *
 * Deliberate approximations:
 * - 'C'/'c' (bad checksum) is never written: checksums are not verified. Zeek also drops such
 *   packets from all analysis, so they are counted here as good packets.
 * - 'G'/'g' (content gap) follows the TCP reassembler's rules (a gap is reported when the peer
 *   acks data never seen, only while both sides are established or cleanly closing, FIN octet
 *   excluded, partial-connection first-ack exemption, snaplen-truncated payload counts as
 *   missing when `capLen` is passed) but keeps one pending out-of-order range per side instead
 *   of Zeek's block list, so several disjoint holes acked at once count as fewer gaps.
 * - Zeek defers a FIN close while reassembly holds undelivered data; here the close is
 *   immediate. 'X'/'x' (analysis partial, tunnels) is never written, nor are flips made by
 *   application analyzers (e.g. NTP's "D^").
 *
 * For the flow table, to end flows where Zeek does: call tcpIsReuse() before tcp() for a SYN
 * on an existing flow (true: write the flow out, start a new one with this packet); after
 * tcpClosed() turns non-zero keep the flow ZEEK_TCP_CLOSE_DELAY_S more; drop a flow for which
 * tcpIsAttempt() still holds ZEEK_TCP_ATTEMPT_DELAY_S after its first SYN. payloadLen must come
 * from the IP header's length fields even when the frame holds more or less (Zeek's 'T'/'D'
 * depend on it); a packet whose TCP header is not fully captured must not be passed at all
 * (Zeek keeps the connection but analyses nothing of it).
 */

import { HISTORY_MAX } from './batch.js';

/** conn_state codes; order matches CONN_STATE_NAMES in batch.ts. */
export const CONN_STATE = {
  OTH: 0, S0: 1, S1: 2, SF: 3, REJ: 4, S2: 5, S3: 6, RSTO: 7, RSTR: 8, RSTOS0: 9, RSTRH: 10, SH: 11, SHR: 12,
} as const;

/** Zeek's TCP endpoint states (analyzer::tcp::EndpointState, same numbering). */
export const TCP_ENDPOINT = {
  INACTIVE: 0, SYN_SENT: 1, SYN_ACK_SENT: 2, PARTIAL: 3, ESTABLISHED: 4, CLOSED: 5, RESET: 6,
} as const;

/** Seconds Zeek keeps a TCP connection after it closed (tcp_close_delay) or was reset (tcp_reset_delay). */
export const ZEEK_TCP_CLOSE_DELAY_S = 5;
export const ZEEK_TCP_RESET_DELAY_S = 5;
/** Seconds after the originator's first SYN at which Zeek drops an unanswered attempt (tcp_attempt_delay). */
export const ZEEK_TCP_ATTEMPT_DELAY_S = 5;

const INACTIVE = 0, SYN_SENT = 1, SYN_ACK_SENT = 2, PARTIAL = 3, ESTABLISHED = 4, CLOSED = 5, RESET = 6;

const F_FIN = 1, F_SYN = 2, F_RST = 4, F_ACK = 16;

// Session::CheckHistory masks for TCP (TCP_Endpoint.h); the responder's are shifted left by 16.
const HIST_SYN_PKT = 0x1, HIST_FIN_PKT = 0x2, HIST_RST_PKT = 0x4, HIST_FIN_RST_PKT = 0x8;
const HIST_DATA_PKT = 0x10, HIST_ACK_PKT = 0x20, HIST_MULTI_FLAG_PKT = 0x40;
// UDP's own masks (UDP.cc).
const HIST_ORIG_DATA_PKT = 0x1, HIST_RESP_DATA_PKT = 0x2;

const TOO_LARGE_SEQ_DELTA = 1048576;
const TWO32 = 4294967296;
const TWO64 = 18446744073709551616;
const TCP_MAX_INITIAL_WINDOW = 16384; // init-bare.zeek tcp_max_initial_window
const TCP_MAX_ABOVE_HOLE_WITHOUT_ANY_ACKS = 16384;
const TCP_EXCESSIVE_DATA_WITHOUT_FURTHER_ACKS = 10 * 1024 * 1024;

// first_packet_seen bits (TCPSessionAdapter.cc)
const FPS_ORIG = 1, FPS_RESP = 2;

// Letters
const L_CARET = 0x5e, L_H = 0x48, L_h = 0x68;

// RSTOS0 needs /\^?S[^HAFGIQ]*R.*/ over the whole history (which may outgrow HISTORY_MAX):
// matched incrementally. 0 start, 1 after leading '^', 2 in S[^HAFGIQ]*, 3 matched, 4 failed.
const M_START = 0, M_CARET = 1, M_IN = 2, M_OK = 3, M_FAIL = 4;

/** Value of a Zeek uint64 that was computed from a possibly negative number. */
function u64(x: number): number {
  return x < 0 ? x + TWO64 : x;
}

/** Counts at which ScaledHistoryEntry (base 10) writes its letter: 1, 10, 100, ... */
function isPow10(n: number): boolean {
  while (n >= 10 && n % 10 === 0) n /= 10;
  return n === 1;
}

// Layout: all state of a flow sits in two small blocks so that a packet touches few cache lines.
// Uint32 block of SU words per slot: a header, then one record per endpoint (side 0 = the
// caller's originator, side 1 = its responder; a record follows its endpoint through flips).
const SU = 32;
const S_PROTO = 0, S_SWAP = 1, S_SEEN = 2, S_HLEN = 3, S_RST0 = 4, S_FPS = 5, S_PARTIAL = 6, S_CLOSED = 7;
const EU0 = 8, EU = 12; // endpoint records at EU0 + side * EU
const E_ST = 0, E_PREV = 1, E_FLAGS = 2, E_START = 3, E_LAST = 4, E_ACK = 5, E_SEQW = 6, E_ACKW = 7;
const E_RX = 8, E_W0 = 9, E_GAP = 10;
const FL_CLOSED = 1, FL_FIN = 2, FL_SKIP = 4; // did_close, FIN_cnt > 0, reassembler skip_deliveries
// Float64 block of SF per slot, GF per endpoint: values that are 64-bit in Zeek.
const SF = 16, GF = 8;
const G_HSYN = 0, G_HFIN = 1, G_HRST = 2, G_FINSEQ = 3, G_RLAST = 4, G_RTRIM = 5, G_PLO = 6, G_PHI = 7;

/**
 * Where each slot's state lies in a buffer: slot stride in words, offset of the Uint32 block
 * (words), of the Float64 block (doubles) and of the history (bytes, a multiple of 4). The flow
 * table puts the state inside its own rows this way.
 */
export interface ZeekLayout { words: number; u: number; g: number; hist: number }

/** The layout of a state that keeps its own buffer. */
const OWN_LAYOUT: ZeekLayout = { words: SU + 2 * SF + HISTORY_MAX / 4, u: 0, g: SU / 2, hist: (SU + 2 * SF) * 4 };

/** Sizes of a slot's Uint32 block (words) and Float64 block (doubles), for whoever lays out a shared buffer. */
export const ZEEK_U_WORDS = SU, ZEEK_G_DOUBLES = SF;

export class ZeekState {
  capacity: number;
  private u!: Uint32Array;
  private g!: Float64Array;
  private readonly su: number;
  private readonly uo: number;
  private readonly sg: number;
  private readonly go: number;
  private readonly sh: number;
  private readonly ho: number;
  /** Out-parameter of relSeq(): Zeek's `underflow` flag. */
  private under = false;
  /** The segment tcpSegment() reads: sequence number, acknowledgment number (u32 each), and (its own) the sequence number one past the segment. */
  readonly seqIn = new Uint32Array(3);

  /** With `buffer`, the state lives in it (at `layout`, capacity slots); its owner grows it and calls attach(). */
  constructor(capacity: number, layout: ZeekLayout = OWN_LAYOUT, buffer?: ArrayBuffer) {
    this.su = layout.words; this.uo = layout.u;
    this.sg = layout.words / 2; this.go = layout.g;
    this.sh = layout.words * 4; this.ho = layout.hist;
    if (layout.hist % 4 !== 0) throw new Error('ZeekState: the history must start on a word');
    this.capacity = capacity;
    this.attach(buffer ?? new ArrayBuffer(capacity * layout.words * 4), capacity);
  }

  /** Takes the buffer again after its owner grew it (every slot's bytes kept in place). */
  attach(buffer: ArrayBuffer, capacity: number): void {
    this.u = new Uint32Array(buffer);
    this.g = new Float64Array(buffer);
    this.capacity = capacity;
  }

  /** Start of a slot's Uint32 block, Float64 block and history. */
  private ub(slot: number): number { return slot * this.su + this.uo; }
  private gb(slot: number): number { return slot * this.sg + this.go; }
  private hb(slot: number): number { return slot * this.sh + this.ho; }

  // History letters are bytes packed four to a word of `u` (word-aligned, see ZeekLayout): a byte
  // view cannot span a buffer of 4 GiB or more, which the flow table's rows reach at large
  // --max-flows and --splt. Byte offsets may pass 2^32, so words are found by division, not shifts.
  private histAt(slot: number, i: number): number {
    const b = this.hb(slot) + i;
    return (this.u[(b - (b & 3)) / 4] >>> ((b & 3) * 8)) & 0xff;
  }

  private setHist(slot: number, i: number, c: number): void {
    const b = this.hb(slot) + i, w = (b - (b & 3)) / 4, shift = (b & 3) * 8;
    this.u[w] = (this.u[w] & ~(0xff << shift)) | (c << shift);
  }

  /** Slot starts a new flow of IP protocol `proto`. `flipped` = the flow's originator is the destination of its first packet (history then starts with '^'). */
  init(slot: number, proto: number, flipped: boolean): void {
    const sb = this.ub(slot);
    this.u.fill(0, sb, sb + SU);
    this.u[sb + S_PROTO] = proto;
    const gb = this.gb(slot);
    this.g.fill(0, gb, gb + SF);
    // reassemblers start at relative sequence 1 (last_reassem_seq = trim_seq = 1)
    this.g[gb + G_RLAST] = 1;
    this.g[gb + G_RTRIM] = 1;
    this.g[gb + GF + G_RLAST] = 1;
    this.g[gb + GF + G_RTRIM] = 1;
    // NewConn() flips before the analyzer tree exists: Connection::FlipRoles() writes '^'.
    if (flipped) this.addLetter(slot, L_CARET);
  }

  /** True when Zeek swapped the roles after init(): the caller's responder is Zeek's originator. */
  swapped(slot: number): boolean {
    return this.u[this.ub(slot) + S_SWAP] === 1;
  }

  // ------------------------------------------------------------------ history

  private addLetter(slot: number, c: number): void {
    const u = this.u, sb = this.ub(slot);
    const n = u[sb + S_HLEN];
    if (n < HISTORY_MAX) {
      this.setHist(slot, n, c);
      u[sb + S_HLEN] = n + 1;
    }
    const m = u[sb + S_RST0];
    if (m === M_START) u[sb + S_RST0] = c === L_CARET ? M_CARET : c === 0x53 /* S */ ? M_IN : M_FAIL;
    else if (m === M_CARET) u[sb + S_RST0] = c === 0x53 ? M_IN : M_FAIL;
    else if (m === M_IN) {
      if (c === 0x52 /* R */) u[sb + S_RST0] = M_OK;
      else if (c === 0x48 || c === 0x41 || c === 0x46 || c === 0x47 || c === 0x49 || c === 0x51) u[sb + S_RST0] = M_FAIL;
    }
  }

  /** Session::CheckHistory: writes `c` the first time `mask` is seen; returns whether it was seen before. */
  private sessCheck(slot: number, mask: number, c: number): boolean {
    const i = this.ub(slot) + S_SEEN;
    const seen = this.u[i];
    if ((seen & mask) === 0) {
      this.u[i] = seen | mask;
      this.addLetter(slot, c);
      return false;
    }
    return true;
  }

  /** TCP_Endpoint::CheckHistory for endpoint `side`. `c` is the upper-case letter. */
  private epCheck(slot: number, side: number, mask: number, c: number): boolean {
    const sb = this.ub(slot);
    if ((c === 0x41 || c === 0x44) && this.u[sb + S_HLEN] === 1 && this.histAt(slot, 0) === L_H) {
      // Began with an unflipped SYN-ACK, and now productive traffic: flip, history becomes "^h".
      this.flipRoles(slot);
      this.setHist(slot, 0, L_CARET);
      this.setHist(slot, 1, L_h);
      this.u[sb + S_HLEN] = 2;
      this.u[sb + S_RST0] = M_FAIL;
      this.u[sb + S_FPS] |= FPS_ORIG;
    }
    if (side !== this.u[sb + S_SWAP]) {
      mask = (mask << 16) >>> 0;
      c |= 0x20;
    }
    return this.sessCheck(slot, mask, c);
  }

  /** TCP_Endpoint::AddHistory. */
  private epAdd(slot: number, side: number, c: number): void {
    this.addLetter(slot, side === this.u[this.ub(slot) + S_SWAP] ? c : c | 0x20);
  }

  /** Session::ScaledHistoryEntry with base 10: letter at the 1st, 10th, 100th, ... event. */
  private scaled(slot: number, side: number, c: number, counter: number): void {
    const n = (this.u[counter] = this.u[counter] + 1);
    if (isPow10(n)) this.epAdd(slot, side, c);
  }

  /** Connection::FlipRoles + TCPSessionAdapter::FlipRoles. */
  private flipRoles(slot: number): void {
    const u = this.u, sb = this.ub(slot);
    u[sb + S_SWAP] ^= 1;
    const f = u[sb + S_FPS];
    u[sb + S_FPS] = ((f & FPS_ORIG) ? FPS_RESP : 0) | ((f & FPS_RESP) ? FPS_ORIG : 0);
    u[sb + S_PARTIAL] = 0;
    this.addLetter(slot, L_CARET);
  }

  // ------------------------------------------------------------------ TCP helpers
  // Endpoints are addressed by e = index of their Uint32 record and q = index of their Float64 record.

  private setState(e: number, s: number): void {
    const cur = this.u[e + E_ST];
    if (s !== cur) {
      this.u[e + E_PREV] = cur;
      this.u[e + E_ST] = s;
    }
  }

  /**
   * get_relative_seq() of seqIn[which] (0: the segment's sequence number, 1: its ack) against the
   * endpoint's fields at e + lastAt and e + wrapsAt; sets this.under. Negative results stand for
   * Zeek's wrapped uint64.
   */
  private relSeq(e: number, which: number, lastAt: number, wrapsAt: number): number {
    const cur = this.seqIn[which], last = this.u[e + lastAt];
    let wraps = this.u[e + wrapsAt];
    const delta = (cur - last) | 0;
    if (delta < 0) {
      if (wraps && cur > last) --wraps;
    } else if (delta > 0) {
      if (cur < last) ++wraps;
    }
    const start = this.u[e + E_START];
    if (wraps === 0) {
      const d = (cur - start) | 0;
      this.under = d < 0;
      return d;
    }
    this.under = false;
    return wraps * TWO32 + cur - start;
  }

  /** update_last_seq() to the segment's end (seqIn[2]). */
  private updateLastSeq(e: number): void {
    const seq = this.seqIn[2];
    if (seq < this.u[e + E_LAST]) this.u[e + E_SEQW]++;
    this.u[e + E_LAST] = seq;
  }

  /** Numbers the endpoint from the segment (seqIn[0], its end seqIn[2]) where Zeek's Init/InitEndpoint would. */
  private initEndpoint(e: number, syn: number): void {
    const u = this.u, firstSeq = this.seqIn[0];
    let last = this.seqIn[2];
    switch (u[e + E_ST]) {
      case INACTIVE:
        if (syn) {
          u[e + E_ACK] = firstSeq;
          u[e + E_START] = firstSeq;
        } else {
          // Partial connection: number as though a SYN had been seen.
          u[e + E_ACK] = firstSeq - 1;
          u[e + E_START] = firstSeq - 1;
          last = firstSeq; // so the first packet is not taken as a duplicate
        }
        u[e + E_LAST] = last;
        break;
      case SYN_SENT:
      case SYN_ACK_SENT:
        if (syn && firstSeq !== u[e + E_START]) {
          u[e + E_START] = firstSeq;
          u[e + E_ACK] = firstSeq;
          u[e + E_LAST] = last;
        }
        break;
      case ESTABLISHED:
      case PARTIAL:
        if (syn) {
          u[e + E_START] = firstSeq;
          u[e + E_ACK] = firstSeq;
          u[e + E_LAST] = last;
        }
        break;
      case RESET:
        if (syn && u[e + E_PREV] === INACTIVE) {
          u[e + E_START] = firstSeq;
          u[e + E_ACK] = firstSeq;
          u[e + E_LAST] = last;
        }
        break;
      default:
        break;
    }
  }

  /** TCP_Endpoint::NoDataAcked. */
  private noDataAcked(e: number): boolean {
    const u = this.u;
    const ack = u[e + E_ACKW] * TWO32 + u[e + E_ACK];
    const start = u[e + E_START];
    return ack === start || ack === start + 1;
  }

  /** TCP_Endpoint::Size: payload bytes from sequence numbers. `pe` is the peer's record. */
  private size(e: number, pe: number): number {
    const u = this.u;
    if (u[e + E_PREV] === SYN_SENT && u[e + E_ST] === RESET && u[pe + E_ST] === INACTIVE && !this.noDataAcked(e)) {
      return 0;
    }
    const last64 = u[e + E_SEQW] * TWO32 + u[e + E_LAST];
    const ack64 = u[e + E_ACKW] * TWO32 + u[e + E_ACK];
    let size = u64((last64 > ack64 ? last64 : ack64) - u[e + E_START]);
    if (size !== 0) --size;
    if ((u[e + E_FLAGS] & FL_FIN) && size !== 0) --size;
    return size;
  }

  private isClean(e: number): boolean {
    const s = this.u[e + E_ST];
    return s === ESTABLISHED || (s === CLOSED && this.u[e + E_PREV] === ESTABLISHED);
  }

  /** TCP_Reassembler::Gap: scaled 'G' while both sides are established or cleanly closing. */
  private gap(slot: number, side: number, e: number, pe: number): void {
    if (this.isClean(e) && this.isClean(pe)) this.scaled(slot, side, 0x47 /* G */, e + E_GAP);
  }

  /** After a delivery: the pending out-of-order range joins when it became contiguous. */
  private joinPending(q: number): void {
    const g = this.g;
    const hi = g[q + G_PHI];
    if (hi !== 0 && g[q + G_PLO] <= g[q + G_RLAST]) {
      if (hi > g[q + G_RLAST]) g[q + G_RLAST] = hi;
      g[q + G_PLO] = 0;
      g[q + G_PHI] = 0;
    }
  }

  /** TCP_Reassembler::DataSent (+ Reassembler::NewBlock, BlockInserted). */
  private dataSent(e: number, pe: number, q: number, seq: number, len: number): void {
    const u = this.u, g = this.g;
    if (u[e + E_FLAGS] & FL_SKIP) return;
    const ack = u64(u[e + E_ACKW] * TWO32 + u[e + E_ACK] - u[e + E_START]);
    let upper = seq + len;
    if (seq < ack) {
      if (upper <= ack) return; // delivered and acked already
      seq = ack;
    }
    const trim = g[q + G_RTRIM];
    if (upper <= trim) return;
    if (seq < trim) seq = trim;
    const last = g[q + G_RLAST];
    if (seq > last) {
      // Out of order: held until the hole fills or is acked over.
      if (g[q + G_PHI] === 0) {
        g[q + G_PLO] = seq;
        g[q + G_PHI] = upper;
      } else {
        if (seq < g[q + G_PLO]) g[q + G_PLO] = seq;
        if (upper > g[q + G_PHI]) g[q + G_PHI] = upper;
      }
    } else if (upper > last) {
      g[q + G_RLAST] = upper;
      this.joinPending(q);
      // Nothing acked yet but more than an initial window sent: stop holding delivered data.
      if (this.noDataAcked(e) && this.size(e, pe) > TCP_MAX_INITIAL_WINDOW) g[q + G_RTRIM] = g[q + G_RLAST];
    }
    upper = g[q + G_PHI] - g[q + G_PLO]; // undelivered bytes
    if ((this.noDataAcked(e) && upper > TCP_MAX_ABOVE_HOLE_WITHOUT_ANY_ACKS) ||
      g[q + G_RLAST] - g[q + G_RTRIM] + upper > TCP_EXCESSIVE_DATA_WITHOUT_FURTHER_ACKS) {
      g[q + G_PLO] = 0;
      g[q + G_PHI] = 0;
      u[e + E_FLAGS] |= FL_SKIP;
    }
  }

  /** TCP_Reassembler::AckReceived (+ DataBlockList::Trim, TCP_Reassembler::Undelivered) for endpoint `side`. */
  private ackReceived(slot: number, side: number, e: number, pe: number, q: number, seq: number): void {
    const u = this.u, g = this.g;
    if ((u[e + E_FLAGS] & FL_FIN) && seq >= g[q + G_FINSEQ]) seq = g[q + G_FINSEQ] - 1;
    if (seq <= g[q + G_RTRIM]) return;
    if (seq > g[q + G_RLAST]) {
      // Undelivered(seq); a partial connection's first ack (up to 2) is no gap
      if (!(seq <= 2 && u[this.ub(slot) + S_PARTIAL])) {
        if (!(u[e + E_FLAGS] & FL_SKIP)) {
          const lo = g[q + G_PLO], hi = g[q + G_PHI];
          if (hi !== 0 && lo >= g[q + G_RLAST] && lo < seq) {
            this.gap(slot, side, e, pe);
            g[q + G_RLAST] = hi > lo ? hi : lo;
            g[q + G_PLO] = 0;
            g[q + G_PHI] = 0;
          }
          if (seq > g[q + G_RLAST]) this.gap(slot, side, e, pe);
        }
        if (seq > g[q + G_RLAST]) g[q + G_RLAST] = seq;
      }
    }
    if (g[q + G_PHI] !== 0 && g[q + G_PHI] <= seq) {
      g[q + G_PLO] = 0;
      g[q + G_PHI] = 0;
    }
    this.joinPending(q);
    g[q + G_RTRIM] = seq;
  }

  /** TCPSessionAdapter::ConnectionClosed, without the reassembler's pending-data deferral. */
  private connectionClosed(sb: number, e: number, pe: number): void {
    const u = this.u;
    if (u[e + E_FLAGS] & FL_CLOSED) return;
    u[e + E_FLAGS] |= FL_CLOSED;
    const reset = u[e + E_ST] === RESET;
    if (u[sb + S_CLOSED] === 0 && (reset || (u[pe + E_FLAGS] & FL_CLOSED) || u[pe + E_ST] === INACTIVE)) {
      u[sb + S_CLOSED] = reset ? 2 : 1;
    }
  }

  // ------------------------------------------------------------------ TCP state machine

  /** UpdateStateMachine(); returns 1 for do_close. `isOrig` is Zeek's value at packet start (stale after a flip, as in Zeek). */
  private stateMachine(slot: number, e: number, pe: number, len: number, isOrig: boolean, flags: number): number {
    const u = this.u, sb = this.ub(slot);
    const syn = flags & F_SYN, fin = flags & F_FIN, rst = flags & F_RST, ack = flags & F_ACK;
    let doClose = 0;
    switch (u[e + E_ST]) {
      case INACTIVE: {
        if (syn) {
          if (isOrig) {
            this.setState(e, ack ? SYN_ACK_SENT : SYN_SENT);
          } else {
            if (!ack && u[pe + E_ST] === SYN_ACK_SENT && this.seqIn[0] === u[e + E_START]) {
              // SYN/SYN-ACK reversal: flip and establish.
              u[sb + S_PARTIAL] = 0;
              this.flipRoles(slot);
              this.setState(pe, ESTABLISHED);
              u[sb + S_FPS] |= FPS_ORIG;
            }
            if (u[pe + E_ST] === SYN_SENT) this.setState(pe, ESTABLISHED);
            this.setState(e, ESTABLISHED);
          }
        }
        if (fin) {
          this.setState(e, CLOSED);
          doClose = 1;
        }
        if (rst) {
          this.setState(e, RESET);
          doClose = 1;
        }
        if (u[e + E_ST] === INACTIVE) {
          const zOrig = sb + EU0 + u[sb + S_SWAP] * EU;
          if (!isOrig && len === 0 && u[zOrig + E_ST] === SYN_SENT) {
            // an ack of the SYN before the SYN-ACK: not a partial connection
          } else if (ack && u[pe + E_ST] === ESTABLISHED) {
            // missed the SYN, saw the SYN-ACK, now an ACK: established
            this.setState(e, ESTABLISHED);
            u[sb + S_PARTIAL] = 0;
            u[sb + S_FPS] |= isOrig ? FPS_ORIG : FPS_RESP;
          } else {
            this.setState(e, PARTIAL);
          }
        }
        break;
      }
      case SYN_SENT:
      case SYN_ACK_SENT:
        if (fin) {
          this.setState(e, CLOSED);
          doClose = 1;
        }
        if (rst) {
          this.setState(e, RESET);
          doClose = 1;
        }
        break;
      case ESTABLISHED:
      case PARTIAL:
        if (syn && u[e + E_ST] === PARTIAL && u[pe + E_ST] === INACTIVE && !ack) this.setState(e, SYN_SENT);
        if (fin && !rst) {
          this.setState(e, CLOSED);
          // peer sent FIN then RST: that was a normal close after all
          if (u[pe + E_ST] === RESET && u[pe + E_PREV] === CLOSED) this.setState(pe, CLOSED);
          doClose = 1;
        }
        if (rst) {
          this.setState(e, RESET);
          doClose = 1;
        }
        break;
      case CLOSED:
        if (rst && u[pe + E_ST] !== CLOSED) {
          this.setState(e, RESET);
          if (!(u[e + E_FLAGS] & FL_CLOSED)) doClose = 1;
          else if (u[sb + S_CLOSED] === 0) u[sb + S_CLOSED] = 2; // ResetTimer removes it
        }
        break;
      default: // RESET: only weirds
        break;
    }
    return doClose;
  }

  /** One TCP packet. isOrig relative to the flow's originator as set at init() (never re-flipped by the caller).
   * flags: FIN=1,SYN=2,RST=4,PSH=8,ACK=16,URG=32,ECE=64,CWR=128. seq/ack: u32. payloadLen: TCP payload
   * length per the IP header lengths. window: raw window field. capLen: payload bytes actually
   * captured (default payloadLen); fewer than payloadLen means the data is missing for gap purposes. */
  tcp(slot: number, isOrig: boolean, flags: number, seq: number, ack: number, payloadLen: number, window: number,
    capLen: number = payloadLen): void {
    this.seqIn[0] = seq;
    this.seqIn[1] = ack;
    this.tcpSegment(slot, isOrig, flags, payloadLen, window, capLen);
  }

  /**
   * tcp() with the sequence and acknowledgment numbers put in `seqIn` first (0 and 1), the way
   * the decode loop calls it: a u32 above 2^30 handed to a function V8 does not inline is boxed,
   * one heap number per call, where a typed-array slot costs nothing.
   */
  tcpSegment(slot: number, isOrig: boolean, flags: number, payloadLen: number, window: number, capLen: number): void {
    const u = this.u, g = this.g, r = this.seqIn;
    const sb = this.ub(slot);
    const side = isOrig ? 0 : 1;
    const e = sb + EU0 + side * EU, pe = sb + EU0 + (side ^ 1) * EU;
    const q = this.gb(slot) + side * GF, pq = this.gb(slot) + (side ^ 1) * GF;
    const syn = flags & F_SYN, fin = flags & F_FIN, rst = flags & F_RST, ackf = flags & F_ACK;
    const len = payloadLen;
    const seq = r[0], ack = r[1];
    const zIsOrig = side === u[sb + S_SWAP]; // Process()'s is_orig: not updated by a flip below

    // SetPartialStatus(flags, endpoint->IsOrig())
    if (zIsOrig) {
      if (!(u[sb + S_FPS] & FPS_ORIG)) u[sb + S_PARTIAL] = !syn || ackf ? 1 : 0;
    } else if (!(u[sb + S_FPS] & FPS_RESP) && !u[sb + S_PARTIAL]) {
      u[sb + S_PARTIAL] = syn ? 0 : 1;
    }

    let segLen = len;
    if (syn) segLen++;
    if (fin) segLen++;
    if (rst) segLen -= len;
    const onePast = (seq + segLen) >>> 0;
    r[2] = onePast;

    this.initEndpoint(e, syn);
    const relSeq = this.relSeq(e, 0, E_LAST, E_SEQW);
    const seqUnderflow = this.under;

    // update_history()
    const bits = (syn ? 1 : 0) + (fin ? 1 : 0) + (rst ? 1 : 0);
    if (bits > 1) {
      if (fin && rst) this.epCheck(slot, side, HIST_FIN_RST_PKT, 0x49 /* I */);
      else this.epCheck(slot, side, HIST_MULTI_FLAG_PKT, 0x51 /* Q */);
    } else if (bits === 1) {
      if (syn) {
        const c = ackf ? L_H : 0x53 /* S */;
        if (this.epCheck(slot, side, HIST_SYN_PKT, c) && relSeq !== g[q + G_HSYN]) this.epAdd(slot, side, c);
        g[q + G_HSYN] = relSeq;
      }
      if (fin) {
        // a FIN's sequence number is at the end of its data
        if (this.epCheck(slot, side, HIST_FIN_PKT, 0x46 /* F */) && relSeq + len !== g[q + G_HFIN]) {
          this.epAdd(slot, side, 0x46);
        }
        g[q + G_HFIN] = relSeq + len;
      }
      if (rst) {
        if (this.epCheck(slot, side, HIST_RST_PKT, 0x52 /* R */) && relSeq !== g[q + G_HRST]) this.epAdd(slot, side, 0x52);
        g[q + G_HRST] = relSeq;
      }
    } else if (len) {
      this.epCheck(slot, side, HIST_DATA_PKT, 0x44 /* D */);
    } else if (ackf) {
      this.epCheck(slot, side, HIST_ACK_PKT, 0x41 /* A */);
    }

    // update_window(): zero windows, unless with/after a RST or after the peer's FIN
    if (window === 0 && !rst && u[pe + E_ST] !== CLOSED && u[e + E_ST] !== RESET) {
      this.scaled(slot, side, 0x57 /* W */, e + E_W0);
    }

    if (fin) {
      u[e + E_FLAGS] |= FL_FIN;
      g[q + G_FINSEQ] = u64(relSeq + segLen);
    }

    let relAck = 0;
    if (ackf) {
      if (u[pe + E_ST] === INACTIVE) {
        relAck = 1;
        // init_peer(): number the silent peer from this ack
        const a = (ack - 1) >>> 0;
        u[pe + E_START] = a;
        u[pe + E_ACK] = a;
        u[pe + E_LAST] = a;
      } else {
        relAck = this.relSeq(pe, 1, E_ACK, E_ACKW);
        if (this.under) relAck = 0;
        else if (!rst) {
          // update_ack_seq()
          const d = (ack - u[pe + E_ACK]) | 0;
          if (!(ack === 0 && d > TOO_LARGE_SEQ_DELTA) && d > 0) {
            if (ack < u[pe + E_ACK]) u[pe + E_ACKW]++;
            u[pe + E_ACK] = ack;
          }
        }
      }
    }

    // update_last_seq()
    const deltaLast = (onePast - u[e + E_LAST]) | 0;
    if ((syn || rst) && (deltaLast > TOO_LARGE_SEQ_DELTA || deltaLast < -TOO_LARGE_SEQ_DELTA)) {
      // distrust
    } else if (fin && u[e + E_LAST] === ((u[e + E_START] + 1) >>> 0)) {
      this.updateLastSeq(e);
    } else if (u[e + E_ST] === RESET) {
      // distrust anything after a RST
    } else if (deltaLast > 0) {
      this.updateLastSeq(e);
    } else if (len > 0) {
      this.scaled(slot, side, 0x54 /* T */, e + E_RX);
    }

    const doClose = this.stateMachine(slot, e, pe, len, zIsOrig, flags);

    if (ackf) this.ackReceived(slot, side ^ 1, pe, e, pq, relAck);

    // CheckPIA_FirstPacket(is_orig)
    u[sb + S_FPS] |= zIsOrig ? FPS_ORIG : FPS_RESP;

    if (len > 0 && !rst && !seqUnderflow && capLen >= len) this.dataSent(e, pe, q, syn ? relSeq + 1 : relSeq, len);

    if (doClose) this.connectionClosed(sb, e, pe);
  }

  /** One packet of a non-TCP flow (UDP, ICMP, other), with its transport payload length. */
  other(slot: number, isOrig: boolean, payloadLen: number): void {
    // payloadLen does not matter: Zeek's UDP/ICMP endpoints turn active on any packet, empty ones too.
    const sb = this.ub(slot);
    this.u[sb + EU0 + (isOrig ? 0 : EU) + E_ST] = 1;
    if (this.u[sb + S_PROTO] === 17) {
      if (isOrig) this.sessCheck(slot, HIST_ORIG_DATA_PKT, 0x44 /* D */);
      else this.sessCheck(slot, HIST_RESP_DATA_PKT, 0x64 /* d */);
    }
  }

  /**
   * Zeek's TCPSessionAdapter::IsReuse for a packet arriving on this TCP flow: true when Zeek
   * would end the connection here and start a new one with this packet (connection_reused).
   * Only SYNs can: a SYN whose sequence number differs from the originator's initial one
   * (or a SYN-ACK while the originator is silent, against the responder's), or any SYN once
   * either side has closed. Call before tcp().
   */
  tcpIsReuse(slot: number, flags: number, seq: number): boolean {
    if (!(flags & F_SYN)) return false;
    const u = this.u, sb = this.ub(slot);
    const o = sb + EU0 + u[sb + S_SWAP] * EU;
    const r = sb + EU0 + (u[sb + S_SWAP] ^ 1) * EU;
    let connOrig = o;
    if (flags & F_ACK) {
      if (u[o + E_ST] !== INACTIVE) return false; // not a half connection
      connOrig = r;
    }
    if (!((u[o + E_FLAGS] | u[r + E_FLAGS]) & FL_CLOSED)) {
      seq >>>= 0;
      if (seq === u[connOrig + E_START]) return false;
      // SYN and SYN-ACK seen in swapped order: not a reuse, the state machine flips it
      if (!(flags & F_ACK) && u[connOrig + E_ST] === SYN_ACK_SENT && u[r + E_ST] === INACTIVE && seq === u[r + E_START]) {
        return false;
      }
    }
    return true;
  }

  /** True once this TCP flow is finished the way Zeek would consider it closed: 0 = open, 1 = fin, 2 = rst.
   * 1: FIN from both sides (Zeek does not wait for their acks), or a FIN while the other side
   * never sent anything (SH/SHR). 2: a RST. Zeek removes the connection tcp_close_delay /
   * tcp_reset_delay (5 s) later; packets until then still belong to it. Sticky, as Zeek's
   * removal timer is. */
  tcpClosed(slot: number): number {
    const u = this.u, sb = this.ub(slot);
    const c = u[sb + S_CLOSED];
    if (c !== 0) return c;
    if (u[sb + S_PROTO] === 6 && (u[sb + EU0 + E_ST] === RESET || u[sb + EU0 + EU + E_ST] === RESET)) return 2;
    return 0;
  }

  /**
   * Zeek's connection_attempt condition: originator in SYN_SENT or SYN_ACK_SENT and the
   * responder silent. Zeek's AttemptTimer removes such a TCP connection 5 s
   * (tcp_attempt_delay) after the originator's first SYN, so a SYN retransmitted later
   * starts a new connection.
   */
  tcpIsAttempt(slot: number): boolean {
    const u = this.u, sb = this.ub(slot);
    const os = u[sb + EU0 + u[sb + S_SWAP] * EU + E_ST];
    const rs = u[sb + EU0 + (u[sb + S_SWAP] ^ 1) * EU + E_ST];
    return u[sb + S_PROTO] === 6 && (os === SYN_SENT || os === SYN_ACK_SENT) && rs === INACTIVE;
  }

  /** conn_state code at the time the flow is written out (scripts/base/protocols/conn/main.zeek). */
  connState(slot: number): number {
    const u = this.u, sb = this.ub(slot);
    const proto = u[sb + S_PROTO];
    const o = sb + EU0 + u[sb + S_SWAP] * EU;
    const r = sb + EU0 + (u[sb + S_SWAP] ^ 1) * EU;
    const os = u[o + E_ST], rs = u[r + E_ST];
    const sizes0 = proto === 6 && os === RESET && rs === RESET;
    return zeekConnState(proto, os, rs, sizes0 ? this.size(o, r) : 1, sizes0 ? this.size(r, o) : 1, u[sb + S_RST0] === M_OK);
  }

  /** Copies the history letters into dst at dstOff (at most max bytes, ASCII), returns the count. */
  history(slot: number, dst: Uint8Array, dstOff: number, max: number): number {
    let n = this.u[this.ub(slot) + S_HLEN];
    if (n > max) n = max;
    for (let i = 0; i < n; i++) dst[dstOff + i] = this.histAt(slot, i);
    return n;
  }

  /** Zeek's TCP endpoint state (TCP_ENDPOINT) of Zeek's originator (zeekOrig) or responder. */
  tcpEndpointState(slot: number, zeekOrig: boolean): number {
    const sb = this.ub(slot);
    return this.u[sb + EU0 + (this.u[sb + S_SWAP] ^ (zeekOrig ? 0 : 1)) * EU + E_ST];
  }

  /** Zeek's orig_bytes/resp_bytes for TCP (TCP_Endpoint::Size, from sequence numbers). */
  tcpBytes(slot: number, zeekOrig: boolean): number {
    const sb = this.ub(slot);
    const side = this.u[sb + S_SWAP] ^ (zeekOrig ? 0 : 1);
    return this.size(sb + EU0 + side * EU, sb + EU0 + (side ^ 1) * EU);
  }
}

// ---------------------------------------------------------------------- likely_server_ports

/**
 * Zeek's likely_server_ports, as `zeek -r` (base/init-default.zeek) has it. Source: every
 * `redef likely_server_ports += { ... }` under scripts/base of zeek/zeek, i.e. the ports each
 * loaded analyzer script registers (Zeek 8.2+ adds every analyzer's registered server ports
 * automatically instead). Zeek 6.0 / 6.1 set:
 */
const BASE_TCP = [
  135, // dce-rpc
  20000, // dnp3
  53, // dns
  79, // finger
  21, 2811, // ftp
  80, 81, 631, 1080, 3128, 8000, 8080, 8888, // http
  143, // imap
  6666, 6667, 6668, 6669, // irc
  88, // krb
  502, // modbus
  1883, // mqtt
  3389, // rdp
  139, 445, // smb
  25, 587, // smtp
  1080, // socks
  22, // ssh
  443, 563, 585, 614, 636, 989, 990, 992, 993, 995, 5223, // ssl
  5222, 5269, // xmpp
];
const BASE_UDP = [
  5072, // ayiya
  6081, // geneve
  2152, 2123, // gtpv1
  3544, // teredo
  4789, // vxlan
  67, // dhcp (server port only)
  20000, // dnp3
  53, 137, 5353, 5355, // dns
  88, // krb
  123, // ntp
  1812, // radius
  3389, // rdpeudp
  5060, // sip
  161, 162, // snmp
  443, // dtls
  514, // syslog
];
/** 6.2+: ldap. 7.1+: postgresql. 8.0+: redis. 8.2+: ssl 465, mysql, gre, dhcp 4011. */
const LDAP_TCP = [389, 3268], LDAP_UDP = [389];
const POSTGRESQL_TCP = [5432];
const REDIS_TCP = [6379];
const V82_TCP = [465, 1434, 3306], V82_UDP = [4754, 4011];

export type ZeekPortsVersion = '6.0' | '6.2' | '7.1' | '8.0' | '8.2';

/** Bit 1: TCP, bit 2: UDP. */
const LIKELY = new Uint8Array(65536);

/** Selects which Zeek release's likely_server_ports zeekFlip() uses (default '7.1', i.e. Zeek 7.1/7.2). */
export function setZeekServerPorts(version: ZeekPortsVersion): void {
  LIKELY.fill(0);
  const add = (ports: readonly number[], bit: number): void => {
    for (const p of ports) LIKELY[p] |= bit;
  };
  add(BASE_TCP, 1);
  add(BASE_UDP, 2);
  if (version !== '6.0') {
    add(LDAP_TCP, 1);
    add(LDAP_UDP, 2);
  }
  if (version === '7.1' || version === '8.0' || version === '8.2') add(POSTGRESQL_TCP, 1);
  if (version === '8.0' || version === '8.2') add(REDIS_TCP, 1);
  if (version === '8.2') {
    add(V82_TCP, 1);
    add(V82_UDP, 2);
  }
}
setZeekServerPorts('7.1');

/** IsLikelyServerPort() for TCP (6) or UDP (17). */
export function isLikelyServerPort(proto: number, port: number): boolean {
  const bit = proto === 6 ? 1 : proto === 17 ? 2 : 0;
  return (LIKELY[port & 0xffff] & bit) !== 0;
}

/**
 * Zeek's role-flip decision for a NEW connection, from its first packet (WantConnection()).
 * Returns true if the first packet's destination should be the originator.
 * - TCP, first packet not a pure SYN (no SYN, or a SYN-ACK): flip when the source port is a
 *   likely server port and the destination is not; when both are, flip only if it is not a
 *   SYN-ACK and sport < dport. A SYN-ACK that is not flipped here starts history with 'H' and
 *   is flipped later ("^h") by ZeekState at the first ACK or data packet.
 * - UDP: flip when sport is a likely server port and dport is not.
 * - ICMP (1, 58) and other protocols: never (Zeek's default WantConnection); ICMP's "ports"
 *   (type, counterpart-or-code) already pair requests with replies in one connection.
 * - dstIsBroadcast: destination 255.255.255.255, which Zeek never makes the originator.
 */
export function zeekFlip(proto: number, sport: number, dport: number, tcpFlags: number, dstIsBroadcast = false): boolean {
  if (dstIsBroadcast) return false;
  if (proto === 6) {
    if (!(tcpFlags & F_SYN) || (tcpFlags & F_ACK)) {
      if ((LIKELY[sport & 0xffff] & 1) !== 0) {
        if ((LIKELY[dport & 0xffff] & 1) !== 0) return !(tcpFlags & F_SYN) && sport < dport;
        return true;
      }
    }
    return false;
  }
  if (proto === 17) return (LIKELY[sport & 0xffff] & 2) !== 0 && (LIKELY[dport & 0xffff] & 2) === 0;
  return false;
}

/**
 * Zeek's ICMP/ICMPv6 "ports": the counterpart type for request/reply types
 * (ICMP4_counterpart / ICMP6_counterpart in ICMP.cc), or -1 for one-way types, for which
 * Zeek uses the code as the responder port.
 */
export function icmpCounterpart(isV6: boolean, type: number): number {
  if (!isV6) {
    switch (type) {
      case 8: return 0; // echo -> echo reply
      case 0: return 8;
      case 13: return 14; // timestamp
      case 14: return 13;
      case 15: return 16; // information request
      case 16: return 15;
      case 10: return 9; // router solicitation -> advertisement
      case 9: return 10;
      case 17: return 18; // address mask
      case 18: return 17;
      default: return -1;
    }
  }
  switch (type) {
    case 128: return 129; // echo request -> reply
    case 129: return 128;
    case 133: return 134; // router solicitation -> advertisement
    case 134: return 133;
    case 135: return 136; // neighbor solicitation -> advertisement
    case 136: return 135;
    case 130: return 131; // MLD listener query -> report
    case 131: return 130;
    case 139: return 140; // node information query -> response
    case 140: return 139;
    case 144: return 145; // home agent address discovery request -> reply
    case 145: return 144;
    default: return -1;
  }
}

/**
 * Zeek's conn_state (scripts/base/protocols/conn/main.zeek) from the two endpoint states. For UDP
 * and others a state is 1 when that side sent anything. `rstos0`: the history matches
 * /^\^?S[^HAFGIQ]*R/. Sizes matter only for REJ when both sides reset.
 */
export function zeekConnState(proto: number, os: number, rs: number, oSize: number, rSize: number, rstos0: boolean): number {
  if (proto === 6) {
    const oInactive = os === INACTIVE || os === PARTIAL;
    const rInactive = rs === INACTIVE || rs === PARTIAL;
    if (rs === RESET) {
      if (os === SYN_SENT || os === SYN_ACK_SENT || (os === RESET && oSize === 0 && rSize === 0)) return CONN_STATE.REJ;
      return oInactive ? CONN_STATE.RSTRH : CONN_STATE.RSTR;
    }
    if (os === RESET) {
      if (rInactive) return rstos0 ? CONN_STATE.RSTOS0 : CONN_STATE.OTH;
      return CONN_STATE.RSTO;
    }
    if (rs === CLOSED && os === CLOSED) return CONN_STATE.SF;
    if (os === CLOSED) return rInactive ? CONN_STATE.SH : CONN_STATE.S2;
    if (rs === CLOSED) return oInactive ? CONN_STATE.SHR : CONN_STATE.S3;
    if (os === SYN_SENT && rs === INACTIVE) return CONN_STATE.S0;
    if (os === ESTABLISHED && rs === ESTABLISHED) return CONN_STATE.S1;
    return CONN_STATE.OTH;
  }
  if (proto === 17) {
    if (os) return rs ? CONN_STATE.SF : CONN_STATE.S0;
    return rs ? CONN_STATE.SHR : CONN_STATE.OTH;
  }
  return CONN_STATE.OTH;
}
