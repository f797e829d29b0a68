/**
 * What inspection hands from a worker to the writer: plain objects, made only for the flows
 * that carry a protocol worth reading, at the edge. Each record names its flow part by `tag`
 * (the flow table's per-range serial); the main thread maps tags to flow_id once the flow is
 * written (src/pipeline/inspect-collector.ts).
 */

export interface TlsHelloFields {
  /** legacy_version of the ClientHello. */
  legacyVersion: number;
  /** Highest version offered (supported_versions when present); -1 when a cut hello does not tell. */
  maxVersion: number;
  supportedVersions: number[];
  sni: string | null;
  alpn: string[];
  cipherSuites: number[];
  extensions: number[];
  groups: number[];
  sigAlgs: number[];
  ech: boolean;
  /** -1 when a cut hello ends before it. */
  sessionIdLength: number;
  /** Fingerprints; null when the hello was cut short (they would describe a different hello). */
  ja3: string | null;
  ja3Hash: string | null;
  ja4: string | null;
  ja4r: string | null;
  /** The ClientHello was cut short (snaplen, lost segment): fields past the cut are missing. */
  truncated: boolean;
}

export interface TlsServerFields {
  /** -1 when a cut ServerHello does not tell. */
  version: number;
  /** -1 when a cut ServerHello ends before it. */
  cipher: number;
  alpn: string | null;
  /** Null when the ServerHello was cut. */
  ja3s: string | null;
}

export interface TlsRec {
  tag: number;
  sec: number; ns: number;
  /** The ClientHello came from the flow's originator (false: the responder). */
  clientIsOrig: boolean;
  client: TlsHelloFields | null;
  server: TlsServerFields | null;
  /** SHA-256 of each certificate of the chain, leaf first (TLS <= 1.2). */
  certChain: string[];
  /** First alert seen in clear: level * 256 + description, or -1. */
  alert: number;
}

export interface QuicRec {
  tag: number;
  sec: number; ns: number;
  version: number;
  dcid: string;
  scid: string;
  serverScid: string;
  client: TlsHelloFields | null;
  server: TlsServerFields | null;
  clientPackets: number;
  serverPackets: number;
  retry: boolean;
}

export interface DnsAnswer {
  name: string;
  type: number;
  ttl: number;
  /** Text of the rdata: an address, a name, "pref exchange", TXT strings, SOA fields, SVCB in presentation form. */
  data: string;
}

export interface DnsMsgRec {
  tag: number;
  sec: number; ns: number;
  /** Sent by the flow's originator. */
  fromOrig: boolean;
  /** 'icmp': the message was quoted in an ICMP error. */
  transport: 'udp' | 'tcp' | 'icmp';
  flavor: 'dns' | 'mdns' | 'llmnr';
  id: number;
  response: boolean;
  opcode: number;
  flags: number;
  rcode: number;
  qname: string | null;
  qtype: number;
  answers: DnsAnswer[];
  /** Addresses from A/AAAA answers (for the exposure join). */
  addrs: string[];
  svcbAlpn: string[];
  svcbEch: boolean;
  truncated: boolean;
}

export interface HttpRec {
  tag: number;
  sec: number; ns: number;
  method: string | null;
  host: string | null;
  /** Port given in the Host header (or absolute target), -1 without one. */
  port: number;
  path: string | null;
  userAgent: string | null;
  version: string | null;
  status: number;
  contentType: string | null;
  server: string | null;
  respSec: number; respNs: number;
}

export interface CertRec {
  sha256: string;
  subject: string;
  issuer: string;
  commonName: string | null;
  sanDns: string[];
  sanIp: string[];
  notBeforeSec: number | null;
  notAfterSec: number | null;
  keyType: string | null;
  keyBits: number | null;
  curve: string | null;
  serial: string;
  ca: boolean;
  selfIssued: boolean;
}
