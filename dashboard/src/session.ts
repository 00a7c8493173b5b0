// The admin's bearer token lives in this tab's sessionStorage only: closing the tab signs out, and it never goes in a URL.
const KEY = 'paysaga.dashboard.token';

export function savedToken(): string | null {
  return sessionStorage.getItem(KEY);
}

export function saveToken(token: string): void {
  sessionStorage.setItem(KEY, token);
}

export function forgetToken(): void {
  sessionStorage.removeItem(KEY);
}
