/**
 * QUIC Initial packets as an on-path observer sees them (RFC 9000, RFC 9001, RFC 9369).
 *
 * Initial packets are encrypted, but with keys anyone can derive from the Destination Connection
 * ID of the client's first Initial. This module opens them for QUIC v1 (0x00000001) and v2
 * (0x6b3343cf) and collects the TLS handshake bytes they carry in CRYPTO frames, so the ClientHello
 * (SNI, ALPN, fingerprints) can be read by the TLS parser.
 *
 * API
 *
 *   quickLooksLikeQuicInitial(buf, off, len): boolean
 *     Cheap, allocation-free test of a UDP payload: long header, version v1 or v2, the Initial
 *     type of that version, connection IDs of at most 20 bytes, token and Length varints present,
 *     Length big enough for a header-protection sample. Call it before anything else; only
 *     datagrams that pass are worth a QuicFlowContext.
 *
 *   new QuicFlowContext(opts?)
 *     Per-flow state (both directions of one UDP flow): the Destination Connection ID the keys
 *     derive from (the client's first Initial's, or after a Retry the Retry's Source Connection
 *     ID), the derived keys (once per flow and version, cached; a bounded number of derivations
 *     per flow, opts.maxKeyDerivations, default 8), the largest packet number per direction, and
 *     one bounded CRYPTO reassembly buffer per direction (opts.maxCryptoBytes, default 16 KiB).
 *       ctx.clientHello(): the whole ClientHello handshake message (type 1, 4-byte header included)
 *         once its 3-byte length is satisfied by contiguous CRYPTO data from offset 0, else null.
 *         This is what joins a ClientHello split over several Initial packets and datagrams.
 *       ctx.serverHello(): the same for the server's first handshake message (ServerHello, type 2).
 *       ctx.anomalies: count per anomaly code (QUIC_ANOMALY / QUIC_ANOMALY_NAMES).
 *
 *   parseQuicDatagram(buf, off, len, ctx, fromClientHint?): QuicInitialInfo[]
 *     Walks the coalesced packets of one UDP payload. Every Initial packet found is returned
 *     (decrypted when the keys authenticate it; its header fields in any case); 0-RTT and Handshake
 *     packets are skipped by their Length; a Retry is noted in the context and ends the datagram;
 *     a short header, a Version Negotiation packet or an unknown version ends it too.
 *     The direction of a packet is found by which keys authenticate it (tried in the likely order:
 *     `fromClientHint` when given, else from the connection IDs), so the caller need not know who
 *     the client is. CRYPTO data of authenticated packets is fed to the context's reassembly.
 *
 *     Which DCID gives the keys: the first Initial seen (even one cut short by snaplen, whose
 *     DCID still opens the server's smaller Initials); keys that authenticate nothing are dropped so
 *     a later Initial can start over; after a Retry (believed only when its Retry Integrity Tag
 *     verifies against the original DCID), the client Initial addressed to the Retry's SCID
 *     (and, when the Retry is missing from the capture, a client Initial under a new DCID is tried
 *     once with keys from that DCID). Keys are derived once per flow and version (v1 and v2 both
 *     appear under compatible version negotiation); the budget bounds all derivations.
 *     Returned byte arrays (dcid, scid, token, frame data) do not alias `buf` and may be kept.
 *     Callers can stop feeding a flow once clientHello() (and serverHello(), if wanted) is non-null.
 *
 * Bad input is normal here: nothing throws to the caller, work is linear in the input, memory is
 * bounded per flow. Each returned packet carries `error` (QUIC_OK or the first anomaly code met
 * while reading it), and every anomaly is counted in ctx.anomalies; faults before an Initial's
 * header is complete (a following coalesced packet cut short, an unknown version) are only counted.
 */
import { QUIC_ANOMALY, QUIC_ANOMALY_NAMES, QUIC_OK } from './quic-anomaly.js';
import {
  decodePacketNumber,
  deriveInitialKeys,
  headerProtectionMask,
  openPayload,
  quicVersionParams,
  verifyRetryIntegrity,
  QUIC_V1,
  QUIC_V2,
  type QuicInitialKeys,
  type QuicPacketKeys,
} from './quic-crypto.js';
import { emptyFrameSummary, parseInitialFrames, type QuicConnectionClose, type QuicCryptoFrame } from './quic-frames.js';
import { CryptoStream, handshakeMessageAt } from './quic-reassembly.js';
import { readVarint, varintSize } from './quic-varint.js';

export { QUIC_ANOMALY, QUIC_ANOMALY_NAMES, QUIC_OK, type QuicAnomalyName } from './quic-anomaly.js';
export { QUIC_V1, QUIC_V2 } from './quic-crypto.js';
export type { QuicConnectionClose, QuicCryptoFrame } from './quic-frames.js';

/** Longest connection ID in QUIC v1 and v2 (RFC 9000 §17.2). */
export const MAX_CID_LENGTH = 20;
/** Packet-number bytes assumed before the header-protection sample (RFC 9001 §5.4.2) plus the sample. */
const MIN_INITIAL_LENGTH = 4 + 16;

/** One Initial packet of a datagram. */
export interface QuicInitialInfo {
  version: number;
  dcid: Uint8Array;
  scid: Uint8Array;
  /** The Token field (a Retry or NEW_TOKEN token), null when empty. */
  token: Uint8Array | null;
  /** Full (reconstructed) packet number; -1 when the packet was not decrypted. */
  packetNumber: number;
  /** Encoded packet-number length, 1..4; 0 when not decrypted. */
  pnLength: number;
  /** Sent by the client: from the keys that authenticated it, or, when not decrypted, the guess from the connection IDs. */
  fromClient: boolean;
  decrypted: boolean;
  /** CRYPTO frames in payload order; data are views into the decrypted payload. */
  cryptoFrames: QuicCryptoFrame[];
  paddingBytes: number;
  pings: number;
  acks: number;
  close: QuicConnectionClose | null;
  /** QUIC_OK, or the first anomaly code met reading this packet. */
  error: number;
  /** Where the packet starts, relative to the datagram start (`off`), and its length in bytes. */
  packetOffset: number;
  packetLength: number;
}

export interface QuicFlowOptions {
  /** Bytes of CRYPTO stream kept per direction (offsets beyond are dropped). Default 16384. */
  maxCryptoBytes?: number;
  /** Initial-key derivations allowed for the flow (each is 8 HMACs). Default 8. */
  maxKeyDerivations?: number;
  /** The client's original Destination Connection ID when already known (else taken from the first Initial seen). */
  originalDcid?: Uint8Array;
}

const CLIENT = 0;
const SERVER = 1;

export class QuicFlowContext {
  /** Count per anomaly code (index = code; see QUIC_ANOMALY_NAMES). */
  readonly anomalies: number[] = new Array<number>(QUIC_ANOMALY_NAMES.length).fill(0);
  /** The DCID the Initial keys derive from; null until an Initial was seen. */
  keyDcid: Uint8Array | null = null;
  /** Some packet authenticated with keys from keyDcid. */
  confirmed = false;
  /** Version of the first authenticated Initial (0 before). */
  version = 0;
  /** Source Connection IDs learnt from authenticated Initials. */
  clientScid: Uint8Array | null = null;
  serverScid: Uint8Array | null = null;
  /** Source Connection ID of a Retry seen and not yet followed by the client's new Initial. */
  retryScid: Uint8Array | null = null;
  retries = 0;
  keyDerivations = 0;
  /** Initial packets decrypted, per direction [client, server]. */
  readonly decryptedPackets = [0, 0];
  /** Largest packet number per direction in the Initial space (-1: none yet). */
  readonly largestPn = [-1, -1];
  readonly clientCrypto: CryptoStream;
  readonly serverCrypto: CryptoStream;
  readonly maxKeyDerivations: number;
  /** keyDcid was given by the caller (opts.originalDcid): kept even when nothing authenticates. */
  readonly pinned: boolean;

  private keys: QuicInitialKeys[] = [];
  private helloState: (Uint8Array | null | number)[] = [null, null];

  constructor(opts: QuicFlowOptions = {}) {
    const bound = Math.max(4, Math.floor(opts.maxCryptoBytes ?? 16384));
    this.clientCrypto = new CryptoStream(bound);
    this.serverCrypto = new CryptoStream(bound);
    this.maxKeyDerivations = Math.max(1, Math.floor(opts.maxKeyDerivations ?? 8));
    this.pinned = opts.originalDcid !== undefined;
    if (opts.originalDcid) this.setKeyDcid(copy(opts.originalDcid, 0, opts.originalDcid.length));
  }

  /** The complete ClientHello (handshake header + body), or null while incomplete or impossible. */
  clientHello(): Uint8Array | null {
    return this.hello(CLIENT);
  }

  /** The complete first server handshake message (ServerHello or HelloRetryRequest), or null. */
  serverHello(): Uint8Array | null {
    return this.hello(SERVER);
  }

  /** Anomalies seen, by name, for reporting. */
  anomalyRecords(): { kind: string; count: number }[] {
    const out: { kind: string; count: number }[] = [];
    for (let i = 1; i < this.anomalies.length; i++) if (this.anomalies[i] > 0) out.push({ kind: QUIC_ANOMALY_NAMES[i], count: this.anomalies[i] });
    return out;
  }

  /** Counts an anomaly. */
  note(code: number): void {
    if (code !== QUIC_OK) this.anomalies[code]++;
  }

  /** @internal Keys for `version` derived from keyDcid (cached), or null (no DCID yet, or budget spent). */
  keysFor(version: number): QuicInitialKeys | null {
    for (const k of this.keys) if (k.version === version) return k;
    if (this.keyDcid === null || this.keyDerivations >= this.maxKeyDerivations) return null;
    this.keyDerivations++;
    const k = deriveInitialKeys(version, this.keyDcid);
    if (k !== null) this.keys.push(k);
    return k;
  }

  /** @internal Derives keys from another DCID without adopting them, or null when the budget is spent. */
  trialKeys(version: number, dcid: Uint8Array): QuicInitialKeys | null {
    if (this.keyDerivations >= this.maxKeyDerivations) return null;
    this.keyDerivations++;
    return deriveInitialKeys(version, dcid);
  }

  /** @internal Sets the DCID the keys derive from (dropping keys of the old one). */
  setKeyDcid(dcid: Uint8Array | null, keys?: QuicInitialKeys): void {
    this.keyDcid = dcid;
    this.keys = keys ? [keys] : [];
    this.confirmed = false;
  }

  /** @internal */
  crypto(dir: number): CryptoStream {
    return dir === CLIENT ? this.clientCrypto : this.serverCrypto;
  }

  /** @internal Re-checks the handshake message of a direction after new CRYPTO data. */
  updateHello(dir: number): void {
    const st = this.helloState[dir];
    if (st !== null) return; // complete, or impossible
    const r = handshakeMessageAt(this.crypto(dir), 0, dir === CLIENT ? 1 : 2);
    if (r === null) return;
    this.helloState[dir] = r;
    if (typeof r === 'number') this.note(r);
  }

  private hello(dir: number): Uint8Array | null {
    this.updateHello(dir);
    const st = this.helloState[dir];
    return st instanceof Uint8Array ? st : null;
  }
}

// ---------------------------------------------------------------- cheap check

function u32(buf: Uint8Array, p: number): number {
  return ((buf[p] << 24) | (buf[p + 1] << 16) | (buf[p + 2] << 8) | buf[p + 3]) >>> 0;
}

/** Clamps (off, len) to the buffer; returns the end, or -1 when the range is unusable. */
function rangeEnd(buf: Uint8Array, off: number, len: number): number {
  if (!(off >= 0) || !(len >= 0) || !Number.isFinite(off + len)) return -1;
  return Math.min(buf.length, Math.floor(off) + Math.floor(len));
}

/**
 * True when buf[off..off+len) starts with what can be a QUIC v1 or v2 Initial packet header.
 * Allocates nothing; looks at no more than the header.
 */
export function quickLooksLikeQuicInitial(buf: Uint8Array, off: number, len: number): boolean {
  const end = rangeEnd(buf, off, len);
  if (end < 0) return false;
  off = Math.floor(off);
  if (end - off < 7 + MIN_INITIAL_LENGTH) return false;
  const b0 = buf[off];
  if ((b0 & 0x80) === 0) return false;
  const version = u32(buf, off + 1);
  const type = (b0 >> 4) & 3;
  if (version === QUIC_V1) { if (type !== 0) return false; } else if (version === QUIC_V2) { if (type !== 1) return false; } else return false;
  const dcidLen = buf[off + 5];
  if (dcidLen > MAX_CID_LENGTH) return false;
  let p = off + 6 + dcidLen;
  if (p >= end) return false;
  const scidLen = buf[p];
  if (scidLen > MAX_CID_LENGTH) return false;
  p += 1 + scidLen;
  const tokenLen = readVarint(buf, p, end);
  if (tokenLen < 0) return false;
  p += varintSize(buf[p]) + tokenLen;
  const length = readVarint(buf, p, end);
  return length >= MIN_INITIAL_LENGTH;
}

// ---------------------------------------------------------------- datagram walk

/**
 * All Initial packets of one UDP datagram payload buf[off..off+len), decrypted where possible.
 * `fromClientHint`, when the caller knows the direction, only sets which keys are tried first.
 * Never throws.
 */
export function parseQuicDatagram(buf: Uint8Array, off: number, len: number, ctx: QuicFlowContext, fromClientHint?: boolean): QuicInitialInfo[] {
  const out: QuicInitialInfo[] = [];
  try {
    walk(buf, off, len, ctx, fromClientHint, out);
  } catch {
    // Not expected (every read is bounds-checked); a last guard so that bad input never escapes.
    ctx.note(QUIC_ANOMALY.quic_internal_error);
  }
  return out;
}

function walk(buf: Uint8Array, off: number, len: number, ctx: QuicFlowContext, hint: boolean | undefined, out: QuicInitialInfo[]): void {
  const end = rangeEnd(buf, off, len);
  if (end < 0) return;
  const base = Math.floor(off);
  let pos = base;
  while (pos < end) {
    const b0 = buf[pos];
    if ((b0 & 0x80) === 0) return; // short header (1-RTT): the rest of the datagram
    if (end - pos < 6) { ctx.note(QUIC_ANOMALY.quic_truncated_header); return; }
    const version = u32(buf, pos + 1);
    if (version === 0) return; // Version Negotiation
    const params = quicVersionParams(version);
    if (params === null) { ctx.note(QUIC_ANOMALY.quic_unsupported_version); return; }
    const type = (b0 >> 4) & 3;

    const dcidLen = buf[pos + 5];
    if (dcidLen > MAX_CID_LENGTH) { ctx.note(QUIC_ANOMALY.quic_bad_cid_length); return; }
    const dcidOff = pos + 6;
    if (dcidOff + dcidLen + 1 > end) { ctx.note(QUIC_ANOMALY.quic_truncated_header); return; }
    const scidLen = buf[dcidOff + dcidLen];
    if (scidLen > MAX_CID_LENGTH) { ctx.note(QUIC_ANOMALY.quic_bad_cid_length); return; }
    const scidOff = dcidOff + dcidLen + 1;
    let p = scidOff + scidLen;
    if (p > end) { ctx.note(QUIC_ANOMALY.quic_truncated_header); return; }

    if (type === params.retryType) {
      // Retry: no Length, it fills the datagram. The client's next Initial uses its SCID as DCID,
      // so it is believed only when its integrity tag verifies against the DCID the keys came from.
      if (ctx.keyDcid !== null && end - p >= 16 && verifyRetryIntegrity(version, ctx.keyDcid, buf.subarray(pos, end))) {
        ctx.retryScid = copy(buf, scidOff, scidOff + scidLen);
        ctx.retries++;
      } else ctx.note(QUIC_ANOMALY.quic_retry_unverified);
      return;
    }

    let tokenOff = p;
    let tokenLen = 0;
    if (type === params.initialType) {
      tokenLen = readVarint(buf, p, end);
      if (tokenLen < 0) { ctx.note(QUIC_ANOMALY.quic_truncated_header); return; }
      tokenOff = p + varintSize(buf[p]);
      p = tokenOff + tokenLen;
      if (p > end) { ctx.note(QUIC_ANOMALY.quic_truncated_header); return; }
    }
    const length = readVarint(buf, p, end);
    if (length < 0) { ctx.note(QUIC_ANOMALY.quic_truncated_header); return; }
    const pnOff = p + varintSize(buf[p]);
    const pktEnd = pnOff + length;

    if (type !== params.initialType) {
      if (pktEnd > end) { ctx.note(QUIC_ANOMALY.quic_length_exceeds_datagram); return; }
      pos = pktEnd; // 0-RTT or Handshake: skipped
      continue;
    }

    const dcid = copy(buf, dcidOff, dcidOff + dcidLen);
    const scid = copy(buf, scidOff, scidOff + scidLen);
    const info: QuicInitialInfo = {
      version,
      dcid,
      scid,
      token: tokenLen > 0 ? copy(buf, tokenOff, tokenOff + tokenLen) : null,
      packetNumber: -1,
      pnLength: 0,
      fromClient: hint ?? guessFromClient(ctx, dcid),
      decrypted: false,
      cryptoFrames: [],
      paddingBytes: 0,
      pings: 0,
      acks: 0,
      close: null,
      error: QUIC_OK,
      packetOffset: pos - base,
      packetLength: Math.min(pktEnd, end) - pos,
    };
    out.push(info);
    if (length < MIN_INITIAL_LENGTH) { fail(ctx, info, QUIC_ANOMALY.quic_length_too_short); return; }
    if (pktEnd > end) {
      // Cut short (snaplen): not decryptable, but the first Initial's DCID still gives the keys
      // for the rest of the flow (the server's Initials are small enough to be captured whole).
      if (ctx.keyDcid === null) ctx.setKeyDcid(copy(dcid, 0, dcid.length));
      fail(ctx, info, QUIC_ANOMALY.quic_length_exceeds_datagram);
      return;
    }
    openInitial(buf, pos, pnOff, pktEnd, ctx, info);
    pos = pktEnd;
  }
}

function fail(ctx: QuicFlowContext, info: QuicInitialInfo, code: number): void {
  ctx.note(code);
  if (info.error === QUIC_OK) info.error = code;
}

/** Which side probably sent an Initial with this DCID (servers address the client's SCID). */
function guessFromClient(ctx: QuicFlowContext, dcid: Uint8Array): boolean {
  if (ctx.keyDcid !== null && equal(dcid, ctx.keyDcid)) return true;
  if (ctx.serverScid !== null && equal(dcid, ctx.serverScid)) return true;
  if (ctx.clientScid !== null && equal(dcid, ctx.clientScid)) return false;
  return true;
}

interface Opened {
  plaintext: Buffer;
  pn: number;
  pnLen: number;
  reservedBits: number;
}

/** Removes header protection with `keys` and opens the payload; null when it does not authenticate. */
function tryOpen(buf: Uint8Array, pktStart: number, pnOff: number, pktEnd: number, keys: QuicPacketKeys, largest: number): Opened | null {
  const mask = headerProtectionMask(keys, buf, pnOff + 4);
  const b0 = buf[pktStart] ^ (mask[0] & 0x0f);
  const pnLen = (b0 & 3) + 1;
  const hdrLen = pnOff + pnLen - pktStart;
  const header = new Uint8Array(hdrLen);
  header.set(buf.subarray(pktStart, pnOff + pnLen));
  header[0] = b0;
  let truncated = 0;
  for (let i = 0; i < pnLen; i++) {
    const at = pnOff - pktStart + i;
    header[at] ^= mask[1 + i];
    truncated = truncated * 256 + header[at];
  }
  const pn = decodePacketNumber(largest, truncated, pnLen * 8);
  const plaintext = openPayload(keys, pn, header, buf.subarray(pnOff + pnLen, pktEnd - 16), buf.subarray(pktEnd - 16, pktEnd));
  if (plaintext === null) return null;
  return { plaintext, pn, pnLen, reservedBits: b0 & 0x0c };
}

function openInitial(buf: Uint8Array, pktStart: number, pnOff: number, pktEnd: number, ctx: QuicFlowContext, info: QuicInitialInfo): void {
  const { dcid, version } = info;
  if (ctx.keyDcid === null) {
    ctx.setKeyDcid(copy(dcid, 0, dcid.length)); // the first Initial seen is taken to be the client's first
  } else if (ctx.retryScid !== null && info.fromClient && equal(dcid, ctx.retryScid) && !equal(dcid, ctx.keyDcid)) {
    ctx.setKeyDcid(ctx.retryScid); // the client's Initial after a Retry
    ctx.retryScid = null;
  }
  const keys = ctx.keysFor(version);
  if (keys === null) { fail(ctx, info, QUIC_ANOMALY.quic_no_keys); return; }

  const first = info.fromClient ? CLIENT : SERVER;
  let dir = first;
  let r = tryOpen(buf, pktStart, pnOff, pktEnd, dir === CLIENT ? keys.client : keys.server, ctx.largestPn[dir]);
  if (r === null) {
    dir = 1 - first;
    r = tryOpen(buf, pktStart, pnOff, pktEnd, dir === CLIENT ? keys.client : keys.server, ctx.largestPn[dir]);
  }
  if (r === null && ctx.keyDcid !== null && !equal(dcid, ctx.keyDcid) && info.fromClient && !(ctx.clientScid !== null && equal(dcid, ctx.clientScid))) {
    // A client Initial whose DCID is not the one the keys came from: after a Retry not in the
    // capture, or the first Initial seen was not the client's first. Try keys from its own DCID.
    const alt = ctx.trialKeys(version, dcid);
    if (alt !== null) {
      dir = CLIENT;
      r = tryOpen(buf, pktStart, pnOff, pktEnd, alt.client, ctx.largestPn[CLIENT]);
      if (r !== null) ctx.setKeyDcid(copy(dcid, 0, dcid.length), alt);
    }
  }
  if (r === null) {
    // Keys that never authenticated anything are not kept: the next Initial may start over.
    if (!ctx.confirmed && !ctx.pinned) ctx.setKeyDcid(null);
    fail(ctx, info, QUIC_ANOMALY.quic_auth_failed);
    return;
  }

  // Authenticated.
  ctx.confirmed = true;
  if (ctx.version === 0) ctx.version = version;
  ctx.decryptedPackets[dir]++;
  if (r.pn > ctx.largestPn[dir]) ctx.largestPn[dir] = r.pn;
  if (dir === CLIENT) { if (ctx.clientScid === null) ctx.clientScid = info.scid; } else if (ctx.serverScid === null) ctx.serverScid = info.scid;
  info.fromClient = dir === CLIENT;
  info.decrypted = true;
  info.packetNumber = r.pn;
  info.pnLength = r.pnLen;
  if (r.reservedBits !== 0) fail(ctx, info, QUIC_ANOMALY.quic_reserved_bits_set);

  const frames = parseInitialFrames(r.plaintext, emptyFrameSummary());
  info.cryptoFrames = frames.crypto;
  info.paddingBytes = frames.paddingBytes;
  info.pings = frames.pings;
  info.acks = frames.acks;
  info.close = frames.close;
  if (frames.error !== QUIC_OK) fail(ctx, info, frames.error);

  if (frames.crypto.length > 0) {
    const stream = ctx.crypto(dir);
    for (const f of frames.crypto) {
      const code = stream.add(f.offset, f.data);
      if (code !== QUIC_OK) fail(ctx, info, code);
    }
    ctx.updateHello(dir);
  }
}

// ---------------------------------------------------------------- bytes

function copy(buf: Uint8Array, start: number, end: number): Uint8Array {
  const o = new Uint8Array(end - start);
  o.set(buf.subarray(start, end));
  return o;
}

function equal(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
