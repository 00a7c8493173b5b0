/** The services paysaga runs, kept apart from their wiring (compose.ts) so a command's --help loads none of them. */
export const SERVICE_NAMES = ['payment', 'order', 'inventory', 'delivery', 'notification', 'saga'] as const;
export type ServiceName = typeof SERVICE_NAMES[number];

/** Each service's own schema (before a namespace prefix). */
export const SERVICE_SCHEMAS: Record<ServiceName, string> = {
  payment: 'payment', order: 'orders', inventory: 'inventory', delivery: 'delivery', notification: 'notification', saga: 'saga',
};

/** Each service's consumer group (before a namespace prefix). */
export const SERVICE_GROUPS: Record<ServiceName, string> = {
  payment: 'payment', order: 'order', inventory: 'inventory', delivery: 'delivery', notification: 'notification', saga: 'saga',
};

export function isServiceName(value: string): value is ServiceName {
  return (SERVICE_NAMES as readonly string[]).includes(value);
}
