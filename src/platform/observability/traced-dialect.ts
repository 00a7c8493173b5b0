import { SpanKind, trace } from '@opentelemetry/api';
import type { CompiledQuery, DatabaseConnection, Dialect, Driver } from 'kysely';
import { inSpan } from './spans.ts';

/** The statement's verb (SELECT, INSERT, …): the span's name, low in cardinality. */
function operationOf(sql: string): string {
  return /^\s*(\w+)/.exec(sql)?.[1]?.toUpperCase() ?? 'QUERY';
}

/** Forwards everything to `target` (methods bound to it, so drivers' private state still works) except what `overrides` names. */
function forwarding<T extends object>(target: T, overrides: Partial<T>): T {
  return new Proxy(target, {
    get(object, property) {
      if (Object.hasOwn(overrides, property)) return overrides[property as keyof T];
      const value: unknown = Reflect.get(object, property, object);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(object) : value;
    },
  });
}

type ExecuteOptions = Parameters<DatabaseConnection['executeQuery']>[1];

function tracedConnection(connection: DatabaseConnection): DatabaseConnection {
  return forwarding(connection, {
    executeQuery: <R>(compiled: CompiledQuery, options?: ExecuteOptions) => {
      // Only inside a trace: the relay's and pollers' idle queries would otherwise each be a trace of their own, several a second.
      if (!trace.getActiveSpan()?.isRecording()) return connection.executeQuery<R>(compiled, options);
      const operation = operationOf(compiled.sql);
      // The statement text only: parameter values (amounts, ids, notes) never reach a span.
      return inSpan(operation, {
        kind: SpanKind.CLIENT,
        attributes: { 'db.system.name': 'postgresql', 'db.operation.name': operation, 'db.query.text': compiled.sql.slice(0, 2_000) },
      }, () => connection.executeQuery<R>(compiled, options));
    },
  });
}

/**
 * A dialect whose queries each run in a client span (PostgreSQL and PGlite
 * alike). Chosen over @opentelemetry/instrumentation-pg, which patches `pg`
 * through module-load hooks that must be registered before `pg` is first
 * imported (an `--import` loader in every process), and would miss PGlite.
 */
export function tracedDialect(dialect: Dialect): Dialect {
  return forwarding(dialect, {
    createDriver: () => {
      const driver = dialect.createDriver();
      return forwarding<Driver>(driver, { acquireConnection: async (...args) => tracedConnection(await driver.acquireConnection(...args)) });
    },
  });
}
