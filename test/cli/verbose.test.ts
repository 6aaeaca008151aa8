/**
 * `--verbose`: one line per store operation on stderr, from the `secrets-store:operation`
 * channel, with the requests and the capacity units the local store's dynalite reported; the
 * output on stdout unchanged; never a value.
 */
import { describe, expect, it } from 'vitest';
import { useTemporaryFolder } from '../support/temporaryFolder.ts';
import { runCli } from './runCli.ts';

const CANARY = 'canary-5d1f-never-on-stderr';
const workdir = useTemporaryFolder('secrets-store-verbose-');

const cli = (args: string[]) => runCli(['--local', '--verbose', ...args], { cwd: workdir() });
const MS = String.raw`\d+\.\d ms`;

describe('--verbose', () => {
  it('prints one line per operation on stderr: outcome, ms, requests, capacity units', () => {
    const put = cli(['put', 'authToken', JSON.stringify({ token: CANARY })]);
    expect(put).toMatchObject({ code: 0, stdout: 'true\n' });
    expect(put.stderr).toMatch(
      new RegExp(
        `^secrets-store: put "authToken": ok in ${MS}; DynamoDB 1 request \\(0 read units, 1 write unit\\); KMS 0 requests\\n$`,
      ),
    );
    const get = cli(['get', 'authToken', 'other']);
    expect(get.stdout).toBe(`{"authToken":{"token":"${CANARY}"}}\n`);
    // getMany of two keys: one BatchGetItem, one read unit each (an absent key costs the minimum).
    expect(get.stderr).toMatch(
      new RegExp(
        `^secrets-store: getMany 2 keys: ok in ${MS}; DynamoDB 1 request \\(2 read units, 0 write units\\); KMS 0 requests\\n$`,
      ),
    );
    const patch = cli(['patch', 'authToken', '{"n":1}']);
    expect(patch.stderr).toMatch(
      new RegExp(
        `^secrets-store: patch "authToken": ok in ${MS}; DynamoDB 2 requests \\(1 read unit, 1 write unit\\); KMS 0 requests\\n$`,
      ),
    );
    const list = cli(['list']);
    expect(list.stdout).toBe('["authToken"]\n');
    expect(list.stderr).toMatch(
      new RegExp(`^secrets-store: keys: ok in ${MS}; DynamoDB 1 request`),
    );
    for (const result of [put, get, patch, list]) expect(result.stderr).not.toContain(CANARY);
  });

  it('rotate-key: the rewrap of each namespace on its own line', () => {
    const result = cli(['rotate-key']);
    expect(result.code).toBe(0);
    // One secret (authToken) moved: Query, GetItem, PutItem; its data key unwrapped and wrapped locally.
    expect(result.stderr).toMatch(
      new RegExp(
        `^secrets-store: rewrap: ok in ${MS}; DynamoDB 3 requests \\(2 read units, 1 write unit\\); KMS 0 requests$`,
        'm',
      ),
    );
    expect(result.stderr).not.toContain(CANARY);
  });

  it('a failed operation: its error code on its line, then the error', () => {
    const result = cli(['put', 'x'.repeat(1025), '{}']);
    expect(result.code).toBe(2);
    expect(result.stderr.split('\n')[0]).toMatch(
      new RegExp(`^secrets-store: put "x{1025}": INVALID_KEY in ${MS}; DynamoDB 0 requests`),
    );
  });

  it('without --verbose: nothing on stderr', () => {
    const result = runCli(['--local', 'get', 'authToken'], { cwd: workdir() });
    expect(result).toMatchObject({ code: 0, stderr: '' });
  });
});
