import type { FastifyInstance, FastifyRequest } from 'fastify';
import { SignJWT, jwtVerify } from 'jose';
import { ApiError } from './api-error.ts';

export const ROLES = ['customer', 'restaurant', 'courier', 'admin'] as const;
export type Role = typeof ROLES[number];

/** Who is calling: the token's subject (a customer, restaurant or courier id) and role. */
export interface Principal {
  subject: string;
  role: Role;
}

declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal;
  }
  interface FastifyContextConfig {
    /** Set false on routes anyone may call (health, webhooks verified by signature, OpenAPI). */
    auth?: boolean;
  }
}

const ISSUER = 'paysaga';

function keyOf(secret: string): Uint8Array {
  if (secret.length < 32) throw new Error('AUTH_SECRET must be at least 32 characters');
  return new TextEncoder().encode(secret);
}

/** Mints a bearer token (HS256 JWT) — `paysaga token` and tests use it; production would use its identity provider's. */
export async function issueToken(secret: string, principal: Principal, ttlSeconds = 24 * 3_600): Promise<string> {
  return new SignJWT({ role: principal.role }).setProtectedHeader({ alg: 'HS256' }).setSubject(principal.subject)
    .setIssuer(ISSUER).setIssuedAt().setExpirationTime(`${ttlSeconds}s`).sign(keyOf(secret));
}

/**
 * Bearer-token authentication on every route of the instance it is added to,
 * except those with `config: { auth: false }`. A missing, malformed, forged or
 * expired token gets 401; the principal is on `request.principal`.
 */
export function useBearerAuth(app: FastifyInstance, options: { secret: string }): void {
  const key = keyOf(options.secret);
  app.addHook('onRequest', async (request) => {
    if (request.routeOptions.config.auth === false || request.routeOptions.url === undefined) return;
    const header = request.headers.authorization;
    if (!header?.startsWith('Bearer ')) throw new ApiError(401, 'unauthenticated', 'send Authorization: Bearer <token>');
    try {
      const { payload } = await jwtVerify(header.slice('Bearer '.length), key, { issuer: ISSUER, algorithms: ['HS256'] });
      const role = payload.role;
      if (typeof payload.sub !== 'string' || typeof role !== 'string' || !(ROLES as readonly string[]).includes(role)) throw new Error('no subject or role');
      request.principal = { subject: payload.sub, role: role as Role };
    } catch (error) {
      throw new ApiError(401, 'unauthenticated', `invalid bearer token: ${error instanceof Error ? error.message : String(error)}`);
    }
  });
}

/** The caller, who must hold one of `roles` (admin always may). */
export function requireRole(request: FastifyRequest, ...roles: Role[]): Principal {
  const principal = request.principal;
  if (!principal) throw new ApiError(401, 'unauthenticated', 'send Authorization: Bearer <token>');
  if (principal.role !== 'admin' && !roles.includes(principal.role)) {
    throw new ApiError(403, 'forbidden', `this operation needs the role ${[...roles, 'admin'].join(' or ')}; you are ${principal.role}`);
  }
  return principal;
}

/** A customer may only see and act on what is theirs; staff roles pass. Answers 404, not 403, so ids do not leak. */
export function requireOwnerOrStaff(principal: Principal, ownerCustomerId: string, what: string, id: string): void {
  if (principal.role === 'customer' && principal.subject !== ownerCustomerId) throw new ApiError(404, 'not_found', `${what} ${id} does not exist`, { id });
}
