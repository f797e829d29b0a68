/**
 * `onpath live` and `onpath interfaces`. Only these load the optional `cap` package, with a
 * dynamic import (src/io/live.ts), so everything else installs and runs without it.
 *
 * This thread captures (LiveCapture: libpcap → ring of SharedArrayBuffers); a worker
 * (src/io/live-worker.ts) runs the ordinary ingest pipeline on the stream and writes the DB.
 * The first SIGINT/SIGTERM stops the capture, hands over what the ring holds, ends every open
 * flow with end_reason 'shutdown', records the counters and exits 0. A second one exits at
 * once: the DB then holds the last checkpoint (status 'running').
 */
import { DEFAULT_DB_MEMORY, sizeArg } from './db-memory.js';
import { Worker } from 'node:worker_threads';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { DEFAULT_FLOW_OPTIONS, type FlowOptions } from '../flow/options.js';
import {
  LiveCapture, LiveUnavailableError, listInterfaces, loadCap, type LiveStats, type StopReason,
} from '../io/live.js';
import type { FromWorker, LiveWorkerInit, ToWorker } from '../io/live-worker.js';
import { VERSION } from '../version.js';
import { bytes, si, table } from './format.js';

const EXIT_FAILED = 1;
const EXIT_USAGE = 2;
const CHUNK_BYTES = 1 << 20;
const FLUSH_MS = 100;

function wholeArg(min: number, max: number) {
  return (v: string): number => {
    if (!/^\d+$/.test(v)) throw new InvalidArgumentError(`expected a whole number, got '${v}'`);
    const n = Number(v);
    if (n < min || n > max) throw new InvalidArgumentError(`must be between ${min} and ${max}`);
    return n;
  };
}

function positiveArg(v: string): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`expected a positive number, got '${v}'`);
  return n;
}

export interface LiveCliOptions {
  interface: string;
  filter: string;
  snaplen: number;
  duration?: number;
  packets?: number;
  db: string;
  dbMemory: string;
  writePcap?: string;
  rotateMb?: number;
  checkpoint: number;
  bufferMb: number;
  ringMb: number;
  splt: number; tcpTimeout: number; udpTimeout: number; icmpTimeout: number; activeTimeout: number; maxFlows: number;
  quiet: boolean;
  verbose: boolean;
  workers: number;
  inspect: boolean;
  sflow: boolean;
}

/** One progress line: packets/s, drops and flows; redrawn on a terminal, a plain line every 10 s otherwise. */
class LiveProgress {
  private lastAt = Date.now();
  private lastPackets = 0;
  private shown = false;
  private readonly timer: NodeJS.Timeout | null;
  flows = 0;

  constructor(private readonly name: string, private readonly stats: () => LiveStats, enabled: boolean) {
    const tty = process.stderr.isTTY === true;
    this.timer = enabled ? setInterval(() => this.draw(tty), tty ? 500 : 10_000) : null;
  }

  private draw(tty: boolean): void {
    const s = this.stats();
    const now = Date.now();
    const rate = ((s.delivered - this.lastPackets) * 1000) / Math.max(now - this.lastAt, 1);
    this.lastAt = now;
    this.lastPackets = s.delivered;
    const drops = s.ringDrops + (s.ifDrops ?? 0);
    const line = `${this.name}: ${si(s.delivered)} pkts  ${si(rate)} pkt/s  ${si(drops)} drops ` +
      `(ring ${s.ringDrops}, interface ${s.ifDrops ?? '?'})  ${si(this.flows)} flows`;
    if (tty) { process.stderr.write('\r\x1b[K' + line); this.shown = true; } else process.stderr.write(line + '\n');
  }

  done(): void {
    if (this.timer) clearInterval(this.timer);
    if (this.shown) process.stderr.write('\r\x1b[K');
    this.shown = false;
  }
}

async function runLive(o: LiveCliOptions): Promise<number> {
  if (o.rotateMb !== undefined && o.writePcap === undefined) {
    process.stderr.write('onpath live: --rotate-mb needs --write-pcap DIR\n');
    return EXIT_USAGE;
  }
  const flow: FlowOptions = {
    ...DEFAULT_FLOW_OPTIONS,
    splt: o.splt, tcpIdleSec: o.tcpTimeout, udpIdleSec: o.udpTimeout, otherIdleSec: o.icmpTimeout,
    activeSec: o.activeTimeout, maxFlows: o.maxFlows,
  };
  const name = `live:${o.interface}`;
  let capture: LiveCapture;
  let worker: Worker | null = null;
  let stopReason: StopReason | null = null;
  const pending: ToWorker[] = [];
  const post = (m: ToWorker): void => { if (worker) worker.postMessage(m); else pending.push(m); };
  const sentSab = new Set<number>();
  try {
    const cap = await loadCap();
    capture = LiveCapture.open(cap, {
      iface: o.interface, filter: o.filter, snaplen: o.snaplen,
      kernelBufferBytes: o.bufferMb * 2 ** 20, chunkBytes: CHUNK_BYTES,
      maxChunks: Math.max(2, Math.floor((o.ringMb * 2 ** 20) / CHUNK_BYTES)), flushMs: FLUSH_MS,
      maxPackets: o.packets, durationSec: o.duration,
      onChunk: (index, sab, len) => {
        const first = !sentSab.has(index);
        sentSab.add(index);
        post({ t: 'chunk', index, len, sab: first ? sab : undefined, stats: capture.stats() });
      },
      onStop: (reason, stats) => {
        stopReason = reason;
        post({ t: 'end', reason, stats });
      },
    });
  } catch (e) {
    if (e instanceof LiveUnavailableError) {
      process.stderr.write(`onpath live: ${e.message}\n`);
      return EXIT_FAILED;
    }
    throw e;
  }

  const init: LiveWorkerInit = {
    db: o.db, dbMemory: o.dbMemory, name, iface: o.interface, flow, checkpointMs: o.checkpoint * 1000, rangeBytes: CHUNK_BYTES,
    linktype: capture.linktype, snaplen: o.snaplen, startNs: capture.stats().startNs, application: `onpath ${VERSION}`,
    writePcap: o.writePcap === undefined ? null : { dir: o.writePcap, rotateBytes: Math.round((o.rotateMb ?? 100) * 1e6) },
    workers: o.workers, inspect: o.inspect, sflowPort: o.sflow ? 6343 : 0,
  };
  worker = new Worker(new URL('../io/live-worker.js', import.meta.url), { workerData: init });
  for (const m of pending.splice(0)) worker.postMessage(m);

  const progress = new LiveProgress(name, () => capture.stats(), !o.quiet);
  let signals = 0;
  const onSignal = (sig: NodeJS.Signals): void => {
    signals++;
    if (signals === 1) {
      if (!o.quiet) process.stderr.write(`\nonpath live: ${sig}: stopping; a second signal exits at once\n`);
      capture.stop('signal');
      return;
    }
    process.stderr.write(`onpath live: second signal: exiting now; ${o.db} keeps the last checkpoint\n`);
    process.exit(sig === 'SIGINT' ? 130 : 143);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const announce = (): void => {
    if (o.quiet) return;
    process.stderr.write(`onpath live: capturing on ${o.interface} (link type ${capture.linktype}, snaplen ${o.snaplen}` +
      `${o.filter ? `, filter '${o.filter}'` : ''}) into ${o.db}; Ctrl-C stops\n`);
  };

  const w = worker;
  const outcome = await new Promise<{ ok: true; summary: Extract<FromWorker, { t: 'done' }> } | { ok: false; message: string }>((resolve) => {
    w.on('message', (m: FromWorker) => {
      switch (m.t) {
        case 'ready': announce(); break; // the DB is open: packets so far wait in the ring
        case 'release': capture.release(m.index); break;
        case 'progress': progress.flows = m.flows; break;
        case 'checkpoint':
          if (o.verbose) process.stderr.write(`onpath live: checkpoint: ${m.packets} packets, ${m.flows} flows committed\n`);
          break;
        case 'done': resolve({ ok: true, summary: m }); break;
        case 'error': resolve({ ok: false, message: m.message }); break;
      }
    });
    w.on('error', (e) => resolve({ ok: false, message: e.stack ?? e.message }));
    w.on('exit', (code) => resolve({ ok: false, message: `decoding worker exited (${code}) before finishing` }));
  });
  capture.stop('error'); // no-op when it already stopped
  progress.done();
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
  // After 'done' the worker has closed the DB and ends by itself; never cut it off inside DuckDB.
  if (!outcome.ok) await w.terminate();
  else await new Promise<void>((r) => { if (w.threadId < 0) r(); else w.once('exit', () => r()); });
  if (!outcome.ok) {
    process.stderr.write(`onpath live: ${name}: ${outcome.message}\n`);
    return EXIT_FAILED;
  }
  const s = outcome.summary.summary;
  const st = capture.stats();
  if (!o.quiet) {
    const why = stopReason === 'signal' ? 'stopped by signal' : stopReason === 'duration' ? `after ${o.duration} s`
      : stopReason === 'packets' ? `after ${o.packets} packets` : 'stopped';
    process.stdout.write(`${name}: ${s.status}, capture ${s.captureId}, ${si(s.packets)} packets, ${bytes(s.bytes)}, ${si(s.flows)} flows; ` +
      `received ${st.received}, ring drops ${st.ringDrops}, interface drops ${st.ifDrops ?? 'unknown'}; ${why} ` +
      `(${s.seconds.toFixed(1)} s)\n`);
    for (const f of outcome.summary.files) process.stdout.write(`wrote ${f}\n`);
  }
  return 0;
}

async function runInterfaces(o: { json?: boolean }): Promise<number> {
  let devs;
  try {
    devs = await listInterfaces();
  } catch (e) {
    if (e instanceof LiveUnavailableError) { process.stderr.write(`onpath interfaces: ${e.message}\n`); return EXIT_FAILED; }
    process.stderr.write(`onpath interfaces: ${(e as Error).message}\n`);
    return EXIT_FAILED;
  }
  if (o.json) {
    process.stdout.write(JSON.stringify(devs, null, 2) + '\n');
    return 0;
  }
  const rows = devs.map((d) => [
    d.name,
    d.flags === 'PCAP_IF_LOOPBACK' ? 'loopback' : '',
    d.addresses.map((a) => a.addr).filter(Boolean).join(' '),
    d.description ?? '',
  ]);
  process.stdout.write(table(['name', 'flags', 'addresses', 'description'], rows) + '\n');
  return 0;
}

/** Adds `live` and `interfaces` to the program. */
export function registerLiveCommands(program: Command, setExit: (code: number) => void): void {
  program.command('live')
    .description('capture on an interface with libpcap into flow records, until Ctrl-C, --duration or --packets (needs root or CAP_NET_RAW)')
    .requiredOption('-i, --interface <iface>', "interface to capture on ('onpath interfaces' lists them)")
    .option('--filter <bpf>', 'BPF capture filter, as for tcpdump', '')
    .option('--snaplen <n>', 'bytes kept of each packet', wholeArg(1, 65535), 65535)
    .addOption(new Option('--duration <sec>', 'stop after this many seconds').argParser(positiveArg).conflicts('packets'))
    .option('--packets <n>', 'stop after this many packets', wholeArg(1, Number.MAX_SAFE_INTEGER))
    .option('--db <path>', 'DuckDB file', 'onpath.duckdb')
    .option('--db-memory <size>', "DuckDB's memory limit while writing (e.g. 256MB, 2GB)", sizeArg, DEFAULT_DB_MEMORY)
    .option('--write-pcap <dir>', 'also write the packets to rotating pcapng files (ns timestamps) in DIR')
    .option('--rotate-mb <m>', 'start a new pcapng file once one holds M MB (default 100)', positiveArg)
    .option('--checkpoint <sec>', 'commit the flows written so far this often', positiveArg, 5)
    .option('--buffer-mb <n>', "libpcap's kernel buffer; each packet takes a 64 KiB slot in it", wholeArg(1, 1 << 16), 512)
    .option('--ring-mb <n>', 'buffer between capture and decoding; past it packets are dropped and counted', wholeArg(2, 1 << 16), 64)
    .option('--splt <n>', 'sizes and gaps of the first N packets per flow (0 = off)', wholeArg(0, 255), DEFAULT_FLOW_OPTIONS.splt)
    .option('--tcp-timeout <sec>', 'TCP idle timeout', positiveArg, DEFAULT_FLOW_OPTIONS.tcpIdleSec)
    .option('--udp-timeout <sec>', 'UDP idle timeout', positiveArg, DEFAULT_FLOW_OPTIONS.udpIdleSec)
    .option('--icmp-timeout <sec>', 'ICMP and other protocols idle timeout', positiveArg, DEFAULT_FLOW_OPTIONS.otherIdleSec)
    .option('--active-timeout <sec>', 'longest a flow runs before it is written and restarted', positiveArg, DEFAULT_FLOW_OPTIONS.activeSec)
    .option('--max-flows <n>', 'flows held at once; past it the oldest idle flows are evicted', wholeArg(1, 1 << 26), DEFAULT_FLOW_OPTIONS.maxFlows)
    .option('--workers <n>', 'decode threads (0: decode in the capture\'s writer thread)', wholeArg(0, 256), 0)
    .option('--no-inspect', 'flows only: do not read DNS, TLS, QUIC, HTTP and BGP')
    .option('--no-sflow', 'do not decode sFlow datagrams (UDP 6343)')
    .option('-q, --quiet', 'print errors only', false)
    .option('-v, --verbose', 'also say when each checkpoint is committed', false)
    .action(async (o: LiveCliOptions) => setExit(await runLive(o)));

  program.command('interfaces')
    .description('list the devices libpcap can capture on (needs the optional cap package)')
    .option('--json', 'JSON output')
    .action(async (o: { json?: boolean }) => setExit(await runInterfaces(o)));
}
