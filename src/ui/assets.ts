import { existsSync } from 'node:fs';
import path from 'node:path';

/**
 * The directory of the page's static files. `npm run build` copies `src/ui/public` to `dist/ui/public`
 * (scripts/copy-ui-assets.js), so the first candidate works from `src` (ts-node, jest) and from `dist`;
 * the second lets a `dist` built without the copy step still find the files in the source tree.
 * Undefined when neither holds them.
 */
export function resolvePublicDir(baseDir: string = __dirname): string | undefined {
  const candidates = [path.join(baseDir, 'public'), path.resolve(baseDir, '..', '..', 'src', 'ui', 'public')];
  return candidates.find((dir) => existsSync(path.join(dir, 'index.html')));
}
