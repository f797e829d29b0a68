/**
 * JA4 TLS client fingerprint (FoxIO JA4 specification, technical_details/JA4.md): only the client
 * (ClientHello) fingerprint JA4 and its raw / original-order forms, nothing of the rest of JA4+.
 *
 *   a = transport (t TCP, q QUIC, d DTLS) + version (2 chars) + d|i (SNI extension present or not)
 *       + cipher count (2 digits) + extension count (2 digits) + first/last char of the first ALPN
 *   b = sha256 of the sorted cipher list (4-hex, comma separated), first 12 hex chars
 *   c = sha256 of the sorted extension list without SNI (0000) and ALPN (0010), then '_' and the
 *       signature algorithms in their original order (no '_' when there are none), first 12 chars
 * GREASE values are ignored everywhere; an empty list hashes to '000000000000'.
 * The version is ClientHello.maxVersion: the highest non-GREASE supported_versions value (for a
 * DTLS list the newest DTLS version, whose number is the lowest), else legacy_version.
 */
import { HashMemo } from './hash-memo.js';
import { EXT, hex16, isGrease, type ClientHello } from './tls.js';

export type Ja4Transport = 't' | 'q' | 'd';

export interface Ja4 {
  /** JA4: sorted lists, hashed. */
  ja4: string;
  /** JA4_r: sorted lists, unhashed. */
  ja4_r: string;
  /** JA4_o: original order (SNI and ALPN kept in the extension list), hashed. */
  ja4_o: string;
  /** JA4_ro: original order, unhashed. */
  ja4_ro: string;
}

const EMPTY_HASH = '000000000000';

const SHA256 = new HashMemo('sha256');

function sha12(s: string): string {
  return SHA256.hex(s).slice(0, 12);
}

/** Version characters from the 16-bit version number. */
export function ja4Version(v: number): string {
  switch (v) {
    case 0x0304: return '13';
    case 0x0303: return '12';
    case 0x0302: return '11';
    case 0x0301: return '10';
    case 0x0300: return 's3';
    case 0x0002: return 's2';
    case 0xfeff: return 'd1';
    case 0xfefd: return 'd2';
    case 0xfefc: return 'd3';
    default: return '00';
  }
}

const isAlnum = (c: number): boolean => (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);

/** First and last character of the first ALPN value ('00' without one); hex digits when either byte is not alphanumeric. */
export function ja4Alpn(first: Uint8Array | undefined): string {
  if (first === undefined || first.length === 0) return '00';
  const a = first[0];
  const z = first[first.length - 1];
  if (isAlnum(a) && isAlnum(z)) return String.fromCharCode(a) + String.fromCharCode(z);
  const hex = Buffer.from(first.buffer, first.byteOffset, first.byteLength).toString('hex');
  return hex[0] + hex[hex.length - 1];
}

const count2 = (n: number): string => String(Math.min(n, 99)).padStart(2, '0');

/** All four JA4 forms of a ClientHello. */
export function ja4All(ch: ClientHello, transport: Ja4Transport = 't'): Ja4 {
  const ciphers = ch.cipherSuites.filter((v) => !isGrease(v)).map(hex16);
  const exts = ch.extensionTypes.filter((v) => !isGrease(v));
  const sigs = ch.signatureAlgorithms.filter((v) => !isGrease(v)).map(hex16);
  const sni = exts.includes(EXT.SERVER_NAME) ? 'd' : 'i';
  const a = `${transport}${ja4Version(ch.maxVersion)}${sni}${count2(ciphers.length)}${count2(exts.length)}${ja4Alpn(ch.alpnRaw[0])}`;

  const sortedCiphers = [...ciphers].sort().join(',');
  const sortedExts = exts.filter((v) => v !== EXT.SERVER_NAME && v !== EXT.ALPN).map(hex16).sort().join(',');
  const origCiphers = ciphers.join(',');
  const origExts = exts.map(hex16).join(',');
  const sigPart = sigs.length > 0 ? `_${sigs.join(',')}` : '';

  const c = sortedExts === '' ? '' : sortedExts + sigPart;
  const co = origExts === '' ? '' : origExts + sigPart;
  const hashOr0 = (s: string): string => (s === '' ? EMPTY_HASH : sha12(s));
  return {
    ja4: `${a}_${hashOr0(sortedCiphers)}_${hashOr0(c)}`,
    ja4_r: `${a}_${sortedCiphers}_${sortedExts}${sigPart}`,
    ja4_o: `${a}_${hashOr0(origCiphers)}_${hashOr0(co)}`,
    ja4_ro: `${a}_${origCiphers}_${origExts}${sigPart}`,
  };
}

/** JA4 fingerprint, e.g. "t13d1516h2_8daaf6152771_e5627efa2ab1". */
export function ja4(ch: ClientHello, transport: Ja4Transport = 't'): string {
  return ja4All(ch, transport).ja4;
}

/** JA4_r: the unhashed form, for debugging. */
export function ja4Raw(ch: ClientHello, transport: Ja4Transport = 't'): string {
  return ja4All(ch, transport).ja4_r;
}
