import type { FastifyInstance } from 'fastify';
import { ApiError } from '../../../platform/http/api-error.ts';
import { isParty, requireRole } from '../../../platform/http/auth.ts';
import type { ProductCatalogue } from '../application/product-catalogue.ts';
import { CreateProductBody, ProductListQuery, ProductParams, SetStockBody } from './inventory-schemas.ts';

/** The inventory service's HTTP API: the menu with live availability for every signed-in role; a restaurant (or an admin) keeps its own menu and stock. */
export async function inventoryRoutes(http: FastifyInstance, catalogue: ProductCatalogue): Promise<void> {
  const tags = ['inventory'];
  const security = [{ bearer: [] }];

  http.get('/products', { schema: { tags, security, querystring: ProductListQuery, summary: 'Products with their stock (available = on hand − reserved)' } }, async (request) => {
    requireRole(request, 'customer', 'restaurant', 'courier');
    return { products: await catalogue.list({ restaurantId: (request.query as ProductListQuery).restaurantId }) };
  });

  http.get('/products/:productId', { schema: { tags, security, params: ProductParams, summary: 'One product with its stock' } }, async (request) => {
    requireRole(request, 'customer', 'restaurant', 'courier');
    return catalogue.view((request.params as ProductParams).productId);
  });

  http.post('/products', { schema: { tags, security, body: CreateProductBody, summary: 'Add a product with its opening stock (its restaurant, or an admin)' } }, async (request, reply) => {
    const principal = requireRole(request, 'restaurant');
    const body = request.body as CreateProductBody;
    if (!isParty(principal, { restaurantId: body.restaurantId })) throw new ApiError(403, 'forbidden', 'a restaurant adds products to its own menu only');
    return reply.code(201).send(await catalogue.create(body));
  });

  http.post('/products/:productId/stock', {
    schema: { tags, security, params: ProductParams, body: SetStockBody, summary: 'Set the units on hand (stock take by its restaurant or an admin); never below what is reserved' },
  }, async (request) => {
    const principal = requireRole(request, 'restaurant');
    const { productId } = request.params as ProductParams;
    // The menu is public (so this is 403, not 404), but another restaurant's stock is not theirs to count.
    if (!isParty(principal, { restaurantId: (await catalogue.view(productId)).restaurantId })) throw new ApiError(403, 'forbidden', 'a restaurant counts its own stock only');
    return catalogue.setStock(productId, (request.body as SetStockBody).onHand);
  });
}
