// The Stripe-compatible gateway simulator: point the official `stripe` SDK at
// it with `new Stripe(key, { host, port, protocol: 'http' })`. See docs/gateway-simulator.md.
export type { GatewayFaults, GatewaySimulator, GatewaySimulatorOptions, GatewaySimulatorStats, WebhookRetryPolicy } from './types.ts';
export { DEFAULT_PORT, DEFAULT_WEBHOOK_RETRY, DEFAULT_WEBHOOK_SECRET, SIMULATED_API_VERSION, startGatewaySimulator } from './simulator.ts';
export { DEFAULT_FAULTS, InvalidFaultError, parseFaultsPatch } from './faults.ts';
export { listTestPaymentMethods, type CardOutcome, type TestPaymentMethod } from './test-payment-methods.ts';
export { stripeSignatureHeader } from './webhook-signature.ts';
export { isHttpUrl } from './http-url.ts';
