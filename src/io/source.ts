import { createReadStream, statSync } from 'node:fs';
import { open } from 'node:fs/promises';
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
  /**
   * Plain regular files only: reads up to `len` bytes straight into `buf` at `off` (0 at the end),
   * so the bytes are copied once, from the kernel into the range buffer. `chunks` is then empty.
   */
  readInto?: (buf: Uint8Array, off: number, len: number) => Promise<number>;
}

/**
 * Where capture bytes come from: a file path, '-' for stdin, or any byte stream (e.g. the
 * live capture ring, which produces a classic ns pcap stream) under a display name.
 */
export type CaptureInput = string | { name: string; stream: AsyncIterable<Uint8Array> };

/**
 * The size of a regular file named by `input`, or null for stdin, a stream, a pipe, a device, a
 * directory or a path that is not there. Looks without opening (opening a named pipe takes data).
 */
export function regularFileSize(input: CaptureInput): number | null {
  if (typeof input !== 'string' || input === '-') return null;
  try { const st = statSync(input); return st.isFile() ? st.size : null; } catch { return null; }
}

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
/**
 * `limit`: for a plain regular file, read no more than this many bytes (the length its known hash
 * covers: a file still being written must not grow under the reader).
 */
export async function openSource(path: CaptureInput, hashing = true, limit?: number): Promise<RawSource> {
  const hash: Hash = createHash('sha256');
  if (typeof path === 'string' && path !== '-') {
    const direct = await openDirect(path, hash, hashing, limit);
    if (direct !== null) return direct;
  }
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

/** A plain (not gzip) regular file read with positioned reads into the caller's buffer; null otherwise. */
async function openDirect(path: string, hash: Hash, hashing: boolean, limit?: number): Promise<RawSource | null> {
  // Looked at before opening: opening a named pipe to find out would take its writer's data.
  const size = regularFileSize(path);
  if (size === null) return null;
  const end = limit ?? size; // what was there when the ingest looked; bytes appended later are not read
  const fh = await open(path, 'r');
  let keep = false;
  try {
    const head = new Uint8Array(2);
    const { bytesRead: h } = await fh.read(head, 0, 2, 0);
    if (h === 2 && head[0] === 0x1f && head[1] === 0x8b) return null;
    keep = true;
  } finally {
    if (!keep) await fh.close();
  }
  let bytesRead = 0;
  let digest: string | null = null;
  let closed = false;
  return {
    gzip: false,
    get bytesRead() { return bytesRead; },
    digest() { if (digest === null) digest = hash.digest('hex'); return digest; },
    chunks: (async function* (): AsyncGenerator<Uint8Array> { /* read with readInto */ })(),
    close() { if (!closed) { closed = true; void fh.close().catch(() => {}); } },
    async readInto(buf: Uint8Array, off: number, len: number): Promise<number> {
      const want = Math.min(len, end - bytesRead);
      if (want <= 0) return 0;
      const { bytesRead: n } = await fh.read(buf, off, want, bytesRead);
      if (hashing && n > 0) hash.update(buf.subarray(off, off + n));
      bytesRead += n;
      return n;
    },
  };
}
