import { describe, expect, it } from 'vitest';
import { createBatch, FLOW_COLUMNS, HISTORY_MAX } from '../../src/flow/batch.js';
import { copyFlowRow } from '../../src/flow/batch-row.js';

type Col = Float64Array | Uint32Array | Int32Array | Uint16Array | Uint8Array;

describe('copyFlowRow', () => {
  it('copies every column of FLOW_COLUMNS, and SPLT and history up to their used length', () => {
    const spltN = 5;
    const src = createBatch(4, spltN), dst = createBatch(4, spltN);
    const sr = 2, dr = 1;
    const cols = (b: typeof src) => b.cols as unknown as Record<string, Col>;
    // A distinct value in each element of row sr, per column (small enough for a u8).
    let v = 1;
    for (const [name, , per] of FLOW_COLUMNS) {
      const a = cols(src)[name]!;
      const w = per === 'splt' ? spltN : per === 'hist' ? HISTORY_MAX : per;
      for (let i = 0; i < w; i++) a[sr * w + i] = (v++ % 250) + 1;
    }
    cols(src).spltLen![sr] = 3;
    cols(src).historyLen![sr] = 7;
    copyFlowRow(src, sr, dst, dr);
    for (const [name, , per] of FLOW_COLUMNS) {
      const a = cols(src)[name]!, b = cols(dst)[name]!;
      const w = per === 'splt' ? spltN : per === 'hist' ? HISTORY_MAX : per;
      const used = per === 'splt' ? 3 : per === 'hist' ? 7 : w;
      for (let i = 0; i < w; i++) {
        const want = i < used ? a[sr * w + i] : 0;
        expect(b[dr * w + i], `${name}[${i}]`).toBe(want);
      }
      // Other rows untouched.
      for (let i = 0; i < w; i++) expect(b[0 * w + i], `${name} row 0`).toBe(0);
    }
  });
});
