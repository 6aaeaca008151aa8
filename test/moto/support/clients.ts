/** Clients of moto's server, one region and dummy credentials (moto checks neither). */
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { KMSClient } from '@aws-sdk/client-kms';
import { SQSClient } from '@aws-sdk/client-sqs';
import { inject } from 'vitest';
import { MOTO_CREDENTIALS, MOTO_REGION } from './motoServer.ts';

export const motoEndpoint = inject('motoEndpoint');
const config = { endpoint: motoEndpoint, region: MOTO_REGION, credentials: MOTO_CREDENTIALS };

export const kmsClient = () => new KMSClient(config);
export const sqsClient = () => new SQSClient(config);
export const eventsClient = () => new EventBridgeClient(config);
