import type { FastifyInstance } from 'fastify';
import Type, { type Static } from 'typebox';
import { DeadLetterNotFoundError, DeadLetterStateError, type DeadLetterStore } from '../dead-letters/dead-letter-store.ts';
import { ApiError } from './api-error.ts';
import { requireRole } from './auth.ts';

const Strict = { additionalProperties: false } as const;
const ListQuery = Type.Object({
  service: Type.Optional(Type.String({ minLength: 1, maxLength: 40 })),
  status: Type.Optional(Type.Enum(['pending', 'replayed', 'resolved', 'discarded'])),
  limit: Type.Optional(Type.String({ pattern: '^[0-9]{1,3}$' })),
}, Strict);
const Params = Type.Object({ service: Type.String({ minLength: 1, maxLength: 40 }), id: Type.String({ pattern: '^[0-9]{1,18}$' }) }, Strict);
const NoteBody = Type.Object({ note: Type.Optional(Type.String({ maxLength: 1_000 })) }, Strict);
const Action = Type.Object({ ...Params.properties, action: Type.Enum(['replay', 'resolve', 'discard']) }, Strict);

/**
 * The dead letters of the services in this process (SPEC §6), for admins:
 * list with statistics, read one, replay it onto its original topic, resolve it
 * (handled by hand) or discard it. Only a pending dead letter changes.
 */
export async function deadLetterRoutes(http: FastifyInstance, stores: ReadonlyMap<string, DeadLetterStore>): Promise<void> {
  const tags = ['dead letters'];
  const storeOf = (service: string): DeadLetterStore => {
    const store = stores.get(service);
    if (!store) throw new ApiError(404, 'not_found', `no service ${service} runs here (${[...stores.keys()].join(', ')})`);
    return store;
  };
  const failed = (error: unknown): never => {
    if (error instanceof DeadLetterNotFoundError) throw new ApiError(404, 'not_found', error.message);
    if (error instanceof DeadLetterStateError) throw new ApiError(409, 'dead_letter_not_pending', error.message);
    throw error;
  };

  http.get('/dead-letters', { schema: { tags, querystring: ListQuery, summary: 'Dead letters with statistics, per service' } }, async (request) => {
    requireRole(request, 'admin');
    const query = request.query as Static<typeof ListQuery>;
    const services = query.service ? [query.service] : [...stores.keys()];
    const result = await Promise.all(services.map(async (service) => {
      const store = storeOf(service);
      const deadLetters = await store.list({ ...(query.status ? { status: query.status } : {}), ...(query.limit ? { limit: Number(query.limit) } : {}) });
      return { service, statistics: await store.stats(), deadLetters };
    }));
    return { services: result };
  });

  http.get('/dead-letters/:service/:id', { schema: { tags, params: Params } }, async (request) => {
    requireRole(request, 'admin');
    const { service, id } = request.params as Static<typeof Params>;
    return storeOf(service).get(id).catch(failed);
  });

  http.post('/dead-letters/:service/:id/:action', { schema: { tags, params: Action, body: NoteBody, summary: 'replay, resolve or discard a pending dead letter' } }, async (request) => {
    requireRole(request, 'admin');
    const { service, id, action } = request.params as Static<typeof Action>;
    const note = (request.body as Static<typeof NoteBody> | undefined)?.note ?? null;
    const store = storeOf(service);
    await (action === 'replay' ? store.replay(id) : action === 'resolve' ? store.resolve(id, note) : store.discard(id, note)).catch(failed);
    return store.get(id);
  });
}
