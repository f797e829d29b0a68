import { type DnsAnomaly, noteAnomaly } from './dns-anomaly.js';

/**
 * Domain names in wire form (RFC 1035 3.1, 4.1.4) to text, with message compression.
 *
 * A pointer must go to a prior occurrence of a name (RFC 1035 4.1.4). The reader holds a stricter
 * form of that rule which is what makes it always end: every pointer must point before the first
 * byte of the run of labels it ends (the start of the name, or the target of the previous pointer).
 * Targets then strictly decrease, so a walk takes at most as many hops as the message has bytes,
 * and it is also capped at MAX_POINTER_HOPS. A pointer to itself or into its own labels is a loop,
 * one to a later byte is forward, one at or past the end is out of bounds; each is an anomaly and
 * gives a null name, never a hang. A well-formed name never breaks the rule: a pointer into its
 * own run would read that run again, forever.
 */

/** Longest name in wire form, the final zero octet included (RFC 1035 2.3.4). */
export const MAX_NAME_WIRE = 255;
/** A legal name has at most 127 labels, so more hops than that cannot be needed. */
export const MAX_POINTER_HOPS = 127;

/** Text of each label byte: ASCII letters lower-cased, '.' and '\' escaped, the rest as \DDD. */
const LABEL_CHAR: string[] = Array.from({ length: 256 }, (_, b) => {
  if (b >= 0x41 && b <= 0x5a) return String.fromCharCode(b + 0x20);
  if (b === 0x2e) return '\\.';
  if (b === 0x5c) return '\\\\';
  if (b > 0x20 && b < 0x7f) return String.fromCharCode(b);
  return '\\' + String(b).padStart(3, '0');
});

/**
 * The lower-cased byte of a label byte that stands for itself in the text (letters, digits, '-',
 * '_' and the other printable ASCII bytes but '.' and '\\'), 0 for one that LABEL_CHAR escapes.
 */
const PLAIN_BYTE = Uint8Array.from({ length: 256 }, (_, b) => (LABEL_CHAR[b].length === 1 ? LABEL_CHAR[b].charCodeAt(0) : 0));

/** The text of a name being read, as bytes while every byte is plain: one string at the end. */
const scratch = Buffer.alloc(MAX_NAME_WIRE);

export interface NameRead {
  /** The text, '.' for the root, null when the name could not be read. */
  name: string | null;
  /** Offset just past the name where it was written (past its first pointer if compressed); -1 when not known. */
  next: number;
  /** The part written in place ran past `end` (the bytes ran out, or the name overran its rdata). */
  cut: boolean;
}

/**
 * Reads the name at `pos` of message `m` (offsets relative to the message start). The part of the
 * name written in place must end before `end` (the message length, or the end of the rdata that
 * holds the name); labels reached through pointers may lie anywhere in `m` before the pointer.
 */
export function readName(m: Uint8Array, pos: number, end: number, an: DnsAnomaly[]): NameRead {
  let p = pos;
  let limit = end < m.length ? end : m.length;
  let runStart = pos;
  let next = -1;
  let hops = 0;
  let wire = 1; // the final zero octet
  // The text goes into `scratch` as bytes while every byte stands for itself (the usual case):
  // one string at the end instead of one per character. At the first byte that needs escaping
  // it continues as a string.
  let n = 0;
  let text: string | null = null;
  for (;;) {
    if (p >= limit) return ranOut(an, next, end, m.length);
    const len = m[p]!;
    if (len === 0) {
      if (next < 0) next = p + 1;
      if (text === null) text = n === 0 ? '' : scratch.toString('latin1', 0, n);
      return { name: text === '' ? '.' : text, next, cut: false };
    }
    const tag = len & 0xc0;
    if (tag === 0xc0) {
      if (p + 1 >= limit) return ranOut(an, next, end, m.length);
      const target = ((len & 0x3f) << 8) | m[p + 1]!;
      if (next < 0) next = p + 2;
      if (target >= m.length) { noteAnomaly(an, 'dns_pointer_out_of_bounds'); return { name: null, next, cut: false }; }
      if (target > p) { noteAnomaly(an, 'dns_pointer_forward'); return { name: null, next, cut: false }; }
      if (target >= runStart) { noteAnomaly(an, 'dns_pointer_loop'); return { name: null, next, cut: false }; }
      if (++hops > MAX_POINTER_HOPS) { noteAnomaly(an, 'dns_too_many_pointers'); return { name: null, next, cut: false }; }
      p = target;
      runStart = target;
      limit = m.length;
      continue;
    }
    if (tag !== 0) {
      noteAnomaly(an, 'dns_bad_label_type');
      // The in-place end is unknown after an unknown label type.
      return { name: null, next, cut: false };
    }
    wire += len + 1;
    if (wire > MAX_NAME_WIRE) {
      noteAnomaly(an, 'dns_name_too_long');
      if (next < 0) next = skipName(m, p, limit);
      return { name: null, next, cut: false };
    }
    if (p + 1 + len > limit) return ranOut(an, next, end, m.length);
    let i = p + 1;
    const e = p + 1 + len;
    if (text === null) {
      // wire <= 255 bounds the bytes written: labels plus one dot between each two.
      if (n > 0) scratch[n++] = 0x2e;
      for (; i < e; i++) {
        const c = PLAIN_BYTE[m[i]!];
        if (c === 0) break;
        scratch[n++] = c;
      }
      if (i < e) text = scratch.toString('latin1', 0, n);
    } else text += '.';
    if (text !== null) for (; i < e; i++) text += LABEL_CHAR[m[i]!];
    p = e;
  }
}

/** The bytes ended inside a name: past the rdata holding it (overrun) or past the message (truncated). */
function ranOut(an: DnsAnomaly[], next: number, end: number, msgLen: number): NameRead {
  if (next >= 0) {
    // Inside labels reached through a pointer: they lie before the pointer, so this is malformed, not cut.
    noteAnomaly(an, 'dns_name_truncated');
    return { name: null, next, cut: false };
  }
  noteAnomaly(an, end < msgLen ? 'dns_rdata_overrun' : 'dns_name_truncated');
  return { name: null, next, cut: true };
}

/**
 * Where a name written at `p` ends in place (past a terminal zero or its first pointer), -1 when
 * that is not within `limit`; reads no pointers, so it always ends.
 */
export function skipName(m: Uint8Array, p: number, limit: number): number {
  while (p < limit) {
    const len = m[p]!;
    if (len === 0) return p + 1;
    if ((len & 0xc0) === 0xc0) return p + 2 <= limit ? p + 2 : -1;
    if ((len & 0xc0) !== 0) return -1;
    p += 1 + len;
  }
  return -1;
}
