/**
 * TransactWriteItems: up to 100 ConditionCheck/Put/Update/Delete actions on distinct items,
 * all or nothing. A failed condition cancels the whole transaction with DynamoDB's
 * `CancellationReasons` (one per action, in order). A `ClientRequestToken` seen before with the
 * same request answers success without applying it again, as DynamoDB's idempotency does (the
 * SDK fills the token in, so a re-sent copy after a lost response is harmless).
 */
import { DynamoDBError, transactionCanceled, validationError } from './dynamoErrors.ts';
import {
  commit,
  type Input,
  type Output,
  type PlannedWrite,
  planConditionCheck,
  planDelete,
  planPut,
  planUpdate,
} from './itemOperations.ts';
import { keyId, type TableStorage } from './tableStorage.ts';

export const MAX_TRANSACTION_ACTIONS = 100;

const PLANNERS: Readonly<Record<string, (storage: TableStorage, input: Input) => PlannedWrite>> = {
  ConditionCheck: planConditionCheck,
  Put: planPut,
  Update: planUpdate,
  Delete: planDelete,
};

export class TransactionLedger {
  /** Request text of each token of a transaction that succeeded. */
  private readonly applied = new Map<string, string>();

  transactWriteItems(storage: TableStorage, input: Input): Output {
    const actions = input.TransactItems;
    if (
      !Array.isArray(actions) ||
      actions.length === 0 ||
      actions.length > MAX_TRANSACTION_ACTIONS
    ) {
      throw validationError(
        `1 validation error detected: Value at 'transactItems' failed to satisfy constraint: Member must have length less than or equal to ${MAX_TRANSACTION_ACTIONS} and greater than or equal to 1`,
      );
    }
    const token = input.ClientRequestToken;
    const { ClientRequestToken: _token, ...request } = input;
    const requestText = JSON.stringify(request);
    if (typeof token === 'string' && this.applied.has(token)) {
      if (this.applied.get(token) !== requestText) {
        throw new DynamoDBError(
          'IdempotentParameterMismatchException',
          'The request uses the same client token as a previous, but non-identical request.',
        );
      }
      return {};
    }
    const writes = (actions as Record<string, Input | undefined>[]).map((action) => {
      const kinds = Object.keys(action ?? {}).filter((kind) => action[kind] !== undefined);
      const kind = kinds[0];
      const planner = kind === undefined ? undefined : PLANNERS[kind];
      if (kinds.length !== 1 || !planner) {
        throw validationError('TransactItems can only contain one of Check, Put, Update or Delete');
      }
      for (const parameter of ['ReturnValues']) {
        if (action[kind as string]?.[parameter] !== undefined) {
          throw validationError(
            `${parameter} is not supported in a transaction; use ReturnValuesOnConditionCheckFailure`,
          );
        }
      }
      return planner(storage, action[kind as string] as Input);
    });
    const ids = writes.map((write) => keyId(write.tableName, write.key));
    if (new Set(ids).size !== ids.length) {
      throw validationError('Transaction request cannot include multiple operations on one item');
    }
    if (writes.some((write) => !write.conditionHolds)) {
      throw transactionCanceled(
        writes.map((write) =>
          write.conditionHolds
            ? { Code: 'None' }
            : {
                Code: 'ConditionalCheckFailed',
                Message: 'The conditional request failed',
                ...(write.returnOldOnFailure && write.before ? { Item: write.before } : {}),
              },
        ),
      );
    }
    for (const write of writes) commit(storage, write);
    if (typeof token === 'string') this.applied.set(token, requestText);
    return {};
  }

  clear(): void {
    this.applied.clear();
  }
}
