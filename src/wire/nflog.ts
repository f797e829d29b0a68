import { A } from './anomaly.js';
import { L3, type Decoded } from './packet.js';
import { decodeIpByVersion } from './ip.js';

/** Linux NFLOG (LINKTYPE_NFLOG 239): 4-byte header, then TLVs in host byte order; type 9 holds the packet. */
export const NFLOG = { FAMILY: 0, VERSION: 1, HEADER_LEN: 4, TLV_LEN: 0, TLV_TYPE: 2, TLV_HEADER: 4, PAYLOAD: 9 } as const;

const MAX_TLVS = 64;

export function decodeNflog(p: Decoded, dv: DataView, off: number, end: number): void {
  if (end - off < NFLOG.HEADER_LEN) { p.weird(A.truncated_nflog_header); p.l3 = L3.Bad; return; }
  let pos = off + NFLOG.HEADER_LEN;
  // Host byte order is not recorded; little-endian is the common writer, big-endian the fallback.
  const le = end - pos >= 4 && dv.getUint16(pos, true) >= NFLOG.TLV_HEADER && dv.getUint16(pos, true) <= end - pos;
  for (let n = 0; n < MAX_TLVS && end - pos >= NFLOG.TLV_HEADER; n++) {
    const len = dv.getUint16(pos + NFLOG.TLV_LEN, le);
    const type = dv.getUint16(pos + NFLOG.TLV_TYPE, le) & 0x7fff;
    if (len < NFLOG.TLV_HEADER) break;
    if (type === NFLOG.PAYLOAD) {
      const start = pos + NFLOG.TLV_HEADER;
      const stop = pos + len < end ? pos + len : end;
      // The TLV length is the packet's own length; the capture may still have cut it.
      p.wireEnd = p.wireEnd - (end - stop);
      decodeIpByVersion(p, dv, start, stop);
      return;
    }
    pos += (len + 3) & ~3;
  }
  p.weird(A.truncated_nflog_header);
  p.l3 = L3.Bad;
}
