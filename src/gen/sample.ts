#!/usr/bin/env node
/**
 * Generate an exchange-point-like pcap.
 *
 *   node dist/src/gen/sample.js OUT.pcap [--packets N] [--flows N] [--snaplen N]
 *        [--seed S] [--full-size] [--ns] [--duration SEC] [--quiet]
 *
 * OUT may be '-' for stdout. A summary is printed on stderr.
 */
import { generateCapture, seedFromString, type GenStats } from './ixp-mix.js';

const USAGE = `usage: sample OUT.pcap|- [options]
  --packets N     packets to write (default 20000)
  --flows N       approximate IP flows (default packets/10; packets/200 with --full-size)
  --snaplen N     snapshot length (default 256; 65535 with --full-size)
  --seed S        PRNG seed, number or string (default 1)
  --full-size     mostly 1500-byte frames (throughput benchmarks)
  --ns            nanosecond-resolution pcap
  --duration SEC  nominal capture duration (default max(1, packets/10000))
  --quiet         no summary on stderr`;

function fail(msg: string): never {
  process.stderr.write(`sample: ${msg}\n${USAGE}\n`);
  process.exit(2);
}

function intArg(name: string, v: string | undefined, min: number): number {
  if (v === undefined) fail(`${name} needs a value`);
  const n = Number(v.replace(/_/g, ''));
  if (!Number.isFinite(n) || !Number.isInteger(n) || n < min) fail(`${name}: invalid value '${v}'`);
  return n;
}

function formatStats(s: GenStats, ms: number): string {
  const k = s.kinds;
  const pct = (n: number): string => (s.packets ? ((100 * n) / s.packets).toFixed(1) : '0') + '%';
  return [
    `packets ${s.packets}  flows ${s.flows}  l2 ${s.l2Exchanges}  wire bytes ${s.bytes}  file bytes ${s.fileBytes}`,
    `duration ${s.durationSec.toFixed(3)} s  snaplen ${s.snaplen}  ${s.nsResolution ? 'ns' : 'us'}  seed ${s.seed}`,
    `ipv4 ${pct(k.ipv4)} ipv6 ${pct(k.ipv6)} tcp ${pct(k.tcp)} udp ${pct(k.udp)} icmp ${pct(k.icmp + k.icmpv6)} ` +
      `arp ${k.arp} lldp ${k.lldp} vlan ${pct(k.vlan)} qinq ${k.qinq} frags ${k.ipv4_fragment} truncated ${pct(k.truncated)}`,
    `generated in ${(ms / 1000).toFixed(2)} s (${Math.round(s.packets / Math.max(ms, 1) * 1000)} pkt/s)`,
  ].join('\n');
}

async function main(argv: string[]): Promise<void> {
  let out: string | undefined;
  let packets = 20000;
  let flows: number | undefined;
  let snaplen: number | undefined;
  let seed = 1;
  let fullSize = false;
  let ns = false;
  let duration: number | undefined;
  let quiet = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const [flag, inline] = a.startsWith('--') && a.includes('=') ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a, undefined];
    const val = (): string | undefined => inline ?? argv[++i];
    switch (flag) {
      case '--packets': packets = intArg(flag, val(), 0); break;
      case '--flows': flows = intArg(flag, val(), 1); break;
      case '--snaplen': snaplen = intArg(flag, val(), 1); break;
      case '--seed': { const v = val(); if (v === undefined) fail('--seed needs a value'); seed = seedFromString(v); break; }
      case '--full-size': fullSize = true; break;
      case '--ns': ns = true; break;
      case '--duration': {
        const v = val();
        const d = Number(v);
        if (v === undefined || !(d > 0)) fail(`--duration: invalid value '${v}'`);
        duration = d;
        break;
      }
      case '--quiet': case '-q': quiet = true; break;
      case '--help': case '-h': process.stdout.write(USAGE + '\n'); return;
      default:
        if (a.startsWith('-') && a !== '-') fail(`unknown option ${a}`);
        if (out !== undefined) fail(`unexpected argument ${a}`);
        out = a;
    }
  }
  if (out === undefined) fail('missing OUT');
  if (snaplen !== undefined && snaplen > 262144) fail('--snaplen: at most 262144');
  if (out === '-') {
    process.stdout.on('error', (e: NodeJS.ErrnoException) => { if (e.code === 'EPIPE') process.exit(0); });
  }
  const t0 = performance.now();
  const stats = await generateCapture({
    out, packets, flows, snaplen, seed, fullSize, nsResolution: ns, durationSec: duration,
  });
  if (!quiet) process.stderr.write(formatStats(stats, performance.now() - t0) + '\n');
}

main(process.argv.slice(2)).catch((e: unknown) => {
  process.stderr.write(`sample: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
