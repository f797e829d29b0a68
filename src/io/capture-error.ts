/** Bad capture input: names the byte offset (in the decompressed stream for gzip) and what was wrong. */
export class CaptureError extends Error {
  constructor(readonly offset: number, readonly reason: string, readonly truncated = false) {
    super(`at byte ${offset}: ${reason}`);
    this.name = 'CaptureError';
  }
}
