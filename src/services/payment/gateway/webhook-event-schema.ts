import Type from 'typebox';
import { Compile } from 'typebox/compile';

/**
 * What paysaga reads of a verified Stripe event. A correct signature proves who
 * sent it, not that it is well formed: an event that does not have this shape
 * is refused (400) before anything reads or stores it.
 */
const Text = Type.String({ minLength: 1, maxLength: 255 });
const OptionalText = Type.Optional(Type.Union([Type.String({ maxLength: 5_000 }), Type.Null()]));
const Reference = Type.Optional(Type.Union([Text, Type.Object({ id: Text }), Type.Null()]));
const Metadata = Type.Optional(Type.Union([Type.Record(Type.String({ maxLength: 40 }), Type.String({ maxLength: 500 })), Type.Null()]));

const PaymentIntentObject = Type.Object({
  object: Type.Literal('payment_intent'), id: Text, status: Text, amount_received: Type.Integer({ minimum: 0 }),
  client_secret: OptionalText, latest_charge: Reference, metadata: Metadata,
  last_payment_error: Type.Optional(Type.Union([Type.Object({ code: OptionalText, decline_code: OptionalText, message: OptionalText }), Type.Null()])),
  next_action: Type.Optional(Type.Union([Type.Object({ redirect_to_url: Type.Optional(Type.Union([Type.Object({ url: OptionalText }), Type.Null()])) }), Type.Null()])),
});
const RefundObject = Type.Object({
  object: Type.Literal('refund'), id: Text, amount: Type.Integer({ minimum: 0 }), status: OptionalText, failure_reason: OptionalText,
  payment_intent: Reference, metadata: Metadata,
});
const AnyObject = Type.Object({ object: Type.Optional(Type.String({ maxLength: 100 })), id: Type.Optional(Text), payment_intent: Reference, metadata: Metadata });
const WebhookEvent = Type.Object({ id: Text, type: Text, data: Type.Object({ object: AnyObject }) });

const event = Compile(WebhookEvent);
const byKind: Record<string, { Check(value: unknown): boolean }> = { payment_intent: Compile(PaymentIntentObject), refund: Compile(RefundObject) };

/** The event's shape, and the shape of the intent or refund it carries (other objects are only matched by id and metadata). */
export function isWebhookEventShape(value: unknown): boolean {
  if (!event.Check(value)) return false;
  const object = (value as { data: { object: { object?: string } } }).data.object;
  const kind = object.object === undefined ? undefined : byKind[object.object];
  return kind === undefined || kind.Check(object);
}
