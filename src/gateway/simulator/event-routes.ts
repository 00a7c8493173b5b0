import { ok, type ApiRoute } from './api-route.ts';
import type { CreatedRange, EventListQuery } from './event-log.ts';
import { paramList, type ParamObject } from './form-params.ts';
import { readBoolean, readExpand, readInteger, readString, rejectUnknown } from './params.ts';
import { invalidRequest, resourceMissing } from './stripe-error.ts';

function readCreated(params: ParamObject): CreatedRange | null {
  const value = params.created;
  if (value === undefined) return null;
  if (typeof value === 'string') {
    const exact = readInteger(params, 'created', { min: 0 }) ?? 0;
    return { gte: exact, lte: exact };
  }
  rejectUnknown(value, ['gt', 'gte', 'lt', 'lte']);
  const range: CreatedRange = {};
  for (const name of ['gt', 'gte', 'lt', 'lte'] as const) {
    const limit = readInteger(value, name, { min: 0 });
    if (limit !== undefined) range[name] = limit;
  }
  return range;
}

function readTypes(params: ParamObject): string[] | null {
  const type = readString(params, 'type');
  const types = params.types === undefined ? null : (typeof params.types === 'string' ? [params.types] : paramList(params.types));
  if (params.types !== undefined && (types === null || types.length === 0 || types.length > 20)) {
    throw invalidRequest('Invalid array: types must list 1 to 20 event types', { param: 'types' });
  }
  if (type !== undefined && types !== null) throw invalidRequest('You may pass either type or types, but not both.', { param: 'types' });
  return type === undefined ? types : [type];
}

const listEvents: ApiRoute = {
  method: 'GET',
  pattern: '/v1/events',
  prepare(params) {
    rejectUnknown(params, ['created', 'delivery_success', 'ending_before', 'expand', 'limit', 'starting_after', 'type', 'types']);
    const query: EventListQuery = {
      limit: readInteger(params, 'limit', { min: 1, max: 100 }) ?? 10,
      types: readTypes(params),
      deliverySuccess: readBoolean(params, 'delivery_success') ?? null,
      created: readCreated(params),
      startingAfter: readString(params, 'starting_after') ?? null,
      endingBefore: readString(params, 'ending_before') ?? null,
    };
    readExpand(params, []);
    return (ctx) => ok(ctx.events.list(query));
  },
};

const retrieveEvent: ApiRoute = {
  method: 'GET',
  pattern: '/v1/events/:id',
  prepare(params, { id = '' }) {
    rejectUnknown(params, ['expand']);
    readExpand(params, []);
    return (ctx) => {
      const event = ctx.events.get(id);
      if (event === undefined) throw resourceMissing('event', id);
      return ok(event);
    };
  },
};

export const eventRoutes: readonly ApiRoute[] = [listEvents, retrieveEvent];
