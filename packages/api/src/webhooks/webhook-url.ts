// Which URLs a webhook may point at (SSRF guard). Checked when a webhook is
// made or changed, and again at every attempt on the address the name
// resolves to then, at connect time (a name can change what it points to).
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';
import type { FieldProblem } from '../errors/api-errors';
import { resolveHost } from './resolve-host';

export const MAX_URL_LENGTH = 2048;

/** Only ordinary public unicast addresses: not loopback, private, link-local, unique-local, unspecified, ... */
export function isPublicAddress(address: string): boolean {
  if (!ipaddr.isValid(address)) return false;
  let ip = ipaddr.parse(address);
  if (ip.kind() === 'ipv6' && (ip as ipaddr.IPv6).isIPv4MappedAddress()) ip = (ip as ipaddr.IPv6).toIPv4Address();
  return ip.range() === 'unicast';
}

/** The URL's shape, before any name is resolved: the problems, or none. */
export function urlShapeProblems(raw: string): FieldProblem[] {
  const problem = (message: string) => [{ field: 'url', message }];
  if (raw.length > MAX_URL_LENGTH) return problem(`must be at most ${MAX_URL_LENGTH} characters`);
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return problem('is not a URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return problem('must be http or https');
  if (url.username || url.password) return problem('must not carry a user or password');
  return [];
}

/** The hostname as the resolver and IP checks want it ("[::1]" -> "::1"). */
export const hostOf = (url: URL): string => url.hostname.replace(/^\[|\]$/g, '');

/** How long a create or update waits for the URL's name to resolve. */
export const CHECK_RESOLVE_MS = 3_000;
/** One answer whether the name does not resolve or resolves somewhere internal: neither maps a private network for the caller. */
export const NOT_PUBLIC = 'must resolve to a public address (not loopback, private, link-local or unspecified)';

/** Shape, then (unless private targets are allowed) every address the host resolves to now, within CHECK_RESOLVE_MS. */
export async function checkWebhookUrl(raw: string, allowPrivate: boolean): Promise<FieldProblem[]> {
  const shape = urlShapeProblems(raw);
  if (shape.length || allowPrivate) return shape;
  const host = hostOf(new URL(raw));
  let addresses: string[];
  try {
    // resolveHost: a time budget, and the system resolver's threads used a few at a time.
    addresses = isIP(host) ? [host] : await resolveHost(host, CHECK_RESOLVE_MS);
  } catch {
    return [{ field: 'url', message: NOT_PUBLIC }];
  }
  return addresses.length && addresses.every(isPublicAddress) ? [] : [{ field: 'url', message: NOT_PUBLIC }];
}

export class RefusedAddressError extends Error {
  readonly code = 'EREFUSEDADDRESS';
}

/**
 * A dns.lookup for http.request that refuses non-public addresses: the
 * check happens on the very address the connection will use.
 */
export function guardedLookup(allowPrivate: boolean): typeof dnsLookup {
  return ((
    hostname: string,
    options: object,
    callback: (err: Error | null, address: string | LookupAddress[], family?: number) => void,
  ) => {
    dnsLookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, '');
      const list = addresses as LookupAddress[];
      const refused = allowPrivate ? undefined : list.find((a) => !isPublicAddress(a.address));
      if (refused)
        return callback(new RefusedAddressError(`refused: ${hostname} does not resolve to a public address`), '');
      if ((options as { all?: boolean }).all) return callback(null, list);
      callback(null, list[0].address, list[0].family);
    });
  }) as typeof dnsLookup;
}
