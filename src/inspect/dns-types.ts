import type { DnsAnomaly } from './dns-anomaly.js';

/**
 * The shapes a DNS parse produces. Names are text: labels joined by '.', ASCII letters folded to
 * lower case, no trailing dot; the root is '.'. Label bytes other than printable ASCII, and '.'
 * or '\' inside a label, are written in the master-file escapes of RFC 1035 5.1 (`\.`, `\\`, `\DDD`).
 * A name that could not be decoded (bad pointer, cut short) is null.
 */

/** DNS flavours that share the message format but read some bits differently. */
export type DnsFlavor = 'dns' | 'mdns' | 'llmnr';

export interface DnsHeader {
  id: number;
  /** true: response. */
  qr: boolean;
  opcode: number;
  /** Authoritative answer. In LLMNR this bit is C (conflict). */
  aa: boolean;
  /** Truncated (TC). */
  tc: boolean;
  /** Recursion desired. In LLMNR this bit is T (tentative). */
  rd: boolean;
  /** Recursion available. */
  ra: boolean;
  /** The reserved Z bit (0x0040). */
  z: boolean;
  /** Authentic data (RFC 4035). */
  ad: boolean;
  /** Checking disabled (RFC 4035). */
  cd: boolean;
  /** The 4-bit RCODE of the header (see DnsMessage.rcode for the EDNS-extended one). */
  rcode: number;
  /** The raw 16-bit flags word. */
  flags: number;
  qdcount: number;
  ancount: number;
  nscount: number;
  arcount: number;
}

export interface DnsQuestion {
  name: string | null;
  type: number;
  /** The class; for mDNS without its top bit. */
  class: number;
  /** mDNS (RFC 6762 5.4): the top bit of the class, "unicast response requested" (QU). */
  unicastResponse: boolean;
}

export interface SvcParams {
  /** key 0: the keys a client must understand. */
  mandatory?: number[];
  /** key 1: ALPN protocol ids. */
  alpn?: string[];
  /** key 2: present when the default ALPN is not offered. */
  noDefaultAlpn?: boolean;
  /** key 3 */
  port?: number;
  /** key 4 */
  ipv4hint?: string[];
  /** key 5: Encrypted ClientHello config list: its length in bytes and the bytes in base64. */
  ech?: { length: number; base64: string };
  /** key 6 */
  ipv6hint?: string[];
  /** key 7 (RFC 9461): the DoH URI template. */
  dohpath?: string;
  /** key 8 (RFC 9540): the target offers Oblivious HTTP. */
  ohttp?: boolean;
  /** Every other key, with the length of its value. */
  other: { key: number; length: number }[];
}

export interface EdnsOption { code: number; length: number }

export interface DnsEdns {
  /** The requestor's UDP payload size (the OPT record's class). */
  udpSize: number;
  /** The upper 8 bits of the 12-bit extended RCODE. */
  extendedRcode: number;
  version: number;
  /** DNSSEC OK. */
  do: boolean;
  /** The 16-bit flags field (DO is its top bit). */
  flags: number;
  options: EdnsOption[];
  /** Option 10 (RFC 7873): the client cookie and the server cookie, lowercase hex ('' when absent). */
  cookie?: { client: string; server: string };
  /** Option 8 (RFC 7871): the client subnet as "address/source-prefix". */
  clientSubnet?: string;
  /** Option 15 (RFC 8914): the extended error code. */
  extendedError?: number;
  /** Option 12 (RFC 7830): padding length. */
  padding?: number;
}

export type DnsRdata =
  | { kind: 'a'; address: string }
  | { kind: 'aaaa'; address: string }
  /** CNAME, NS, PTR, DNAME, MB, MD, MF, MG, MR. */
  | { kind: 'name'; name: string | null }
  | { kind: 'mx'; preference: number; exchange: string | null }
  | { kind: 'txt'; strings: string[] }
  | {
    kind: 'soa'; mname: string | null; rname: string | null;
    serial: number; refresh: number; retry: number; expire: number; minimum: number;
  }
  | { kind: 'srv'; priority: number; weight: number; port: number; target: string | null }
  /** SVCB (64) and HTTPS (65), RFC 9460. Priority 0 is AliasMode. */
  | { kind: 'svcb'; priority: number; target: string | null; params: SvcParams }
  | { kind: 'opt'; edns: DnsEdns }
  /** Any other type, or a known type whose rdata did not decode: only its length. */
  | { kind: 'raw'; length: number };

export interface DnsRecord {
  name: string | null;
  type: number;
  /** The class; for mDNS without its top bit. For OPT this is the UDP payload size. */
  class: number;
  /** mDNS (RFC 6762 10.2): the top bit of the class in a resource record. */
  cacheFlush: boolean;
  /** TTL as unsigned 32 bits. For OPT this packs the extended RCODE, version and flags. */
  ttl: number;
  rdlength: number;
  data: DnsRdata;
}

export interface DnsMessage {
  header: DnsHeader;
  flavor: DnsFlavor;
  /** The RCODE with the EDNS upper bits added (e.g. 23 BADCOOKIE); the header's when no OPT. */
  rcode: number;
  questions: DnsQuestion[];
  /** The first question, or null. */
  question: DnsQuestion | null;
  answers: DnsRecord[];
  authorities: DnsRecord[];
  additionals: DnsRecord[];
  /** From the OPT record, when there is one. */
  edns: DnsEdns | null;
  /** The bytes ended before everything the header counts promise had been read. */
  truncated: boolean;
  /** How many bytes of the given length the parse consumed. */
  parsedBytes: number;
  anomalies: DnsAnomaly[];
}

export interface DnsParseOptions {
  /** mDNS (UDP 5353) or LLMNR (UDP 5355); default plain DNS. */
  flavor?: DnsFlavor;
  /** Stop after the question section (no resource records decoded). */
  questionsOnly?: boolean;
  /** Records decoded over all three sections before the rest are skipped (default 1000). */
  maxRecords?: number;
}
