/**
 * Initial packet protection of QUIC v1 (RFC 9001 §5) and v2 (RFC 9369 §3.3), with node:crypto.
 *
 *   initial_secret = HKDF-Extract(salt(version), client's first Destination Connection ID)
 *   client/server  = HKDF-Expand-Label(initial_secret, "client in" / "server in", "", 32)
 *   key, iv, hp    = HKDF-Expand-Label(secret, "<quic|quicv2> key|iv|hp", "", 16|12|16)
 *
 * HKDF-Extract(salt, ikm) is HMAC-SHA256 keyed with the salt; HKDF-Expand-Label is RFC 8446 §7.1
 * (HkdfLabel = uint16 length, opaque label<7..255> = "tls13 " + label, opaque context<0..255>).
 * Header protection is AES-128-ECB over a 16-byte sample; the payload is AES-128-GCM with nonce =
 * iv XOR the packet number (left-padded to 12 bytes) and the unprotected header as AAD.
 */
import { createCipheriv, createDecipheriv, createHmac, type Cipher } from 'node:crypto';

export const QUIC_V1 = 0x00000001;
export const QUIC_V2 = 0x6b3343cf;

/** What differs between the QUIC versions this module can open. */
export interface QuicVersionParams {
  readonly version: number;
  readonly salt: Uint8Array;
  readonly keyLabel: string;
  readonly ivLabel: string;
  readonly hpLabel: string;
  /** Long-header Type field values (RFC 9000 §17.2 for v1, RFC 9369 §3.2 for v2). */
  readonly initialType: number;
  readonly zeroRttType: number;
  readonly handshakeType: number;
  readonly retryType: number;
  /** Fixed AES-128-GCM key and nonce of the Retry Integrity Tag (RFC 9001 §5.8, RFC 9369 §3.3.3). */
  readonly retryKey: Uint8Array;
  readonly retryNonce: Uint8Array;
}

function hex(s: string): Uint8Array {
  return Uint8Array.from(Buffer.from(s, 'hex'));
}

const V1_PARAMS: QuicVersionParams = {
  version: QUIC_V1,
  salt: hex('38762cf7f55934b34d179ae6a4c80cadccbb7f0a'),
  keyLabel: 'quic key', ivLabel: 'quic iv', hpLabel: 'quic hp',
  initialType: 0, zeroRttType: 1, handshakeType: 2, retryType: 3,
  retryKey: hex('be0c690b9f66575a1d766b54e368c84e'), retryNonce: hex('461599d35d632bf2239825bb'),
};

const V2_PARAMS: QuicVersionParams = {
  version: QUIC_V2,
  salt: hex('0dede3def700a6db819381be6e269dcbf9bd2ed9'),
  keyLabel: 'quicv2 key', ivLabel: 'quicv2 iv', hpLabel: 'quicv2 hp',
  initialType: 1, zeroRttType: 2, handshakeType: 3, retryType: 0,
  retryKey: hex('8fb4b01b56ac48e260fbcbcead7ccc92'), retryNonce: hex('d86969bc2d7c6d9990efb04a'),
};

/** Parameters of a supported version, or null. */
export function quicVersionParams(version: number): QuicVersionParams | null {
  if (version === QUIC_V1) return V1_PARAMS;
  if (version === QUIC_V2) return V2_PARAMS;
  return null;
}

/** HKDF-Extract with SHA-256 (RFC 5869 §2.2): HMAC(salt, ikm). */
export function hkdfExtract(salt: Uint8Array, ikm: Uint8Array): Buffer {
  return createHmac('sha256', salt).update(ikm).digest();
}

/** The HkdfLabel structure of RFC 8446 §7.1 (exported so tests can check it against RFC 9001 A.1). */
export function hkdfLabel(label: string, context: Uint8Array, length: number): Buffer {
  const full = Buffer.from(`tls13 ${label}`, 'latin1');
  const out = Buffer.alloc(2 + 1 + full.length + 1 + context.length);
  out.writeUInt16BE(length, 0);
  out[2] = full.length;
  full.copy(out, 3);
  out[3 + full.length] = context.length;
  out.set(context, 4 + full.length);
  return out;
}

/** HKDF-Expand-Label(secret, label, context, length) with SHA-256. */
export function hkdfExpandLabel(secret: Uint8Array, label: string, context: Uint8Array, length: number): Buffer {
  const info = hkdfLabel(label, context, length);
  const out = Buffer.alloc(length);
  let prev: Buffer = Buffer.alloc(0);
  let done = 0;
  for (let i = 1; done < length; i++) {
    prev = createHmac('sha256', secret).update(prev).update(info).update(Buffer.of(i)).digest();
    prev.copy(out, done, 0, Math.min(prev.length, length - done));
    done += prev.length;
  }
  return out;
}

/** Keys protecting the Initial packets one endpoint sends. */
export interface QuicPacketKeys {
  readonly secret: Buffer;
  readonly key: Buffer;
  readonly iv: Buffer;
  readonly hp: Buffer;
  /** AES-128-ECB under `hp`, padding off, reused for every sample (ECB keeps no state between blocks). */
  readonly hpCipher: Cipher;
}

export interface QuicInitialKeys {
  readonly version: number;
  readonly initialSecret: Buffer;
  readonly client: QuicPacketKeys;
  readonly server: QuicPacketKeys;
}

function packetKeys(p: QuicVersionParams, secret: Buffer): QuicPacketKeys {
  const empty = new Uint8Array(0);
  const hp = hkdfExpandLabel(secret, p.hpLabel, empty, 16);
  const hpCipher = createCipheriv('aes-128-ecb', hp, null);
  hpCipher.setAutoPadding(false);
  return {
    secret,
    key: hkdfExpandLabel(secret, p.keyLabel, empty, 16),
    iv: hkdfExpandLabel(secret, p.ivLabel, empty, 12),
    hp,
    hpCipher,
  };
}

/** Initial keys of both directions from the client's original Destination Connection ID; null for an unsupported version. */
export function deriveInitialKeys(version: number, dcid: Uint8Array): QuicInitialKeys | null {
  const p = quicVersionParams(version);
  if (p === null) return null;
  const initialSecret = hkdfExtract(p.salt, dcid);
  const empty = new Uint8Array(0);
  return {
    version,
    initialSecret,
    client: packetKeys(p, hkdfExpandLabel(initialSecret, 'client in', empty, 32)),
    server: packetKeys(p, hkdfExpandLabel(initialSecret, 'server in', empty, 32)),
  };
}

/**
 * The header-protection mask: AES-ECB(hp, sample) of the 16 bytes at buf[sampleOff..+16].
 * Returns the whole 16-byte block; only bytes 0..4 are used.
 */
export function headerProtectionMask(keys: QuicPacketKeys, buf: Uint8Array, sampleOff: number): Buffer {
  // A short sample would leave a partial block inside the reused cipher and spoil every later mask.
  if (!(sampleOff >= 0 && sampleOff + 16 <= buf.length)) throw new RangeError('header-protection sample out of range');
  return keys.hpCipher.update(buf.subarray(sampleOff, sampleOff + 16));
}

/** AEAD nonce: iv XOR packet number (big-endian, right-aligned). Packet numbers up to 2^53 are exact. */
export function packetNonce(iv: Uint8Array, packetNumber: number): Buffer {
  const nonce = Buffer.from(iv);
  const hi = Math.floor(packetNumber / 4294967296) >>> 0;
  const lo = packetNumber >>> 0;
  const n = nonce.length;
  nonce[n - 8] ^= hi >>> 24; nonce[n - 7] ^= (hi >>> 16) & 0xff; nonce[n - 6] ^= (hi >>> 8) & 0xff; nonce[n - 5] ^= hi & 0xff;
  nonce[n - 4] ^= lo >>> 24; nonce[n - 3] ^= (lo >>> 16) & 0xff; nonce[n - 2] ^= (lo >>> 8) & 0xff; nonce[n - 1] ^= lo & 0xff;
  return nonce;
}

/** AES-128-GCM open; null when authentication fails (never throws). */
export function openPayload(
  keys: QuicPacketKeys,
  packetNumber: number,
  aad: Uint8Array,
  ciphertext: Uint8Array,
  tag: Uint8Array,
): Buffer | null {
  try {
    const d = createDecipheriv('aes-128-gcm', keys.key, packetNonce(keys.iv, packetNumber), { authTagLength: 16 });
    d.setAAD(aad);
    d.setAuthTag(tag);
    const head = d.update(ciphertext);
    const tail = d.final();
    return tail.length === 0 ? head : Buffer.concat([head, tail]);
  } catch {
    return null;
  }
}

/**
 * Checks the Retry Integrity Tag (the last 16 bytes of `retry`): AES-128-GCM with the version's
 * fixed key and nonce, empty plaintext, and as AAD the Retry Pseudo-Packet = ODCID length, ODCID
 * (the DCID of the client Initial the Retry answers), the Retry packet without its tag.
 */
export function verifyRetryIntegrity(version: number, odcid: Uint8Array, retry: Uint8Array): boolean {
  const p = quicVersionParams(version);
  if (p === null || retry.length < 16 || odcid.length > 255) return false;
  const body = retry.length - 16;
  const pseudo = new Uint8Array(1 + odcid.length + body);
  pseudo[0] = odcid.length;
  pseudo.set(odcid, 1);
  pseudo.set(retry.subarray(0, body), 1 + odcid.length);
  try {
    const d = createDecipheriv('aes-128-gcm', p.retryKey, p.retryNonce, { authTagLength: 16 });
    d.setAAD(pseudo);
    d.setAuthTag(retry.subarray(body));
    d.update(new Uint8Array(0));
    d.final();
    return true;
  } catch {
    return false;
  }
}

/**
 * The full packet number from its truncated encoding (RFC 9000 §17.1 / Appendix A.3), given the
 * largest packet number successfully processed so far in this space (-1 when none).
 */
export function decodePacketNumber(largest: number, truncated: number, pnBits: number): number {
  const expected = largest + 1;
  const win = 2 ** pnBits;
  const half = win / 2;
  const candidate = (expected - (expected % win)) + truncated;
  if (candidate <= expected - half && candidate < 2 ** 62 - win) return candidate + win;
  if (candidate > expected + half && candidate >= win) return candidate - win;
  return candidate;
}
