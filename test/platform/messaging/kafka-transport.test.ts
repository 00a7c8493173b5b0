import { KafkaTransport } from '../../../src/platform/messaging/kafka/kafka-transport.ts';
import { kafkaBrokers, uniqueName } from '../../support/env.ts';
import { transportContract } from './transport-contract.ts';

transportContract('kafka', async () => new KafkaTransport({ brokers: kafkaBrokers(), clientId: uniqueName('contract'), sessionTimeoutMs: 6_000 }));
