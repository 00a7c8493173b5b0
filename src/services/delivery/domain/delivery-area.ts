/** Decides whether an address lies inside the delivery area. */
export type DeliveryAreaRule = (address: string) => boolean;

const UNREACHABLE = /\bunreachable\b/i;

/**
 * The default area rule, a stand-in for a real geofence: every address is
 * deliverable except one containing the word "unreachable" (any case). It gives
 * demos and tests a way to make checkout fail at the delivery step.
 */
export const defaultDeliveryArea: DeliveryAreaRule = (address) => !UNREACHABLE.test(address);
