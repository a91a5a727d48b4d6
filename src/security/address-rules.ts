import { BlockList, isIP } from 'node:net';

/**
 * Address ranges a webhook must not be sent to when `SEND_BLOCK_PRIVATE=true`: anything that reaches this
 * machine, the local network or a cloud metadata service rather than the public internet (SSRF).
 * Sources: RFC 6890 (special-purpose registries), RFC 6598 (CGNAT), RFC 4193 (unique-local), RFC 4291.
 */
const RANGES: readonly { readonly network: string; readonly prefix: number; readonly type: 'ipv4' | 'ipv6'; readonly reason: string }[] = [
  { network: '0.0.0.0', prefix: 8, type: 'ipv4', reason: 'this-network' },
  { network: '10.0.0.0', prefix: 8, type: 'ipv4', reason: 'private' },
  { network: '100.64.0.0', prefix: 10, type: 'ipv4', reason: 'carrier-grade NAT' },
  { network: '127.0.0.0', prefix: 8, type: 'ipv4', reason: 'loopback' },
  { network: '169.254.0.0', prefix: 16, type: 'ipv4', reason: 'link-local (cloud metadata)' },
  { network: '172.16.0.0', prefix: 12, type: 'ipv4', reason: 'private' },
  { network: '192.0.0.0', prefix: 24, type: 'ipv4', reason: 'IETF protocol assignments' },
  { network: '192.168.0.0', prefix: 16, type: 'ipv4', reason: 'private' },
  { network: '198.18.0.0', prefix: 15, type: 'ipv4', reason: 'benchmarking' },
  { network: '224.0.0.0', prefix: 4, type: 'ipv4', reason: 'multicast' },
  { network: '240.0.0.0', prefix: 4, type: 'ipv4', reason: 'reserved' },
  { network: '::', prefix: 128, type: 'ipv6', reason: 'unspecified' },
  { network: '::1', prefix: 128, type: 'ipv6', reason: 'loopback' },
  { network: 'fc00::', prefix: 7, type: 'ipv6', reason: 'unique-local' },
  { network: 'fe80::', prefix: 10, type: 'ipv6', reason: 'link-local' },
  { network: 'ff00::', prefix: 8, type: 'ipv6', reason: 'multicast' },
];

const lists = RANGES.map((range) => {
  const list = new BlockList();
  list.addSubnet(range.network, range.prefix, range.type);
  return { list, range };
});

/**
 * The IPv4 address inside an IPv4-mapped (`::ffff:127.0.0.1`, `::ffff:7f00:1`), IPv4-compatible (`::7f00:1`)
 * or NAT64 (`64:ff9b::7f00:1`) IPv6 address, which would otherwise smuggle a private IPv4 target past the
 * IPv6 rules.
 */
/**
 * An IPv6 address as the URL parser writes it: lower case, compressed, a dotted tail turned into hex. A zone
 * id (`fe80::1%eth0`, which `isIP` accepts but the URL parser refuses) is dropped: it names an interface, not
 * an address.
 */
export function canonicalIpv6(address: string): string {
  const zone = address.indexOf('%');
  return new URL(`http://[${zone < 0 ? address : address.slice(0, zone)}]/`).hostname.slice(1, -1);
}

export function embeddedIpv4(address: string): string | undefined {
  if (isIP(address) !== 6) return undefined;
  const canonical = canonicalIpv6(address);
  const match = /^(?:::ffff:|::|64:ff9b::)([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(canonical);
  if (!match) return undefined;
  const high = parseInt(match[1]!, 16);
  const low = parseInt(match[2]!, 16);
  return [high >> 8, high & 0xff, low >> 8, low & 0xff].join('.');
}

/** Why `address` (an IP literal) is not a public destination, or undefined when it is. Non-IPs are refused. */
export function forbiddenAddressReason(address: string): string | undefined {
  const bare = address.startsWith('[') && address.endsWith(']') ? address.slice(1, -1) : address;
  const family = isIP(bare);
  if (family === 0) return 'not an IP address';
  const v4 = family === 6 ? embeddedIpv4(bare) : bare;
  const ip = v4 ?? bare;
  const type = v4 !== undefined ? 'ipv4' : family === 6 ? 'ipv6' : 'ipv4';
  for (const { list, range } of lists) {
    if (range.type === type && list.check(ip, type)) return range.reason;
  }
  return undefined;
}

/** Whether `host` (lower case, without brackets or port) matches one of `allowed`; `*.x.com` matches subdomains only. */
export function hostAllowed(host: string, allowed: readonly string[]): boolean {
  const name = host.toLowerCase().replace(/\.$/, '');
  return allowed.some((pattern) => {
    const p = pattern.replace(/\.$/, '');
    if (p.startsWith('*.')) return name.endsWith(p.slice(1)) && name.length > p.length - 1;
    return name === p || name === p.replace(/^\[|\]$/g, '');
  });
}

/** Whether a client address is on the loopback interface: 127.0.0.0/8, ::1 or ::ffff:127.x. */
export function isLoopback(address: string | undefined): boolean {
  if (!address) return false;
  if (address === '::1') return true;
  const v4 = isIP(address) === 6 ? embeddedIpv4(address) : address;
  return v4 !== undefined && isIP(v4) === 4 && v4.startsWith('127.');
}
