/** ClientHello / ServerHello as the tls and quic tables hold them, fingerprints included. */
import { ja3, ja3s } from './ja3.js';
import { ja4All, type Ja4Transport } from './ja4.js';
import { parseClientHello, parseServerHello, type TlsAnomaly } from './tls.js';
import type { TlsHelloFields, TlsServerFields } from './records.js';

export function clientFields(body: Uint8Array, truncated: boolean, transport: Ja4Transport, notes: TlsAnomaly[]): TlsHelloFields | null {
  const ch = parseClientHello(body, 0, body.length, { truncated, notes });
  if (ch === null) return null;
  const cut = truncated || ch.truncated;
  const j3 = cut ? null : ja3(ch);
  const j4 = cut ? null : ja4All(ch, transport);
  return {
    legacyVersion: ch.legacyVersion, maxVersion: ch.maxVersion, supportedVersions: ch.supportedVersions,
    sni: ch.sni, alpn: ch.alpn, cipherSuites: ch.cipherSuites, extensions: ch.extensionTypes,
    groups: ch.supportedGroups, sigAlgs: ch.signatureAlgorithms, ech: ch.ech, sessionIdLength: ch.sessionIdLength,
    ja3: j3?.raw ?? null, ja3Hash: j3?.hash ?? null, ja4: j4?.ja4 ?? null, ja4r: j4?.ja4_r ?? null, truncated: cut,
  };
}

export function serverFields(body: Uint8Array, truncated: boolean, notes: TlsAnomaly[]): TlsServerFields | null {
  const sh = parseServerHello(body, 0, body.length, { truncated, notes });
  if (sh === null) return null;
  // Like JA3 for a cut ClientHello: a fingerprint of a cut ServerHello would describe another hello.
  return { version: sh.version, cipher: sh.cipherSuite, alpn: sh.alpn, ja3s: sh.truncated ? null : ja3s(sh).hash };
}
