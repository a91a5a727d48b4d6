import { ConfigError, loadConfig } from '../src/config';

describe('loadConfig: WEBHOOK_SECRET', () => {
  it('refuses a whsec_ secret that is not followed by base64 key bytes, naming the variable', () => {
    expect(() => loadConfig({ WEBHOOK_SECRET: 'good-secret,whsec_!!!' })).toThrow(ConfigError);
    expect(() => loadConfig({ WEBHOOK_SECRET: 'good-secret,whsec_!!!' })).toThrow(/WEBHOOK_SECRET secret #2 starts with whsec_/);
  });

  it('accepts a whsec_ secret with valid base64 key bytes', () => {
    const config = loadConfig({ WEBHOOK_SECRET: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw' });
    expect(config.secrets).toEqual(['whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw']);
  });
});
