/**
 * The CLI's one-line error: the reason of a network failure from the cause chain, never the
 * message of any other cause (which could echo data).
 */
import { StorageError } from '@secrets-store/core';
import { describe, expect, it } from 'vitest';
import { describeError } from '../../packages/cli/src/errors.ts';

const refused = () =>
  Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED' });

describe('describeError', () => {
  it('adds the network reason found in the cause chain', () => {
    const error = new StorageError(
      'DynamoDB failed the get of "k" in namespace n (table t): Error',
      {
        cause: refused(),
      },
    );
    expect(describeError(error)).toBe(
      'DynamoDB failed the get of "k" in namespace n (table t): Error (connect ECONNREFUSED 127.0.0.1:9)',
    );
  });

  it('completes a message that names the bare code instead of repeating it', () => {
    const error = new StorageError('DynamoDB failed the get of "k": Error (ECONNREFUSED)', {
      cause: refused(),
    });
    expect(describeError(error)).toBe(
      'DynamoDB failed the get of "k": Error (connect ECONNREFUSED 127.0.0.1:9)',
    );
  });

  it('finds the reason in a nested cause, and names the code of an AggregateError without a message', () => {
    const aggregate = Object.assign(new AggregateError([refused()], ''), { code: 'ECONNREFUSED' });
    const error = new StorageError('failed: Error', {
      cause: new Error('wrapper', { cause: aggregate }),
    });
    expect(describeError(error)).toBe('failed: Error (connect ECONNREFUSED 127.0.0.1:9)');
  });

  it('never prints the message of a cause that is not a network error', () => {
    const error = new StorageError('DynamoDB failed the put of "k": ValidationException', {
      cause: Object.assign(new Error('value hunter2 is invalid'), { name: 'ValidationException' }),
    });
    expect(describeError(error)).toBe('DynamoDB failed the put of "k": ValidationException');
  });

  it('adds what to do when the SDK had no region or no credentials', () => {
    const noRegion = new StorageError('DynamoDB failed the get of "k": Error: Region is missing');
    expect(describeError(noRegion)).toBe(
      'DynamoDB failed the get of "k": Error: Region is missing; set AWS_REGION or pass --region',
    );
    const noCredentials = new StorageError(
      'DynamoDB failed the get of "k": CredentialsProviderError: Could not load credentials from any providers',
    );
    expect(describeError(noCredentials)).toBe(
      'DynamoDB failed the get of "k": CredentialsProviderError: Could not load credentials from any providers; configure AWS credentials (AWS_PROFILE, aws configure sso, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)',
    );
  });
});
