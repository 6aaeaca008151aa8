// The tests start and use dynalite exactly as the CLI's local mode does.
export {
  createSecretsTable,
  localDynamoDBClient,
  type RunningDynamoDB,
  startDynalite,
} from '../../packages/cli/src/local/dynalite.ts';
