/** True for an absolute http: or https: URL — the only kind a webhook endpoint (or a 3DS redirect) may be. */
export function isHttpUrl(value: unknown): value is string {
  return typeof value === 'string' && URL.canParse(value) && /^https?:$/.test(new URL(value).protocol);
}
