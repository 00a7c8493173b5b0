import type { FastifyInstance } from 'fastify';
import { requireRole } from '../../../platform/http/auth.ts';
import type { ProductCatalogue } from '../application/product-catalogue.ts';
import { CreateProductBody, ProductListQuery, ProductParams, SetStockBody } from './inventory-schemas.ts';

/** The inventory service's HTTP API: the menu with live availability for every signed-in role; products and stock counts for admins. */
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

  http.post('/products', { schema: { tags, security, body: CreateProductBody, summary: 'Add a product with its opening stock (admin)' } }, async (request, reply) => {
    requireRole(request);
    return reply.code(201).send(await catalogue.create(request.body as CreateProductBody));
  });

  http.post('/products/:productId/stock', {
    schema: { tags, security, params: ProductParams, body: SetStockBody, summary: 'Set the units on hand (admin stock take); never below what is reserved' },
  }, async (request) => {
    requireRole(request);
    return catalogue.setStock((request.params as ProductParams).productId, (request.body as SetStockBody).onHand);
  });
}
