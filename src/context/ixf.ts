/**
 * IX-F Member Export (JSON, schema 0.6 / 0.7 / 1.0): who is connected to an exchange point,
 * with which peering-LAN addresses and (when the export lists them) which router MACs.
 *
 * The structure is validated with ajv against the schema in ixf-schema.ts; a file that does not
 * follow it is an IxfError naming the JSON path. Within a valid file, bad values are anomalies
 * and the rest is kept: an address that is not an address, an address given to two members, a
 * MAC that is not a MAC or that two members claim, a connection to an exchange the file does not
 * list, an address outside the exchange's declared peering LAN.
 */
import { readFile } from 'node:fs/promises';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { IXF_VERSIONS, ixfSchema, type IxfVersion } from './ixf-schema.js';
import { parseAddr } from '../sink/addr.js';
import { ipv4Text, ipv6Text } from '../wire/addr-text.js';

export class IxfError extends Error {
  constructor(readonly file: string, readonly path: string, detail: string) {
    super(`${file}: not an IX-F member export: at ${path || '/'}: ${detail}`);
  }
}

export interface IxfExchange { ixpId: number; shortname: string; name: string | null; vlans: { id: number; ipv4: string | null; ipv6: string | null }[] }

export interface IxfMember {
  asn: number;
  name: string | null;
  memberType: string | null;
  url: string | null;
  peeringPolicy: string | null;
  connections: number;
  vlans: number[];
  ipv4: string[];
  ipv6: string[];
  macs: string[];
}

export interface IxfAddress { asn: number; ixpId: number; vlanId: number | null; family: 4 | 6; address: string; routeserver: boolean | null; asMacro: string | null; maxPrefix: number | null }
export interface IxfMac { mac: string; asn: number }
export interface IxfAnomaly { kind: string; path: string; value: string }

export interface IxfExport {
  version: IxfVersion;
  timestamp: string;
  exchanges: IxfExchange[];
  members: IxfMember[];
  addresses: IxfAddress[];
  macs: IxfMac[];
  anomalies: IxfAnomaly[];
}

const validators = new Map<IxfVersion, ValidateFunction>();

function validatorFor(v: IxfVersion): ValidateFunction {
  let f = validators.get(v);
  if (!f) {
    const ajv = new Ajv({ allErrors: false, strict: false });
    f = ajv.compile(ixfSchema(v));
    validators.set(v, f);
  }
  return f;
}

function describe(e: ErrorObject): string {
  if (e.keyword === 'required') return `missing "${(e.params as { missingProperty: string }).missingProperty}"`;
  if (e.keyword === 'enum') return `${e.message}: ${(e.params as { allowedValues: unknown[] }).allowedValues.join(', ')}`;
  return e.message ?? e.keyword;
}

/** 'aa:bb:cc:dd:ee:ff' (lower case) from the usual spellings, or null. */
export function normalizeMac(s: string): string | null {
  const hex = s.trim().toLowerCase().replace(/[:.\-]/g, '');
  if (!/^[0-9a-f]{12}$/.test(hex)) return null;
  return hex.match(/../g)!.join(':');
}

function canonicalAddress(text: string, family: 4 | 6): string | null {
  const a = parseAddr(text.trim());
  if (a === null || a.version !== family) return null;
  return family === 4 ? ipv4Text(a.words[3]) : ipv6Text(a.words, 0);
}

function inPrefix(address: string, prefix: string | null, len: number): boolean {
  if (prefix === null) return true;
  const a = parseAddr(address), p = parseAddr(prefix);
  if (a === null || p === null || a.version !== p.version) return false;
  const bits = a.version === 4 ? 96 + len : len;
  for (let k = 0; k < 4; k++) {
    const take = Math.max(0, Math.min(32, bits - 32 * k));
    if (take === 0) break;
    const mask = take === 32 ? 0xffffffff : ~(0xffffffff >>> take) >>> 0;
    if (((a.words[k] ^ p.words[k]) & mask) >>> 0 !== 0) return false;
  }
  return true;
}

/** Reads and checks an export. Throws IxfError when the file is not JSON or breaks the schema. */
export async function readIxf(file: string): Promise<IxfExport> {
  const text = await readFile(file, 'utf8');
  let doc: unknown;
  // Strings are made well-formed (a lone surrogate escape such as "\ud800" would make the rows unwritable).
  const wellFormed = (_k: string, v: unknown): unknown => (typeof v === 'string' ? (v as unknown as { toWellFormed(): string }).toWellFormed() : v);
  try { doc = JSON.parse(text, wellFormed); } catch (e) { throw new IxfError(file, '', `not JSON (${(e as Error).message})`); }
  return parseIxf(file, doc);
}

type Json = Record<string, unknown>;

export function parseIxf(file: string, doc: unknown): IxfExport {
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw new IxfError(file, '', 'the top level is not an object');
  const version = String((doc as Json).version ?? '');
  if (!(IXF_VERSIONS as readonly string[]).includes(version)) {
    throw new IxfError(file, '/version', `unsupported version "${version}" (supported: ${IXF_VERSIONS.join(', ')})`);
  }
  const validate = validatorFor(version as IxfVersion);
  if (!validate(doc)) {
    const e = validate.errors![0]!;
    throw new IxfError(file, e.instancePath, describe(e));
  }
  const d = doc as Json;
  const anomalies: IxfAnomaly[] = [];
  const exchanges: IxfExchange[] = [];
  const vlanPrefix = new Map<string, { v4: [string, number] | null; v6: [string, number] | null }>();
  for (const x of d.ixp_list as Json[]) {
    const vlans = ((x.vlan ?? []) as Json[]).map((v) => {
      const p4 = v.ipv4 as Json | undefined, p6 = v.ipv6 as Json | undefined;
      const id = (v.id as number | undefined) ?? 0;
      const v4 = p4?.prefix !== undefined ? [String(p4.prefix), Number(p4.mask_length ?? 32)] as [string, number] : null;
      const v6 = p6?.prefix !== undefined ? [String(p6.prefix), Number(p6.mask_length ?? 128)] as [string, number] : null;
      vlanPrefix.set(`${x.ixp_id}/${id}`, { v4, v6 });
      return { id, ipv4: v4 ? `${v4[0]}/${v4[1]}` : null, ipv6: v6 ? `${v6[0]}/${v6[1]}` : null };
    });
    if (x.ixf_id === undefined) anomalies.push({ kind: 'ixf_missing_ixf_id', path: `/ixp_list/${exchanges.length}`, value: String(x.shortname) });
    exchanges.push({ ixpId: x.ixp_id as number, shortname: String(x.shortname), name: (x.name as string | undefined) ?? null, vlans });
  }
  const known = new Set(exchanges.map((x) => x.ixpId));
  const members: IxfMember[] = [];
  const addresses: IxfAddress[] = [];
  const macs: IxfMac[] = [];
  const addrOwner = new Map<string, number>();
  const macOwner = new Map<string, number>();
  (d.member_list as Json[]).forEach((m, mi) => {
    const asn = m.asnum as number;
    const mem: IxfMember = {
      asn, name: (m.name as string | undefined) ?? null, memberType: (m.member_type as string | undefined) ?? null,
      url: (m.url as string | undefined) ?? null, peeringPolicy: (m.peering_policy as string | undefined) ?? null,
      connections: 0, vlans: [], ipv4: [], ipv6: [], macs: [],
    };
    (m.connection_list as Json[]).forEach((c, ci) => {
      const cpath = `/member_list/${mi}/connection_list/${ci}`;
      mem.connections++;
      const ixpId = c.ixp_id as number;
      if (!known.has(ixpId)) anomalies.push({ kind: 'ixf_unknown_ixp_id', path: `${cpath}/ixp_id`, value: String(ixpId) });
      ((c.vlan_list ?? []) as Json[]).forEach((v, vi) => {
        const vlanId = (v.vlan_id as number | undefined) ?? null;
        if (vlanId !== null && !mem.vlans.includes(vlanId)) mem.vlans.push(vlanId);
        for (const family of [4, 6] as const) {
          const a = v[family === 4 ? 'ipv4' : 'ipv6'] as Json | undefined;
          if (!a) continue;
          const apath = `${cpath}/vlan_list/${vi}/ipv${family}`;
          // Real exports spell the list both ways; both are read.
          const macList = [...((a.mac_addresses ?? []) as string[]), ...((a.mac_address ?? []) as string[])];
          for (const raw of macList) {
            const mac = normalizeMac(raw);
            if (mac === null) { anomalies.push({ kind: 'ixf_bad_mac', path: apath, value: raw }); continue; }
            const owner = macOwner.get(mac);
            if (owner !== undefined && owner !== asn) { anomalies.push({ kind: 'ixf_duplicate_mac', path: apath, value: `${mac} (AS${owner} and AS${asn})` }); continue; }
            if (owner === undefined) { macOwner.set(mac, asn); macs.push({ mac, asn }); }
            if (!mem.macs.includes(mac)) mem.macs.push(mac);
          }
          if (a.address === undefined) continue;
          const address = canonicalAddress(String(a.address), family);
          if (address === null) { anomalies.push({ kind: 'ixf_bad_address', path: `${apath}/address`, value: String(a.address) }); continue; }
          const owner = addrOwner.get(address);
          if (owner !== undefined) {
            anomalies.push({ kind: 'ixf_duplicate_address', path: `${apath}/address`, value: `${address} (AS${owner} and AS${asn})` });
            continue;
          }
          addrOwner.set(address, asn);
          const pfx = vlanPrefix.get(`${ixpId}/${vlanId ?? 0}`);
          const decl = pfx ? (family === 4 ? pfx.v4 : pfx.v6) : null;
          if (decl !== null && !inPrefix(address, decl[0], decl[1])) {
            anomalies.push({ kind: 'ixf_address_outside_vlan', path: `${apath}/address`, value: `${address} not in ${decl[0]}/${decl[1]}` });
          }
          (family === 4 ? mem.ipv4 : mem.ipv6).push(address);
          addresses.push({
            asn, ixpId, vlanId, family, address, routeserver: (a.routeserver as boolean | undefined) ?? null,
            asMacro: (a.as_macro as string | undefined) ?? null, maxPrefix: (a.max_prefix as number | undefined) ?? null,
          });
        }
      });
    });
    members.push(mem);
  });
  return { version: version as IxfVersion, timestamp: String(d.timestamp), exchanges, members, addresses, macs, anomalies };
}
