/** The simulator's defaults, apart from its server so `paysaga gateway --help` does not load the server. */
export const DEFAULT_WEBHOOK_SECRET = 'whsec_paysaga_simulator';
export const DEFAULT_PORT = 12111;
