/**
 * Real QUIC v1 Initial packets for the generator (RFC 9000 §17.2.2, RFC 9001 §5): CRYPTO frames
 * carrying a TLS 1.3 ClientHello or ServerHello (handshake messages without the record layer),
 * protected with the Initial keys that anyone can derive from the client's first Destination
 * Connection ID. An on-path observer (onpath, tshark, Zeek) can open them, as on a real link.
 * The key schedule is the inspector's (src/inspect/quic-crypto.ts, checked against the RFC 9001
 * Appendix A vectors); the sealing here is the sender's side of it.
 */
import { createCipheriv } from 'node:crypto';
import { BW } from './byte-writer.js';
import { packetNonce, type QuicInitialKeys, type QuicPacketKeys } from '../inspect/quic-crypto.js';

const QUIC_V1 = 1;
/** Packet-number bytes written (the low bits of the first byte say so). */
const PN_LEN = 2;
const AEAD_TAG = 16;

/** A QUIC client's ClientHello for `sni` (ALPN h3; `random` gives 64 bytes: the random and the X25519 share). */
export function quicClientHello(sni: string, random: Uint8Array, scid: Uint8Array): Uint8Array {
  const w = new BW();
  w.u8(0x01);
  const hl = w.mark24();
  w.u16(0x0303).bytes(random.subarray(0, 32));
  w.u8(0); // legacy_session_id: empty in QUIC (RFC 9001 §8.4)
  w.u16(6).u16(0x1301).u16(0x1302).u16(0x1303);
  w.u8(1).u8(0);
  const el = w.mark16();
  w.u16(0x0000); const e1 = w.mark16(); const l1 = w.mark16(); // server_name
  w.u8(0).u16(sni.length).ascii(sni);
  w.fill16(l1); w.fill16(e1);
  w.u16(0x000a).u16(8).u16(6).u16(0x001d).u16(0x0017).u16(0x0018); // supported_groups
  w.u16(0x0010).u16(5).u16(3).u8(2).ascii('h3'); // ALPN
  const sigs = [0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806, 0x0601];
  w.u16(0x000d).u16(2 + sigs.length * 2).u16(sigs.length * 2); // signature_algorithms
  for (const s of sigs) w.u16(s);
  w.u16(0x0033).u16(38).u16(36).u16(0x001d).u16(32).bytes(random.subarray(32, 64)); // key_share: X25519
  w.u16(0x002d).u16(2).u8(1).u8(1); // psk_key_exchange_modes: psk_dhe_ke
  w.u16(0x002b).u16(3).u8(2).u16(0x0304); // supported_versions: TLS 1.3
  // quic_transport_parameters: initial_max_data 1 MiB, initial_max_streams_bidi 100,
  // initial_source_connection_id (each: id, length, value; varints).
  const tp = new BW();
  tp.u8(0x04).u8(4).u32(0x80100000);
  tp.u8(0x08).u8(2).u16(0x4064);
  tp.u8(0x0f).u8(scid.length).bytes(scid);
  w.u16(0x0039).u16(tp.n).bytes(tp.a);
  w.fill16(el); w.fill24(hl);
  return w.out();
}

/** The server's ServerHello (TLS_AES_128_GCM_SHA256, X25519; `random` gives 64 bytes as above). */
export function quicServerHello(random: Uint8Array): Uint8Array {
  const w = new BW();
  w.u8(0x02);
  const hl = w.mark24();
  w.u16(0x0303).bytes(random.subarray(0, 32));
  w.u8(0); // legacy_session_id_echo: the client's, empty
  w.u16(0x1301).u8(0);
  const el = w.mark16();
  w.u16(0x002b).u16(2).u16(0x0304);
  w.u16(0x0033).u16(36).u16(0x001d).u16(32).bytes(random.subarray(32, 64));
  w.fill16(el); w.fill24(hl);
  return w.out();
}

/** A CRYPTO frame at offset 0 (type, offset, 2-byte length varint, data). */
export function cryptoFrame(data: Uint8Array): Uint8Array {
  if (data.length > 0x3fff) throw new RangeError(`CRYPTO data of ${data.length} bytes does not fit a 2-byte length`);
  const w = new BW();
  w.u8(0x06).u8(0).u16(0x4000 | data.length).bytes(data);
  return w.out();
}

/** An ACK frame for packet number `largest` alone (no delay, no more ranges). */
export function ackFrame(largest: number): Uint8Array {
  if (!(largest >= 0 && largest < 64)) throw new RangeError(`packet number ${largest} does not fit a 1-byte varint`);
  return Uint8Array.of(0x02, largest & 0x3f, 0, 0, 0);
}

/** Bytes an Initial with these connection IDs needs around its frames: header, packet number and AEAD tag. */
export function initialOverhead(dcid: Uint8Array, scid: Uint8Array): number {
  return 1 + 4 + 1 + dcid.length + 1 + scid.length + 1 + 2 + PN_LEN + AEAD_TAG;
}

/**
 * Writes a protected Initial of exactly `size` bytes at out[o]: `frames`, then PADDING, sealed
 * with the client's or the server's Initial keys. `size` must hold the frames
 * (initialOverhead() + frames.length) and stay under 16 KiB (a 2-byte Length).
 */
export function sealInitial(out: Uint8Array, o: number, size: number, keys: QuicInitialKeys, fromServer: boolean,
  dcid: Uint8Array, scid: Uint8Array, pn: number, frames: Uint8Array): void {
  const over = initialOverhead(dcid, scid);
  if (size < over + frames.length || size - over + PN_LEN + AEAD_TAG > 0x3fff) throw new RangeError(`an Initial of ${size} bytes cannot hold ${frames.length} bytes of frames`);
  const k: QuicPacketKeys = fromServer ? keys.server : keys.client;
  let p = o;
  out[p++] = 0xc0 | (PN_LEN - 1); // long header, fixed bit, type Initial (0)
  out[p++] = QUIC_V1 >>> 24; out[p++] = (QUIC_V1 >>> 16) & 255; out[p++] = (QUIC_V1 >>> 8) & 255; out[p++] = QUIC_V1 & 255;
  out[p++] = dcid.length; out.set(dcid, p); p += dcid.length;
  out[p++] = scid.length; out.set(scid, p); p += scid.length;
  out[p++] = 0; // token length
  const payload = size - over; // frames and padding, before the tag
  const length = PN_LEN + payload + AEAD_TAG;
  out[p++] = 0x40 | (length >>> 8); out[p++] = length & 255;
  const pnOff = p;
  out[p++] = (pn >>> 8) & 255; out[p++] = pn & 255;
  const plain = new Uint8Array(payload);
  plain.set(frames);
  const c = createCipheriv('aes-128-gcm', k.key, packetNonce(k.iv, pn), { authTagLength: AEAD_TAG });
  c.setAAD(out.subarray(o, p));
  const sealed = c.update(plain);
  c.final();
  out.set(sealed, p);
  out.set(c.getAuthTag(), p + payload);
  // Header protection: the mask comes from 16 bytes of ciphertext 4 bytes after the packet number's start.
  const ecb = createCipheriv('aes-128-ecb', k.hp, null);
  ecb.setAutoPadding(false);
  const mask = ecb.update(out.subarray(pnOff + 4, pnOff + 20));
  out[o] ^= mask[0] & 0x0f;
  for (let i = 0; i < PN_LEN; i++) out[pnOff + i] ^= mask[1 + i];
}
