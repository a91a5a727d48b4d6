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
    ['[::1]', 'loopback'],
    ['localhost', 'not an IP address'],
  ])('refuses %s as %s', (address, reason) => {
    expect(forbiddenAddressReason(address)).toBe(reason);
  });

  it.each(['8.8.8.8', '1.1.1.1', '172.32.0.1', '100.128.0.1', '2606:4700:4700::1111', '::ffff:8.8.8.8'])('allows the public address %s', (address) => {
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
