import { open } from 'node:fs/promises';
import { createHash } from 'node:crypto';

const BLOCK = 4 * 1024 * 1024;

/** SHA-256 and length of a file's bytes, read into one reused buffer (no garbage per block). */
export async function hashFile(path: string): Promise<{ sha256: string; size: number }> {
  const h = createHash('sha256');
  const fh = await open(path, 'r');
  let size = 0;
  try {
    const buf = new Uint8Array(BLOCK);
    for (let pos = 0; ;) {
      const { bytesRead } = await fh.read(buf, 0, BLOCK, pos);
      if (bytesRead === 0) break;
      h.update(buf.subarray(0, bytesRead));
      pos += bytesRead;
      size = pos;
    }
  } finally {
    await fh.close();
  }
  return { sha256: h.digest('hex'), size };
}
