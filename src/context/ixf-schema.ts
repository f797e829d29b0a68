/**
 * JSON Schema (draft-07, for ajv) of the IX-F Member Export, versions 0.6, 0.7 and 1.0, written
 * here from the published specification (the IX-F "IXP Member List" documents): the structure a
 * reader relies on, with the types the specification gives. Address formats are not checked by
 * the schema; the loader checks them and reports bad ones as anomalies, keeping the rest. MAC
 * lists are accepted under both names real exports use (`mac_addresses`, and the older
 * `mac_address`).
 */

export const IXF_VERSIONS = ['0.6', '0.7', '1.0'] as const;
export type IxfVersion = (typeof IXF_VERSIONS)[number];

const str = { type: 'string' } as const;
const int = { type: 'integer' } as const;
const strList = { type: 'array', items: str } as const;

function addressFamily(version: IxfVersion): object {
  const props: Record<string, object> = {
    address: str, as_macro: str, max_prefix: int, routeserver: { type: 'boolean' },
    mac_addresses: strList, mac_address: strList,
  };
  if (version === '0.7') props.service_type = str;
  if (version === '1.0') props.services = { type: 'array' };
  return { type: 'object', properties: props };
}

export function ixfSchema(version: IxfVersion): object {
  const memberTypes = version === '0.6' ? ['peering', 'ixp', 'routeserver', 'probono', 'other'] : ['peering', 'ixp', 'other'];
  const prefix = { type: 'object', properties: { prefix: str, mask_length: int, looking_glass_urls: strList } };
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    type: 'object',
    required: ['version', 'timestamp', 'ixp_list', 'member_list'],
    properties: {
      version: str,
      timestamp: str,
      ixp_list: {
        type: 'array',
        items: {
          type: 'object',
          // The specification requires ixf_id too; real exports (arouteserver's) leave it out, so the loader reports it instead.
          required: ['ixp_id', 'shortname'],
          properties: {
            ixp_id: int, ixf_id: int, shortname: str, name: str, url: str, country: str, peeringdb_id: int,
            peering_policy_list: strList,
            switch: { type: 'array', items: { type: 'object', properties: { id: int, name: str, colo: str, city: str, country: str } } },
            vlan: { type: 'array', items: { type: 'object', properties: { id: int, name: str, ipv4: prefix, ipv6: prefix } } },
          },
        },
      },
      member_list: {
        type: 'array',
        items: {
          type: 'object',
          required: ['asnum', 'connection_list'],
          properties: {
            asnum: { type: 'integer', minimum: 0, maximum: 4294967295 },
            member_type: { type: 'string', enum: memberTypes },
            name: str, url: str, peering_policy: str, peering_policy_url: str, member_since: str,
            contact_email: strList, contact_phone: strList, contact_hours: str,
            connection_list: {
              type: 'array',
              items: {
                type: 'object',
                required: ['ixp_id'],
                properties: {
                  ixp_id: int, state: str, connected_since: str,
                  if_list: { type: 'array', items: { type: 'object', properties: { switch_id: int, if_speed: int, if_type: str } } },
                  vlan_list: {
                    type: 'array',
                    items: { type: 'object', properties: { vlan_id: int, ipv4: addressFamily(version), ipv6: addressFamily(version) } },
                  },
                },
              },
            },
          },
        },
      },
    },
  };
}
