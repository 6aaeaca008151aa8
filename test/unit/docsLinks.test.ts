/**
 * The documentation's relative links lead somewhere: every `[text](path#anchor)` of the pages
 * names a file of the repository and, with an anchor, a heading of that file (GitHub's slugs).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '../..');

/**
 * Pages written on other branches at the same time as the links to them; until they exist, a
 * link to one of them is let through (once they exist, their links and anchors are checked).
 */
const PAGES_ARRIVING = new Set(['docs/refresh.md', 'docs/observability.md', 'docs/cost.md']);

const pages = [
  'README.md',
  'SECURITY.md',
  'CONTRIBUTING.md',
  ...readdirSync(join(ROOT, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .map((name) => `docs/${name}`),
  'packages/core/README.md',
  'packages/cli/README.md',
  'infra/README.md',
].filter((page) => existsSync(join(ROOT, page)));

/** The text without fenced blocks and inline code, where `[a](b)` is no link. */
function prose(markdown: string): string {
  return markdown.replace(/^([ \t]*)(`{3,}|~{3,})[\s\S]*?^\1\2/gm, '').replace(/`[^`\n]*`/g, '');
}

/** GitHub's anchor of a heading: lower case, punctuation dropped, each space a hyphen. */
function slug(heading: string): string {
  return heading
    .replace(/`/g, '')
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

function anchors(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const result = new Set<string>();
  for (const [, heading] of prose(markdown).matchAll(/^#{1,6}\s+(.+)$/gm)) {
    const base = slug(heading as string);
    const count = seen.get(base) ?? 0;
    seen.set(base, count + 1);
    result.add(count === 0 ? base : `${base}-${count}`);
  }
  return result;
}

describe('documentation links', () => {
  it('finds the pages', () => {
    expect(pages).toContain('README.md');
    expect(pages).toContain('docs/api.md');
  });

  it.each(pages)('%s: every relative link names a file and a heading that exist', (page) => {
    const text = readFileSync(join(ROOT, page), 'utf8');
    const broken: string[] = [];
    for (const [, target] of prose(text).matchAll(/\]\(([^)\s]+)\)/g)) {
      if (/^[a-z]+:/i.test(target as string)) continue; // https:, mailto:
      const [path = '', anchor] = (target as string).split('#');
      const file = path === '' ? page : normalize(join(dirname(page), path));
      if (!existsSync(join(ROOT, file))) {
        if (!PAGES_ARRIVING.has(file)) broken.push(`${target}: no ${relative('.', file)}`);
        continue;
      }
      if (anchor && !anchors(readFileSync(join(ROOT, file), 'utf8')).has(anchor))
        broken.push(`${target}: no heading #${anchor} in ${file}`);
    }
    expect(broken).toEqual([]);
  });

  it('slugs headings as GitHub does', () => {
    expect(slug('Write guarantees (write protocol v3)')).toBe('write-guarantees-write-protocol-v3');
    expect(slug('Your own clients, timeouts and Regions')).toBe(
      'your-own-clients-timeouts-and-regions',
    );
    expect(slug('1. Envelope crypto')).toBe('1-envelope-crypto');
    expect(slug('The `storage.secrets` entry')).toBe('the-storagesecrets-entry');
  });
});
