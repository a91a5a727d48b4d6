import { ENV_KEYS, ENV_TABLE } from './table';

const HEADER = '# Every variable the server reads, with its default. Copy to .env and change what you need.';

/** The text of `.env.example`, derived from `ENV_TABLE` (`npm run env-example` writes it; a test compares). */
export function renderEnvExample(): string {
  const lines = [HEADER, ''];
  for (const key of ENV_KEYS) {
    const { default: value, doc, section } = ENV_TABLE[key];
    if (section !== undefined) lines.push('', `# --- ${section} ---`);
    for (const line of doc) lines.push(`# ${line}`);
    lines.push(`${key}=${value}`);
  }
  return `${lines.join('\n')}\n`;
}
