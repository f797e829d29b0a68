import { open } from 'node:fs/promises';
import { createHash } from 'node:crypto';

const BLOCK = 4 * 1024 * 1024;

/** SHA-256 of a file's bytes, read into one reused buffer (no garbage per block). */
export async function hashFile(path: string): Promise<string> {
  const h = createHash('sha256');
  const fh = await open(path, 'r');
  try {
    const buf = new Uint8Array(BLOCK);
    for (let pos = 0; ;) {
      const { bytesRead } = await fh.read(buf, 0, BLOCK, pos);
      if (bytesRead === 0) break;
      h.update(buf.subarray(0, bytesRead));
      pos += bytesRead;
    }
  } finally {
    await fh.close();
  }
  return h.digest('hex');
}
