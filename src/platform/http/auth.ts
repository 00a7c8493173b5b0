import type { FastifyInstance, FastifyRequest } from 'fastify';
import { SignJWT, errors, jwtVerify } from 'jose';
import { ApiError } from './api-error.ts';
import { ROLES, type Role } from './roles.ts';
import { findUnstorableText } from './storable-text.ts';

export { ROLES, type Role } from './roles.ts';

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
export function useBearerAuth(app: FastifyInstance, options: { secret: string; previousSecret?: string | null }): void {
  const key = keyOf(options.secret);
  const previous = options.previousSecret ? keyOf(options.previousSecret) : null;
  // During a rotation a token signed with the previous secret still verifies (AUTH_SECRET_PREVIOUS); nothing else changes.
  const verify = async (token: string) => {
    try {
      return await jwtVerify(token, key, { issuer: ISSUER, algorithms: ['HS256'] });
    } catch (error) {
      if (!previous || !(error instanceof errors.JWSSignatureVerificationFailed)) throw error;
      return jwtVerify(token, previous, { issuer: ISSUER, algorithms: ['HS256'] });
    }
  };
  app.addHook('onRequest', async (request) => {
    if (request.routeOptions.config.auth === false || request.routeOptions.url === undefined) return;
    const header = request.headers.authorization;
    if (!header?.startsWith('Bearer ')) throw new ApiError(401, 'unauthenticated', 'send Authorization: Bearer <token>');
    try {
      const { payload } = await verify(header.slice('Bearer '.length));
      const role = payload.role;
      if (typeof payload.sub !== 'string' || typeof role !== 'string' || !(ROLES as readonly string[]).includes(role)) throw new Error('no subject or role');
      // The subject reaches queries (a customer's orders): text PostgreSQL cannot store is no identity.
      if (findUnstorableText(payload.sub, 'sub') !== null) throw new Error('the subject is not valid text');
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

/**
 * Who a resource belongs to, in each role: the order's customer, its
 * restaurant, the courier its delivery is assigned to. A party a service does
 * not know is left out (null), and then nobody in that role is one.
 */
export interface Parties {
  customerId?: string | null;
  restaurantId?: string | null;
  courierId?: string | null;
}

/** Whether the caller may see the resource: an admin always; anyone else when the resource names them in their role. */
export function isParty(principal: Principal, parties: Parties): boolean {
  switch (principal.role) {
    case 'admin': return true;
    case 'customer': return parties.customerId === principal.subject;
    case 'restaurant': return parties.restaurantId === principal.subject;
    case 'courier': return parties.courierId === principal.subject;
  }
}

/** 404 unless the caller is a party to the resource: someone else's looks like none, so ids do not leak. */
export function requireParty(principal: Principal, parties: Parties, what: string, id: string): void {
  if (!isParty(principal, parties)) throw new ApiError(404, 'not_found', `${what} ${id} does not exist`, { id });
}
