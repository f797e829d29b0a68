/**
 * What a cleartext certificate (TLS <= 1.2 Certificate message) tells an observer, read with
 * node:crypto's X509Certificate. Never throws: a DER blob that does not parse gives null.
 */
import { X509Certificate, createHash } from 'node:crypto';

export interface CertInfo {
  /** Subject in RFC 2253 order (most specific first, comma separated), e.g. "CN=example.com,O=Org,C=US". */
  subject: string;
  /** Issuer, same form. */
  issuer: string;
  /** The subject's (last) commonName, null without one. */
  commonName: string | null;
  /** subjectAltName dNSName entries in order. */
  sanDns: string[];
  /** subjectAltName iPAddress entries in order (text form). */
  sanIp: string[];
  /** notBefore / notAfter as given by the certificate ("Apr  9 12:05:08 2014 GMT"). */
  notBefore: string;
  notAfter: string;
  /** The same as seconds since the epoch (null if the text did not parse). */
  notBeforeSec: number | null;
  notAfterSec: number | null;
  /** Public key type as node names it: 'rsa', 'rsa-pss', 'ec', 'ed25519', 'ed448', 'dsa', ...; null if unreadable. */
  keyType: string | null;
  /** Key size in bits: RSA/DSA modulus length, EC curve size, 256 for Ed25519 / X25519, 456 for Ed448, 448 for X448. */
  keyBits: number | null;
  /** EC named curve (OpenSSL name, e.g. 'prime256v1', 'secp384r1'). */
  curve: string | null;
  /** RSA public exponent (decimal). */
  exponent: string | null;
  /** Serial number, uppercase hex as node gives it. */
  serial: string;
  /** basicConstraints CA flag. */
  ca: boolean;
  /** Subject equals issuer. */
  selfIssued: boolean;
  /** SHA-256 of the DER, lowercase hex (the fingerprint Zeek's x509.log shows). */
  sha256: string;
}

/** Bits of the EC curves a public certificate may use (OpenSSL names). */
const CURVE_BITS: Record<string, number> = {
  prime256v1: 256, secp256r1: 256, secp384r1: 384, secp521r1: 521, secp224r1: 224, prime192v1: 192,
  secp256k1: 256, brainpoolP256r1: 256, brainpoolP384r1: 384, brainpoolP512r1: 512,
  SM2: 256,
};

const FIXED_KEY_BITS: Record<string, number> = { ed25519: 256, x25519: 256, ed448: 456, x448: 448 };

/**
 * Node prints a name one attribute per line ("C=US\nO=Org\nCN=host"), in certificate order,
 * values already escaped the RFC 2253 way. RFC 2253 string order is the reverse.
 */
function rfc2253(nodeName: string): string {
  return nodeName.split('\n').filter((l) => l !== '').reverse().join(',');
}

/** Unescapes an RFC 2253 value (\, \+ \" \\ \< \> \; \# \= and \XX hex pairs). */
function unescapeValue(v: string): string {
  let out = '';
  for (let i = 0; i < v.length; i++) {
    const c = v[i];
    if (c !== '\\' || i + 1 >= v.length) { out += c; continue; }
    const h = v.slice(i + 1, i + 3);
    if (/^[0-9a-fA-F]{2}$/.test(h)) { out += String.fromCharCode(parseInt(h, 16)); i += 2; continue; }
    out += v[i + 1];
    i++;
  }
  return out;
}

function commonNameOf(nodeName: string): string | null {
  let cn: string | null = null;
  for (const line of nodeName.split('\n')) {
    if (line.startsWith('CN=')) cn = unescapeValue(line.slice(3));
  }
  return cn;
}

/**
 * Splits node's subjectAltName text: "DNS:a, DNS:\"b\\u002cc\", IP Address:10.0.0.1".
 * Entries are ", " separated; a value with special characters is JSON-quoted.
 */
export function parseSubjectAltName(text: string | undefined): { kind: string; value: string }[] {
  const out: { kind: string; value: string }[] = [];
  if (text === undefined || text === '') return out;
  let i = 0;
  let guard = 0;
  while (i < text.length && guard++ < 10000) {
    const colon = text.indexOf(':', i);
    if (colon < 0) break;
    const kind = text.slice(i, colon);
    let j = colon + 1;
    let value: string;
    if (text[j] === '"') {
      let k = j + 1;
      while (k < text.length && text[k] !== '"') k += text[k] === '\\' ? 2 : 1;
      try { value = JSON.parse(text.slice(j, k + 1)) as string; } catch { value = text.slice(j + 1, k); }
      j = k + 1;
    } else {
      const comma = text.indexOf(', ', j);
      const stop = comma < 0 ? text.length : comma;
      value = text.slice(j, stop);
      j = stop;
    }
    out.push({ kind, value });
    if (text.startsWith(', ', j)) j += 2;
    else if (j < text.length) { j = text.indexOf(', ', j); if (j < 0) break; j += 2; }
    i = j;
  }
  return out;
}

function dateSec(s: string): number | null {
  const t = Date.parse(s);
  return Number.isFinite(t) ? Math.floor(t / 1000) : null;
}

/** Describes one DER certificate; null if node cannot parse it. */
export function describeCert(der: Uint8Array): CertInfo | null {
  if (!(der instanceof Uint8Array) || der.length === 0) return null;
  let x: X509Certificate;
  try {
    x = new X509Certificate(der);
  } catch {
    return null;
  }
  try {
    const sans = parseSubjectAltName(x.subjectAltName);
    let keyType: string | null = null;
    let keyBits: number | null = null;
    let curve: string | null = null;
    let exponent: string | null = null;
    try {
      const k = x.publicKey;
      keyType = k.asymmetricKeyType ?? null;
      const d = k.asymmetricKeyDetails ?? {};
      if (typeof d.modulusLength === 'number') keyBits = d.modulusLength;
      if (typeof d.namedCurve === 'string') {
        curve = d.namedCurve;
        keyBits = CURVE_BITS[curve] ?? null;
      }
      if (typeof d.publicExponent === 'bigint') exponent = d.publicExponent.toString();
      if (keyBits === null && keyType !== null) keyBits = FIXED_KEY_BITS[keyType] ?? null;
    } catch {
      // An algorithm node cannot load (e.g. GOST): leave the key fields null.
    }
    const subject = rfc2253(x.subject);
    const issuer = rfc2253(x.issuer);
    return {
      subject,
      issuer,
      commonName: commonNameOf(x.subject),
      sanDns: sans.filter((s) => s.kind === 'DNS').map((s) => s.value),
      sanIp: sans.filter((s) => s.kind === 'IP Address').map((s) => s.value),
      notBefore: x.validFrom,
      notAfter: x.validTo,
      notBeforeSec: dateSec(x.validFrom),
      notAfterSec: dateSec(x.validTo),
      keyType,
      keyBits,
      curve,
      exponent,
      serial: x.serialNumber,
      ca: x.ca,
      selfIssued: x.subject === x.issuer,
      sha256: createHash('sha256').update(der).digest('hex'),
    };
  } catch {
    return null;
  }
}
