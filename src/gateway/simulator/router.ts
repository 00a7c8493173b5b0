export interface RoutePattern {
  method: string;
  /** `/v1/payment_intents/:id/confirm`: `:name` matches one path segment. */
  pattern: string;
}

export interface RouteMatch<R> {
  route: R;
  pathParams: Record<string, string>;
}

interface Compiled<R> {
  route: R;
  regex: RegExp;
  names: string[];
}

/** A tiny method + path matcher: the simulator has a dozen routes and needs nothing more. */
export class Router<R extends RoutePattern> {
  private readonly compiled: Compiled<R>[];

  constructor(routes: readonly R[]) {
    this.compiled = routes.map((route) => {
      const names: string[] = [];
      const source = route.pattern.split('/').map((segment) => {
        if (!segment.startsWith(':')) return segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
        names.push(segment.slice(1));
        return '([^/]+)';
      }).join('/');
      return { route, regex: new RegExp(`^${source}/?$`), names };
    });
  }

  match(method: string, path: string): RouteMatch<R> | undefined {
    for (const { route, regex, names } of this.compiled) {
      if (route.method !== method) continue;
      const found = regex.exec(path);
      if (found === null) continue;
      const pathParams: Record<string, string> = {};
      names.forEach((name, index) => {
        pathParams[name] = safeDecode(found[index + 1] ?? '');
      });
      return { route, pathParams };
    }
    return undefined;
  }
}

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    // not logged: a malformed escape in a path segment is matched literally, as Stripe does
    return segment;
  }
}
