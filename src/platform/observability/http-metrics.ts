import type { FastifyInstance } from 'fastify';
import { Counter, Histogram, type Registry } from 'prom-client';

const HTTP_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** HTTP requests by route pattern (never the raw URL: ids would explode the label set), method and status. */
export class HttpMetrics {
  readonly requests: Counter<'route' | 'method' | 'status'>;
  readonly duration: Histogram<'route' | 'method'>;

  constructor(registry: Registry) {
    const registers = [registry];
    this.requests = new Counter({ name: 'paysaga_http_requests_total', help: 'HTTP requests answered, by route pattern, method and status code', labelNames: ['route', 'method', 'status'], registers });
    this.duration = new Histogram({ name: 'paysaga_http_request_duration_seconds', help: 'Time to answer an HTTP request, by route pattern and method', labelNames: ['route', 'method'], buckets: HTTP_BUCKETS, registers });
  }

  /** Counts every response of the server (404s of unknown paths under route "unmatched"). */
  instrument(server: FastifyInstance): void {
    server.addHook('onResponse', async (request, reply) => {
      const route = request.routeOptions.url ?? 'unmatched';
      this.requests.inc({ route, method: request.method, status: String(reply.statusCode) });
      this.duration.observe({ route, method: request.method }, reply.elapsedTime / 1_000);
    });
  }
}
