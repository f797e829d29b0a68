import { createReadStream } from 'node:fs';
import { createHash, type Hash } from 'node:crypto';
import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';

export const CHUNK_BYTES = 4 * 1024 * 1024;

/** Raw bytes of a capture (file or stdin), hashed and counted as they pass. */
export interface RawSource {
  chunks: AsyncIterable<Uint8Array>;
  /** Bytes read so far (compressed bytes for gzip). */
  readonly bytesRead: number;
  /** Hex SHA-256 of all bytes read; complete once `chunks` is exhausted. */
  digest(): string;
  gzip: boolean;
  /** Stops reading and releases the file (also when the consumer stopped early). */
  close(): void;
}

/**
 * Where capture bytes come from: a file path, '-' for stdin, or any byte stream (e.g. the
 * live capture ring, which produces a classic ns pcap stream) under a display name.
 */
export type CaptureInput = string | { name: string; stream: AsyncIterable<Uint8Array> };

export function inputName(input: CaptureInput): string {
  return typeof input === 'string' ? input : input.name;
}

export function openRaw(input: CaptureInput): AsyncIterable<Uint8Array> {
  if (typeof input !== 'string') return input.stream;
  if (input === '-') return process.stdin;
  return createReadStream(input, { highWaterMark: CHUNK_BYTES });
}

/**
 * Counts and hashes raw bytes, detects gzip by its magic (1f 8b) and decompresses as a
 * stream. Returns decompressed chunks; a gzip stream that ends early raises an Error
 * with code 'Z_BUF_ERROR' (mapped to a truncation by the caller).
 */
export async function openSource(path: CaptureInput, hashing = true): Promise<RawSource> {
  const hash: Hash = createHash('sha256');
  let bytesRead = 0;
  const raw = openRaw(path)[Symbol.asyncIterator]();
  const first = await raw.next();
  const firstChunk: Uint8Array | null = first.done ? null : (first.value as Uint8Array);
  async function* counted(): AsyncGenerator<Uint8Array> {
    try {
      if (firstChunk) { if (hashing) hash.update(firstChunk); bytesRead += firstChunk.length; yield firstChunk; }
      if (first.done) return;
      for (;;) {
        const r = await raw.next();
        if (r.done) return;
        const c = r.value as Uint8Array;
        if (hashing) hash.update(c);
        bytesRead += c.length;
        yield c;
      }
    } finally {
      await raw.return?.();
    }
  }
  const gzip = firstChunk !== null && firstChunk.length >= 2 && firstChunk[0] === 0x1f && firstChunk[1] === 0x8b;
  let digest: string | null = null;
  const plain = counted();
  const gunzip = gzip ? Readable.from(plain, { objectMode: false }).pipe(createGunzip({ chunkSize: CHUNK_BYTES })) : null;
  const src: RawSource = {
    gzip,
    get bytesRead() { return bytesRead; },
    digest() { if (digest === null) digest = hash.digest('hex'); return digest; },
    chunks: gunzip ?? plain,
    close() {
      gunzip?.destroy();
      void plain.return(undefined).catch(() => {});
      if (typeof path === 'string' && path !== '-') void raw.return?.().catch(() => {});
    },
  };
  return src;
}
