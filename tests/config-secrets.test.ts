import { ConfigError, loadConfig } from '../src/config';

describe('loadConfig: STANDARD_WEBHOOK_SECRET', () => {
  it('refuses a whsec_ secret that is not followed by base64 key bytes, naming the variable', () => {
    expect(() => loadConfig({ STANDARD_WEBHOOK_SECRET: 'good-secret,whsec_!!!' })).toThrow(ConfigError);
    expect(() => loadConfig({ STANDARD_WEBHOOK_SECRET: 'good-secret,whsec_!!!' })).toThrow(/^ {2}- STANDARD_WEBHOOK_SECRET secret #2 starts with whsec_/m);
  });

  it('accepts a whsec_ secret with valid base64 key bytes', () => {
    const config = loadConfig({ STANDARD_WEBHOOK_SECRET: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw' });
    expect(config.schemeSecrets.standard).toEqual(['whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw']);
  });
});
