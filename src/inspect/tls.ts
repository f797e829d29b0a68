/**
 * TLS as an on-path observer sees it: the record layer, handshake message reassembly, and the
 * cleartext handshake messages (ClientHello, ServerHello, TLS <= 1.2 Certificate, ECDHE
 * ServerKeyExchange curve). Pure functions over bytes; no I/O.
 *
 * References: RFC 8446 (TLS 1.3; record layer 5.1, handshake 4), RFC 5246 (TLS 1.2), RFC 6066
 * (server_name), RFC 7301 (ALPN), RFC 8422 (EC point formats, ServerECDHParams), RFC 8701 (GREASE),
 * draft-ietf-tls-esni (encrypted_client_hello, 0xfe0d), RFC 9001 (QUIC transport parameters, 0x39).
 *
 * Bad input is normal here. Every length is checked against the bytes at hand, loops are bounded,
 * nothing throws: a parse that cannot produce a result returns null and (when given a list) notes
 * why; a parse that can produce a partial result lists what was wrong on the result.
 */
import { createHash } from 'node:crypto';

// ------------------------------------------------------------------------------------ anomalies

/**
 * What can be wrong with TLS bytes, as codes. `TLS_ANOMALY[name]` is a stable small integer (the
 * index in this list) for callers that count kinds in typed arrays, in the way of src/wire/anomaly.ts.
 */
export const TLS_ANOMALY_NAMES = [
  /** Offset/length arguments outside the given buffer (clamped, or nothing to read). */
  'tls_bad_bounds',
  /** A record header whose content type, version or length cannot be TLS: the stream is not (or no longer) TLS. */
  'tls_bad_record_header',
  /** An SSL 2.0 style record (high bit set in the first byte): not parsed. */
  'tls_sslv2_record',
  /** A record whose length runs past the bytes given (parseTlsRecords) or past the end of the stream (HandshakeBuffer.end). */
  'tls_record_truncated',
  /** A handshake record with no bytes (RFC 8446 5.1 forbids it). */
  'tls_empty_handshake_record',
  /** A non-handshake record between the fragments of one handshake message (RFC 8446 5.1 forbids it). */
  'tls_interleaved_record',
  /** A handshake message longer than the reassembly bound: only its first part is kept. */
  'tls_handshake_too_large',
  /** A handshake message type not defined by RFC 5246/8446/6066. */
  'tls_unknown_handshake_type',
  /** The stream ended (HandshakeBuffer.end) inside a handshake message. */
  'tls_handshake_truncated',
  /** A handshake message whose body ends before its fixed fields do (ClientHello, ServerHello, ...). */
  'tls_hello_truncated',
  /** A handshake message header announces another type than the one asked for. */
  'tls_wrong_handshake_type',
  /** legacy_session_id longer than 32 bytes. */
  'tls_bad_session_id',
  /** cipher_suites length odd, zero, or past the end of the message. */
  'tls_bad_cipher_suites',
  /** legacy_compression_methods length zero or past the end of the message. */
  'tls_bad_compression',
  /** The extensions block length runs past the end of the message: the extensions that fit were read. */
  'tls_extensions_truncated',
  /** An extension's length runs past the end of the extensions block. */
  'tls_extension_truncated',
  /** More extensions than the parser reads (the rest are skipped). */
  'tls_too_many_extensions',
  /** The same extension type twice (RFC 8446 4.2 forbids it); the first one's value is kept. */
  'tls_duplicate_extension',
  /** An extension whose inner lengths do not fit its own length (server_name, ALPN, supported_versions, ...). */
  'tls_bad_extension',
  /** Bytes after the last field of a message or extension. */
  'tls_trailing_bytes',
  /** A host name or ALPN protocol with bytes outside printable ASCII (shown \xNN-escaped). */
  'tls_non_printable_name',
  /** More list entries than the parser keeps (server names, ALPN protocols, groups, ...). */
  'tls_list_truncated',
  /** A Certificate message whose list length does not match its body. */
  'tls_bad_certificate_list',
  /** A certificate entry of length zero or running past the certificate list. */
  'tls_bad_certificate_entry',
  /** More certificates than the parser keeps. */
  'tls_too_many_certificates',
  /** The input was known to be cut short (a truncated handshake message): the parse stopped there. */
  'tls_input_truncated',
  /** ServerKeyExchange without a named_curve ECParameters (explicit curves, or not ECDHE). */
  'tls_not_named_curve',
] as const;

export type TlsAnomaly = (typeof TLS_ANOMALY_NAMES)[number];

/** Name -> stable code (index in TLS_ANOMALY_NAMES). */
export const TLS_ANOMALY = Object.fromEntries(TLS_ANOMALY_NAMES.map((n, i) => [n, i])) as { readonly [K in TlsAnomaly]: number };

/** Adds `a` to `list` unless already there (lists stay short: one entry per kind). */
function note(list: TlsAnomaly[] | undefined, a: TlsAnomaly): void {
  if (list !== undefined && !list.includes(a)) list.push(a);
}

// ------------------------------------------------------------------------------------ constants

/** TLS record content types (RFC 8446 5.1, RFC 6520). */
export const CONTENT_TYPE = { CHANGE_CIPHER_SPEC: 20, ALERT: 21, HANDSHAKE: 22, APPLICATION_DATA: 23, HEARTBEAT: 24 } as const;

/** Handshake message types (RFC 8446 4, RFC 5246 7.4, RFC 6066 8). */
export const HANDSHAKE_TYPE = {
  HELLO_REQUEST: 0, CLIENT_HELLO: 1, SERVER_HELLO: 2, HELLO_VERIFY_REQUEST: 3, NEW_SESSION_TICKET: 4,
  END_OF_EARLY_DATA: 5, ENCRYPTED_EXTENSIONS: 8, CERTIFICATE: 11, SERVER_KEY_EXCHANGE: 12,
  CERTIFICATE_REQUEST: 13, SERVER_HELLO_DONE: 14, CERTIFICATE_VERIFY: 15, CLIENT_KEY_EXCHANGE: 16,
  FINISHED: 20, CERTIFICATE_URL: 21, CERTIFICATE_STATUS: 22, KEY_UPDATE: 24, MESSAGE_HASH: 254,
} as const;

const KNOWN_HANDSHAKE_TYPES = new Set<number>(Object.values(HANDSHAKE_TYPE));

/** Extension types used here (IANA TLS ExtensionType registry). */
export const EXT = {
  SERVER_NAME: 0x0000,
  STATUS_REQUEST: 0x0005,
  SUPPORTED_GROUPS: 0x000a,
  EC_POINT_FORMATS: 0x000b,
  SIGNATURE_ALGORITHMS: 0x000d,
  ALPN: 0x0010,
  PADDING: 0x0015,
  EXTENDED_MASTER_SECRET: 0x0017,
  SESSION_TICKET: 0x0023,
  PRE_SHARED_KEY: 0x0029,
  EARLY_DATA: 0x002a,
  SUPPORTED_VERSIONS: 0x002b,
  PSK_KEY_EXCHANGE_MODES: 0x002d,
  KEY_SHARE: 0x0033,
  QUIC_TRANSPORT_PARAMETERS: 0x0039,
  QUIC_TRANSPORT_PARAMETERS_DRAFT: 0xffa5,
  ENCRYPTED_CLIENT_HELLO: 0xfe0d,
  RENEGOTIATION_INFO: 0xff01,
} as const;

/** Protocol version numbers. */
export const TLS_VERSION = {
  SSL30: 0x0300, TLS10: 0x0301, TLS11: 0x0302, TLS12: 0x0303, TLS13: 0x0304,
  DTLS10: 0xfeff, DTLS12: 0xfefd, DTLS13: 0xfefc,
} as const;

/** Readable name of a protocol version ("TLSv1.2", "DTLSv1.3", "0x7f1c" for anything else). */
export function tlsVersionName(v: number): string {
  switch (v) {
    case 0x0002: return 'SSLv2';
    case TLS_VERSION.SSL30: return 'SSLv3';
    case TLS_VERSION.TLS10: return 'TLSv1.0';
    case TLS_VERSION.TLS11: return 'TLSv1.1';
    case TLS_VERSION.TLS12: return 'TLSv1.2';
    case TLS_VERSION.TLS13: return 'TLSv1.3';
    case TLS_VERSION.DTLS10: return 'DTLSv1.0';
    case TLS_VERSION.DTLS12: return 'DTLSv1.2';
    case TLS_VERSION.DTLS13: return 'DTLSv1.3';
    default: return `0x${hex16(v)}`;
  }
}

/** RFC 8701: the 16 reserved GREASE values 0x0a0a, 0x1a1a, ..., 0xfafa (both bytes equal, low nibbles 0xa). */
export function isGrease(v: number): boolean {
  return (v & 0x0f0f) === 0x0a0a && (v >>> 8) === (v & 0xff);
}

/** 4 lowercase hex digits. */
export function hex16(v: number): string {
  return (v & 0xffff).toString(16).padStart(4, '0');
}

/** Parse limits (each bounds a loop or a list). */
export const TLS_LIMITS = {
  /** Handshake message bytes HandshakeBuffer keeps per message (longer ones are cut). */
  MAX_HANDSHAKE_MESSAGE: 16384,
  /** Largest record length accepted: 2^14 plus the 2048 bytes of expansion TLS 1.2 allows (RFC 5246 6.2.3). */
  MAX_RECORD_LENGTH: 16384 + 2048,
  MAX_EXTENSIONS: 512,
  MAX_SERVER_NAMES: 16,
  MAX_ALPN: 64,
  MAX_LIST: 1024,
  MAX_CERTIFICATES: 32,
  MAX_RECORDS: 4096,
} as const;

/** The ServerHello.random of a HelloRetryRequest: SHA-256("HelloRetryRequest") (RFC 8446 4.1.3). */
const HRR_RANDOM: Uint8Array = new Uint8Array(createHash('sha256').update('HelloRetryRequest').digest());
/** The last 8 bytes of ServerHello.random that signal a downgrade ("DOWNGRD" + 0x01 or 0x00, RFC 8446 4.1.3). */
const DOWNGRADE_PREFIX = [0x44, 0x4f, 0x57, 0x4e, 0x47, 0x52, 0x44];

// ------------------------------------------------------------------------------------ byte helpers

const u16 = (b: Uint8Array, i: number): number => (b[i] << 8) | b[i + 1];
const u24 = (b: Uint8Array, i: number): number => (b[i] << 16) | (b[i + 1] << 8) | b[i + 2];

/** Resolves (off, len) against `buf`; null when nothing sensible can be read. */
function span(buf: Uint8Array, off: number | undefined, len: number | undefined, notes?: TlsAnomaly[]): [number, number] | null {
  if (!(buf instanceof Uint8Array)) { note(notes, 'tls_bad_bounds'); return null; }
  const start = off ?? 0;
  if (!Number.isInteger(start) || start < 0 || start > buf.length) { note(notes, 'tls_bad_bounds'); return null; }
  let end = len === undefined ? buf.length : start + len;
  if (!Number.isInteger(end) || end < start) { note(notes, 'tls_bad_bounds'); return null; }
  if (end > buf.length) { note(notes, 'tls_bad_bounds'); end = buf.length; }
  return [start, end];
}

/**
 * Bytes as text: printable ASCII as is, anything else (and backslash) as \xNN, so a name can be
 * logged or shown safely. Returns the text and whether anything had to be escaped.
 */
export function printable(b: Uint8Array, start = 0, end = b.length): { text: string; clean: boolean } {
  let text = '';
  let clean = true;
  for (let i = start; i < end; i++) {
    const c = b[i];
    if (c > 0x20 && c < 0x7f && c !== 0x5c) text += String.fromCharCode(c);
    else { text += `\\x${c.toString(16).padStart(2, '0')}`; clean = false; }
  }
  return { text, clean };
}

/** Reads a big-endian list of u16 values in [s, e) (e - s must be even), keeping at most MAX_LIST. */
function u16List(b: Uint8Array, s: number, e: number, notes: TlsAnomaly[]): number[] {
  const out: number[] = [];
  for (let i = s; i + 1 < e; i += 2) {
    if (out.length >= TLS_LIMITS.MAX_LIST) { note(notes, 'tls_list_truncated'); break; }
    out.push(u16(b, i));
  }
  return out;
}

/** A u16-length-prefixed list of u16 values filling [s, e) exactly; null when malformed. */
function prefixedU16List(b: Uint8Array, s: number, e: number, notes: TlsAnomaly[]): number[] | null {
  if (e - s < 2) return null;
  const n = u16(b, s);
  if (n % 2 !== 0 || s + 2 + n > e) return null;
  if (s + 2 + n < e) note(notes, 'tls_trailing_bytes');
  return u16List(b, s + 2, s + 2 + n, notes);
}

/** A u8-length-prefixed list of u8 values filling [s, e); null when malformed. */
function prefixedU8List(b: Uint8Array, s: number, e: number, notes: TlsAnomaly[]): number[] | null {
  if (e - s < 1) return null;
  const n = b[s];
  if (s + 1 + n > e) return null;
  if (s + 1 + n < e) note(notes, 'tls_trailing_bytes');
  return Array.from(b.subarray(s + 1, s + 1 + n));
}

// ------------------------------------------------------------------------------------ record layer

/** One TLS record: header fields and where its fragment lies in the buffer walked. */
export interface TlsRecord {
  contentType: number;
  /** legacy_record_version. */
  version: number;
  /** Declared fragment length. */
  length: number;
  /** Offset of the fragment (just after the 5-byte header) in the buffer. */
  offset: number;
  /** False for a last record whose fragment runs past the bytes given. */
  complete: boolean;
}

export interface TlsRecordWalk {
  records: TlsRecord[];
  /** Bytes consumed from `off`: whole records only (a partial last record or header is not consumed). */
  consumed: number;
  anomalies: TlsAnomaly[];
}

/** Whether a 5-byte record header is plausible TLS (not DTLS): content type 20..24, version 3.x, length bounded. */
export function isPlausibleRecordHeader(contentType: number, version: number, length: number): boolean {
  return contentType >= CONTENT_TYPE.CHANGE_CIPHER_SPEC && contentType <= CONTENT_TYPE.HEARTBEAT
    && (version >>> 8) === 3 && (version & 0xff) <= 4 && length <= TLS_LIMITS.MAX_RECORD_LENGTH;
}

/**
 * Whether the bytes at `off` start like a TLS handshake record carrying a ClientHello or
 * ServerHello (for protocol detection on a new TCP stream; needs 6 bytes).
 */
export function looksLikeTlsHello(buf: Uint8Array, off = 0, len = buf.length - off): boolean {
  const r = span(buf, off, len);
  if (r === null || r[1] - r[0] < 6) return false;
  const i = r[0];
  const t = buf[i + 5];
  return buf[i] === CONTENT_TYPE.HANDSHAKE && isPlausibleRecordHeader(buf[i], u16(buf, i + 1), u16(buf, i + 3))
    && u16(buf, i + 3) > 0 && (t === HANDSHAKE_TYPE.CLIENT_HELLO || t === HANDSHAKE_TYPE.SERVER_HELLO);
}

/**
 * Walks the TLS records in `buf[off, off + len)`. Stops at the first implausible header
 * (tls_bad_record_header / tls_sslv2_record), at a record running past the end (listed with
 * complete = false, tls_record_truncated), or after MAX_RECORDS records.
 */
export function parseTlsRecords(buf: Uint8Array, off?: number, len?: number): TlsRecordWalk {
  const anomalies: TlsAnomaly[] = [];
  const records: TlsRecord[] = [];
  const r = span(buf, off, len, anomalies);
  if (r === null) return { records, consumed: 0, anomalies };
  const [start, end] = r;
  let i = start;
  while (end - i >= 5 && records.length < TLS_LIMITS.MAX_RECORDS) {
    const contentType = buf[i];
    const version = u16(buf, i + 1);
    const length = u16(buf, i + 3);
    if ((contentType & 0x80) !== 0) { note(anomalies, 'tls_sslv2_record'); break; }
    if (!isPlausibleRecordHeader(contentType, version, length)) { note(anomalies, 'tls_bad_record_header'); break; }
    const complete = i + 5 + length <= end;
    records.push({ contentType, version, length, offset: i + 5, complete });
    if (!complete) { note(anomalies, 'tls_record_truncated'); break; }
    i += 5 + length;
  }
  return { records, consumed: i - start, anomalies };
}

// ------------------------------------------------------------------------------------ handshake reassembly

/** One complete handshake message out of HandshakeBuffer. */
export interface HandshakeMessage {
  /** HandshakeType (1 ClientHello, 2 ServerHello, 11 Certificate, ...). */
  type: number;
  /** Declared body length (the uint24 of the message header). */
  length: number;
  /** The body (a copy), at most the buffer's bound; shorter than `length` when `truncated`. */
  body: Uint8Array;
  /** True when the message was longer than the bound and only its first part is in `body`. */
  truncated: boolean;
  /** legacy_record_version of the record in which the message started. */
  recordVersion: number;
  /** Stream offset (bytes pushed before it) of the message header. */
  streamOffset: number;
}

/** Why a HandshakeBuffer stopped reading handshake messages. */
export type HandshakeStop =
  | 'encrypted' // application data, or an encrypted handshake record after ChangeCipherSpec
  | 'not_tls'; // an implausible record header: the stream is not TLS, or lost sync

const REC_HEADER = 0; // collecting the 5-byte record header
const REC_BODY = 1; // inside a record's fragment
const REC_PROBE = 2; // after ChangeCipherSpec: collecting the first 4 bytes of a handshake record to see if it is cleartext

/**
 * Reassembles the handshake messages of one direction of a TLS-over-TCP stream. The caller does
 * TCP reassembly and pushes the stream's bytes in order (any chunking); complete handshake
 * messages come back across record boundaries and records split across segments.
 *
 * Memory is bounded: a record header, a message header, and at most `maxMessage` bytes of one
 * message body (a longer message is returned cut, `truncated` set). Non-handshake records are
 * skipped without being held.
 *
 * Encryption: application data ends the cleartext part of the stream (`stopped = 'encrypted'`).
 * After ChangeCipherSpec, a handshake record is taken as cleartext only when it holds exactly one
 * ClientHello or ServerHello (TLS 1.3 middlebox compatibility mode after a HelloRetryRequest,
 * RFC 8446 D.4); anything else is the encrypted Finished of TLS <= 1.2 and stops the buffer.
 */
export class HandshakeBuffer {
  readonly maxMessage: number;
  /** Anomalies seen so far (each kind once). */
  readonly anomalies: TlsAnomaly[] = [];
  /** Records whose header was read, by content type 20..24 (index = type - 20). */
  readonly recordCounts = [0, 0, 0, 0, 0];
  /** Bytes pushed so far. */
  streamBytes = 0;
  /** Set once no more handshake messages can come from this stream. */
  stopped: HandshakeStop | null = null;
  /** A ChangeCipherSpec record was seen. */
  changeCipherSpec = false;
  /** The first cleartext alert (level, description), if any. */
  alert: { level: number; description: number } | null = null;
  /** legacy_record_version of the first record. */
  firstRecordVersion: number | null = null;

  private recState = REC_HEADER;
  private readonly recHead = new Uint8Array(5);
  private recHeadFill = 0;
  private recType = 0;
  private recVersion = 0;
  private recLeft = 0;
  private recLen = 0;
  private alertBytes: number[] = [];
  private encryptedHandshake = false;

  private readonly msgHead = new Uint8Array(4);
  private msgHeadFill = 0;
  private msgType = 0;
  private msgLen = 0;
  private msgGot = 0; // body bytes seen (held or skipped)
  private msgBody: Uint8Array | null = null;
  private msgVersion = 0;
  private msgStart = 0;

  constructor(maxMessage: number = TLS_LIMITS.MAX_HANDSHAKE_MESSAGE) {
    this.maxMessage = Number.isInteger(maxMessage) && maxMessage > 0 ? maxMessage : TLS_LIMITS.MAX_HANDSHAKE_MESSAGE;
  }

  /** True while a handshake message is partly read. */
  get inMessage(): boolean {
    return this.msgHeadFill > 0;
  }

  /**
   * Pushes the next in-order bytes of the stream. Returns the handshake messages completed by
   * them (often none). Never throws; once `stopped` is set, input is ignored.
   */
  push(chunk: Uint8Array, off?: number, len?: number): HandshakeMessage[] {
    const out: HandshakeMessage[] = [];
    const r = span(chunk, off, len, this.anomalies);
    if (r === null) return out;
    let [i, end] = r;
    while (i < end && this.stopped === null) {
      if (this.recState === REC_HEADER) {
        const take = Math.min(5 - this.recHeadFill, end - i);
        this.recHead.set(chunk.subarray(i, i + take), this.recHeadFill);
        this.recHeadFill += take;
        i += take;
        this.streamBytes += take;
        if (this.recHeadFill === 5) this.startRecord();
        continue;
      }
      if (this.recState === REC_PROBE) {
        // Collect up to 4 bytes of the record into msgHead, then decide.
        const take = Math.min(4 - this.msgHeadFill, this.recLeft, end - i);
        this.msgHead.set(chunk.subarray(i, i + take), this.msgHeadFill);
        this.msgHeadFill += take;
        this.recLeft -= take;
        i += take;
        this.streamBytes += take;
        if (this.msgHeadFill === 4) {
          const t = this.msgHead[0];
          const l = u24(this.msgHead, 1);
          if ((t === HANDSHAKE_TYPE.CLIENT_HELLO || t === HANDSHAKE_TYPE.SERVER_HELLO) && l + 4 === this.recLen) {
            this.recState = REC_BODY;
            this.beginMessage(this.streamBytes - 4, out);
          } else {
            this.msgHeadFill = 0;
            this.encryptedHandshake = true;
            this.stopped = 'encrypted';
          }
        } else if (this.recLeft === 0) {
          // A handshake record shorter than a message header after ChangeCipherSpec: ciphertext.
          this.msgHeadFill = 0;
          this.encryptedHandshake = true;
          this.stopped = 'encrypted';
        }
        continue;
      }
      // REC_BODY
      const take = Math.min(this.recLeft, end - i);
      if (this.recType === CONTENT_TYPE.HANDSHAKE) this.handshakeBytes(chunk, i, i + take, out);
      else if (this.recType === CONTENT_TYPE.ALERT && !this.changeCipherSpec && this.recLen === 2) {
        for (let k = i; k < i + take; k++) this.alertBytes.push(chunk[k]);
      }
      i += take;
      this.streamBytes += take;
      this.recLeft -= take;
      if (this.recLeft === 0) this.endRecord();
    }
    if (this.stopped !== null && i < end) this.streamBytes += end - i;
    return out;
  }

  /**
   * The stream ended (FIN/RST, or the caller gave up on it). Notes a record or message left
   * incomplete. Returns what was pending as a truncated message, if a message body had begun.
   */
  end(): HandshakeMessage | null {
    let pending: HandshakeMessage | null = null;
    if (this.stopped === null) {
      if (this.recState !== REC_HEADER || this.recHeadFill > 0) note(this.anomalies, 'tls_record_truncated');
      if (this.msgHeadFill > 0) {
        note(this.anomalies, 'tls_handshake_truncated');
        if (this.msgHeadFill === 4 && this.msgBody !== null) {
          pending = {
            type: this.msgType, length: this.msgLen, body: this.msgBody.slice(0, Math.min(this.msgGot, this.msgBody.length)),
            truncated: true, recordVersion: this.msgVersion, streamOffset: this.msgStart,
          };
        }
      }
    }
    this.msgHeadFill = 0;
    this.msgBody = null;
    return pending;
  }

  private startRecord(): void {
    const h = this.recHead;
    this.recHeadFill = 0;
    this.recType = h[0];
    this.recVersion = u16(h, 1);
    this.recLen = u16(h, 3);
    this.recLeft = this.recLen;
    if ((h[0] & 0x80) !== 0 && this.firstRecordVersion === null) {
      note(this.anomalies, 'tls_sslv2_record');
      this.stopped = 'not_tls';
      return;
    }
    if (!isPlausibleRecordHeader(this.recType, this.recVersion, this.recLen)) {
      note(this.anomalies, 'tls_bad_record_header');
      this.stopped = 'not_tls';
      return;
    }
    if (this.firstRecordVersion === null) this.firstRecordVersion = this.recVersion;
    this.recordCounts[this.recType - CONTENT_TYPE.CHANGE_CIPHER_SPEC]++;
    if (this.recType !== CONTENT_TYPE.HANDSHAKE && this.msgHeadFill > 0) note(this.anomalies, 'tls_interleaved_record');
    switch (this.recType) {
      case CONTENT_TYPE.APPLICATION_DATA:
        this.stopped = 'encrypted';
        return;
      case CONTENT_TYPE.CHANGE_CIPHER_SPEC:
        this.changeCipherSpec = true;
        break;
      case CONTENT_TYPE.ALERT:
        this.alertBytes = [];
        break;
      case CONTENT_TYPE.HANDSHAKE:
        if (this.recLen === 0) note(this.anomalies, 'tls_empty_handshake_record');
        if (this.changeCipherSpec && this.msgHeadFill === 0 && this.recLen > 0) {
          if (this.encryptedHandshake) { this.stopped = 'encrypted'; return; }
          this.recState = REC_PROBE;
          return;
        }
        break;
    }
    this.recState = this.recLeft === 0 ? REC_HEADER : REC_BODY;
    if (this.recLeft === 0) this.endRecord();
  }

  private endRecord(): void {
    if (this.recType === CONTENT_TYPE.ALERT && this.alertBytes.length === 2 && this.alert === null) {
      this.alert = { level: this.alertBytes[0], description: this.alertBytes[1] };
    }
    this.recState = REC_HEADER;
  }

  /** Feeds fragment bytes [s, e) of a handshake record to message reassembly. */
  private handshakeBytes(b: Uint8Array, s: number, e: number, out: HandshakeMessage[]): void {
    let i = s;
    while (i < e) {
      if (this.msgHeadFill < 4) {
        const take = Math.min(4 - this.msgHeadFill, e - i);
        this.msgHead.set(b.subarray(i, i + take), this.msgHeadFill);
        if (this.msgHeadFill === 0) this.msgStart = this.streamBytes + (i - s);
        this.msgHeadFill += take;
        i += take;
        if (this.msgHeadFill === 4) this.beginMessage(this.msgStart, out);
        continue;
      }
      const take = Math.min(this.msgLen - this.msgGot, e - i);
      const body = this.msgBody!;
      if (this.msgGot < body.length) {
        const keep = Math.min(take, body.length - this.msgGot);
        body.set(b.subarray(i, i + keep), this.msgGot);
      }
      this.msgGot += take;
      i += take;
      if (this.msgGot === this.msgLen) this.finishMessage(out);
    }
  }

  /** The 4-byte message header is in msgHead. */
  private beginMessage(start: number, out: HandshakeMessage[]): void {
    this.msgStart = start;
    this.msgType = this.msgHead[0];
    this.msgLen = u24(this.msgHead, 1);
    this.msgGot = 0;
    this.msgVersion = this.recVersion;
    if (!KNOWN_HANDSHAKE_TYPES.has(this.msgType)) note(this.anomalies, 'tls_unknown_handshake_type');
    if (this.msgLen > this.maxMessage) note(this.anomalies, 'tls_handshake_too_large');
    this.msgBody = new Uint8Array(Math.min(this.msgLen, this.maxMessage));
    if (this.msgLen === 0) this.finishMessage(out);
  }

  private finishMessage(out: HandshakeMessage[]): void {
    out.push({
      type: this.msgType, length: this.msgLen, body: this.msgBody!, truncated: this.msgLen > this.maxMessage,
      recordVersion: this.msgVersion, streamOffset: this.msgStart,
    });
    this.msgBody = null;
    this.msgHeadFill = 0;
    this.msgGot = 0;
  }
}

/**
 * All complete handshake messages in one contiguous run of TLS records (a convenience over
 * HandshakeBuffer for bytes already reassembled).
 */
export function handshakeMessages(buf: Uint8Array, off?: number, len?: number, maxMessage?: number): { messages: HandshakeMessage[]; anomalies: TlsAnomaly[] } {
  const hb = new HandshakeBuffer(maxMessage);
  const messages = hb.push(buf, off, len);
  const pending = hb.end();
  if (pending !== null) messages.push(pending);
  return { messages, anomalies: hb.anomalies };
}

// ------------------------------------------------------------------------------------ extensions

/** An extension as it appears: type, and where its data lies in the buffer parsed. */
export interface TlsExtension {
  type: number;
  /** Offset of extension_data in the buffer given to the parser. */
  offset: number;
  length: number;
}

interface ExtensionWalk {
  list: TlsExtension[];
  present: boolean;
}

/**
 * Reads the extensions block at `i` (its u16 length) up to `end`. Absent (i === end) is allowed
 * (TLS <= 1.2 hellos may have none). Truncation keeps the extensions that fit.
 */
function walkExtensions(b: Uint8Array, i: number, end: number, notes: TlsAnomaly[]): ExtensionWalk {
  const list: TlsExtension[] = [];
  if (i >= end) return { list, present: false };
  if (end - i < 2) { note(notes, 'tls_extensions_truncated'); return { list, present: true }; }
  const blockLen = u16(b, i);
  let e = i + 2 + blockLen;
  if (e > end) { note(notes, 'tls_extensions_truncated'); e = end; }
  else if (e < end) note(notes, 'tls_trailing_bytes');
  let p = i + 2;
  while (p < e) {
    if (list.length >= TLS_LIMITS.MAX_EXTENSIONS) { note(notes, 'tls_too_many_extensions'); break; }
    if (e - p < 4) { note(notes, 'tls_extension_truncated'); break; }
    const type = u16(b, p);
    const length = u16(b, p + 2);
    if (p + 4 + length > e) { note(notes, 'tls_extension_truncated'); break; }
    list.push({ type, offset: p + 4, length });
    p += 4 + length;
  }
  return { list, present: true };
}

/** ProtocolNameList (RFC 7301 3.1) in [s, e): the protocols as raw bytes. null when malformed. */
function readAlpn(b: Uint8Array, s: number, e: number, notes: TlsAnomaly[]): Uint8Array[] | null {
  if (e - s < 2) return null;
  const n = u16(b, s);
  if (s + 2 + n > e) return null;
  if (s + 2 + n < e) note(notes, 'tls_trailing_bytes');
  const out: Uint8Array[] = [];
  let p = s + 2;
  const stop = s + 2 + n;
  while (p < stop) {
    const l = b[p];
    if (p + 1 + l > stop) return out.length > 0 ? (note(notes, 'tls_bad_extension'), out) : null;
    if (out.length >= TLS_LIMITS.MAX_ALPN) { note(notes, 'tls_list_truncated'); break; }
    out.push(b.slice(p + 1, p + 1 + l));
    p += 1 + l;
  }
  return out;
}

function alpnText(raw: Uint8Array[], notes: TlsAnomaly[]): string[] {
  return raw.map((p) => {
    const t = printable(p);
    if (!t.clean) note(notes, 'tls_non_printable_name');
    return t.text;
  });
}

// ------------------------------------------------------------------------------------ ClientHello

export interface ClientHello {
  /** legacy_version (0x0303 for TLS 1.2 and 1.3). */
  legacyVersion: number;
  /** The 32-byte random (a copy; shorter when the input was cut inside it). */
  random: Uint8Array;
  /** -1 when the input was cut before it. */
  sessionIdLength: number;
  /** DTLS only: the cookie's length (0 otherwise). */
  cookieLength: number;
  /** Cipher suites in order, GREASE included. */
  cipherSuites: number[];
  compressionMethods: number[];
  /** Extensions in order, GREASE included (types, and where each one's data lies in the buffer parsed). */
  extensions: TlsExtension[];
  /** Extension types in order, GREASE included. */
  extensionTypes: number[];
  /** False when the hello ends after compression_methods (allowed in TLS <= 1.2). */
  hasExtensions: boolean;
  /** The first host_name of server_name (\xNN-escaped where not printable ASCII), null without one. */
  sni: string | null;
  /** ALPN protocol names in order (printable form). */
  alpn: string[];
  /** ALPN protocol names in order, raw (JA4 uses the first one's bytes). */
  alpnRaw: Uint8Array[];
  /** supported_versions in order, GREASE included; empty without the extension. */
  supportedVersions: number[];
  /** supported_groups in order, GREASE included. */
  supportedGroups: number[];
  /** signature_algorithms in order, GREASE included. */
  signatureAlgorithms: number[];
  /** ec_point_formats in order. */
  ecPointFormats: number[];
  /** Groups of the key_share entries, in order. */
  keyShareGroups: number[];
  /** psk_key_exchange_modes. */
  pskModes: number[];
  /** encrypted_client_hello (0xfe0d) is present (the SNI above is then the outer, public name). */
  ech: boolean;
  /** QUIC transport parameters (0x39, or the draft's 0xffa5) are present. */
  quicTransportParameters: boolean;
  /**
   * Highest non-GREASE supported_versions value, else legacy_version: the version the client offers
   * at most. -1 when the input was cut before supported_versions could be seen and legacy_version
   * does not settle it (0x0303, or DTLS 0xfefd: TLS 1.3 / DTLS 1.3 clients send that too).
   */
  maxVersion: number;
  /** Set when the input was known to be cut short (fields past the cut are missing). */
  truncated: boolean;
  anomalies: TlsAnomaly[];
}

/** Notes `a`, hands the parse's anomalies to the caller, and gives null (helpers, not closures: a hello parse allocates little). */
function helloFail(notes: TlsAnomaly[], opts: HelloOptions, a: TlsAnomaly): null {
  note(notes, a);
  if (opts.notes) for (const n of notes) note(opts.notes, n);
  return null;
}

/**
 * Input known to be cut (a snaplen, a lost segment) that ends inside a hello's fixed fields: the
 * hello is what was read before the cut. A header-only capture usually holds only the version, part
 * of the random and the session id; that is still worth a row. Input not known to be cut is
 * malformed there, and gives null.
 */
function helloPartial<H>(h: H, notes: TlsAnomaly[], opts: HelloOptions): H | null {
  if (!opts.truncated) return helloFail(notes, opts, 'tls_hello_truncated');
  note(notes, 'tls_input_truncated');
  if (opts.notes) for (const n of notes) note(opts.notes, n);
  return h;
}

/**
 * The version a hello's legacy_version alone says: -1 (unknown) when the input is cut and the
 * value is one a TLS 1.3 hello also carries, since supported_versions may be in the part that is
 * missing. supported_versions, when read, replaces it.
 */
function versionBeforeExtensions(legacyVersion: number, truncated: boolean): number {
  return truncated && legacyHidesVersion(legacyVersion) ? -1 : legacyVersion;
}

function isHrrRandom(random: Uint8Array): boolean {
  if (random.length !== 32) return false;
  for (let k = 0; k < 32; k++) if (random[k] !== HRR_RANDOM[k]) return false;
  return true;
}

/** legacy_version values that a TLS 1.3 (DTLS 1.3) hello also carries: the real version is in supported_versions. */
function legacyHidesVersion(v: number): boolean {
  return v === TLS_VERSION.TLS12 || v === 0xfefd;
}

export interface HelloOptions {
  /** DTLS ClientHello: a cookie follows the session id (RFC 6347 4.2.1). */
  dtls?: boolean;
  /** The body is known to be cut short (HandshakeMessage.truncated): read what is there. */
  truncated?: boolean;
  /** Receives the anomalies of this parse, the reason for a null result included. */
  notes?: TlsAnomaly[];
}

/**
 * Parses a ClientHello body (the handshake message without its 4-byte header) at
 * `buf[off, off + len)`. Returns null when the fixed fields cannot be read (reason in opts.notes).
 * Works for TLS, DTLS (opts.dtls) and the ClientHello of a QUIC Initial.
 */
export function parseClientHello(buf: Uint8Array, off?: number, len?: number, opts: HelloOptions = {}): ClientHello | null {
  const notes: TlsAnomaly[] = [];
  const r = span(buf, off, len, notes);
  if (r === null) return helloFail(notes, opts, 'tls_bad_bounds');
  const end = r[1];
  let i = r[0];
  if (end - i < 2) return helloFail(notes, opts, opts.truncated ? 'tls_input_truncated' : 'tls_hello_truncated');
  const legacyVersion = u16(buf, i);
  const ch: ClientHello = {
    legacyVersion, random: buf.slice(i + 2, Math.min(i + 34, end)), sessionIdLength: -1, cookieLength: 0, cipherSuites: [],
    compressionMethods: [], extensions: [], extensionTypes: [], hasExtensions: false,
    sni: null, alpn: [], alpnRaw: [], supportedVersions: [], supportedGroups: [], signatureAlgorithms: [],
    ecPointFormats: [], keyShareGroups: [], pskModes: [], ech: false, quicTransportParameters: false,
    maxVersion: versionBeforeExtensions(legacyVersion, opts.truncated === true), truncated: opts.truncated === true, anomalies: notes,
  };
  if (end - i < 2 + 32 + 1) return helloPartial(ch, notes, opts);
  i += 34;
  const sessionIdLength = buf[i];
  if (sessionIdLength > 32) return helloFail(notes, opts, 'tls_bad_session_id');
  ch.sessionIdLength = sessionIdLength;
  i += 1 + sessionIdLength;
  if (opts.dtls) {
    if (end - i < 1) return helloPartial(ch, notes, opts);
    ch.cookieLength = buf[i];
    i += 1 + ch.cookieLength;
  }
  if (end - i < 2) return helloPartial(ch, notes, opts);
  const csLen = u16(buf, i);
  if (csLen % 2 !== 0) return helloFail(notes, opts, 'tls_bad_cipher_suites');
  if (i + 2 + csLen > end) return opts.truncated ? helloPartial(ch, notes, opts) : helloFail(notes, opts, 'tls_bad_cipher_suites');
  ch.cipherSuites = u16List(buf, i + 2, i + 2 + csLen, notes);
  i += 2 + csLen;
  if (end - i < 1) return helloPartial(ch, notes, opts);
  const cmLen = buf[i];
  if (i + 1 + cmLen > end) return opts.truncated ? helloPartial(ch, notes, opts) : helloFail(notes, opts, 'tls_bad_compression');
  if (cmLen === 0) note(notes, 'tls_bad_compression');
  ch.compressionMethods = Array.from(buf.subarray(i + 1, i + 1 + cmLen));
  i += 1 + cmLen;
  if (csLen === 0) note(notes, 'tls_bad_cipher_suites');

  const ext = walkExtensions(buf, i, end, notes);
  ch.extensions = ext.list;
  ch.extensionTypes = ext.list.map((x) => x.type);
  ch.hasExtensions = ext.present;
  if (opts.truncated && notes.includes('tls_extensions_truncated')) note(notes, 'tls_input_truncated');

  const seen = new Set<number>();
  for (const x of ext.list) {
    if (seen.has(x.type)) { note(notes, 'tls_duplicate_extension'); continue; }
    seen.add(x.type);
    const s = x.offset;
    const e = x.offset + x.length;
    switch (x.type) {
      case EXT.SERVER_NAME: ch.sni = readServerName(buf, s, e, notes); break;
      case EXT.ALPN: {
        const raw = readAlpn(buf, s, e, notes);
        if (raw === null) { note(notes, 'tls_bad_extension'); break; }
        ch.alpnRaw = raw;
        ch.alpn = alpnText(raw, notes);
        break;
      }
      case EXT.SUPPORTED_VERSIONS: {
        // ClientHello form: u8 length, then u16 versions (RFC 8446 4.2.1).
        if (e - s < 1 || buf[s] % 2 !== 0 || s + 1 + buf[s] > e) { note(notes, 'tls_bad_extension'); break; }
        if (s + 1 + buf[s] < e) note(notes, 'tls_trailing_bytes');
        ch.supportedVersions = u16List(buf, s + 1, s + 1 + buf[s], notes);
        break;
      }
      case EXT.SUPPORTED_GROUPS: ch.supportedGroups = listOrNote(prefixedU16List(buf, s, e, notes), notes); break;
      case EXT.SIGNATURE_ALGORITHMS: ch.signatureAlgorithms = listOrNote(prefixedU16List(buf, s, e, notes), notes); break;
      case EXT.EC_POINT_FORMATS: ch.ecPointFormats = listOrNote(prefixedU8List(buf, s, e, notes), notes); break;
      case EXT.PSK_KEY_EXCHANGE_MODES: ch.pskModes = listOrNote(prefixedU8List(buf, s, e, notes), notes); break;
      case EXT.KEY_SHARE: ch.keyShareGroups = readKeyShareGroups(buf, s, e, notes); break;
      case EXT.ENCRYPTED_CLIENT_HELLO: ch.ech = true; break;
      case EXT.QUIC_TRANSPORT_PARAMETERS:
      case EXT.QUIC_TRANSPORT_PARAMETERS_DRAFT: ch.quicTransportParameters = true; break;
    }
  }
  let best = -1;
  for (const v of ch.supportedVersions) if (!isGrease(v) && v > best && !(v >= 0xfe00)) best = v;
  // DTLS versions count down (0xfeff = 1.0, 0xfefd = 1.2, 0xfefc = 1.3): the highest version is the lowest number.
  if (best < 0) for (const v of ch.supportedVersions) if (!isGrease(v) && v >= 0xfe00 && (best < 0 || v < best)) best = v;
  if (best >= 0) ch.maxVersion = best;
  if (opts.notes) for (const n of notes) note(opts.notes, n);
  return ch;
}

function listOrNote(l: number[] | null, notes: TlsAnomaly[]): number[] {
  if (l === null) { note(notes, 'tls_bad_extension'); return []; }
  return l;
}

/** ServerNameList (RFC 6066 3): the first host_name (type 0). */
function readServerName(b: Uint8Array, s: number, e: number, notes: TlsAnomaly[]): string | null {
  if (e === s) return null; // the empty form a server echoes; not expected from a client, harmless
  if (e - s < 2) { note(notes, 'tls_bad_extension'); return null; }
  const n = u16(b, s);
  let stop = s + 2 + n;
  if (stop > e) { note(notes, 'tls_bad_extension'); stop = e; }
  else if (stop < e) note(notes, 'tls_trailing_bytes');
  let p = s + 2;
  let first: string | null = null;
  let count = 0;
  while (p < stop) {
    if (++count > TLS_LIMITS.MAX_SERVER_NAMES) { note(notes, 'tls_list_truncated'); break; }
    if (stop - p < 3) { note(notes, 'tls_bad_extension'); break; }
    const nameType = b[p];
    const l = u16(b, p + 1);
    if (p + 3 + l > stop) { note(notes, 'tls_bad_extension'); break; }
    if (nameType === 0 && first === null) {
      const t = printable(b, p + 3, p + 3 + l);
      if (!t.clean) note(notes, 'tls_non_printable_name');
      first = t.text;
    }
    p += 3 + l;
  }
  return first;
}

/** KeyShareClientHello (RFC 8446 4.2.8): the group of each entry. */
function readKeyShareGroups(b: Uint8Array, s: number, e: number, notes: TlsAnomaly[]): number[] {
  if (e - s < 2) { note(notes, 'tls_bad_extension'); return []; }
  let stop = s + 2 + u16(b, s);
  if (stop > e) { note(notes, 'tls_bad_extension'); stop = e; }
  const out: number[] = [];
  let p = s + 2;
  while (p < stop) {
    if (out.length >= TLS_LIMITS.MAX_LIST) { note(notes, 'tls_list_truncated'); break; }
    if (stop - p < 4) { note(notes, 'tls_bad_extension'); break; }
    const l = u16(b, p + 2);
    if (p + 4 + l > stop) { note(notes, 'tls_bad_extension'); break; }
    out.push(u16(b, p));
    p += 4 + l;
  }
  return out;
}

/**
 * Parses a whole handshake message (4-byte header + body), as a QUIC CRYPTO stream hands it
 * over: checks the type is ClientHello (1) and the declared length fits, then parses the body.
 */
export function parseClientHelloMessage(buf: Uint8Array, off?: number, len?: number, opts: HelloOptions = {}): ClientHello | null {
  const body = messageBody(buf, off, len, HANDSHAKE_TYPE.CLIENT_HELLO, opts);
  if (body === null) return null;
  return parseClientHello(buf, body[0], body[1] - body[0], { ...opts, truncated: opts.truncated || body[2] });
}

/** [bodyStart, bodyEnd, cut] of a handshake message of type `type`; null (noted) otherwise. */
function messageBody(buf: Uint8Array, off: number | undefined, len: number | undefined, type: number, opts: HelloOptions): [number, number, boolean] | null {
  const notes: TlsAnomaly[] = [];
  const r = span(buf, off, len, notes);
  const fail = (a: TlsAnomaly): null => { note(notes, a); if (opts.notes) for (const n of notes) note(opts.notes, n); return null; };
  if (r === null) return fail('tls_bad_bounds');
  const [s, e] = r;
  if (e - s < 4) return fail('tls_hello_truncated');
  if (buf[s] !== type) return fail('tls_wrong_handshake_type');
  const l = u24(buf, s + 1);
  if (s + 4 + l > e) {
    if (opts.notes) note(opts.notes, 'tls_input_truncated');
    return [s + 4, e, true];
  }
  if (s + 4 + l < e && opts.notes) note(opts.notes, 'tls_trailing_bytes');
  return [s + 4, s + 4 + l, false];
}

// ------------------------------------------------------------------------------------ ServerHello

export interface ServerHello {
  legacyVersion: number;
  /**
   * The negotiated version: supported_versions when present (TLS 1.3), else legacy_version. -1 when
   * the input was cut with no supported_versions seen and legacy_version does not settle it (0x0303).
   */
  version: number;
  /** 32 bytes; shorter when the input was cut inside it. */
  random: Uint8Array;
  /** -1 when the input was cut before it (likewise cipherSuite and compressionMethod). */
  sessionIdLength: number;
  cipherSuite: number;
  compressionMethod: number;
  /** Set when the input was known to be cut short (fields past the cut are missing). */
  truncated: boolean;
  extensions: TlsExtension[];
  extensionTypes: number[];
  hasExtensions: boolean;
  /** The selected ALPN protocol when the ServerHello carries it (TLS <= 1.2; in 1.3 it is in the encrypted EncryptedExtensions). */
  alpn: string | null;
  alpnRaw: Uint8Array | null;
  /** supported_versions selected_version, null without the extension. */
  selectedVersion: number | null;
  /** key_share group (ServerHello: the share's group; HelloRetryRequest: the group asked for). */
  keyShareGroup: number | null;
  ecPointFormats: number[];
  /** The random is the HelloRetryRequest value (RFC 8446 4.1.3). */
  helloRetryRequest: boolean;
  /** The random ends with a TLS 1.3 downgrade sentinel: 'tls12' (DOWNGRD\x01) or 'tls11' (DOWNGRD\x00). */
  downgradeSentinel: 'tls12' | 'tls11' | null;
  /** The server echoed server_name (it used the SNI). */
  sniAcknowledged: boolean;
  anomalies: TlsAnomaly[];
}

/** Parses a ServerHello (or HelloRetryRequest) body. Returns null when its fixed fields cannot be read. */
export function parseServerHello(buf: Uint8Array, off?: number, len?: number, opts: HelloOptions = {}): ServerHello | null {
  const notes: TlsAnomaly[] = [];
  const r = span(buf, off, len, notes);
  if (r === null) return helloFail(notes, opts, 'tls_bad_bounds');
  const end = r[1];
  let i = r[0];
  if (end - i < 2) return helloFail(notes, opts, opts.truncated ? 'tls_input_truncated' : 'tls_hello_truncated');
  const legacyVersion = u16(buf, i);
  const random = buf.slice(i + 2, Math.min(i + 34, end));
  const sh: ServerHello = {
    legacyVersion, version: versionBeforeExtensions(legacyVersion, opts.truncated === true), random, sessionIdLength: -1, cipherSuite: -1, compressionMethod: -1,
    truncated: opts.truncated === true, extensions: [], extensionTypes: [], hasExtensions: false,
    alpn: null, alpnRaw: null, selectedVersion: null, keyShareGroup: null, ecPointFormats: [],
    helloRetryRequest: isHrrRandom(random), downgradeSentinel: null,
    sniAcknowledged: false, anomalies: notes,
  };
  // Input known to be cut inside the fixed fields: what was read before the cut (helloPartial).
  if (end - i < 35) return helloPartial(sh, notes, opts);
  i += 34;
  const sessionIdLength = buf[i];
  if (sessionIdLength > 32) return helloFail(notes, opts, 'tls_bad_session_id');
  sh.sessionIdLength = sessionIdLength;
  i += 1 + sessionIdLength;
  if (end - i < 3) return helloPartial(sh, notes, opts);
  sh.cipherSuite = u16(buf, i);
  sh.compressionMethod = buf[i + 2];
  i += 3;
  const ext = walkExtensions(buf, i, end, notes);
  sh.extensions = ext.list;
  sh.extensionTypes = ext.list.map((x) => x.type);
  sh.hasExtensions = ext.present;
  if (DOWNGRADE_PREFIX.every((v, k) => random[24 + k] === v)) {
    if (random[31] === 1) sh.downgradeSentinel = 'tls12';
    else if (random[31] === 0) sh.downgradeSentinel = 'tls11';
  }
  const seen = new Set<number>();
  for (const x of ext.list) {
    if (seen.has(x.type)) { note(notes, 'tls_duplicate_extension'); continue; }
    seen.add(x.type);
    const s = x.offset;
    const e = x.offset + x.length;
    switch (x.type) {
      case EXT.SUPPORTED_VERSIONS:
        if (x.length !== 2) { note(notes, 'tls_bad_extension'); break; }
        sh.selectedVersion = u16(buf, s);
        sh.version = sh.selectedVersion;
        break;
      case EXT.ALPN: {
        const raw = readAlpn(buf, s, e, notes);
        if (raw === null || raw.length !== 1) { note(notes, 'tls_bad_extension'); if (raw === null || raw.length === 0) break; }
        sh.alpnRaw = raw[0];
        sh.alpn = alpnText([raw[0]], notes)[0];
        break;
      }
      case EXT.KEY_SHARE:
        if (x.length < 2) { note(notes, 'tls_bad_extension'); break; }
        sh.keyShareGroup = u16(buf, s);
        break;
      case EXT.EC_POINT_FORMATS: sh.ecPointFormats = listOrNote(prefixedU8List(buf, s, e, notes), notes); break;
      case EXT.SERVER_NAME: sh.sniAcknowledged = true; break;
    }
  }
  if (opts.notes) for (const n of notes) note(opts.notes, n);
  return sh;
}

/** parseServerHello over a whole handshake message (4-byte header + body). */
export function parseServerHelloMessage(buf: Uint8Array, off?: number, len?: number, opts: HelloOptions = {}): ServerHello | null {
  const body = messageBody(buf, off, len, HANDSHAKE_TYPE.SERVER_HELLO, opts);
  if (body === null) return null;
  return parseServerHello(buf, body[0], body[1] - body[0], { ...opts, truncated: opts.truncated || body[2] });
}

// ------------------------------------------------------------------------------------ Certificate

export interface CertificateList {
  /** DER certificates in the order sent (leaf first), copies. */
  certs: Uint8Array[];
  /** The list was cut (truncated message or malformed entry): certificates after the cut are missing. */
  truncated: boolean;
  anomalies: TlsAnomaly[];
}

export interface CertificateOptions {
  /** TLS 1.3 form (RFC 8446 4.4.2): a request context first, extensions after each certificate. */
  tls13?: boolean;
  /** The body is known to be cut short (HandshakeMessage.truncated): return the certificates that fit. */
  truncated?: boolean;
  notes?: TlsAnomaly[];
}

/**
 * Parses a Certificate message body (TLS <= 1.2 by default, RFC 5246 7.4.2): the DER
 * certificates. Returns null when not even the list header can be read.
 */
export function parseCertificateMessage(buf: Uint8Array, off?: number, len?: number, opts: CertificateOptions = {}): CertificateList | null {
  const notes: TlsAnomaly[] = [];
  const done = <T>(v: T): T => { if (opts.notes) for (const n of notes) note(opts.notes, n); return v; };
  const r = span(buf, off, len, notes);
  if (r === null) { note(notes, 'tls_bad_bounds'); return done(null); }
  const [start, end] = r;
  let i = start;
  if (opts.tls13) {
    if (end - i < 1 || i + 1 + buf[i] > end) { note(notes, opts.truncated ? 'tls_input_truncated' : 'tls_bad_certificate_list'); return done(null); }
    i += 1 + buf[i];
  }
  if (end - i < 3) { note(notes, opts.truncated ? 'tls_input_truncated' : 'tls_bad_certificate_list'); return done(null); }
  const listLen = u24(buf, i);
  i += 3;
  let stop = i + listLen;
  let truncated = false;
  if (stop > end) {
    note(notes, opts.truncated ? 'tls_input_truncated' : 'tls_bad_certificate_list');
    stop = end;
    truncated = true;
  } else if (stop < end) note(notes, 'tls_trailing_bytes');
  const certs: Uint8Array[] = [];
  while (i < stop) {
    if (certs.length >= TLS_LIMITS.MAX_CERTIFICATES) { note(notes, 'tls_too_many_certificates'); truncated = true; break; }
    if (stop - i < 3) { note(notes, truncated ? 'tls_input_truncated' : 'tls_bad_certificate_entry'); truncated = true; break; }
    const l = u24(buf, i);
    if (l === 0 || i + 3 + l > stop) {
      note(notes, truncated && l > 0 ? 'tls_input_truncated' : 'tls_bad_certificate_entry');
      truncated = true;
      break;
    }
    certs.push(buf.slice(i + 3, i + 3 + l));
    i += 3 + l;
    if (opts.tls13) {
      if (stop - i < 2 || i + 2 + u16(buf, i) > stop) { note(notes, 'tls_bad_certificate_entry'); truncated = true; break; }
      i += 2 + u16(buf, i);
    }
  }
  return done({ certs, truncated, anomalies: notes });
}

// ------------------------------------------------------------------------------------ ServerKeyExchange

/**
 * The named group of an ECDHE ServerKeyExchange (RFC 8422 5.4: ServerECDHParams starts with
 * ECParameters: curve_type 3 = named_curve, then the u16 NamedCurve). Only meaningful when the
 * negotiated cipher suite is ECDHE; null (tls_not_named_curve) otherwise.
 */
export function serverKeyExchangeCurve(buf: Uint8Array, off?: number, len?: number, notes?: TlsAnomaly[]): number | null {
  const r = span(buf, off, len, notes);
  if (r === null) return null;
  const [s, e] = r;
  if (e - s < 4 || buf[s] !== 3) { note(notes, 'tls_not_named_curve'); return null; }
  return u16(buf, s + 1);
}
