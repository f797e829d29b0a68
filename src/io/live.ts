/**
 * Live capture through libpcap, with the optional `cap` package (loaded here with a dynamic
 * import, only by `onpath live` and `onpath interfaces`; file ingest never loads it).
 *
 * The capture makes a classic pcap byte stream with nanosecond timestamps (magic a1b23c4d,
 * link type from libpcap, 16-byte record headers) and hands it to the ordinary pipeline,
 * chunk by chunk, so live packets go through exactly the code that reads files.
 *
 * What `cap` (0.2.1) does and does not do, and what this module does about it:
 * - It reuses ONE buffer for every packet and only says how many bytes are in it. Each
 *   packet is copied, synchronously inside the 'packet' callback, into the current chunk of
 *   a ring of large SharedArrayBuffers, before the next packet can overwrite the buffer. The
 *   binding does not keep that buffer alive itself: this object holds it.
 * - It gives no timestamps. A packet is stamped on arrival: process.hrtime.bigint() is read
 *   once per batch (the packets libpcap hands over in one event-loop turn share it) and
 *   shifted by a constant offset to the wall clock taken at start, so time never runs
 *   backwards even when the system clock is stepped.
 * - Its snaplen is fixed at 65535: `snaplen` is applied here (the record keeps the original
 *   length as its wire length). It does not pass the original length either, so a packet
 *   longer than 65535 bytes is recorded as 65535 bytes long.
 * - It has no pcap_stats(). What can be known is counted here: packets handed over by
 *   libpcap, packets dropped because the ring was full, and the interface drops that libpcap
 *   itself reports on Linux (sysfs rx_missed_errors + rx_fifo_errors since start).
 *
 * The ring is bounded (`maxChunks` × `chunkBytes`); a full chunk, or any data after
 * `flushMs`, is handed to `onChunk`, and comes back through `release(index)` once the
 * consumer is done with it. When every chunk is out, packets are dropped and counted.
 */
import { readFileSync } from 'node:fs';

/** The part of `cap`'s API used here. */
export interface CapHandle {
  open(device: string, filter: string, bufSize: number, buffer: Buffer): string;
  close(): boolean;
}
export interface CapAddress { addr?: string; netmask?: string; broadaddr?: string; dstaddr?: string }
export interface CapDevice { name: string; description?: string; addresses: CapAddress[]; flags?: string }
export interface CapModule {
  Cap: { new(): CapHandle; deviceList(): CapDevice[] };
}

/** Live capture cannot work here (cap missing or unbuilt, no permission, no such device); the message says why and what to do. */
export class LiveUnavailableError extends Error {
  override name = 'LiveUnavailableError';
}

const NS_PER_S = 1_000_000_000n;
const PCAP_HEADER_LEN = 24;
const RECORD_HEADER_LEN = 16;
const CAP_BUFFER_LEN = 65535;
/** Packets up to this long are copied byte by byte: cheaper than making a view for set(). */
const SMALL_COPY = 128;

/**
 * Loads `cap`. The module name can be overridden with ONPATH_CAP_MODULE (used by the
 * tests to check the explanation given when the binding is missing).
 */
export async function loadCap(): Promise<CapModule> {
  const name = process.env.ONPATH_CAP_MODULE || 'cap';
  let mod: unknown;
  try {
    mod = await import(name);
  } catch (e) {
    const why = (e as Error).message.split('\n')[0];
    throw new LiveUnavailableError([
      `live capture needs the optional package 'cap' (a libpcap binding), which is not installed or did not build (${why}).`,
      'To build it: install libpcap with its headers and a C++ toolchain, e.g.',
      '  Debian/Ubuntu: apt-get install libpcap-dev python3 make g++',
      '  Fedora/RHEL:   dnf install libpcap-devel python3 make gcc-c++',
      '  macOS:         xcode-select --install (libpcap comes with the system)',
      "then run 'npm rebuild cap' (or 'npm install cap') in onpath's directory.",
      "File ingest does not need it; for kernel timestamps without it: tcpdump -i IFACE -w - | onpath ingest -",
    ].join('\n'));
  }
  const m = mod as { default?: CapModule } & Partial<CapModule>;
  const cap = (m.Cap ? m : m.default) as CapModule | undefined;
  if (!cap || typeof cap.Cap !== 'function') throw new LiveUnavailableError(`module '${name}' does not look like the cap package`);
  return cap;
}

/** libpcap's devices, as `cap` lists them. */
export async function listInterfaces(): Promise<CapDevice[]> {
  const cap = await loadCap();
  return cap.Cap.deviceList();
}

/** cap names a few link types; anything else comes back as "Unknown linktype N" (a DLT_ value). */
export function linktypeFromCap(name: string): number {
  switch (name) {
    case 'NULL': return 0;
    case 'ETHERNET': return 1;
    case 'IEEE802_11_RADIO': return 127;
    case 'LINKTYPE_LINUX_SLL': return 113;
    case 'RAW': return 101; // DLT_RAW (12 or 14 depending on the OS) is LINKTYPE_RAW 101 in files
    default: {
      const m = /(\d+)\s*$/.exec(name);
      return m ? Number(m[1]) : 0;
    }
  }
}

/** libpcap's ps_ifdrop on Linux: the interface's rx_missed_errors + rx_fifo_errors; null where sysfs has none. */
export function interfaceDropCounter(iface: string): number | null {
  if (!/^[\w.:@-]+$/.test(iface)) return null;
  let sum = 0;
  let found = false;
  for (const f of ['rx_missed_errors', 'rx_fifo_errors']) {
    try {
      sum += Number(readFileSync(`/sys/class/net/${iface}/statistics/${f}`, 'utf8').trim()) || 0;
      found = true;
    } catch { /* not Linux, or no such counter */ }
  }
  return found ? sum : null;
}

export interface LiveCaptureOptions {
  iface: string;
  /** BPF filter ('' for none). */
  filter: string;
  /** Bytes of each packet kept, 1..65535. */
  snaplen: number;
  /** libpcap's kernel buffer (pcap_set_buffer_size). cap's fixed 65535 snaplen makes every slot 64 KiB. */
  kernelBufferBytes: number;
  /** One ring chunk (a SharedArrayBuffer). */
  chunkBytes: number;
  /** Ring size in chunks: at most chunkBytes × maxChunks bytes are ever held. */
  maxChunks: number;
  /** Hand over a partly filled chunk after this long. */
  flushMs: number;
  /** Stop after this many packets went into the ring. */
  maxPackets?: number;
  /** Stop after this many seconds. */
  durationSec?: number;
  /** A chunk of the pcap stream is ready: bytes [0, len) of `sab`. Call release(index) when done with it. */
  onChunk(index: number, sab: SharedArrayBuffer, len: number): void;
  /** The capture has stopped (closed, last chunk handed over). */
  onStop(reason: StopReason, stats: LiveStats): void;
}

export type StopReason = 'signal' | 'duration' | 'packets' | 'error';

export interface LiveStats {
  /** Packets libpcap handed over (after the BPF filter). */
  received: number;
  /** Packets that went into the ring (the capture's packets). */
  delivered: number;
  /** Packets dropped because every ring chunk was full or still with the consumer. */
  ringDrops: number;
  /** Interface drops since start, counted as libpcap does on Linux; null where unknown. */
  ifDrops: number | null;
  /** Original (wire) bytes of the delivered packets. */
  bytes: number;
  /** Bytes of the pcap stream made so far (file header included). */
  streamBytes: number;
  /** Wall clock of the start, ns since the epoch (as a decimal string: it does not fit a double). */
  startNs: string;
}

interface Chunk { sab: SharedArrayBuffer; u8: Uint8Array; dv: DataView }

export class LiveCapture {
  readonly linktype: number;
  private readonly handle: CapHandle;
  /** The one buffer cap copies every packet into; referenced here so it is never collected under it. */
  private readonly capBuf: Buffer;
  private readonly chunks: Chunk[] = [];
  private readonly free: number[] = [];
  private cur = -1;
  private pos = 0;
  private headerDone = false;
  private stopped = false;
  private stampSec = -1;
  private stampNs = 0;
  private readonly offsetNs: bigint;
  private readonly startNs: bigint;
  private readonly ifDrop0: number | null;
  private received = 0;
  private delivered = 0;
  private ringDrops = 0;
  private bytes = 0;
  private streamBytes = 0;
  private readonly flushTimer: NodeJS.Timeout;
  private durationTimer: NodeJS.Timeout | null = null;
  private readonly clearStamp = (): void => { this.stampSec = -1; };

  private constructor(cap: CapModule, private readonly o: LiveCaptureOptions) {
    if (!(o.snaplen >= 1 && o.snaplen <= CAP_BUFFER_LEN)) throw new RangeError(`snaplen must be 1..${CAP_BUFFER_LEN}`);
    if (o.chunkBytes < PCAP_HEADER_LEN + RECORD_HEADER_LEN + o.snaplen) throw new RangeError('chunkBytes too small for one packet');
    this.capBuf = Buffer.alloc(CAP_BUFFER_LEN);
    // The binding looks up `emit` on the new object once, at construction, and calls it for each
    // packet. A subclass whose emit goes straight to packet() skips EventEmitter's dispatch.
    const packet = (n: number): void => this.packet(n);
    class DirectCap extends cap.Cap {
      emit(event: string, nbytes: number): boolean {
        if (event === 'packet') packet(nbytes);
        return true;
      }
    }
    this.handle = new DirectCap();
    this.ifDrop0 = interfaceDropCounter(o.iface);
    let lt: string;
    try {
      lt = this.handle.open(o.iface, o.filter, o.kernelBufferBytes, this.capBuf);
    } catch (e) {
      try { this.handle.close(); } catch { /* never opened */ }
      throw new LiveUnavailableError(explainOpenError(o.iface, (e as Error).message));
    }
    const now = process.hrtime.bigint();
    this.offsetNs = BigInt(Date.now()) * 1_000_000n - now;
    this.startNs = now + this.offsetNs;
    this.linktype = linktypeFromCap(lt);
    this.flushTimer = setInterval(() => this.flush(), o.flushMs);
    if (o.durationSec !== undefined) this.durationTimer = setTimeout(() => this.stop('duration'), o.durationSec * 1000);
  }

  /** Opens the interface and starts capturing; throws LiveUnavailableError with an explanation when it cannot. */
  static open(cap: CapModule, o: LiveCaptureOptions): LiveCapture {
    return new LiveCapture(cap, o);
  }

  /** A chunk handed to onChunk is free again. */
  release(index: number): void {
    if (index >= 0 && index < this.chunks.length) this.free.push(index);
  }

  stats(): LiveStats {
    const d = interfaceDropCounter(this.o.iface);
    return {
      received: this.received, delivered: this.delivered, ringDrops: this.ringDrops,
      ifDrops: d === null || this.ifDrop0 === null ? null : Math.max(0, d - this.ifDrop0),
      bytes: this.bytes, streamBytes: this.streamBytes, startNs: this.startNs.toString(),
    };
  }

  get isStopped(): boolean { return this.stopped; }

  /** Closes the capture, hands over the last chunk and reports. Later calls do nothing. */
  stop(reason: StopReason): void {
    if (this.stopped) return;
    this.stopped = true;
    try { this.handle.close(); } catch { /* closing anyway */ }
    clearInterval(this.flushTimer);
    if (this.durationTimer) clearTimeout(this.durationTimer);
    if (!this.headerDone) this.startChunk(); // an empty capture is still a valid pcap stream
    this.handOver();
    this.o.onStop(reason, this.stats());
  }

  /** cap's 'packet' event (through DirectCap.emit): copy now, the buffer is overwritten by the next packet. */
  private packet(nbytes: number): void {
    if (this.stopped) return;
    this.received++;
    if (this.stampSec < 0) {
      const t = process.hrtime.bigint() + this.offsetNs;
      const sec = t / NS_PER_S;
      this.stampSec = Number(sec);
      this.stampNs = Number(t - sec * NS_PER_S);
      setImmediate(this.clearStamp);
    }
    const incl = nbytes < this.o.snaplen ? nbytes : this.o.snaplen;
    const need = RECORD_HEADER_LEN + incl;
    if (this.cur < 0 || this.pos + need > this.o.chunkBytes) {
      this.handOver();
      if (!this.startChunk()) { this.ringDrops++; return; }
    }
    const c = this.chunks[this.cur]!;
    const p = this.pos;
    c.dv.setUint32(p, this.stampSec, true);
    c.dv.setUint32(p + 4, this.stampNs, true);
    c.dv.setUint32(p + 8, incl, true);
    c.dv.setUint32(p + 12, nbytes, true);
    const dst = c.u8;
    const src = this.capBuf;
    const at = p + RECORD_HEADER_LEN;
    if (incl <= SMALL_COPY) {
      for (let i = 0; i < incl; i++) dst[at + i] = src[i]!; // no view object per packet
    } else {
      dst.set(incl === src.length ? src : src.subarray(0, incl), at);
    }
    this.pos = p + need;
    this.streamBytes += need;
    this.bytes += nbytes;
    if (++this.delivered === this.o.maxPackets) this.stop('packets');
  }

  /** Takes a free chunk as the current one (writing the file header first if none was written); false when none is free. */
  private startChunk(): boolean {
    let i = this.free.pop();
    if (i === undefined) {
      if (this.chunks.length >= this.o.maxChunks) return false;
      const sab = new SharedArrayBuffer(this.o.chunkBytes);
      this.chunks.push({ sab, u8: new Uint8Array(sab), dv: new DataView(sab) });
      i = this.chunks.length - 1;
    }
    this.cur = i;
    this.pos = 0;
    if (!this.headerDone) {
      const dv = this.chunks[i]!.dv;
      dv.setUint32(0, 0xa1b23c4d, true);
      dv.setUint16(4, 2, true);
      dv.setUint16(6, 4, true);
      dv.setInt32(8, 0, true);
      dv.setUint32(12, 0, true);
      dv.setUint32(16, this.o.snaplen, true);
      dv.setUint32(20, this.linktype, true);
      this.pos = PCAP_HEADER_LEN;
      this.streamBytes += PCAP_HEADER_LEN;
      this.headerDone = true;
    }
    return true;
  }

  private handOver(): void {
    if (this.cur < 0) return;
    const i = this.cur;
    const len = this.pos;
    this.cur = -1;
    this.pos = 0;
    if (len === 0) { this.free.push(i); return; }
    this.o.onChunk(i, this.chunks[i]!.sab, len);
  }

  private flush(): void {
    if (this.stopped) return;
    if (!this.headerDone) this.startChunk();
    this.handOver();
  }
}

function explainOpenError(iface: string, msg: string): string {
  if (/permitted|permission|EPERM|EACCES/i.test(msg)) {
    return `cannot capture on ${iface}: ${msg}. Live capture needs root or the CAP_NET_RAW capability ` +
      `(and CAP_NET_ADMIN for promiscuous mode on some systems), e.g. sudo setcap cap_net_raw,cap_net_admin+eip "$(command -v node)"`;
  }
  if (/no such device|doesn't exist|not exist|ENODEV|ENXIO/i.test(msg)) {
    return `cannot capture on ${iface}: ${msg}. 'onpath interfaces' lists the devices libpcap sees`;
  }
  if (/syntax|filter|parse/i.test(msg)) return `bad --filter expression: ${msg}`;
  return `cannot capture on ${iface}: ${msg}`;
}
