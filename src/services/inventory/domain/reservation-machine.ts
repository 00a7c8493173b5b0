import type { StockMovement } from './availability.ts';

/**
 * The reservation state machine, as a pure function of (state, command):
 *
 *   none ─RESERVE→ held ─COMMIT→ committed
 *                  held ─RELEASE→ released            (stock unreserved)
 *             committed ─RELEASE→ released            (stock restocked: nothing shipped)
 *
 * Saga commands are delivered at least once and retried with new command ids,
 * so every other pair is either a repeat that answers as the first one did and
 * changes nothing (`unchanged`), or a refusal that changes nothing
 * (`refused`). A compensation (RELEASE) is never refused.
 */
export const RESERVATION_STATUSES = ['held', 'committed', 'released'] as const;
export type ReservationStatus = typeof RESERVATION_STATUSES[number];

export interface ReservationState {
  /** `none`: the order has no reservation. */
  status: ReservationStatus | 'none';
  /** Whether the reservation was ever committed (a released one may have been a sale that was restocked). */
  wasCommitted: boolean;
}

export const RESERVATION_COMMANDS = ['RESERVE', 'COMMIT', 'RELEASE'] as const;
export type ReservationCommand = typeof RESERVATION_COMMANDS[number];

export type InventoryEvent = 'inventory.reserved' | 'inventory.committed' | 'inventory.released';

export type RefusalCode = 'no_reservation' | 'reservation_released';

export type ReservationDecision =
  /** Move to `state`: apply `movement` to every line's stock and publish `event`, in one transaction. */
  | { outcome: 'applied'; state: ReservationState; movement: StockMovement; event: InventoryEvent }
  /** Answer ok, change nothing: a repeat of a command already applied, or nothing to release. */
  | { outcome: 'unchanged' }
  | { outcome: 'refused'; code: RefusalCode; message: string };

export const NO_RESERVATION: ReservationState = { status: 'none', wasCommitted: false };

const unchanged: ReservationDecision = { outcome: 'unchanged' };

export function decide(state: ReservationState, command: ReservationCommand): ReservationDecision {
  switch (command) {
    case 'RESERVE':
      // Any reservation at all means this order was reserved before: a repeat.
      return state.status === 'none'
        ? { outcome: 'applied', state: { status: 'held', wasCommitted: false }, movement: 'reserve', event: 'inventory.reserved' }
        : unchanged;
    case 'COMMIT':
      switch (state.status) {
        case 'held': return { outcome: 'applied', state: { status: 'committed', wasCommitted: true }, movement: 'ship', event: 'inventory.committed' };
        case 'committed': return unchanged;
        case 'released':
          // Committed, then restocked: a late repeat of the commit answers as the commit did.
          return state.wasCommitted ? unchanged : { outcome: 'refused', code: 'reservation_released', message: 'the reservation was released before it was committed' };
        case 'none': return { outcome: 'refused', code: 'no_reservation', message: 'nothing is reserved for this order' };
      }
    case 'RELEASE':
      switch (state.status) {
        case 'held': return { outcome: 'applied', state: { status: 'released', wasCommitted: false }, movement: 'unreserve', event: 'inventory.released' };
        case 'committed': return { outcome: 'applied', state: { status: 'released', wasCommitted: true }, movement: 'restock', event: 'inventory.released' };
        case 'released':
        case 'none':
          return unchanged;
      }
  }
}
