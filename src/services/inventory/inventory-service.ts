import { ServiceRuntime, type RunningService, type ServiceOptions } from '../../platform/service/service-runtime.ts';
import { ProductCatalogue } from './application/product-catalogue.ts';
import type { StockAudit } from './application/product-view.ts';
import { handleSagaCommands } from './application/saga-commands.ts';
import { StockReservations } from './application/stock-reservations.ts';
import { inventoryRoutes } from './http/inventory-routes.ts';
import { seedMenu, type MenuItem } from './menu.ts';
import { inventoryMigrations } from './store/migrations.ts';

export interface InventoryServiceOptions extends ServiceOptions {
  /** A menu to seed (idempotently) once the schema is migrated; embedded mode passes DEFAULT_MENU. */
  menu?: readonly MenuItem[];
}

export interface InventoryService extends RunningService {
  readonly schema: string;
  readonly catalogue: ProductCatalogue;
  readonly reservations: StockReservations;
  /** Upserts a menu (see seedMenu); returns the ids of products that were new. */
  seedMenu(menu?: readonly MenuItem[]): Promise<string[]>;
  /** One product's books for tests and the auditor ("stock conserved"); null for an unknown product. */
  availability(productId: string): Promise<StockAudit | null>;
}

/** Wires the inventory service: its schema, outbox relay, the ReserveStock/CommitStock/ReleaseStock handlers and the product routes. */
export async function createInventoryService(options: InventoryServiceOptions): Promise<InventoryService> {
  const runtime = await ServiceRuntime.create({ ...options, schema: options.schema ?? 'inventory', groupId: options.groupId ?? 'inventory', migrations: inventoryMigrations });
  const { db, schema } = runtime;
  if (options.menu) await seedMenu({ db, schema }, options.menu);
  const catalogue = new ProductCatalogue(db, schema);
  const reservations = new StockReservations(schema);
  handleSagaCommands(runtime.consumer, reservations);
  return {
    schema, catalogue, reservations, relay: runtime.relay, consumer: runtime.consumer, retention: runtime.retention,
    seedMenu: (menu) => seedMenu({ db, schema }, menu),
    availability: (productId) => catalogue.audit(productId),
    routes: (http) => runtime.mount(http, (scope) => inventoryRoutes(scope, catalogue)),
    start: () => runtime.start(),
    stop: () => runtime.stop(),
  };
}
