import { BlockList, isIP } from 'node:net';
import { DomainError } from '../errors.js';
import type { ResolvedAddress, WebhookSettings } from './settings.js';

/**
 * Addresses a webhook must never reach unless WEBHOOK_ALLOW_PRIVATE: "this" network, loopback,
 * private (RFC 1918), CGNAT, link-local (cloud metadata at 169.254.169.254), benchmarking,
 * multicast and reserved; IPv6 loopback, unspecified, unique-local, link-local and multicast.
 * IPv4-mapped and NAT64 IPv6 addresses are judged by the IPv4 address they carry.
 */
const refused = new BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const)
  refused.addSubnet(network, prefix, 'ipv4');
for (const [network, prefix] of [
  // Unspecified, loopback and the deprecated IPv4-compatible addresses (::a.b.c.d).
  ['::', 96],
  ['fc00::', 7],
  ['fe80::', 10],
  ['fec0::', 10],
  ['ff00::', 8],
] as const)
  refused.addSubnet(network, prefix, 'ipv6');

/** The IPv4 address inside an IPv4-mapped (::ffff:a.b.c.d) or NAT64 (64:ff9b::a.b.c.d) IPv6 address. */
function embeddedIpv4(address: string): string | null {
  const lower = address.toLowerCase();
  const dotted = /^(?:::ffff:(?:0:)?|64:ff9b::)(\d+\.\d+\.\d+\.\d+)$/.exec(lower);
  if (dotted) return dotted[1] ?? null;
  const hex = /^(?:::ffff:(?:0:)?|64:ff9b::)([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(lower);
  if (!hex) return null;
  const high = Number.parseInt(hex[1] ?? '0', 16);
  const low = Number.parseInt(hex[2] ?? '0', 16);
  return [high >> 8, high & 255, low >> 8, low & 255].join('.');
}

/** True for an address a webhook may not reach without WEBHOOK_ALLOW_PRIVATE. */
export function isRefusedAddress(address: string): boolean {
  try {
    const family = isIP(address);
    if (family === 4) return refused.check(address, 'ipv4');
    if (family === 6) {
      const v4 = embeddedIpv4(address);
      if (v4 !== null) return refused.check(v4, 'ipv4');
      return refused.check(address, 'ipv6');
    }
  } catch {
    // An address the checker cannot read (a zone id, say) is not trusted.
  }
  return true;
}

export class WebhookUrlRefused extends DomainError {
  constructor(message: string) {
    super('invalid_request', 'webhook_url_refused', message);
  }
}

/** The host of a URL as an address or a name: `[::1]` → `::1`. */
export function hostOf(url: URL): string {
  return url.hostname.replace(/^\[(.*)\]$/, '$1');
}

/**
 * Resolves a webhook host to the addresses it may be connected to, refusing the lot when any of
 * them is internal (a name that resolves to both public and private addresses is not trusted).
 */
export async function allowedAddresses(hostname: string, settings: WebhookSettings): Promise<ResolvedAddress[]> {
  const family = isIP(hostname);
  let addresses: ResolvedAddress[];
  if (family !== 0) addresses = [{ address: hostname, family }];
  else {
    try {
      addresses = await settings.resolve(hostname);
    } catch {
      throw new WebhookUrlRefused('The webhook host name could not be resolved.');
    }
    if (addresses.length === 0) throw new WebhookUrlRefused('The webhook host name could not be resolved.');
  }
  if (!settings.allowPrivate && addresses.some((a) => isRefusedAddress(a.address))) {
    throw new WebhookUrlRefused('Webhook URLs may not point at loopback, private, link-local or multicast addresses.');
  }
  return addresses;
}

/**
 * Checks a webhook URL at registration: https:// (http:// too when private addresses are
 * allowed), no credentials in it, and a host that resolves to public addresses only. The same
 * check runs again at every connection (see transport.ts), so a name re-pointed later (DNS
 * rebinding) cannot reach the inside.
 */
export async function checkWebhookUrl(raw: string, settings: WebhookSettings): Promise<URL> {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new WebhookUrlRefused('The webhook URL is not an absolute URL.');
  }
  const schemeAllowed = url.protocol === 'https:' || (settings.allowPrivate && url.protocol === 'http:');
  if (!schemeAllowed) throw new WebhookUrlRefused('Webhook URLs must start with https://.');
  if (url.username !== '' || url.password !== '') throw new WebhookUrlRefused('Webhook URLs may not carry a user name or password.');
  await allowedAddresses(hostOf(url), settings);
  return url;
}
