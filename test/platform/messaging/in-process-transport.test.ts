import { InProcessTransport } from '../../../src/platform/messaging/in-process/in-process-transport.ts';
import { transportContract } from './transport-contract.ts';

transportContract('in-process', async () => new InProcessTransport());
