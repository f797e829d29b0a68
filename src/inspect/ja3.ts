/**
 * JA3 / JA3S TLS fingerprints (salesforce/ja3 description): the decimal values of
 *   ClientHello: SSLVersion,Ciphers,Extensions,EllipticCurves,EllipticCurvePointFormats
 *   ServerHello: SSLVersion,Cipher,Extensions
 * with '-' between the values of a field and ',' between fields (an absent field stays empty),
 * GREASE values (RFC 8701) left out, then MD5 of that string as lowercase hex.
 */
import { HashMemo } from './hash-memo.js';
import { isGrease, type ClientHello, type ServerHello } from './tls.js';

export interface Ja3 {
  /** The string that is hashed. */
  raw: string;
  /** MD5 of `raw`, lowercase hex. */
  hash: string;
}

const join = (vals: readonly number[]): string => vals.filter((v) => !isGrease(v)).join('-');

const MD5 = new HashMemo('md5');

function md5(s: string): string {
  return MD5.hex(s);
}

/** JA3 of a ClientHello (SSLVersion is legacy_version). */
export function ja3(ch: ClientHello): Ja3 {
  const raw = [
    String(ch.legacyVersion),
    join(ch.cipherSuites),
    join(ch.extensionTypes),
    join(ch.supportedGroups),
    ch.ecPointFormats.join('-'),
  ].join(',');
  return { raw, hash: md5(raw) };
}

/** JA3S of a ServerHello (SSLVersion is legacy_version, as in the original). */
export function ja3s(sh: ServerHello): Ja3 {
  const raw = [String(sh.legacyVersion), String(sh.cipherSuite), join(sh.extensionTypes)].join(',');
  return { raw, hash: md5(raw) };
}
