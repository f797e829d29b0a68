/**
 * Real QUIC v1 Initial packets for the generator (RFC 9000 §17.2.2, RFC 9001 §5): CRYPTO frames
 * carrying a TLS 1.3 ClientHello or ServerHello (handshake messages without the record layer),
 * protected with the Initial keys that anyone can derive from the client's first Destination
 * Connection ID. An on-path observer (onpath, tshark, Zeek) can open them, as on a real link.
 * The key schedule is the inspector's (src/inspect/quic-crypto.ts); the sealing here is the
 * sender's side of it, and rebuilds the RFC 9001 / RFC 9369 Appendix A packets byte for byte
 * (test/inspect/quic.test.ts, which makes its own test packets with it too).
 */
import { createCipheriv } from 'node:crypto';
import { BW } from './byte-writer.js';
import { packetNonce, quicVersionParams, type QuicInitialKeys, type QuicPacketKeys } from '../inspect/quic-crypto.js';

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

/** A CRYPTO frame at offset 0 (type, offset, a 2-byte length varint, data). */
export function cryptoFrame(data: Uint8Array): Uint8Array {
  return Uint8Array.from(Buffer.concat([Uint8Array.of(0x06), varint(0), varint(data.length, 2), data]));
}

/** An ACK frame for packet number `largest` alone (no delay, no more ranges), with 1-byte varints. */
export function ackFrame(largest: number): Uint8Array {
  return Uint8Array.from(Buffer.concat([Uint8Array.of(0x02), varint(largest, 1), Uint8Array.of(0, 0, 0)]));
}

/** Bytes an Initial with these connection IDs needs around its frames: header, packet number and AEAD tag. */
export function initialOverhead(dcid: Uint8Array, scid: Uint8Array): number {
  return 1 + 4 + 1 + dcid.length + 1 + scid.length + 1 + 2 + PN_LEN + AEAD_TAG;
}

/** A QUIC varint of `size` bytes (1, 2, 4 or 8; default: the smallest that holds it), RFC 9000 §16. */
export function varint(v: number, size?: number): Uint8Array {
  const n = size ?? (v < 64 ? 1 : v < 16384 ? 2 : v < 2 ** 30 ? 4 : 8);
  if (!(Number.isInteger(v) && v >= 0 && v < 2 ** (8 * n - 2))) throw new RangeError(`${v} does not fit a ${n}-byte varint`);
  const out = new Uint8Array(n);
  let x = v;
  for (let i = n - 1; i >= 0; i--) { out[i] = x % 256; x = Math.floor(x / 256); }
  out[0] |= n === 1 ? 0 : n === 2 ? 0x40 : n === 4 ? 0x80 : 0xc0;
  return out;
}

export interface LongHeaderPacket {
  version: number;
  /** The sender's keys (client or server side). */
  keys: QuicPacketKeys;
  /** Long-header Type field; default: the version's Initial type. */
  type?: number;
  dcid: Uint8Array;
  scid: Uint8Array;
  /** Initial packets only. */
  token?: Uint8Array;
  pn: number;
  /** Packet-number bytes (1-4, default 4). */
  pnLen?: number;
  /** The frames, padding included. */
  payload: Uint8Array;
  /** Bytes of the Length varint (default 2). */
  lengthSize?: number;
}

/**
 * A protected long-header packet, as RFC 9001 §5 has a sender make it: the payload sealed with
 * AES-128-GCM (the header up to the packet number as associated data, the IV XOR the packet
 * number as nonce), then header protection (AES-ECB of the 16 bytes 4 past the packet number's
 * start; the low 4 bits of the first byte and the packet-number bytes).
 */
export function sealLongHeader(o: LongHeaderPacket): Uint8Array {
  const params = quicVersionParams(o.version);
  if (params === null) throw new RangeError(`unsupported QUIC version 0x${o.version.toString(16)}`);
  const type = o.type ?? params.initialType;
  const pnLen = o.pnLen ?? 4;
  const parts: Uint8Array[] = [
    Uint8Array.of(0xc0 | (type << 4) | (pnLen - 1), o.version >>> 24, (o.version >>> 16) & 255, (o.version >>> 8) & 255, o.version & 255),
    Uint8Array.of(o.dcid.length), o.dcid, Uint8Array.of(o.scid.length), o.scid,
  ];
  if (type === params.initialType) parts.push(varint(o.token?.length ?? 0), o.token ?? new Uint8Array(0));
  parts.push(varint(pnLen + o.payload.length + AEAD_TAG, o.lengthSize ?? 2));
  const pn = new Uint8Array(pnLen);
  for (let i = 0, x = o.pn; i < pnLen; i++) { pn[pnLen - 1 - i] = x % 256; x = Math.floor(x / 256); }
  parts.push(pn);
  const header = Buffer.concat(parts);
  const c = createCipheriv('aes-128-gcm', o.keys.key, packetNonce(o.keys.iv, o.pn), { authTagLength: AEAD_TAG });
  c.setAAD(header);
  const packet = Uint8Array.from(Buffer.concat([header, c.update(o.payload), c.final(), c.getAuthTag()]));
  const pnOff = header.length - pnLen;
  const ecb = createCipheriv('aes-128-ecb', o.keys.hp, null);
  ecb.setAutoPadding(false);
  const mask = ecb.update(packet.subarray(pnOff + 4, pnOff + 20));
  packet[0] ^= mask[0] & 0x0f;
  for (let i = 0; i < pnLen; i++) packet[pnOff + i] ^= mask[1 + i];
  return packet;
}

/**
 * Writes a QUIC v1 Initial of exactly `size` bytes at out[o]: `frames`, then PADDING, sealed with
 * the client's or the server's Initial keys. `size` must hold the frames
 * (initialOverhead() + frames.length).
 */
export function sealInitial(out: Uint8Array, o: number, size: number, keys: QuicInitialKeys, fromServer: boolean,
  dcid: Uint8Array, scid: Uint8Array, pn: number, frames: Uint8Array): void {
  const over = initialOverhead(dcid, scid);
  if (size < over + frames.length) throw new RangeError(`an Initial of ${size} bytes cannot hold ${frames.length} bytes of frames`);
  const payload = new Uint8Array(size - over);
  payload.set(frames);
  out.set(sealLongHeader({ version: QUIC_V1, keys: fromServer ? keys.server : keys.client, dcid, scid, pn, pnLen: PN_LEN, payload }), o);
}
