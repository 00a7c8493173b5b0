import type { JSX } from 'preact';
import { useEffect, useMemo, useState } from 'preact/hooks';
import { Api, ApiFailure } from './api.ts';
import { ChangeHub, HubContext } from './change-hub.ts';
import { followChanges } from './change-stream.ts';
import { DeadLettersPage } from './pages/dead-letters-page.tsx';
import { MetricsPage } from './pages/metrics-page.tsx';
import { PaymentsPage } from './pages/payments-page.tsx';
import { SagasPage } from './pages/sagas-page.tsx';
import { forgetToken, saveToken, savedToken } from './session.ts';

const PAGES = { sagas: 'Sagas', payments: 'Payments', 'dead-letters': 'Dead letters', health: 'Health' } as const;
type Page = keyof typeof PAGES;

function pageOf(pathname: string): Page {
  const name = pathname.replace(/^\/dashboard\/?/, '').split('/')[0] ?? '';
  return name in PAGES ? name as Page : 'sagas';
}

export function App(): JSX.Element {
  const [token, setToken] = useState<string | null>(savedToken());
  const [page, setPage] = useState<Page>(pageOf(window.location.pathname));
  const [stream, setStream] = useState('connecting');
  const hub = useMemo(() => new ChangeHub(), []);
  const api = useMemo(() => (token ? new Api(token) : null), [token]);

  useEffect(() => {
    const onPop = (): void => { setPage(pageOf(window.location.pathname)); };
    window.addEventListener('popstate', onPop);
    return () => { window.removeEventListener('popstate', onPop); };
  }, []);
  useEffect(() => {
    if (!token) return;
    return followChanges(token, {
      onReady: () => { hub.ready(); },
      onChange: (change) => { hub.change(change); },
      onStatus: (status, detail) => { setStream(detail ? `${status}: ${detail}` : status); },
    });
  }, [token, hub]);

  if (!api) return <SignIn onSignedIn={(signed) => { saveToken(signed); setToken(signed); }} />;
  const go = (next: Page): void => {
    window.history.pushState(null, '', `/dashboard/${next}`);
    setPage(next);
  };
  const initialSaga = new URL(window.location.href).searchParams.get('saga');
  return (
    <HubContext.Provider value={hub}>
      <header>
        <h1>paysaga</h1>
        <nav>
          {(Object.keys(PAGES) as Page[]).map((name) => (
            <a key={name} href={`/dashboard/${name}`} class={page === name ? 'active' : ''} data-testid={`nav-${name}`}
              onClick={(event) => { event.preventDefault(); go(name); }}>{PAGES[name]}</a>
          ))}
        </nav>
        <span class={`stream ${stream.split(':')[0] ?? ''}`} data-testid="stream-status" title="the live stream of saga and dead-letter changes">● {stream}</span>
        <button type="button" onClick={() => { forgetToken(); setToken(null); }}>Sign out</button>
      </header>
      <main>
        {page === 'sagas' && <SagasPage api={api} initialSaga={initialSaga} />}
        {page === 'payments' && <PaymentsPage api={api} />}
        {page === 'dead-letters' && <DeadLettersPage api={api} />}
        {page === 'health' && <MetricsPage api={api} />}
      </main>
    </HubContext.Provider>
  );
}

/** Admin sign-in: a bearer token (`paysaga token --role admin --subject <you>`), checked against an admin-only route. */
function SignIn({ onSignedIn }: { onSignedIn: (token: string) => void }) {
  const [value, setValue] = useState('');
  const [error, setError] = useState<string | null>(null);
  const submit = async (event: Event): Promise<void> => {
    event.preventDefault();
    const candidate = value.trim().replace(/^Bearer\s+/i, '');
    try {
      await new Api(candidate).get('/metrics/summary');
      onSignedIn(candidate);
    } catch (failure) {
      setError(failure instanceof ApiFailure && failure.status === 403 ? 'this token is not an admin\'s' : failure instanceof ApiFailure && failure.status === 401 ? 'this token is not valid here (expired, or signed with another secret)' : String(failure));
    }
  };
  return (
    <main class="sign-in">
      <h1>paysaga operations</h1>
      <form onSubmit={(event) => { void submit(event); }}>
        <label>Admin bearer token
          <textarea name="token" rows={4} value={value} onInput={(event) => { setValue(event.currentTarget.value); }} placeholder="npx paysaga token --role admin --subject you" />
        </label>
        <button type="submit" data-testid="sign-in">Sign in</button>
        {error && <p class="error" data-testid="sign-in-error">{error}</p>}
        <p class="hint">The token stays in this tab (sessionStorage) and is sent only in the Authorization header.</p>
      </form>
    </main>
  );
}
