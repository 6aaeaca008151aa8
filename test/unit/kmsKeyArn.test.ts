/**
 * KMS key identifiers (keyrings/kmsKeyArn.ts): one negative test per precondition of an ARN,
 * named after it; multi-Region keys and aliases; KmsKeyring refuses a malformed ARN before any
 * call. Taking the Region of an ARN is shown on moto in another Region (test/moto/kmsRegion.test.ts).
 */
import { ConfigurationError, KmsKeyring } from '@secrets-store/core';
import { describe, expect, it } from 'vitest';
import {
  isMultiRegionKeyId,
  parseKmsArn,
  regionOfKeyId,
} from '../../packages/core/src/keyrings/kmsKeyArn.ts';

const KEY_ARN = 'arn:aws:kms:eu-central-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab';

describe('parseKmsArn', () => {
  it('parses a key ARN and an alias ARN, in any partition', () => {
    expect(parseKmsArn(KEY_ARN)).toEqual({
      partition: 'aws',
      region: 'eu-central-1',
      account: '111122223333',
      resourceType: 'key',
      resourceId: '1234abcd-12ab-34cd-56ef-1234567890ab',
    });
    expect(parseKmsArn('arn:aws-cn:kms:cn-north-1:111122223333:alias/team/secrets')).toEqual({
      partition: 'aws-cn',
      region: 'cn-north-1',
      account: '111122223333',
      resourceType: 'alias',
      resourceId: 'team/secrets',
    });
  });

  it.each([
    [
      'an ARN has six parts',
      'arn:aws:kms:eu-central-1:key/1',
      /has 5 ':'-separated parts, an ARN has 6/,
    ],
    ['it starts with "arn:"', 'urn:aws:kms:eu-central-1:1:key/1', /does not start with "arn:"/],
    ['it has a partition', 'arn::kms:eu-central-1:1:key/1', /the partition is empty/],
    ['it is a KMS resource', 'arn:aws:s3:eu-central-1:1:key/1', /the service is "s3", not "kms"/],
    ['it has a Region', 'arn:aws:kms::1:key/1', /the Region is empty/],
    ['it has an account', 'arn:aws:kms:eu-central-1::key/1', /the account is empty/],
    [
      'it names a key or an alias',
      'arn:aws:kms:eu-central-1:1:grant/1',
      /resource type is "grant"/,
    ],
    ['it says which key', 'arn:aws:kms:eu-central-1:1:key/', /the key id is empty/],
    ['it says which alias', 'arn:aws:kms:eu-central-1:1:alias', /the alias id is empty/],
  ])('refuses an ARN unless %s', (_, arn, message) => {
    expect(() => parseKmsArn(arn)).toThrow(ConfigurationError);
    expect(() => parseKmsArn(arn)).toThrow(message);
  });
});

describe('regionOfKeyId', () => {
  it("is an ARN's Region, and none for an alias name or a bare key id", () => {
    expect(regionOfKeyId(KEY_ARN)).toBe('eu-central-1');
    expect(regionOfKeyId('arn:aws:kms:ap-southeast-2:1:alias/secrets')).toBe('ap-southeast-2');
    expect(regionOfKeyId('alias/secrets')).toBeUndefined();
    expect(regionOfKeyId('1234abcd-12ab-34cd-56ef-1234567890ab')).toBeUndefined();
    expect(regionOfKeyId('mrk-1234abcd12ab34cd56ef1234567890ab')).toBeUndefined();
  });
});

describe('isMultiRegionKeyId', () => {
  it.each([
    ['arn:aws:kms:us-east-1:1:key/mrk-1234abcd12ab34cd56ef1234567890ab', true],
    ['mrk-1234abcd12ab34cd56ef1234567890ab', true],
    [KEY_ARN, false],
    ['1234abcd-12ab-34cd-56ef-1234567890ab', false],
    // An alias is never a multi-Region key, whatever it points to or is called.
    ['arn:aws:kms:us-east-1:1:alias/mrk-looking', false],
    ['alias/mrk-looking', false],
  ])('%s: %s', (keyId, expected) => {
    expect(isMultiRegionKeyId(keyId)).toBe(expected);
  });
});

describe('KmsKeyring refuses a malformed ARN before any call', () => {
  it('as keyId, naming the option and what is wrong', () => {
    expect(() => new KmsKeyring({ keyId: 'arn:aws:kms:eu-central-1:111122223333:1234' })).toThrow(
      /KmsKeyring keyId: "arn:aws:kms:eu-central-1:111122223333:1234" is not a KMS key or alias ARN: the resource type is "1234"/,
    );
  });

  it('as a previous key id', () => {
    expect(
      () => new KmsKeyring({ keyId: KEY_ARN, previousKeyIds: ['arn:aws:kms::1:key/old'] }),
    ).toThrow(/KmsKeyring previousKeyIds\[0\]: .* the Region is empty/);
  });
});
