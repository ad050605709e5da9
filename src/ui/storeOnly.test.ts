/**
 * The page talks to the engine only through store actions: no UI module (nor main.tsx) posts to the
 * worker or writes the store's state directly. A plain text check of the sources.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = new URL('..', import.meta.url).pathname; // src/
const FORBIDDEN = ['setState(', '.send(', 'postMessage(', 'engineBridge'];

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return sources(p);
    return /\.tsx?$/.test(e.name) && !/\.test\.tsx?$/.test(e.name) ? [p] : [];
  });
}

describe('the UI goes through the store', () => {
  const files = [...sources(join(root, 'ui')), join(root, 'main.tsx')];

  it('finds the UI sources', () => {
    expect(files.length).toBeGreaterThan(20);
  });

  it.each(FORBIDDEN)('no UI source contains %s', (needle) => {
    const hits = files.flatMap((f) =>
      readFileSync(f, 'utf8')
        .split('\n')
        .flatMap((line, i) => (line.includes(needle) ? [`${f.slice(root.length)}:${i + 1}: ${line.trim()}`] : [])),
    );
    expect(hits).toEqual([]);
  });
});
