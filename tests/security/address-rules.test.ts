import { forbiddenAddressReason, hostAllowed, isLoopback } from '../../src/security/address-rules';

describe('forbiddenAddressReason', () => {
  it.each([
    ['127.0.0.1', 'loopback'],
    ['0.0.0.0', 'this-network'],
    ['10.255.0.1', 'private'],
    ['172.16.0.1', 'private'],
    ['192.168.0.1', 'private'],
    ['169.254.169.254', 'link-local (cloud metadata)'],
    ['100.127.255.255', 'carrier-grade NAT'],
    ['::1', 'loopback'],
    ['::', 'unspecified'],
    ['fc00::1', 'unique-local'],
    ['fdff::1', 'unique-local'],
    ['fe80::abcd', 'link-local'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:7f00:1', 'loopback'],
    ['::ffff:169.254.169.254', 'link-local (cloud metadata)'],
    ['64:ff9b::10.0.0.1', 'private'],
    // IPv6 forms that embed an IPv4 address (issue 11), each with a private or loopback one inside.
    ['::ffff:0:10.0.0.1', 'private'], // SIIT
    ['::ffff:0:7f00:1', 'loopback'],
    ['64:ff9b::7f00:1', 'loopback'], // NAT64 well-known, hex spelling
    ['64:ff9b::169.254.169.254', 'link-local (cloud metadata)'],
    ['64:ff9b:1::8.8.8.8', 'NAT64 local-use'], // maps to whatever the operator chose: refused as a whole
    ['64:ff9b:1:abcd::1', 'NAT64 local-use'],
    ['2002:7f00:1::', 'loopback'], // 6to4 of 127.0.0.1
    ['2002:a00:1::1', 'private'], // 6to4 of 10.0.0.1
    ['2002:c0a8:101:1::1', 'private'], // 6to4 of 192.168.1.1
    ['2002:a9fe:a9fe::', 'link-local (cloud metadata)'], // 6to4 of 169.254.169.254
    ['::10.0.0.1', 'private'], // IPv4-compatible
    ['fec0::1', 'site-local'],
    ['feff:ffff::1', 'site-local'],
    ['[::1]', 'loopback'],
    ['localhost', 'not an IP address'],
  ])('refuses %s as %s', (address, reason) => {
    expect(forbiddenAddressReason(address)).toBe(reason);
  });

  it.each(['8.8.8.8', '1.1.1.1', '172.32.0.1', '100.128.0.1', '2606:4700:4700::1111', '::ffff:8.8.8.8', '::ffff:0:8.8.8.8', '64:ff9b::8.8.8.8', '2002:808:808::1', '64:ff9a::10.0.0.1'])('allows the public address %s', (address) => {
    expect(forbiddenAddressReason(address)).toBeUndefined();
  });
});

describe('hostAllowed', () => {
  it('matches exact names case-insensitively, ignoring a trailing dot', () => {
    expect(hostAllowed('Hooks.Example.com.', ['hooks.example.com'])).toBe(true);
  });

  it('matches subdomains with a wildcard, but not the bare domain or a look-alike', () => {
    expect(hostAllowed('a.b.example.com', ['*.example.com'])).toBe(true);
    expect(hostAllowed('example.com', ['*.example.com'])).toBe(false);
    expect(hostAllowed('badexample.com', ['*.example.com'])).toBe(false);
  });
});

describe('isLoopback', () => {
  it.each([
    ['127.0.0.1', true],
    ['127.255.0.9', true],
    ['::1', true],
    ['::ffff:127.0.0.1', true],
    ['128.0.0.1', false],
    ['::ffff:10.0.0.1', false],
    // Only the mapped form is this machine: a 6to4, NAT64 or SIIT address embedding 127.x comes from the network.
    ['2002:7f00:1::', false],
    ['64:ff9b::127.0.0.1', false],
    ['::ffff:0:127.0.0.1', false],
    ['', false],
    [undefined, false],
  ])('says %s is loopback: %s', (address, expected) => {
    expect(isLoopback(address)).toBe(expected);
  });
});

describe('IPv6 addresses with a zone id', () => {
  it('are read without the zone, never a crash (isIP accepts them, the URL parser does not)', async () => {
    const { isLoopback, embeddedIpv4 } = await import('../../src/security/address-rules');
    const { rateLimitKey } = await import('../../src/middleware/rate-limit');
    expect(isLoopback('fe80::1%eth0')).toBe(false);
    expect(embeddedIpv4('::ffff:127.0.0.1%lo')).toBe('127.0.0.1');
    expect(rateLimitKey('fe80::1:2:3:4%eth0')).toBe('fe80:0:0:0::/64');
  });
});
