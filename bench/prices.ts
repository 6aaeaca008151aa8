/**
 * Published on-demand prices the cost section uses, US East (N. Virginia), without free tiers,
 * each with the page it comes from. Prices change: re-read the pages before quoting a figure,
 * and update PRICES_AS_OF with the date you read them.
 */

export interface Price {
  readonly usd: number;
  readonly per: string;
  readonly source: string;
}

/**
 * The prices as published in January 2025 (DynamoDB's on-demand reduction of 2024-11-01
 * included); not re-read since: the machine that wrote this file had no network.
 */
export const PRICES_AS_OF = '2025-01';

export const PRICES = {
  /** On-demand write request unit (1 KB written), after the 2024-11-01 price reduction. */
  dynamodbWriteRequestUnit: {
    usd: 0.625 / 1e6,
    per: 'write request unit',
    source: 'https://aws.amazon.com/dynamodb/pricing/on-demand/',
  },
  /** On-demand read request unit (a strongly consistent read of up to 4 KB). */
  dynamodbReadRequestUnit: {
    usd: 0.125 / 1e6,
    per: 'read request unit',
    source: 'https://aws.amazon.com/dynamodb/pricing/on-demand/',
  },
  /** Standard table class storage, item overhead included. */
  dynamodbStorageGbMonth: {
    usd: 0.25,
    per: 'GB-month',
    source: 'https://aws.amazon.com/dynamodb/pricing/on-demand/',
  },
  /** Symmetric key requests (GenerateDataKey, Decrypt, ReEncrypt): $0.03 per 10,000. */
  kmsRequest: {
    usd: 0.03 / 10_000,
    per: 'request',
    source: 'https://aws.amazon.com/kms/pricing/',
  },
  /** One customer managed key: the construct's, whatever the number of secrets. */
  kmsKeyMonth: {
    usd: 1,
    per: 'key-month',
    source: 'https://aws.amazon.com/kms/pricing/',
  },
  secretsManagerSecretMonth: {
    usd: 0.4,
    per: 'secret-month',
    source: 'https://aws.amazon.com/secrets-manager/pricing/',
  },
  /** $0.05 per 10,000 API calls. */
  secretsManagerApiCall: {
    usd: 0.05 / 10_000,
    per: 'API call',
    source: 'https://aws.amazon.com/secrets-manager/pricing/',
  },
  /** An advanced parameter (values up to 8 KB; standard ones hold 4 KB and are free). */
  parameterStoreAdvancedParameterMonth: {
    usd: 0.05,
    per: 'advanced parameter-month',
    source: 'https://aws.amazon.com/systems-manager/pricing/',
  },
  /** API interactions with advanced parameters: $0.05 per 10,000. */
  parameterStoreApiInteraction: {
    usd: 0.05 / 10_000,
    per: 'API interaction',
    source: 'https://aws.amazon.com/systems-manager/pricing/',
  },
} as const satisfies Record<string, Price>;

/**
 * DynamoDB bills each item's size plus 100 bytes of overhead for storage.
 * Source: https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/CapacityUnitCalculations.html
 */
export const DYNAMODB_ITEM_OVERHEAD_BYTES = 100;
