import { BlockList, isIP } from 'node:net';
import ipaddr from 'ipaddr.js';

/**
 * Address ranges a webhook must not be sent to when `SEND_BLOCK_PRIVATE=true`: anything that reaches this
 * machine, the local network or a cloud metadata service rather than the public internet (SSRF).
 * Sources: RFC 6890 (special-purpose registries), RFC 6598 (CGNAT), RFC 4193 (unique-local), RFC 4291,
 * RFC 3879 (site-local, deprecated but still routed by some stacks), RFC 8215 (NAT64 local-use: it maps to
 * whatever IPv4 the operator chose, so it is refused as a whole). IPv6 forms that carry an IPv4 address are
 * checked by that address: see `embeddedIpv4`.
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
  { network: 'fec0::', prefix: 10, type: 'ipv6', reason: 'site-local' },
  { network: '64:ff9b:1::', prefix: 48, type: 'ipv6', reason: 'NAT64 local-use' },
  { network: 'ff00::', prefix: 8, type: 'ipv6', reason: 'multicast' },
];

const lists = RANGES.map((range) => {
  const list = new BlockList();
  list.addSubnet(range.network, range.prefix, range.type);
  return { list, range };
});

/**
 * An IPv6 address as the URL parser writes it: lower case, compressed, a dotted tail turned into hex. A zone
 * id (`fe80::1%eth0`, which `isIP` accepts but the URL parser refuses) is dropped: it names an interface, not
 * an address.
 */
export function canonicalIpv6(address: string): string {
  const zone = address.indexOf('%');
  return new URL(`http://[${zone < 0 ? address : address.slice(0, zone)}]/`).hostname.slice(1, -1);
}

const dotted = (high: number, low: number): string => [high >> 8, high & 0xff, low >> 8, low & 0xff].join('.');

/**
 * The IPv4 address inside an IPv6 address that carries one, which would otherwise smuggle a private IPv4
 * target past the IPv6 rules: IPv4-mapped `::ffff:a.b.c.d`, IPv4-compatible `::a.b.c.d`, SIIT
 * `::ffff:0:a.b.c.d` (RFC 6145), NAT64 well-known `64:ff9b::a.b.c.d` (RFC 6052) and 6to4 `2002:AABB:CCDD::/48`
 * (RFC 3056, the address in the second and third groups).
 */
export function embeddedIpv4(address: string): string | undefined {
  if (isIP(address) !== 6) return undefined;
  const p = ipaddr.IPv6.parse(canonicalIpv6(address)).parts;
  const zeros = (from: number, to: number): boolean => p.slice(from, to).every((part) => part === 0);
  if (p[0] === 0x2002) return dotted(p[1]!, p[2]!);
  const prefix =
    (zeros(0, 5) && p[5] === 0xffff) || // ::ffff:a.b.c.d
    (zeros(0, 4) && p[4] === 0xffff && p[5] === 0) || // ::ffff:0:a.b.c.d
    (p[0] === 0x64 && p[1] === 0xff9b && zeros(2, 6)) || // 64:ff9b::a.b.c.d
    (zeros(0, 6) && !zeros(6, 8) && !(p[6] === 0 && p[7] === 1)); // ::a.b.c.d, not :: or ::1
  return prefix ? dotted(p[6]!, p[7]!) : undefined;
}

/** Why `address` (an IP literal) is not a public destination, or undefined when it is. Non-IPs are refused. */
export function forbiddenAddressReason(address: string): string | undefined {
  const bare = address.startsWith('[') && address.endsWith(']') ? address.slice(1, -1) : address;
  const family = isIP(bare);
  if (family === 0) return 'not an IP address';
  const type = family === 6 ? 'ipv6' : 'ipv4';
  for (const { list, range } of lists) {
    if (range.type === type && list.check(bare, type)) return range.reason;
  }
  // An IPv6 form carrying an IPv4 address is judged by that address too.
  const v4 = family === 6 ? embeddedIpv4(bare) : undefined;
  if (v4 === undefined) return undefined;
  for (const { list, range } of lists) {
    if (range.type === 'ipv4' && list.check(v4, 'ipv4')) return range.reason;
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

/**
 * Whether a client address is on the loopback interface: 127.0.0.0/8, ::1 or ::ffff:127.x (how a dual-stack
 * socket reports an IPv4 client). Only the mapped form counts: a 6to4 or NAT64 address that embeds 127.x comes
 * from the network, not from this machine.
 */
export function isLoopback(address: string | undefined): boolean {
  if (!address) return false;
  const family = isIP(address);
  if (family === 4) return address.startsWith('127.');
  if (family !== 6) return false;
  const p = ipaddr.IPv6.parse(canonicalIpv6(address)).parts;
  if (p.slice(0, 7).every((part) => part === 0) && p[7] === 1) return true; // ::1
  return p.slice(0, 5).every((part) => part === 0) && p[5] === 0xffff && p[6]! >> 8 === 127;
}
