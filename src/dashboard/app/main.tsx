// The dashboard's entry: log in with a key (the daemon sets an http-only session cookie), then the
// pages by hash route: #/live, #/sandboxes[/ID[/step/N]], #/episodes[/ID[/step/N]], #/redteam[/ID].
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import 'uplot/dist/uPlot.min.css';
import './style.css';
import { api, HttpError, type Me } from './api';
import { LivePage, useLive } from './live';
import { SandboxesPage, SandboxPage } from './sandboxes';
import { EpisodePage, EpisodesPage } from './episodes';
import { ReportPage, RedteamPage } from './redteam';

function useHash(): string {
  const [hash, setHash] = useState(location.hash);
  useEffect(() => {
    const on = (): void => setHash(location.hash);
    addEventListener('hashchange', on);
    return () => removeEventListener('hashchange', on);
  }, []);
  return hash;
}

function Login({ onLogin }: { onLogin: (me: Me) => void }) {
  const [key, setKey] = useState('');
  const [error, setError] = useState<string | null>(null);
  const submit = (e: Event): void => {
    e.preventDefault();
    setError(null);
    api<Me>('/ui/login', { method: 'POST', body: { key: key.trim() } }).then(
      (me) => {
        setKey('');
        onLogin(me);
      },
      (err: unknown) => setError(err instanceof Error ? err.message : String(err)),
    );
  };
  return (
    <main id="main" class="login">
      <h1>praetor</h1>
      <form onSubmit={submit}>
        <label for="key">API key</label>
        <input id="key" name="key" type="password" autoComplete="off" value={key} onInput={(e) => setKey((e.target as HTMLInputElement).value)} placeholder="pk_…" required autoFocus />
        <button type="submit">Log in</button>
        {error ? <p class="error" role="alert">{error}</p> : null}
      </form>
      <p class="muted small">The key stays on the daemon: the browser keeps only an http-only session cookie.</p>
    </main>
  );
}

const PAGES = [
  ['live', 'Live'],
  ['sandboxes', 'Sandboxes'],
  ['episodes', 'Episodes'],
  ['redteam', 'Red team'],
] as const;

function Shell({ me, onLogout }: { me: Me; onLogout: () => void }) {
  const hash = useHash();
  const live = useLive();
  const parts = hash.replace(/^#\/?/, '').split('/').map(decodeURIComponent);
  const page = parts[0] || 'live';
  const stepOf = (i: number): number | null => (parts[i] === 'step' && parts[i + 1] ? Number(parts[i + 1]) : null);
  let body;
  if (page === 'sandboxes' && parts[1]) body = <SandboxPage me={me} id={parts[1]} step={stepOf(2)} />;
  else if (page === 'sandboxes') body = <SandboxesPage me={me} />;
  else if (page === 'episodes' && parts[1]) body = <EpisodePage id={parts[1]} step={stepOf(2)} />;
  else if (page === 'episodes') body = <EpisodesPage />;
  else if (page === 'redteam' && parts[1]) body = <ReportPage id={parts[1]} />;
  else if (page === 'redteam') body = <RedteamPage />;
  else body = <LivePage live={live} />;
  const logout = (): void => {
    void api('/ui/logout', { method: 'POST' }).finally(onLogout);
  };
  return (
    <>
      <a class="skip" href="#main" onClick={(e) => { e.preventDefault(); document.getElementById('main')?.focus(); }}>
        Skip to content
      </a>
      <header>
        <b class="brand">praetor</b>
        <nav aria-label="pages">
          {PAGES.map(([id, label]) => (
            <a key={id} href={`#/${id}`} aria-current={page === id ? 'page' : undefined}>
              {label}
            </a>
          ))}
        </nav>
        <span class="who small">
          {me.name} ({me.scope})
          <button type="button" class="link" onClick={logout}>
            log out
          </button>
        </span>
      </header>
      <main id="main" tabIndex={-1}>
        {body}
      </main>
    </>
  );
}

function App() {
  const [me, setMe] = useState<Me | null | undefined>(undefined);
  useEffect(() => {
    api<Me>('/v1/me').then(setMe, (err: unknown) => setMe(err instanceof HttpError && err.status === 401 ? null : null));
  }, []);
  if (me === undefined) return <p class="muted">loading…</p>;
  if (me === null) return <Login onLogin={setMe} />;
  return <Shell me={me} onLogout={() => setMe(null)} />;
}

const root = document.getElementById('app');
if (root) render(<App />, root);
