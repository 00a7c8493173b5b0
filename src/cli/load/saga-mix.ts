import type { SagaKind } from './saga-flows.ts';

/** Shares (0..1) of each kind besides plain checkouts; what they leave is plain checkouts. */
export interface SagaMix {
  decline?: number;
  cancel?: number;
  fullRefund?: number;
  partialRefund?: number;
}

/**
 * Deals kinds in the mix's proportions, evenly spread and deterministic: the
 * n-th saga gets the kind furthest behind its share so far (so 10 % declines
 * are every tenth saga, not a random tenth).
 */
export class MixDealer {
  readonly #shares: [SagaKind, number][];
  readonly #dealt = new Map<SagaKind, number>();
  #total = 0;

  constructor(mix: SagaMix = {}) {
    const shares: [SagaKind, number][] = [['decline', mix.decline ?? 0], ['cancel', mix.cancel ?? 0], ['full-refund', mix.fullRefund ?? 0], ['partial-refund', mix.partialRefund ?? 0]];
    for (const [kind, share] of shares) if (!(share >= 0 && share <= 1)) throw new Error(`the share of ${kind} must be between 0 and 1 (got ${share})`);
    const rest = 1 - shares.reduce((sum, [, share]) => sum + share, 0);
    if (rest < -1e-9) throw new Error('the shares of declines, cancellations and refunds add up to more than 1');
    this.#shares = [['checkout', Math.max(0, rest)], ...shares.filter(([, share]) => share > 0)];
  }

  next(): SagaKind {
    this.#total += 1;
    let best: SagaKind = 'checkout';
    let behind = -Infinity;
    for (const [kind, share] of this.#shares) {
      const gap = share * this.#total - (this.#dealt.get(kind) ?? 0);
      if (gap > behind) { best = kind; behind = gap; }
    }
    this.#dealt.set(best, (this.#dealt.get(best) ?? 0) + 1);
    return best;
  }
}
