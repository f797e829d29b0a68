/**
 * HTTP/1.x message heads (RFC 9112) from one direction of a TCP stream. Pure: the caller passes
 * the bytes of the direction in order, in chunks of any size; each complete request or response
 * head gives one record. Bodies are skipped without buffering, by Content-Length or by walking the
 * chunked coding, so heads of pipelined and keep-alive messages are all found. When a body's end
 * cannot be known (a response that runs until close, an upgrade, a CONNECT tunnel) the stream
 * stops looking. Never throws; memory is bounded by the head limit (16 KiB by default).
 *
 * A stream is HTTP when its first bytes parse as a start line: `METHOD SP request-target SP
 * HTTP/1.x` (METHOD from the registered methods, WebDAV ones included, or any run of A-Z up to 20
 * letters) or `HTTP/1.x SP 3DIGIT [SP reason]`. The test is made on the first bytes that arrive,
 * so a stream that is not HTTP costs a few byte comparisons and no buffering.
 */

export const HTTP_ANOMALY_NAMES = [
  /** The head (start line and headers) passed the head limit before its blank line. */
  'http_head_too_large',
  /** More header lines than the limit. */
  'http_too_many_headers',
  /** After a message, the next bytes are not a start line. */
  'http_bad_start_line',
  /** A header line without a colon, or with an empty or non-token name. */
  'http_bad_header_line',
  /** Whitespace between a header name and the colon (RFC 9112 5.1: reject; a smuggling vector). */
  'http_space_before_colon',
  /** A header line continued on the next line (obs-fold, RFC 9112 5.2). */
  'http_obs_fold',
  /** Lines ended by LF alone instead of CRLF. */
  'http_bare_lf',
  /** Content-Length not a number. */
  'http_bad_content_length',
  /** Several Content-Length values that differ. */
  'http_conflicting_content_length',
  /** Both Transfer-Encoding and Content-Length (RFC 9112 6.3: TE wins; a smuggling vector). */
  'http_te_and_cl',
  /** A request whose Transfer-Encoding does not end in chunked (its length is unknowable). */
  'http_bad_transfer_encoding',
  /** A malformed chunk size line, chunk end or trailer in a chunked body. */
  'http_bad_chunk',
  /** More than one Host header. */
  'http_multiple_host',
  /** A Host header whose port is not a number up to 65535. */
  'http_bad_host_port',
  /** The stream ended (end()) inside a head; the record holds what was there. */
  'http_head_incomplete',
  /** The caller reported missing bytes where the parser could not skip them. */
  'http_gap',
  /** A response head in a request stream or the other way round. */
  'http_direction_mismatch',
] as const;

export type HttpAnomaly = (typeof HTTP_ANOMALY_NAMES)[number];

/** Name -> stable code (index in HTTP_ANOMALY_NAMES). */
export const HTTP_ANOMALY = Object.fromEntries(HTTP_ANOMALY_NAMES.map((n, i) => [n, i])) as { readonly [K in HttpAnomaly]: number };

/** How the body after a head is delimited. */
export type HttpBody = 'none' | 'length' | 'chunked' | 'until_close';

/** Why a stream stopped looking for heads. */
export type HttpStopReason =
  | 'not_http' // the first bytes are not an HTTP/1.x start line
  | 'until_close' // a response body that runs until the connection closes
  | 'upgrade' // 101 Switching Protocols, or non-HTTP bytes after a request asking to upgrade
  | 'tunnel' // CONNECT: what follows is the tunnel
  | 'malformed' // framing could not be followed (see anomalies)
  | 'too_large' // head or header count over the limits
  | 'gap' // bytes missing where they could not be skipped
  | 'ended'; // end() was called

interface HeadCommon {
  /** '1.0' or '1.1' (any HTTP/1.x minor digit). */
  version: string;
  contentType: string | null;
  /** The Content-Length value, when there is a valid one. */
  contentLength: number | null;
  /** Transfer-Encoding ends in chunked. */
  chunked: boolean;
  body: HttpBody;
  /** Header lines (field lines) in the head. */
  headerCount: number;
  /** Bytes of the head, start line to blank line. */
  headBytes: number;
  /** Offset in the direction's byte stream (from the first byte passed) of the start line. */
  streamOffset: number;
  /** false for a head cut off by end() or the limits: what was read before. */
  complete: boolean;
  anomalies: HttpAnomaly[];
}

export interface HttpRequestRecord extends HeadCommon {
  kind: 'request';
  method: string;
  /** The request-target, first 256 bytes (cut on a UTF-8 character boundary). */
  path: string;
  pathTruncated: boolean;
  /**
   * Host header, lower case, without port; for an IPv6 literal without the brackets. When there is
   * no Host header but the target is absolute (http://host:port/...), taken from the target.
   */
  host: string | null;
  /** Port from the Host header (or absolute target), null when none was given. */
  port: number | null;
  userAgent: string | null;
}

export interface HttpResponseRecord extends HeadCommon {
  kind: 'response';
  status: number;
  reason: string;
  server: string | null;
}

export type HttpRecord = HttpRequestRecord | HttpResponseRecord;

export interface HttpStreamOptions {
  /** Longest head, start line to blank line (default 16384). */
  maxHead?: number;
  /** Most header lines per head (default 100). */
  maxHeaders?: number;
  /** Longest path kept, in bytes (default 256). */
  maxPath?: number;
  /** Longest header value kept (User-Agent, Server, Content-Type, Host), in bytes (default 1024). */
  maxValue?: number;
}

/** Registered methods (RFC 9110, WebDAV RFC 4918 and relatives, SSDP), those with '-' needing the list. */
export const HTTP_METHODS: ReadonlySet<string> = new Set([
  'GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'CONNECT', 'OPTIONS', 'TRACE', 'PATCH', 'QUERY',
  'PROPFIND', 'PROPPATCH', 'MKCOL', 'COPY', 'MOVE', 'LOCK', 'UNLOCK', 'SEARCH', 'ACL', 'BIND', 'UNBIND', 'REBIND',
  'REPORT', 'MKACTIVITY', 'CHECKOUT', 'CHECKIN', 'UNCHECKOUT', 'MERGE', 'MKWORKSPACE', 'UPDATE', 'LABEL',
  'VERSION-CONTROL', 'BASELINE-CONTROL', 'MKCALENDAR', 'MKREDIRECTREF', 'UPDATEREDIRECTREF', 'ORDERPATCH',
  'M-SEARCH', 'NOTIFY', 'SUBSCRIBE', 'UNSUBSCRIBE', 'PURGE', 'LINK', 'UNLINK',
]);

const MAX_METHOD = 20;
const MAX_CHUNK_LINE = 4096;
const MAX_CHUNK_DIGITS = 13; // 16^13 = 2^52: still an exact number

const SP = 0x20, HT = 0x09, CR = 0x0d, LF = 0x0a, COLON = 0x3a;

// Parser states.
const S_HEAD = 0, S_BODY = 1, S_CHUNK_SIZE = 2, S_CHUNK_EXT = 3, S_CHUNK_SIZE_LF = 4, S_CHUNK_DATA = 5,
  S_CHUNK_DATA_CR = 6, S_CHUNK_DATA_LF = 7, S_TRAILER_LINE_START = 8, S_TRAILER_LINE = 9, S_TRAILER_END_LF = 10, S_STOPPED = 11;

const UTF8 = new TextDecoder('utf-8', { fatal: false });

const isUpper = (b: number): boolean => b >= 0x41 && b <= 0x5a;
const isDigit = (b: number): boolean => b >= 0x30 && b <= 0x39;
/** tchar of RFC 9110 5.6.2. */
function isTchar(b: number): boolean {
  if (b >= 0x30 && b <= 0x39) return true;
  if ((b | 0x20) >= 0x61 && (b | 0x20) <= 0x7a) return true;
  return b === 0x21 || (b >= 0x23 && b <= 0x27) || b === 0x2a || b === 0x2b || b === 0x2d || b === 0x2e || b === 0x5e || b === 0x5f
    || b === 0x60 || b === 0x7c || b === 0x7e;
}
function hexVal(b: number): number {
  if (b >= 0x30 && b <= 0x39) return b - 0x30;
  const l = b | 0x20;
  if (l >= 0x61 && l <= 0x66) return l - 0x61 + 10;
  return -1;
}

function latin1(b: Uint8Array, s: number, e: number): string {
  let out = '';
  for (let i = s; i < e; i++) out += String.fromCharCode(b[i]!);
  return out;
}

/** UTF-8 text of [s, e), cut to `max` bytes without splitting a character. */
function text(b: Uint8Array, s: number, e: number, max: number): { value: string; cut: boolean } {
  let cut = false;
  if (e - s > max) {
    cut = true;
    e = s + max;
    // Back off over continuation bytes (10xxxxxx) so the last character is whole.
    let k = 0;
    while (k < 3 && e > s && (b[e]! & 0xc0) === 0x80) { e--; k++; }
  }
  return { value: utf8(b, s, e), cut };
}

/** UTF-8 text of [s, e): ASCII (the usual case) without TextDecoder, whose per-call cost dominates short values. */
function utf8(b: Uint8Array, s: number, e: number): string {
  let ascii = true;
  for (let i = s; i < e; i++) if (b[i]! >= 0x80) { ascii = false; break; }
  if (!ascii) return UTF8.decode(b.subarray(s, e));
  let out = '';
  for (let i = s; i < e; i++) out += String.fromCharCode(b[i]!);
  return out;
}

/** Case-insensitive compare of bytes [s, s+len) with a lowercase ASCII name. */
function nameIs(b: Uint8Array, s: number, len: number, name: string): boolean {
  if (len !== name.length) return false;
  for (let i = 0; i < len; i++) {
    const c = b[s + i]!;
    if ((isUpper(c) ? c + 0x20 : c) !== name.charCodeAt(i)) return false;
  }
  return true;
}

/** Is [0, n) of `b` the start of "HTTP/1.x SP 3DIGIT"? -1 no, 0 not yet known, 1 yes (12 bytes seen). */
function statusPrefix(b: Uint8Array, n: number): number {
  const STATUS = 'HTTP/1.';
  for (let i = 0; i < n && i < 12; i++) {
    const c = b[i]!;
    const ok = i < 7 ? c === STATUS.charCodeAt(i) : i === 7 ? isDigit(c) : i === 8 ? c === SP : isDigit(c);
    if (!ok) return -1;
  }
  return n < 12 ? 0 : 1;
}

/** Is [0, n) of `b` the start of "METHOD SP target"? -1 no, 0 not yet known, 1 yes (method and first target byte seen). */
function requestPrefix(b: Uint8Array, n: number): number {
  let i = 0;
  while (i < n && i <= MAX_METHOD && (isUpper(b[i]!) || b[i] === 0x2d || b[i] === 0x5f)) i++;
  if (i === n) return i <= MAX_METHOD ? 0 : -1;
  if (b[i] !== SP || i === 0 || !methodOk(b, 0, i)) return -1;
  if (i + 1 === n) return 0;
  const t = b[i + 1]!;
  return t > SP && t !== 0x7f ? 1 : -1;
}

/**
 * Can the `n` bytes at the start of `b` (no LF among them) begin a start line? -1 no, 0 not yet
 * known, 1 yes so far. Looks at the "HTTP/1.x 123" prefix or the method only.
 */
function startLinePrefix(b: Uint8Array, n: number): number {
  const s = statusPrefix(b, n);
  return s >= 0 ? s : requestPrefix(b, n);
}

function methodOk(b: Uint8Array, s: number, e: number): boolean {
  if (e - s > MAX_METHOD || e === s) return false;
  let plain = true;
  for (let i = s; i < e; i++) if (!isUpper(b[i]!)) { plain = false; break; }
  return plain || HTTP_METHODS.has(latin1(b, s, e));
}

/** Host header value (already lower case, trimmed) into host and port. */
function splitHost(v: string): { host: string; port: number | null; bad: boolean } {
  let host = v, portText: string | null = null;
  if (v.startsWith('[')) {
    const close = v.indexOf(']');
    if (close < 0) return { host: v, port: null, bad: true };
    host = v.slice(1, close);
    const rest = v.slice(close + 1);
    if (rest.startsWith(':')) portText = rest.slice(1);
    else if (rest !== '') return { host, port: null, bad: true };
  } else {
    const colon = v.lastIndexOf(':');
    if (colon >= 0) {
      if (v.indexOf(':') !== colon) return { host: v, port: null, bad: true }; // unbracketed IPv6 or junk
      host = v.slice(0, colon);
      portText = v.slice(colon + 1);
    }
  }
  if (portText === null || portText === '') return { host, port: null, bad: false };
  if (!/^[0-9]{1,5}$/.test(portText) || Number(portText) > 65535) return { host, port: null, bad: true };
  return { host, port: Number(portText), bad: false };
}

interface Building {
  rec: HttpRecord;
  clValues: number[];
  clBad: boolean;
  te: string[];
  hosts: number;
  upgrade: boolean;
}

/**
 * One direction of one HTTP/1.x connection. Decides on the first head whether it carries requests
 * or responses, and stays with that.
 */
/** Bytes of the first head buffer when the first bytes fit in it (V8's in-heap typed array limit). */
const SMALL_HEAD = 64;
/** The size a head buffer grows to first. A typed array this large lives outside V8's heap: making one costs a malloc and a tracked backing store, so stopped streams give theirs back for the next. */
const POOLED_HEAD = 1024;
const MAX_POOLED_HEADS = 64;
const headPool: Uint8Array[] = [];
const NO_HEAD = new Uint8Array(0);

function takeHead(size: number): Uint8Array {
  return size === POOLED_HEAD && headPool.length > 0 ? headPool.pop()! : new Uint8Array(size);
}

/** A buffer its stream no longer holds (nothing else refers to a head buffer). */
function giveHead(b: Uint8Array): void {
  if (b.length === POOLED_HEAD && headPool.length < MAX_POOLED_HEADS) headPool.push(b);
}

export class HttpStream {
  /** What this direction carries, once known. */
  role: 'request' | 'response' | null = null;
  /** Set when the stream stopped looking for heads. */
  stopped: HttpStopReason | null = null;
  /** Bytes of the direction consumed so far. */
  offset = 0;
  /** Records produced so far. */
  records = 0;
  /** Every anomaly seen on the stream (each once), also those after a record was returned (chunked bodies, gaps). */
  readonly anomalies: HttpAnomaly[] = [];

  private readonly maxHead: number;
  private readonly maxHeaders: number;
  private readonly maxPath: number;
  private readonly maxValue: number;
  private st = S_HEAD;
  private head: Uint8Array = NO_HEAD;
  private have = 0;
  private lineStart = 0;
  private startLineDone = false;
  private headStart = 0;
  private headerLines = 0;
  private bareLf = false;
  private cur: Building | null = null;
  private remaining = 0;
  private chunkSize = 0;
  private chunkDigits = 0;
  private lineBytes = 0;
  private upgradeAsked = false;
  private readonly methods: string[] = [];

  /** Part of a head (start line onwards) is held, waiting for the rest. */
  get inHead(): boolean {
    return this.st === S_HEAD && this.have > 0;
  }

  constructor(opts: HttpStreamOptions = {}) {
    this.maxHead = Math.max(64, opts.maxHead ?? 16384);
    this.maxHeaders = Math.max(1, opts.maxHeaders ?? 100);
    this.maxPath = Math.max(1, opts.maxPath ?? 256);
    this.maxValue = Math.max(1, opts.maxValue ?? 1024);
  }

  /**
   * For a response stream: the method of the next request on the connection, in order (a response
   * to HEAD has no body; a 2xx to CONNECT starts a tunnel). HttpConnection does this by itself.
   */
  expectResponseTo(method: string): void {
    if (this.methods.length < 256) this.methods.push(method);
  }

  /** Adds `len` bytes at `off` of `chunk`, the next bytes of the direction; returns the heads they complete. */
  push(chunk: Uint8Array, off = 0, len = chunk.length - off): HttpRecord[] {
    const out: HttpRecord[] = [];
    if (this.st === S_STOPPED) return out;
    off = Math.max(0, Math.floor(off) || 0);
    let end = off + Math.max(0, Math.floor(len) || 0);
    if (end > chunk.length) end = chunk.length;
    let p = off;
    while (p < end && this.st !== S_STOPPED) {
      switch (this.st) {
        case S_HEAD:
          p = this.headBytes(chunk, p, end, out);
          break;
        case S_BODY:
        case S_CHUNK_DATA: {
          const n = Math.min(this.remaining, end - p);
          this.remaining -= n;
          p += n;
          this.offset += n;
          if (this.remaining === 0) this.st = this.st === S_BODY ? S_HEAD : S_CHUNK_DATA_CR;
          break;
        }
        default:
          this.chunkByte(chunk[p]!);
          p++;
          this.offset++;
      }
    }
    return out;
  }

  /**
   * The caller lost `n` bytes of this direction (a hole in the TCP stream). Inside a body of known
   * length they are skipped; anywhere else framing is lost and the stream stops.
   */
  gap(n: number): void {
    if (this.st === S_STOPPED || !(n > 0)) return;
    if ((this.st === S_BODY || this.st === S_CHUNK_DATA) && n <= this.remaining) {
      this.remaining -= n;
      this.offset += n;
      if (this.remaining === 0) this.st = this.st === S_BODY ? S_HEAD : S_CHUNK_DATA_CR;
      return;
    }
    this.note('http_gap');
    this.stop('gap');
  }

  /**
   * The direction is over (FIN, RST, end of capture). A head cut short that has its start line
   * comes back as a record with complete: false and `http_head_incomplete`.
   */
  end(): HttpRecord[] {
    const out: HttpRecord[] = [];
    if (this.st === S_HEAD && this.startLineDone && this.cur !== null) {
      this.flagRec('http_head_incomplete');
      this.emit(out, false);
    }
    if (this.st !== S_STOPPED) this.stop('ended');
    return out;
  }

  // ---------------------------------------------------------------- heads

  private headBytes(chunk: Uint8Array, p: number, end: number, out: HttpRecord[]): number {
    if (this.have === 0) {
      // Empty lines before a start line are ignored (RFC 9112 2.2).
      while (p < end && (chunk[p] === CR || chunk[p] === LF)) { p++; this.offset++; }
      if (p === end) return p;
      this.headStart = this.offset;
    }
    let lf = chunk.indexOf(LF, p);
    if (lf >= end) lf = -1;
    const stop = lf < 0 ? end : lf + 1;
    const n = stop - p;
    if (this.have + n > this.maxHead) {
      this.offset += end - p;
      this.tooLarge(out, 'http_head_too_large');
      return end;
    }
    this.append(chunk, p, n);
    this.offset += n;
    if (lf >= 0) {
      this.lineDone(out);
    } else if (!this.startLineDone) {
      const v = startLinePrefix(this.head, this.have);
      if (v < 0) this.reject();
    }
    return stop;
  }

  private append(chunk: Uint8Array, p: number, n: number): void {
    const need = this.have + n;
    if (need > this.head.length) {
      // V8 keeps a typed array of up to 64 bytes in its heap; a larger one costs a malloc and a
      // tracked backing store. A head cut by a small snaplen fits in 64 bytes.
      let size = this.head.length === 0 && need <= SMALL_HEAD ? SMALL_HEAD : Math.max(this.head.length * 2, POOLED_HEAD);
      while (size < need) size *= 2;
      const grown = takeHead(Math.min(size, this.maxHead));
      if (this.have > 0) grown.set(this.head.subarray(0, this.have));
      giveHead(this.head);
      this.head = grown;
    }
    const h = this.head, at = this.have;
    // A short line is copied byte by byte: subarray() would make an object for it.
    if (n <= SMALL_HEAD) for (let i = 0; i < n; i++) h[at + i] = chunk[p + i];
    else h.set(chunk.subarray(p, p + n), at);
    this.have = need;
  }

  /** A line (ending in LF) was just added at [lineStart, have). */
  private lineDone(out: HttpRecord[]): void {
    const b = this.head;
    const s = this.lineStart;
    let e = this.have - 1; // the LF
    if (e > s && b[e - 1] === CR) e--;
    else this.bareLf = true;
    this.lineStart = this.have;
    if (!this.startLineDone) {
      this.startLine(e);
      return;
    }
    if (e === s) { this.finishHead(out); return; }
    if (++this.headerLines > this.maxHeaders) { this.tooLarge(out, 'http_too_many_headers'); return; }
    this.headerLine(s, e);
  }

  /** The start line is [0, e) of the head buffer. */
  private startLine(e: number): void {
    const rec = this.parseStartLine(this.head, e);
    if (rec === null) { this.reject(); return; }
    if (this.role !== null && this.role !== rec.kind) {
      this.note('http_direction_mismatch');
      this.stop('malformed');
      return;
    }
    this.role = rec.kind;
    this.startLineDone = true;
    this.cur = { rec, clValues: [], clBad: false, te: [], hosts: 0, upgrade: false };
  }

  private parseStartLine(b: Uint8Array, e: number): HttpRecord | null {
    // Object literals written out in full (not spread from a shared part): V8 keeps them in fast mode.
    // Status line: HTTP/1.x SP 3DIGIT [SP reason]
    if (e >= 12 && statusPrefix(b, 12) === 1) {
      if (e > 12 && b[12] !== SP) return null;
      for (let i = 13; i < e; i++) { const c = b[i]!; if ((c < SP && c !== HT) || c === 0x7f) return null; }
      const status = (b[9]! - 0x30) * 100 + (b[10]! - 0x30) * 10 + (b[11]! - 0x30);
      const rec: HttpResponseRecord = {
        version: `1.${String.fromCharCode(b[7]!)}`, contentType: null, contentLength: null, chunked: false, body: 'none',
        headerCount: 0, headBytes: 0, streamOffset: this.headStart, complete: true, anomalies: [],
        kind: 'response', status, reason: e > 13 ? text(b, 13, e, this.maxValue).value : '', server: null,
      };
      return rec;
    }
    // Request line: METHOD SP request-target SP HTTP/1.x
    let m = 0;
    while (m < e && b[m] !== SP) m++;
    if (m === e || !methodOk(b, 0, m)) return null;
    if (e - m < 10) return null;
    const v = e - 8; // "HTTP/1.x"
    if (b[v - 1] !== SP || v - 1 <= m + 1) return null;
    const VERSION = 'HTTP/1.';
    for (let i = 0; i < 7; i++) if (b[v + i] !== VERSION.charCodeAt(i)) return null;
    if (!isDigit(b[v + 7]!)) return null;
    const ts = m + 1, te = v - 1;
    for (let i = ts; i < te; i++) { const c = b[i]!; if (c <= SP || c === 0x7f) return null; }
    const path = text(b, ts, te, this.maxPath);
    const rec: HttpRequestRecord = {
      version: `1.${String.fromCharCode(b[v + 7]!)}`, contentType: null, contentLength: null, chunked: false, body: 'none',
      headerCount: 0, headBytes: 0, streamOffset: this.headStart, complete: true, anomalies: [],
      kind: 'request', method: latin1(b, 0, m), path: path.value,
      pathTruncated: path.cut, host: null, port: null, userAgent: null,
    };
    return rec;
  }

  /** A header line [s, e) (no CRLF) of the current head. */
  private headerLine(s: number, e: number): void {
    const b = this.head;
    const cur = this.cur!;
    if (b[s] === SP || b[s] === HT) { this.flagRec('http_obs_fold'); return; }
    let colon = s;
    while (colon < e && b[colon] !== COLON) colon++;
    if (colon === e || colon === s) { this.flagRec('http_bad_header_line'); return; }
    if (b[colon - 1] === SP || b[colon - 1] === HT) { this.flagRec('http_space_before_colon'); return; }
    for (let i = s; i < colon; i++) if (!isTchar(b[i]!)) { this.flagRec('http_bad_header_line'); return; }
    let vs = colon + 1, ve = e;
    while (vs < ve && (b[vs] === SP || b[vs] === HT)) vs++;
    while (ve > vs && (b[ve - 1] === SP || b[ve - 1] === HT)) ve--;
    const nlen = colon - s;
    const rec = cur.rec;
    if (nlen === 4 && nameIs(b, s, 4, 'host')) {
      if (++cur.hosts > 1) { this.flagRec('http_multiple_host'); return; }
      if (rec.kind === 'request') {
        const h = splitHost(text(b, vs, ve, this.maxValue).value.toLowerCase());
        if (h.bad) this.flagRec('http_bad_host_port');
        rec.host = h.host;
        rec.port = h.port;
      }
    } else if (nlen === 10 && nameIs(b, s, 10, 'user-agent')) {
      if (rec.kind === 'request' && rec.userAgent === null) rec.userAgent = text(b, vs, ve, this.maxValue).value;
    } else if (nlen === 6 && nameIs(b, s, 6, 'server')) {
      if (rec.kind === 'response' && rec.server === null) rec.server = text(b, vs, ve, this.maxValue).value;
    } else if (nlen === 12 && nameIs(b, s, 12, 'content-type')) {
      if (rec.contentType === null) rec.contentType = text(b, vs, ve, this.maxValue).value;
    } else if (nlen === 14 && nameIs(b, s, 14, 'content-length')) {
      // A list of identical values is allowed (RFC 9110 8.6).
      for (const part of latin1(b, vs, ve).split(',')) {
        const t = part.trim();
        if (!/^[0-9]{1,15}$/.test(t)) cur.clBad = true;
        else cur.clValues.push(Number(t));
      }
    } else if (nlen === 17 && nameIs(b, s, 17, 'transfer-encoding')) {
      for (const part of latin1(b, vs, ve).toLowerCase().split(',')) {
        const t = part.trim();
        if (t !== '') cur.te.push(t);
      }
    } else if (nlen === 7 && nameIs(b, s, 7, 'upgrade')) {
      cur.upgrade = true;
    }
  }

  /** The blank line ending the head arrived. */
  private finishHead(out: HttpRecord[]): void {
    const cur = this.cur!;
    const rec = cur.rec;
    let body: HttpBody = 'none';
    let stopAfter: HttpStopReason | null = null;
    let length = 0;
    // Framing, RFC 9112 6.3.
    const chunked = cur.te.length > 0 && cur.te[cur.te.length - 1] === 'chunked';
    rec.chunked = chunked;
    const clSame = cur.clValues.length > 0 && cur.clValues.every((x) => x === cur.clValues[0]);
    if (cur.clValues.length > 0 && !cur.clBad && clSame) rec.contentLength = cur.clValues[0]!;
    if (cur.te.length > 0 && (cur.clValues.length > 0 || cur.clBad)) this.flagRec('http_te_and_cl');
    let framing: 'te' | 'cl' | 'none' | 'bad' = 'none';
    if (cur.te.length > 0) framing = 'te';
    else if (cur.clBad) { this.flagRec('http_bad_content_length'); framing = 'bad'; }
    else if (cur.clValues.length > 0) {
      if (!clSame) { this.flagRec('http_conflicting_content_length'); framing = 'bad'; }
      else framing = 'cl';
    }

    if (rec.kind === 'request') {
      if (framing === 'te') {
        if (chunked) body = 'chunked';
        else { this.flagRec('http_bad_transfer_encoding'); stopAfter = 'malformed'; }
      } else if (framing === 'cl') {
        length = rec.contentLength!;
        body = length > 0 ? 'length' : 'none';
      } else if (framing === 'bad') {
        stopAfter = 'malformed';
      }
      if (rec.method === 'CONNECT') stopAfter = 'tunnel';
      if (cur.upgrade) this.upgradeAsked = true;
    } else {
      const status = rec.status;
      const informational = status >= 100 && status < 200;
      const method = informational ? undefined : this.methods.shift();
      if (status === 101) stopAfter = 'upgrade';
      else if (informational || status === 204 || status === 304 || method === 'HEAD') body = 'none';
      else if (method === 'CONNECT' && status >= 200 && status < 300) stopAfter = 'tunnel';
      else if (framing === 'te') {
        if (chunked) body = 'chunked';
        else { body = 'until_close'; stopAfter = 'until_close'; }
      } else if (framing === 'cl') {
        length = rec.contentLength!;
        body = length > 0 ? 'length' : 'none';
      } else if (framing === 'bad') {
        stopAfter = 'malformed';
      } else {
        body = 'until_close';
        stopAfter = 'until_close';
      }
    }
    rec.body = body;
    this.emit(out, true);
    if (stopAfter !== null) { this.stop(stopAfter); return; }
    if (body === 'length') { this.st = S_BODY; this.remaining = length; }
    else if (body === 'chunked') this.startChunkSize();
  }

  /** Hands the current record out and resets the head state. */
  private emit(out: HttpRecord[], complete: boolean): void {
    const cur = this.cur;
    if (cur !== null) {
      const rec = cur.rec;
      if (this.bareLf) this.flagRec('http_bare_lf');
      if (rec.kind === 'request' && rec.host === null) {
        // No Host header: an absolute-form target (RFC 9112 3.2.2) still names the server.
        const abs = /^[a-z][a-z0-9+.-]*:\/\/(?:[^@/?#]*@)?([^/?#]+)/i.exec(rec.path);
        if (abs !== null) {
          const h = splitHost(abs[1]!.toLowerCase());
          rec.host = h.host;
          rec.port = h.port;
        }
      }
      rec.complete = complete;
      rec.headerCount = Math.min(this.headerLines, this.maxHeaders);
      rec.headBytes = this.have;
      out.push(rec);
      this.records++;
    }
    this.resetHead();
  }

  private resetHead(): void {
    this.have = 0;
    this.lineStart = 0;
    this.startLineDone = false;
    this.headerLines = 0;
    this.bareLf = false;
    this.cur = null;
    if (this.head.length > 4096) this.head = NO_HEAD; // do not keep a large buffer between heads
  }

  /** Bytes that cannot start a head. */
  private reject(): void {
    if (this.records === 0 && this.role === null) this.stop('not_http');
    else if (this.upgradeAsked) this.stop('upgrade');
    else { this.note('http_bad_start_line'); this.stop('malformed'); }
  }

  private tooLarge(out: HttpRecord[], why: HttpAnomaly): void {
    this.note(why);
    if (this.startLineDone && this.cur !== null) {
      this.flagRec(why);
      this.emit(out, false);
    } else if (this.records === 0 && this.role === null) {
      // A long first line with no start line: not HTTP.
      this.stop('not_http');
      return;
    }
    this.stop('too_large');
  }

  // ---------------------------------------------------------------- chunked bodies

  private startChunkSize(): void {
    this.st = S_CHUNK_SIZE;
    this.chunkSize = 0;
    this.chunkDigits = 0;
    this.lineBytes = 0;
  }

  /** One byte of a chunk-size line, chunk end or trailer section. */
  private chunkByte(c: number): void {
    switch (this.st) {
      case S_CHUNK_SIZE: {
        const h = hexVal(c);
        if (h >= 0) {
          if (++this.chunkDigits > MAX_CHUNK_DIGITS) return this.badChunk();
          this.chunkSize = this.chunkSize * 16 + h;
          return;
        }
        if (this.chunkDigits === 0) return this.badChunk();
        if (c === 0x3b || c === SP || c === HT) { this.st = S_CHUNK_EXT; this.lineBytes = 0; return; }
        if (c === CR) { this.st = S_CHUNK_SIZE_LF; return; }
        if (c === LF) return this.chunkSizeDone();
        return this.badChunk();
      }
      case S_CHUNK_EXT:
        if (c === LF) return this.chunkSizeDone();
        if (++this.lineBytes > MAX_CHUNK_LINE) return this.badChunk();
        return;
      case S_CHUNK_SIZE_LF:
        if (c === LF) return this.chunkSizeDone();
        return this.badChunk();
      case S_CHUNK_DATA_CR:
        if (c === CR) { this.st = S_CHUNK_DATA_LF; return; }
        if (c === LF) return this.startChunkSize();
        return this.badChunk();
      case S_CHUNK_DATA_LF:
        if (c === LF) return this.startChunkSize();
        return this.badChunk();
      case S_TRAILER_LINE_START:
        if (c === CR) { this.st = S_TRAILER_END_LF; return; }
        if (c === LF) { this.st = S_HEAD; return; }
        this.st = S_TRAILER_LINE;
        return this.trailerByte();
      case S_TRAILER_LINE:
        if (c === LF) { this.st = S_TRAILER_LINE_START; return; }
        return this.trailerByte();
      case S_TRAILER_END_LF:
        if (c === LF) { this.st = S_HEAD; return; }
        return this.badChunk();
      default:
        return;
    }
  }

  private chunkSizeDone(): void {
    if (this.chunkSize === 0) {
      this.st = S_TRAILER_LINE_START;
      this.lineBytes = 0;
      return;
    }
    this.st = S_CHUNK_DATA;
    this.remaining = this.chunkSize;
  }

  private trailerByte(): void {
    if (++this.lineBytes > this.maxHead) this.badChunk();
  }

  private badChunk(): void {
    this.note('http_bad_chunk');
    this.stop('malformed');
  }

  // ---------------------------------------------------------------- bookkeeping

  private stop(why: HttpStopReason): void {
    this.st = S_STOPPED;
    this.stopped = why;
    giveHead(this.head);
    this.head = NO_HEAD;
    this.have = 0;
    this.cur = null;
  }

  private note(a: HttpAnomaly): void {
    if (!this.anomalies.includes(a)) this.anomalies.push(a);
  }

  /** An anomaly of the head being read: on its record and on the stream. */
  private flagRec(a: HttpAnomaly): void {
    this.note(a);
    const list = this.cur?.rec.anomalies;
    if (list !== undefined && !list.includes(a)) list.push(a);
  }
}

/**
 * Both directions of one connection: requests seen in one direction tell the other which
 * responses have no body (HEAD) or start a tunnel (CONNECT). Directions are 0 and 1, either way
 * round.
 */
export class HttpConnection {
  readonly streams: readonly [HttpStream, HttpStream];

  constructor(opts: HttpStreamOptions = {}) {
    this.streams = [new HttpStream(opts), new HttpStream(opts)];
  }

  push(dir: 0 | 1, chunk: Uint8Array, off = 0, len = chunk.length - off): HttpRecord[] {
    return this.tell(dir, this.streams[dir].push(chunk, off, len));
  }

  gap(dir: 0 | 1, n: number): void {
    this.streams[dir].gap(n);
  }

  end(dir: 0 | 1): HttpRecord[] {
    return this.tell(dir, this.streams[dir].end());
  }

  private tell(dir: 0 | 1, recs: HttpRecord[]): HttpRecord[] {
    const other = this.streams[dir === 0 ? 1 : 0];
    for (const r of recs) if (r.kind === 'request' && r.complete) other.expectResponseTo(r.method);
    return recs;
  }
}
