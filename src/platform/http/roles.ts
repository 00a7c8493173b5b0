/** Who may call paysaga's API (a token's `role` claim); its own module so the CLI's --help reads it without jose. */
export const ROLES = ['customer', 'restaurant', 'courier', 'admin'] as const;
export type Role = typeof ROLES[number];
