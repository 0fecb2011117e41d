import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { isIP, type LookupFunction } from 'node:net';
import ipaddr from 'ipaddr.js';
import { Agent, buildConnector } from 'undici';
import { invalidParameter } from '../../core/errors.js';

/**
 * The address ranges a destination may not reach unless the operator allows them
 * (TRAILKEEP_STREAMS_ALLOW_PRIVATE): loopback, private, link-local, carrier-grade NAT and the
 * like, where a stream could otherwise be pointed at the server's own network (server-side
 * request forgery). IPv4-mapped IPv6 addresses are judged as the IPv4 address they carry.
 */
const PUBLIC_RANGES = new Set(['unicast']);

/** Why `address` may not be reached, or null when it may. */
export function refusedAddress(address: string): string | null {
  if (!ipaddr.isValid(address)) return `${address} is not an IP address`;
  let ip = ipaddr.parse(address);
  if (ip.kind() === 'ipv6' && (ip as ipaddr.IPv6).isIPv4MappedAddress())
    ip = (ip as ipaddr.IPv6).toIPv4Address();
  const range = ip.range();
  return PUBLIC_RANGES.has(range)
    ? null
    : `${address} is a ${range} address; destinations may reach only public addresses unless TRAILKEEP_STREAMS_ALLOW_PRIVATE=true`;
}

export class RefusedAddressError extends Error {
  readonly code = 'ERR_TRAILKEEP_REFUSED_ADDRESS';
}

/**
 * Every connection a destination opens goes through here: names are resolved and each address
 * checked at every connection (so a name that later resolves to a private address is refused
 * then), and an IP literal is checked before connecting.
 */
export class SafeNet {
  /** For undici requests (webhook, Splunk, Datadog). */
  readonly dispatcher: Agent;

  constructor(readonly allowPrivate: boolean) {
    const connect = buildConnector({ lookup: this.lookup });
    this.dispatcher = new Agent({
      connect: (options, callback) => {
        const refused = this.refusedHost(options.hostname);
        if (refused) callback(new RefusedAddressError(refused), null);
        else connect(options, callback);
      },
    });
  }

  /** Why a literal address host may not be reached; null for names (checked when resolved) and allowed addresses. */
  refusedHost(host: string): string | null {
    const bare = host.replace(/^\[|\]$/g, '');
    if (this.allowPrivate || isIP(bare) === 0) return null;
    return refusedAddress(bare);
  }

  /** A `dns.lookup` for node:net, node:tls and node:https options that refuses what `refusedAddress` names. */
  readonly lookup: LookupFunction = (hostname, options, callback) => {
    dnsLookup(hostname, { ...options, all: true }, (err, addresses: LookupAddress[]) => {
      if (err) return callback(err, '', 0);
      const allowed = this.allowPrivate ? addresses : addresses.filter((a) => !refusedAddress(a.address));
      const first = allowed[0];
      if (!first) {
        const why = addresses[0] ? refusedAddress(addresses[0].address) : `${hostname} has no address`;
        return callback(new RefusedAddressError(`${hostname}: ${why}`), '', 0);
      }
      if (options.all) return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, allowed);
      callback(null, first.address, first.family);
    });
  };

  /**
   * Checks a destination URL at create and update: http(s) only, plain http only where private
   * addresses are allowed (a receiver on the operator's own network), no literal private address.
   */
  checkUrl(value: string, setting: string, schemes: readonly string[] = ['https:']): URL {
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      return invalidParameter(setting, 'is not a URL.', `destination.${setting}`);
    }
    const allowed = this.allowPrivate
      ? [...schemes, ...(schemes.includes('https:') ? ['http:'] : [])]
      : schemes;
    if (!allowed.includes(url.protocol))
      invalidParameter(setting, `must use ${allowed.join(' or ')}.`, `destination.${setting}`);
    this.checkHost(url.hostname, setting);
    return url;
  }

  /** Refuses a literal address host that may not be reached (names are checked at each connection). */
  checkHost(host: string, setting: string): void {
    const refused = this.refusedHost(host);
    if (refused) invalidParameter(setting, `is refused: ${refused}.`, `destination.${setting}`);
  }

  async close(): Promise<void> {
    await this.dispatcher.close();
  }
}
