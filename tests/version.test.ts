import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { USER_AGENT, VERSION } from '../src/version';

describe('version', () => {
  it('equals the version in package.json', () => {
    const pkg = JSON.parse(readFileSync(join(__dirname, '..', 'package.json'), 'utf8')) as { version: string };
    expect(VERSION).toBe(pkg.version);
  });

  it('is named in the sender’s User-Agent', () => {
    expect(USER_AGENT).toBe(`webhook-server/${VERSION}`);
  });
});
