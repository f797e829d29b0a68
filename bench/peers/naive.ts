/**
 * The naive JavaScript peer: pcap-parser's event per packet, a Buffer per packet, a string
 * key per packet in a Map. What a first attempt in Node looks like; onpath is measured against it.
 */
import * as pcapParser from 'pcap-parser';

const flows = new Map<string, number>();
let packets = 0;
const p = pcapParser.parse(process.argv[2]);
p.on('packet', (pkt: { data: Buffer; header: { originalLength: number } }) => {
  packets++;
  const d = pkt.data;
  let off = 14;
  let type = d.readUInt16BE(12);
  while ((type === 0x8100 || type === 0x88a8) && d.length >= off + 4) { type = d.readUInt16BE(off + 2); off += 4; }
  let key: string;
  if (type === 0x0800 && d.length >= off + 20) {
    const l4 = off + (d[off] & 15) * 4;
    const a = d.subarray(off + 12, off + 16).join('.'), b = d.subarray(off + 16, off + 20).join('.');
    const proto = d[off + 9];
    const sp = d.length >= l4 + 4 ? d.readUInt16BE(l4) : 0, dp = d.length >= l4 + 4 ? d.readUInt16BE(l4 + 2) : 0;
    key = a + ':' + sp < b + ':' + dp ? `${proto} ${a}:${sp} ${b}:${dp}` : `${proto} ${b}:${dp} ${a}:${sp}`;
  } else if (type === 0x86dd && d.length >= off + 40) {
    const a = d.subarray(off + 8, off + 24).toString('hex'), b = d.subarray(off + 24, off + 40).toString('hex');
    const proto = d[off + 6];
    const sp = d.length >= off + 44 ? d.readUInt16BE(off + 40) : 0, dp = d.length >= off + 44 ? d.readUInt16BE(off + 42) : 0;
    key = a + sp < b + dp ? `${proto} ${a}:${sp} ${b}:${dp}` : `${proto} ${b}:${dp} ${a}:${sp}`;
  } else return;
  flows.set(key, (flows.get(key) ?? 0) + pkt.header.originalLength);
});
p.on('end', () => { console.log(`packets ${packets} flows ${flows.size}`); });
