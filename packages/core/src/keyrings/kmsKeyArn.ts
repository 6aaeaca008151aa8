/**
 * KMS key identifiers, parsed with stated preconditions (the Encryption SDK's
 * `kms-keyring/src/arn_parsing.ts` and its specification, `aws-kms-key-arn.md`, are the model):
 *
 * - a key ARN `arn:<partition>:kms:<region>:<account>:key/<key id>` names one key in one Region;
 * - an alias ARN `arn:<partition>:kms:<region>:<account>:alias/<name>` names whatever key the
 *   alias points to in that Region;
 * - an alias name `alias/<name>` and a bare key id (`1234abcd-...`, or `mrk-...` for a
 *   multi-Region key) name a key in the Region of the client that sends the request.
 *
 * A multi-Region key's id starts with `mrk-`; an alias is never one, whatever it points to.
 */
import { ConfigurationError } from '../errors.ts';

export interface KmsArn {
  readonly partition: string;
  readonly region: string;
  readonly account: string;
  readonly resourceType: 'key' | 'alias';
  /** The key id (`key/<id>`) or the alias name without `alias/`. */
  readonly resourceId: string;
}

/** `arn:aws:kms:eu-west-1:111122223333:key/...`: parsed, or a ConfigurationError saying what is wrong. */
export function parseKmsArn(arn: string): KmsArn {
  const refuse = (why: string) =>
    new ConfigurationError(`${JSON.stringify(arn)} is not a KMS key or alias ARN: ${why}`);
  const parts = arn.split(':');
  // Precondition: arn, partition, service, region, account and the resource: six parts.
  if (parts.length !== 6) {
    throw refuse(`it has ${parts.length} ':'-separated parts, an ARN has 6`);
  }
  const [prefix, partition, service, region, account, resource] = parts as [
    string,
    string,
    string,
    string,
    string,
    string,
  ];
  // Precondition: it is an ARN.
  if (prefix !== 'arn') throw refuse('it does not start with "arn:"');
  // Precondition: a partition (aws, aws-cn, aws-us-gov...).
  if (partition === '') throw refuse('the partition is empty');
  // Precondition: a KMS resource.
  if (service !== 'kms') throw refuse(`the service is ${JSON.stringify(service)}, not "kms"`);
  // Precondition: a Region, which the client that sends requests for it must be in.
  if (region === '') throw refuse('the Region is empty');
  // Precondition: an account.
  if (account === '') throw refuse('the account is empty');
  const slash = resource.indexOf('/');
  const resourceType = slash === -1 ? resource : resource.slice(0, slash);
  const resourceId = slash === -1 ? '' : resource.slice(slash + 1);
  // Precondition: a key or an alias.
  if (resourceType !== 'key' && resourceType !== 'alias') {
    throw refuse(`the resource type is ${JSON.stringify(resourceType)}, not "key" or "alias"`);
  }
  // Precondition: which key, or which alias.
  if (resourceId === '') throw refuse(`the ${resourceType} id is empty`);
  return { partition, region, account, resourceType, resourceId };
}

/**
 * The Region a key identifier names: an ARN's; none for an alias name or a bare key id (the
 * client's Region decides). A malformed ARN is a ConfigurationError.
 */
export function regionOfKeyId(keyId: string): string | undefined {
  return keyId.startsWith('arn:') ? parseKmsArn(keyId).region : undefined;
}

/** Whether `keyId` names a multi-Region key: a key (never an alias) whose id starts with `mrk-`. */
export function isMultiRegionKeyId(keyId: string): boolean {
  if (keyId.startsWith('arn:')) {
    const arn = parseKmsArn(keyId);
    return arn.resourceType === 'key' && arn.resourceId.startsWith('mrk-');
  }
  if (keyId.startsWith('alias/')) return false;
  return keyId.startsWith('mrk-');
}
