/**
 * Prefix-to-origin-AS tables, read as a stream (plain or gzip, told apart by the magic bytes).
 *
 * Two text forms, detected from the first data line:
 *   - CAIDA RouteViews pfx2as: `prefix<TAB>length<TAB>asns`. Multi-origin prefixes join the
 *     origins with `_`, an AS set joins its members with `,`, and the two combine
 *     (`47794_47794,48695` is origin 47794 and the set {47794, 48695}).
 *   - pyasn IPASN-DAT: `prefix/length<TAB>asn`, with `;` comment lines.
 * Blank lines and lines starting `;` or `#` are skipped in both; fields may also be separated by
 * spaces when a line has no tab.
 * IPv4 and IPv6 prefixes may share a file. A line that cannot be used (wrong field count, an
 * address that is not one, a length over 32 / 128, an ASN that is not a u32 decimal) is an
 * anomaly recorded with its line number, never an exception. A prefix with bits set past its
 * length is kept (the bits are ignored by the tables) and also noted as a 'host-bits' anomaly.
 */
import { createReadStream } from 'node:fs';
import { Readable, pipeline } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { createGunzip } from 'node:zlib';
import { Lpm4, Lpm6, parseIpv4, parseIpv6, type LpmOptions } from './lpm.js';

export type Pfx2asFormat = 'pfx2as' | 'ipasn';

export interface Pfx2asEntry {
  /** 1-based line number. */
  line: number;
  family: 4 | 6;
  /** The prefix address as written. */
  prefix: string;
  length: number;
  /** One entry per origin (`_`-separated); an AS set (`a,b`) is one entry with several members. */
  origins: number[][];
  /** The address: for IPv4 one u32 word; for IPv6 four big-endian words. Fresh per entry. */
  words: Uint32Array;
}

export type Pfx2asAnomalyKind = 'bad-fields' | 'bad-prefix' | 'bad-length' | 'bad-asn' | 'host-bits' | 'mixed-format';

export interface Pfx2asAnomaly {
  line: number;
  kind: Pfx2asAnomalyKind;
  /** The line as read (cut at 200 characters). */
  text: string;
}

export interface Pfx2asSummary {
  /** Form of the first data line; null for a file without one. */
  format: Pfx2asFormat | null;
  gzip: boolean;
  lines: number;
  /** Entries handed to the callback (host-bits lines included). */
  entries: number;
  v4: number;
  v6: number;
  /** `;` comment lines and blank lines. */
  skipped: number;
  /** Every anomaly counted... */
  anomalyCount: number;
  /** ...and the first `maxAnomalies` of them kept. */
  anomalies: Pfx2asAnomaly[];
}

export interface Pfx2asReadOptions {
  /** Anomalies kept in the summary (all are counted). Default 1000. */
  maxAnomalies?: number;
}

/** Decimal u32 of s[from, to), or -1 (empty, not all digits, over 10 digits or 2^32 - 1). */
function parseUint(s: string, from: number, to: number): number {
  if (to <= from || to - from > 10) return -1;
  let v = 0;
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i) - 0x30;
    if (c < 0 || c > 9) return -1;
    v = v * 10 + c;
  }
  return v <= 0xffffffff ? v : -1;
}

/** The origin field: `_` between origins, `,` between AS-set members. Null when malformed. */
export function parseOrigins(field: string): number[][] | null {
  const out: number[][] = [];
  let set: number[] = [];
  let from = 0;
  for (let i = 0; i <= field.length; i++) {
    const c = i < field.length ? field.charCodeAt(i) : 0x5f;
    if (c !== 0x5f && c !== 0x2c) continue; // '_' or ','
    const asn = parseUint(field, from, i);
    if (asn < 0) return null;
    set.push(asn);
    if (c === 0x5f) { out.push(set); set = []; }
    from = i + 1;
  }
  return out;
}

/** Canonical text of parsed origins (the pfx2as origin syntax), for interning. */
export function originsKey(origins: readonly (readonly number[])[]): string {
  return origins.map((s) => s.join(',')).join('_');
}

/** Which form a data line has: IPASN-DAT when its first field holds a '/'. */
export function detectFormat(line: string): Pfx2asFormat {
  const tab = line.search(/\s/);
  const first = tab < 0 ? line : line.slice(0, tab);
  return first.includes('/') ? 'ipasn' : 'pfx2as';
}

function hasHostBits4(a: number, len: number): boolean {
  return len < 32 && ((a << len) | 0) !== 0;
}

function hasHostBits6(words: Uint32Array, len: number): boolean {
  for (let k = 0; k < 4; k++) {
    const c = len - 32 * k;
    const m = c <= 0 ? 0 : c >= 32 ? 0xffffffff : (0xffffffff << (32 - c)) >>> 0;
    if (((words[k]! & ~m) >>> 0) !== 0) return true;
  }
  return false;
}

/**
 * Parses one data line (not a comment or blank) of the given form. Returns the entry, or the
 * kind of anomaly that keeps the line out. A host-bits line is returned as an entry; the caller
 * checks `hostBits` to note it.
 */
export function parsePfx2asLine(text: string, line: number, format: Pfx2asFormat): { entry: Pfx2asEntry; hostBits: boolean } | Pfx2asAnomalyKind {
  let f = text.split('\t');
  if (f.length === 1) f = text.trim().split(/\s+/);
  let prefix: string, lenText: string, asns: string;
  if (format === 'pfx2as') {
    if (f.length !== 3) return f.length === 2 && f[0]!.includes('/') ? 'mixed-format' : 'bad-fields';
    prefix = f[0]!.trim(); lenText = f[1]!.trim(); asns = f[2]!.trim();
    if (prefix.includes('/')) return 'mixed-format';
  } else {
    if (f.length !== 2) return f.length === 3 && !f[0]!.includes('/') ? 'mixed-format' : 'bad-fields';
    const slash = f[0]!.indexOf('/');
    if (slash < 0) return 'mixed-format';
    prefix = f[0]!.slice(0, slash).trim(); lenText = f[0]!.slice(slash + 1).trim(); asns = f[1]!.trim();
  }
  const v4 = parseIpv4(prefix);
  const v6 = v4 >= 0 ? null : parseIpv6(prefix);
  if (v4 < 0 && v6 === null) return 'bad-prefix';
  const family = v4 >= 0 ? 4 : 6;
  const length = lenText.length <= 3 ? parseUint(lenText, 0, lenText.length) : -1;
  if (length < 0 || length > (family === 4 ? 32 : 128)) return 'bad-length';
  const origins = parseOrigins(asns);
  if (origins === null) return 'bad-asn';
  const hostBits = v6 === null ? hasHostBits4(v4, length) : hasHostBits6(v6, length);
  return { entry: { line, family, prefix, length, origins, words: v6 ?? Uint32Array.of(v4) }, hostBits };
}

/** A path, a whole file's bytes, or a byte stream. */
export type Pfx2asSource = string | Uint8Array | AsyncIterable<Uint8Array>;

async function* bytesOf(source: Pfx2asSource): AsyncGenerator<Uint8Array> {
  if (typeof source === 'string') yield* createReadStream(source);
  else if (source instanceof Uint8Array) yield source;
  else yield* source;
}

/**
 * Reads a table, calling `onEntry` for each usable line in file order. Resolves to the summary
 * (format, counts, anomalies with line numbers). Throws only for I/O errors (including a
 * corrupt gzip stream).
 */
export async function readPfx2as(source: Pfx2asSource, onEntry: (e: Pfx2asEntry) => void, opts: Pfx2asReadOptions = {}): Promise<Pfx2asSummary> {
  const maxAnomalies = opts.maxAnomalies ?? 1000;
  const sum: Pfx2asSummary = { format: null, gzip: false, lines: 0, entries: 0, v4: 0, v6: 0, skipped: 0, anomalyCount: 0, anomalies: [] };
  const note = (line: number, kind: Pfx2asAnomalyKind, text: string): void => {
    sum.anomalyCount++;
    if (sum.anomalies.length < maxAnomalies) sum.anomalies.push({ line, kind, text: text.slice(0, 200) });
  };

  // Peek at the first bytes (at least two, unless the input is shorter) for the gzip magic.
  const raw = bytesOf(source)[Symbol.asyncIterator]();
  const head: Uint8Array[] = [];
  let headLen = 0, ended = false;
  while (headLen < 2) {
    const r = await raw.next();
    if (r.done) { ended = true; break; }
    head.push(r.value);
    headLen += r.value.length;
  }
  const first = head.length === 1 ? head[0]! : Buffer.concat(head);
  sum.gzip = first.length >= 2 && first[0] === 0x1f && first[1] === 0x8b;
  async function* whole(): AsyncGenerator<Uint8Array> {
    if (first.length > 0) yield first;
    if (ended) return;
    for (;;) {
      const r = await raw.next();
      if (r.done) return;
      yield r.value;
    }
  }
  let bytes: AsyncIterable<Uint8Array> = whole();
  if (sum.gzip) {
    const gunzip = createGunzip();
    // pipeline, not pipe: a read error on the source then fails the loop below too.
    pipeline(Readable.from(bytes, { objectMode: false }), gunzip, () => {});
    bytes = gunzip;
  }

  const handle = (text: string): void => {
    const lineNo = ++sum.lines;
    if (text.endsWith('\r')) text = text.slice(0, -1);
    if (text.trim() === '' || text.startsWith(';') || text.startsWith('#')) { sum.skipped++; return; }
    if (sum.format === null) sum.format = detectFormat(text);
    const r = parsePfx2asLine(text, lineNo, sum.format);
    if (typeof r === 'string') { note(lineNo, r, text); return; }
    if (r.hostBits) note(lineNo, 'host-bits', text);
    sum.entries++;
    if (r.entry.family === 4) sum.v4++; else sum.v6++;
    onEntry(r.entry);
  };

  const dec = new StringDecoder('utf8');
  let rest = '';
  for await (const chunk of bytes) {
    const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    const s = rest + dec.write(buf);
    let at = 0;
    for (let nl = s.indexOf('\n'); nl >= 0; nl = s.indexOf('\n', at)) {
      handle(s.slice(at, nl));
      at = nl + 1;
    }
    rest = s.slice(at);
  }
  rest += dec.end();
  if (rest.length > 0) handle(rest);
  return sum;
}

/** Tables built from a pfx2as / IPASN-DAT file: LPM values index `originSets`. */
export interface OriginTables {
  v4: Lpm4;
  v6: Lpm6;
  /** Distinct origin sets, interned by originsKey; an LPM value is an index here. */
  originSets: number[][][];
  summary: Pfx2asSummary;
}

/**
 * Reads a table into an Lpm4 and an Lpm6 (built, prefixes still staged). Values are indexes into
 * `originSets`, each distinct origin field interned once. A prefix listed twice keeps its last line.
 */
export async function loadOriginTables(source: Pfx2asSource, opts: Pfx2asReadOptions & { v4?: LpmOptions; v6?: LpmOptions } = {}): Promise<OriginTables> {
  const v4 = new Lpm4(opts.v4);
  const v6 = new Lpm6(opts.v6);
  const originSets: number[][][] = [];
  const ids = new Map<string, number>();
  const summary = await readPfx2as(source, (e) => {
    const key = originsKey(e.origins);
    let id = ids.get(key);
    if (id === undefined) { id = originSets.length; originSets.push(e.origins); ids.set(key, id); }
    if (e.family === 4) v4.insert(e.words[0]!, e.length, id);
    else v6.insert(e.words, e.length, id);
  }, opts);
  v4.build();
  v6.build();
  return { v4, v6, originSets, summary };
}
