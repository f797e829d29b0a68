/**
 * npm run bench:micro
 *
 * Per-call cost of two inspection paths, from the first call on: what a capture's few thousand
 * messages of one protocol pay while the JIT warms up, and what they cost warm.
 *   - parseBgpUpdate on a 3-prefix UPDATE (2 withdrawn, ORIGIN, AS_PATH, NEXT_HOP, COMMUNITIES);
 *   - inspectDnsDatagram (parse, record, row text) on a query and its A response, alternately.
 * Printed: µs per call over the first 3 k calls, the next 30 k and the next 300 k.
 */
import { parseBgpUpdate } from '../src/context/bgp-message.js';
import { inspectDnsDatagram } from '../src/inspect/dns-session.js';
import { InspectContext } from '../src/inspect/context.js';

function update(): Uint8Array {
  const withdrawn = [24, 10, 1, 2, 16, 172, 16];
  const attrs = [
    0x40, 1, 1, 0, // ORIGIN IGP
    0x40, 2, 10, 2, 2, 0, 0, 0xfd, 0xe8, 0, 0, 0x1b, 0x1b, // AS_PATH: AS_SEQUENCE 65000 6939 (4-byte)
    0x40, 3, 4, 192, 0, 2, 1, // NEXT_HOP
    0xc0, 8, 8, 0xfd, 0xe8, 0, 1, 0xfd, 0xe8, 0, 2, // COMMUNITIES 65000:1 65000:2
  ];
  const nlri = [24, 198, 51, 100, 22, 203, 0, 112, 32, 8, 8, 8, 8];
  return Uint8Array.from([0, withdrawn.length, ...withdrawn, 0, attrs.length, ...attrs, ...nlri]);
}

function dns(): Uint8Array[] {
  const q = Buffer.from('b51c0100000100000000000103777777076578616d706c6503636f6d000001000100002904d0000000000000', 'hex');
  const r = Buffer.from('b51c8180000100020000000103777777076578616d706c6503636f6d0000010001c00c000100010000311200044dbed8e0c00c000100010000311200045baff66900002904d0000000000000', 'hex');
  return [q, r];
}

function timed(name: string, call: (i: number) => void): void {
  const parts: string[] = [];
  let i = 0;
  for (const n of [3000, 30000, 300000]) {
    const t0 = process.hrtime.bigint();
    for (const end = i + n; i < end; i++) call(i);
    parts.push(`${(Number(process.hrtime.bigint() - t0) / n / 1000).toFixed(2)} µs (${n} calls)`);
  }
  console.log(`${name.padEnd(22)} ${parts.join(', ')}`);
}

const body = update();
const opts = { as4: true };
let prefixes = 0;
timed('parseBgpUpdate', () => { prefixes += parseBgpUpdate(body, 0, body.length, opts, []).nlri.length; });
if (prefixes !== 3 * 333000) throw new Error(`expected 3 NLRI prefixes a call, got ${prefixes / 333000}`);

const msgs = dns();
let ctx = new InspectContext();
timed('inspectDnsDatagram', (i) => {
  const m = msgs[i & 1];
  inspectDnsDatagram(ctx, i >> 1, (i & 1) === 0, 'dns', m, 0, m.length);
  if (ctx.out.dns.length > 1e6) ctx = new InspectContext();
});
