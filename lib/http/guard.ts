import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';
import { Agent, buildConnector } from 'undici';
import { ValidationError } from '../errors.js';
import { BlockedDestinationError } from './errors.js';

type Cidr = [ipaddr.IPv4 | ipaddr.IPv6, number];

/** Comma-separated CIDRs, as HTTP_ALLOWED_NETWORKS holds them; a ValidationError names a bad one. */
export function parseNetworks(networks: readonly string[]): Cidr[] {
  return networks.map((network) => {
    try {
      return ipaddr.parseCIDR(network);
    } catch {
      throw ValidationError.forField('env.HTTP_ALLOWED_NETWORKS', `"${network}" is not a CIDR such as 10.0.0.0/8 or ::1/128`);
    }
  });
}

/**
 * Whether a request may connect to `address`: a public unicast address, or one inside an allowed
 * network. Loopback, link-local (the instance and task metadata endpoints among them), private,
 * shared, unspecified, multicast and reserved addresses are refused. An IPv4-mapped IPv6 address
 * is judged as the IPv4 address it holds.
 */
export function mayConnectTo(address: string, allowed: readonly Cidr[]): boolean {
  let parsed: ipaddr.IPv4 | ipaddr.IPv6 = ipaddr.parse(address);
  if (parsed.kind() === 'ipv6' && (parsed as ipaddr.IPv6).isIPv4MappedAddress()) parsed = (parsed as ipaddr.IPv6).toIPv4Address();
  // The deprecated IPv4-compatible form (::a.b.c.d, ::/96), which ipaddr.js calls unicast.
  const isIPv4Compatible = parsed.kind() === 'ipv6' && (parsed as ipaddr.IPv6).parts.slice(0, 6).every((part) => part === 0);
  if (allowed.some(([network, bits]) => network.kind() === parsed.kind() && parsed.match(network, bits))) return true;
  return parsed.range() === 'unicast' && !isIPv4Compatible;
}

/**
 * An undici dispatcher whose connections reach only addresses `mayConnectTo` lets through.
 * Addresses are checked as each connection is made, after the name is resolved and so on every
 * redirect, so a name that resolves to a private address, or changes its answer between two
 * lookups, gets nowhere. Connections are kept alive and reused.
 */
export function guardedAgent(allowedNetworks: readonly string[]): Agent {
  const allowed = parseNetworks(allowedNetworks);
  const lookup = (hostname: string, options: { all?: boolean; family?: number }, callback: (error: Error | null, address: string | LookupAddress[], family?: number) => void) => {
    dnsLookup(hostname, { family: options.family ?? 0, all: true }, (error, addresses) => {
      if (error) return callback(error, '');
      const usable = addresses.filter((entry) => mayConnectTo(entry.address, allowed));
      const first = usable[0];
      if (!first) return callback(new BlockedDestinationError(hostname, addresses[0]?.address ?? 'no address'), '');
      return options.all ? callback(null, usable) : callback(null, first.address, first.family);
    });
  };
  const connector = buildConnector({ lookup } as unknown as buildConnector.BuildOptions);
  return new Agent({
    connect(options, callback) {
      const host = options.hostname.replace(/^\[|\]$/g, '');
      if (isIP(host) && !mayConnectTo(host, allowed)) return callback(new BlockedDestinationError(host, host), null);
      return connector(options, callback);
    },
  });
}
