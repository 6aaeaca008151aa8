/**
 * The code blocks of the documentation, and what the consumer test does with each: every block
 * a user may copy is run or type-checked, or says why not.
 *
 * Pages are discovered, not listed: README.md, SECURITY.md, CONTRIBUTING.md, every docs/*.md and
 * the README of each published package, so a page added later is covered at once.
 *
 * A block's fate comes from its language, or from an HTML comment on the line above it:
 *
 *   ts / js, no marker                       a complete program: type-checked (ts) and run
 *   <!-- consumer-test: file PATH -->         written to PATH where the page's session is
 *   <!-- consumer-test: run -->               (sh) run by bash in the page's session (it starts
 *                                             in the page's folder and follows its `cd`s)
 *   <!-- consumer-test: handler EVENT -->     (ts) a Lambda handler: type-checked, then
 *                                             handler(EVENT) called, EVENT being JSON (a JSON
 *                                             array: one invocation per element, in order)
 *   <!-- consumer-test: typecheck (REASON) -->  (ts) type-checked only
 *   <!-- consumer-test: skip (REASON) -->     shown only
 *   json, no marker                          parsed
 *   text or no language, no marker           output or a diagram: nothing to do
 *
 * Anything else (a sh block without a marker, a marker without its reason, an unknown marker) is
 * a mistake that names the page and line.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const TYPESCRIPT = new Set(['ts', 'typescript']);
const JAVASCRIPT = new Set(['js', 'javascript', 'mjs']);
const NOT_CODE = new Set(['', 'text', 'txt']);
const MARKER = /^<!--\s*consumer-test:\s*(.*?)\s*-->$/;

/** The documentation pages, relative to `root`, in a stable order. */
export function documentationPages(root, packageFolders) {
  const docs = existsSync(join(root, 'docs'))
    ? readdirSync(join(root, 'docs'))
        .filter((name) => name.endsWith('.md'))
        .sort()
        .map((name) => `docs/${name}`)
    : [];
  const packageReadmes = packageFolders.map((folder) => `${folder}/README.md`);
  return ['README.md', ...docs, 'SECURITY.md', 'CONTRIBUTING.md', ...packageReadmes].filter(
    (page) => existsSync(join(root, page)),
  );
}

/** Fenced blocks of a Markdown text: language, content, line of the fence, marker above. */
export function fencedBlocks(text) {
  const lines = text.split('\n');
  const blocks = [];
  for (let index = 0; index < lines.length; index++) {
    const open = /^(\s*)(`{3,}|~{3,})\s*([\w-]*)/.exec(lines[index]);
    if (!open) continue;
    const [, indent, fence, language] = open;
    const body = [];
    let end = index + 1;
    while (end < lines.length && !lines[end].trim().startsWith(fence)) {
      body.push(lines[end].startsWith(indent) ? lines[end].slice(indent.length) : lines[end]);
      end++;
    }
    let above = index - 1;
    while (above >= 0 && lines[above].trim() === '') above--;
    const marker = above >= 0 ? MARKER.exec(lines[above].trim())?.[1] : undefined;
    blocks.push({
      language: language.toLowerCase(),
      content: `${body.join('\n')}\n`,
      line: index + 1,
      marker,
    });
    index = end;
  }
  return blocks;
}

/** A reason in parentheses, required by `skip` and `typecheck`. */
function reasonOf(rest) {
  return /^\((.+)\)$/.exec(rest.trim())?.[1]?.trim();
}

/**
 * What to do with one block: `{ kind: 'program' | 'file' | 'run' | 'handler' | 'typecheck' |
 * 'skip' | 'json' | 'none', ... }`. Throws for a block that says nothing about itself.
 */
export function classify(block, where) {
  const { language, marker } = block;
  const mistake = (why) => {
    throw new Error(`${where}: ${why}. Mark it, e.g. <!-- consumer-test: skip (why) -->`);
  };
  if (marker === undefined) {
    if (TYPESCRIPT.has(language)) return { kind: 'program', typescript: true };
    if (JAVASCRIPT.has(language)) return { kind: 'program', typescript: false };
    if (language === 'json') return { kind: 'json' };
    if (NOT_CODE.has(language)) return { kind: 'none' };
    return mistake(`a \`${language}\` block without a consumer-test marker`);
  }
  const [verb = '', ...words] = marker.split(/\s+/);
  const rest = words.join(' ');
  switch (verb) {
    case 'file':
      if (!rest || rest.startsWith('/') || rest.includes('..'))
        return mistake(`file needs a relative path, got "${rest}"`);
      return { kind: 'file', path: rest };
    case 'run':
      if (!['sh', 'bash', 'shell'].includes(language)) return mistake('run is for sh blocks');
      return { kind: 'run' };
    case 'handler': {
      if (!TYPESCRIPT.has(language)) return mistake('handler is for ts blocks');
      try {
        const event = JSON.parse(rest);
        return { kind: 'handler', events: Array.isArray(event) ? event : [event] };
      } catch {
        return mistake(`handler needs a JSON event, got "${rest}"`);
      }
    }
    case 'typecheck':
      if (!TYPESCRIPT.has(language)) return mistake('typecheck is for ts blocks');
      if (!reasonOf(rest)) return mistake('typecheck needs its reason in parentheses');
      return { kind: 'typecheck', reason: reasonOf(rest) };
    case 'skip':
      if (!reasonOf(rest)) return mistake('skip needs its reason in parentheses');
      return { kind: 'skip', reason: reasonOf(rest) };
    default:
      return mistake(`unknown consumer-test marker "${marker}"`);
  }
}

/** Every page's blocks, classified: `[{ page, folder, blocks: [{ ...block, ...action }] }]`. */
export function documentationBlocks(root, packageFolders) {
  return documentationPages(root, packageFolders).map((page) => ({
    page,
    // One folder per page in the consumer project: pages' files never collide.
    folder: `pages/${page.replace(/[^A-Za-z0-9]+/g, '-')}`,
    blocks: fencedBlocks(readFileSync(join(root, page), 'utf8')).map((block) => ({
      ...block,
      ...classify(block, `${page}:${block.line}`),
    })),
  }));
}
