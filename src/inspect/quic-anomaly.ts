/**
 * Why a QUIC Initial could not be (fully) read. Code 0 means no problem; every other code names
 * one kind of malformed, truncated or undecryptable input. Codes are small integers so they can be
 * counted in a typed array (QuicFlowContext.anomalies) and turned into names only when written out.
 */
export const QUIC_ANOMALY_NAMES = [
  'ok',
  /** The long header ends before the Length field (or before the connection IDs it announces). */
  'quic_truncated_header',
  /** A connection ID longer than the 20 bytes QUIC v1/v2 allow. */
  'quic_bad_cid_length',
  /** The Length field points past the end of the datagram (cut by snaplen, or a lie). */
  'quic_length_exceeds_datagram',
  /** The Length field is too small for a packet number, a header-protection sample and an AEAD tag. */
  'quic_length_too_short',
  /** A long header with a version this module has no Initial keys for (the rest of the datagram is skipped). */
  'quic_unsupported_version',
  /** No keys: the flow's first client Initial was not seen, or the key-derivation budget is spent. */
  'quic_no_keys',
  /** AEAD authentication failed with both the client's and the server's Initial keys. */
  'quic_auth_failed',
  /** After header protection was removed the reserved bits were not zero (a protocol violation; the packet still decrypted). */
  'quic_reserved_bits_set',
  /** A frame runs past the end of the decrypted payload (or a varint in it does). */
  'quic_frame_truncated',
  /** A frame type that is not allowed or not parsed in an Initial packet; the rest of the payload is skipped. */
  'quic_frame_unknown',
  /** A CRYPTO frame whose offset + length exceeds 2^62 - 1. */
  'quic_crypto_offset_out_of_range',
  /** CRYPTO data beyond the per-direction reassembly bound (the part beyond it is dropped). */
  'quic_crypto_beyond_bound',
  /** Too many disjoint CRYPTO ranges held at once; the frame was dropped. */
  'quic_crypto_too_fragmented',
  /** The handshake message announces a length larger than the reassembly bound: it will never be complete. */
  'quic_handshake_too_large',
  /** The CRYPTO stream of the client does not start with a ClientHello (or the server's with a ServerHello). */
  'quic_unexpected_handshake_type',
  /** A Retry whose integrity tag does not verify against the flow's original DCID (or with no DCID known): ignored. */
  'quic_retry_unverified',
  /** A bug here met input it did not expect; the datagram was abandoned (never expected; tests assert it stays 0). */
  'quic_internal_error',
] as const;

export type QuicAnomalyName = (typeof QUIC_ANOMALY_NAMES)[number];

/** QUIC_ANOMALY.<name> is the numeric code of that anomaly. */
export const QUIC_ANOMALY = Object.fromEntries(QUIC_ANOMALY_NAMES.map((n, i) => [n, i])) as {
  readonly [K in QuicAnomalyName]: number;
};

export const QUIC_OK = 0;
