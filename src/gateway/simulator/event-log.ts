import { newId, unixSeconds } from './ids.ts';
import type { EventObject, EventRequestInfo, ListObject, StripeObject } from './stripe-objects.ts';

interface EventRecord {
  id: string;
  type: string;
  created: number;
  /** A deep copy taken when the event happened, so an old event keeps showing the old object. */
  object: StripeObject;
  request: EventRequestInfo;
  /** Endpoints that have not yet acknowledged the event (0 or 1: the simulator has one endpoint). */
  pendingWebhooks: number;
}

export interface CreatedRange {
  gt?: number;
  gte?: number;
  lt?: number;
  lte?: number;
}

export interface EventListQuery {
  limit: number;
  /** Exact types, or `prefix.*` wildcards; null = every type. */
  types: readonly string[] | null;
  /** true: acknowledged by every endpoint (pending_webhooks 0); false: still pending, failed or dropped. */
  deliverySuccess: boolean | null;
  created: CreatedRange | null;
  startingAfter: string | null;
  endingBefore: string | null;
}

function typeMatches(type: string, patterns: readonly string[]): boolean {
  return patterns.some((pattern) => (pattern.endsWith('.*') ? type.startsWith(pattern.slice(0, -1)) : type === pattern));
}

function inRange(created: number, range: CreatedRange): boolean {
  return (range.gt === undefined || created > range.gt)
    && (range.gte === undefined || created >= range.gte)
    && (range.lt === undefined || created < range.lt)
    && (range.lte === undefined || created <= range.lte);
}

/** Every event ever created, in creation order, with its delivery state. */
export class EventLog {
  private readonly records: EventRecord[] = [];
  private readonly byId = new Map<string, EventRecord>();
  private readonly apiVersion: string;

  constructor(apiVersion: string) {
    this.apiVersion = apiVersion;
  }

  record(type: string, object: StripeObject, request: EventRequestInfo, pendingWebhooks: number): EventObject {
    const record: EventRecord = {
      id: newId('evt'),
      type,
      created: unixSeconds(),
      object: structuredClone(object),
      request: { ...request },
      pendingWebhooks,
    };
    this.records.push(record);
    this.byId.set(record.id, record);
    return this.render(record);
  }

  get(id: string): EventObject | undefined {
    const record = this.byId.get(id);
    return record === undefined ? undefined : this.render(record);
  }

  markDelivered(id: string): void {
    const record = this.byId.get(id);
    if (record !== undefined) record.pendingWebhooks = 0;
  }

  /** Newest first, like Stripe; `starting_after` pages towards older events, `ending_before` towards newer. */
  list(query: EventListQuery): ListObject<EventObject> {
    const matching = this.records.filter((record) => (query.types === null || typeMatches(record.type, query.types))
      && (query.deliverySuccess === null || (record.pendingWebhooks === 0) === query.deliverySuccess)
      && (query.created === null || inRange(record.created, query.created))).reverse();
    let page: EventRecord[];
    let hasMore: boolean;
    if (query.endingBefore !== null) {
      const cursor = matching.findIndex((record) => record.id === query.endingBefore);
      const newer = cursor === -1 ? [] : matching.slice(0, cursor);
      page = newer.slice(Math.max(0, newer.length - query.limit));
      hasMore = newer.length > query.limit;
    } else {
      const cursor = query.startingAfter === null ? -1 : matching.findIndex((record) => record.id === query.startingAfter);
      const older = query.startingAfter !== null && cursor === -1 ? [] : matching.slice(cursor + 1);
      page = older.slice(0, query.limit);
      hasMore = older.length > query.limit;
    }
    return { object: 'list', data: page.map((record) => this.render(record)), has_more: hasMore, url: '/v1/events' };
  }

  private render(record: EventRecord): EventObject {
    return {
      id: record.id,
      object: 'event',
      api_version: this.apiVersion,
      created: record.created,
      data: { object: structuredClone(record.object) },
      livemode: false,
      pending_webhooks: record.pendingWebhooks,
      request: { ...record.request },
      type: record.type,
    };
  }
}
