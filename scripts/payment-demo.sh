#!/usr/bin/env bash
# One card payment from create to refund through paysaga's payment service, on
# real Kafka and PostgreSQL, with the Stripe simulator as the gateway; then the
# payment's events, read back from Kafka. Needs a broker (npm run kafka -- start)
# and PostgreSQL; everything it starts, it stops.
set -euo pipefail
cd "$(dirname "$0")/.."

export KAFKA_BROKERS="${KAFKA_BROKERS:-127.0.0.1:9092}"
export DATABASE_URL="${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test}"
PORT="${PORT:-3000}"
GATEWAY_PORT="${GATEWAY_PORT:-12111}"
# Outside embedded mode paysaga refuses to start without secrets of its own: the demo makes fresh ones.
random() { od -An -N16 -tx1 /dev/urandom | tr -d ' \n'; }
SECRET="whsec_$(random)"
export AUTH_SECRET="${AUTH_SECRET:-paysaga-demo-$(random)$(random)}"
export STRIPE_API_KEY="${STRIPE_API_KEY:-sk_test_$(random)}"
NODE=node_modules/.bin/node
API="http://127.0.0.1:${PORT}"
LOGS="$(mktemp -d)"

"$NODE" src/cli/main.ts gateway --port "$GATEWAY_PORT" --webhook-url "${API}/webhooks/stripe" --webhook-secret "$SECRET" >"$LOGS/gateway.log" 2>&1 &
GATEWAY_PID=$!
STRIPE_API_BASE="http://127.0.0.1:${GATEWAY_PORT}" STRIPE_WEBHOOK_SECRET="$SECRET" PORT="$PORT" AUTH_SECRET="$AUTH_SECRET" \
  "$NODE" src/cli/main.ts serve payment >"$LOGS/paysaga.log" 2>&1 &
PAYSAGA_PID=$!
trap 'kill -TERM $PAYSAGA_PID $GATEWAY_PID 2>/dev/null; wait $PAYSAGA_PID $GATEWAY_PID 2>/dev/null || true' EXIT

for _ in $(seq 1 120); do
  curl -sf "${API}/health/ready" >/dev/null 2>&1 && break
  kill -0 $PAYSAGA_PID 2>/dev/null || { cat "$LOGS/paysaga.log"; exit 1; }
  sleep 0.5
done
curl -sf "${API}/health/ready" >/dev/null || { echo "paysaga did not become ready"; cat "$LOGS/paysaga.log"; exit 1; }

field() { "$NODE" -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{let v=JSON.parse(s);for(const k of process.argv[1].split("."))v=v?.[k];console.log(v)})' "$1"; }
TOKEN="$("$NODE" src/cli/main.ts token --role admin --subject demo-admin)"
post() { curl -s -X POST "${API}$1" -H 'content-type: application/json' -H "authorization: Bearer $TOKEN" -H "idempotency-key: $2" -d "$3"; }

ORDER="demo-$(date +%s)-$RANDOM"
echo "== create a payment of 25.00 USD for order $ORDER"
CREATED="$(post /payments "create-$ORDER" "{\"orderId\":\"$ORDER\",\"customerId\":\"cust-demo\",\"amount\":{\"amount\":2500,\"currency\":\"USD\"}}")"
PAYMENT="$(echo "$CREATED" | field id)"
echo "   payment $PAYMENT, intent $(echo "$CREATED" | field stripePaymentIntentId), status $(echo "$CREATED" | field status)"
echo "== confirm with Stripe's success test card (pm_card_visa)"
echo "   status $(post "/payments/$PAYMENT/confirm" "confirm-$ORDER" '{"paymentMethod":"pm_card_visa"}' | field status)"
echo "== refund 10.00 USD (missing item)"
echo "   status $(post "/payments/$PAYMENT/refunds" "refund1-$ORDER" '{"amount":{"amount":1000,"currency":"USD"},"reason":"missing item"}' | field payment.status)"
echo "== refund the rest (order cancelled)"
echo "   status $(post "/payments/$PAYMENT/refunds" "refund2-$ORDER" '{"reason":"order cancelled"}' | field payment.status)"
echo "== the payment's events, read back from Kafka"
"$NODE" src/cli/main.ts events --topics 'payment.*' --key "$ORDER" --idle-ms 4000
