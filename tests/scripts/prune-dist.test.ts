import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// scripts/prune-dist.js is plain CommonJS, run by `npm run build`.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { pruneDist } = require('../../scripts/prune-dist') as { pruneDist(dist: string, src: string): string[] };

let root: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'prune-dist-'));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

function touch(path: string): void {
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, '');
}

describe('npm run build: pruning compiled files whose source is gone', () => {
  it('removes dist/config.js once src/config.ts has become src/config/index.ts, which it would shadow', () => {
    touch(join(root, 'src', 'config', 'index.ts'));
    for (const file of ['config.js', 'config.js.map', 'config/index.js', 'config/index.js.map']) touch(join(root, 'dist', file));

    const removed = pruneDist(join(root, 'dist'), join(root, 'src'));

    expect(removed.sort()).toEqual(['config.js', 'config.js.map']);
    expect(existsSync(join(root, 'dist', 'config', 'index.js'))).toBe(true);
  });

  it("keeps the page's own files in dist/ui/public", () => {
    touch(join(root, 'src', 'ui', 'assets.ts'));
    touch(join(root, 'dist', 'ui', 'assets.js'));
    touch(join(root, 'dist', 'ui', 'public', 'main.js'));

    expect(pruneDist(join(root, 'dist'), join(root, 'src'))).toEqual([]);
    expect(existsSync(join(root, 'dist', 'ui', 'public', 'main.js'))).toBe(true);
  });
});
