// The same checks the CLI's tools use for their ports (src/cli/ports.ts).
export { freePort, freePortBlock, portFree } from '../../src/cli/ports.ts';
