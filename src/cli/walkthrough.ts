// The banner's walkthrough, in a module of its own: `paysaga up`'s supervisor prints it without loading the platform.

/** The banner's first checkout, against one URL that serves checkout, payments, orders and sagas (embedded mode, or `paysaga up`'s front door). */
export function checkoutWalkthrough(url: string): string[] {
  return [
    '  a first checkout (two pizzas from the seeded menu), then pay with Stripe\'s success test card:',
    `    curl -s -X POST ${url}/checkout -H "authorization: Bearer $CUSTOMER" -H 'content-type: application/json' \\`,
    `      -d '{"restaurantId":"resto-1","items":[{"productId":"margherita","name":"Pizza Margherita","quantity":2,"unitPrice":{"amount":1200,"currency":"USD"}}],"deliveryAddress":"1 Main Street"}'`,
    `    curl -s ${url}/payments/<paymentId> -H "authorization: Bearer $CUSTOMER"      # its clientSecret (for Stripe.js; only you see it)`,
    `    curl -s -X POST ${url}/payments/<paymentId>/confirm -H "authorization: Bearer $CUSTOMER" -H 'content-type: application/json' -d '{"paymentMethod":"pm_card_visa"}'`,
    `    curl -s ${url}/orders/<orderId> -H "authorization: Bearer $CUSTOMER"        # CONFIRMED`,
    `    curl -s ${url}/sagas/checkout-<orderId> -H "authorization: Bearer $CUSTOMER" # the saga's timeline`,
    '  (pm_card_visa_chargeDeclined instead: the order ends PAYMENT_FAILED and the stock is back)',
  ];
}
