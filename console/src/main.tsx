import { render } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { auth, onTokenNeeded } from './api.js';
import { hrefs, interceptLinks, useRoute, type Route } from './router.js';
import './styles.css';
import { ExecutionView } from './views/execution.js';
import { FlowView } from './views/flow.js';
import { FlowsView } from './views/flows.js';
import { LocksView } from './views/locks.js';

type Theme = 'auto' | 'light' | 'dark';
const THEME_KEY = 'fireflow.console.theme';

function applyTheme(theme: Theme): void {
  if (theme === 'auto') delete document.documentElement.dataset.theme;
  else document.documentElement.dataset.theme = theme;
}

function ThemeSwitch() {
  const [theme, setTheme] = useState<Theme>(() => (localStorage.getItem(THEME_KEY) as Theme | null) ?? 'auto');
  useEffect(() => {
    applyTheme(theme);
    localStorage.setItem(THEME_KEY, theme);
  }, [theme]);
  return (
    <label class="theme">
      <span class="sr-only">Theme</span>
      <select value={theme} onChange={(event) => setTheme(event.currentTarget.value as Theme)} aria-label="Theme">
        <option value="auto">Auto theme</option>
        <option value="light">Light</option>
        <option value="dark">Dark</option>
      </select>
    </label>
  );
}

/** Asks for a JWT when the API answers 401; the token stays for this browser session only. */
function TokenDialog() {
  const [asking, setAsking] = useState<{ reason: 'missing' | 'rejected'; done(): void } | null>(null);
  const [token, setToken] = useState('');
  const dialog = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    onTokenNeeded((reason) => new Promise<void>((resolve) => setAsking({ reason, done: resolve })));
  }, []);
  useEffect(() => {
    if (asking && dialog.current && !dialog.current.open) dialog.current.showModal();
  }, [asking]);
  if (!asking) return null;
  return (
    <dialog ref={dialog} class="dialog" aria-labelledby="token-title" onCancel={(event) => event.preventDefault()}>
      <form
        method="dialog"
        class="form"
        onSubmit={(event) => {
          event.preventDefault();
          if (token.trim() === '') return;
          auth.setToken(token);
          dialog.current?.close();
          setToken('');
          const { done } = asking;
          setAsking(null);
          done();
        }}
      >
        <h2 id="token-title">Sign in to the FireFlow API</h2>
        <p>
          {asking.reason === 'rejected' ? 'The API did not accept the token (expired or wrong audience). ' : 'The API asks for a JWT. '}
          Paste an access token from your identity provider with the scopes you need: <code>fireflow/read</code> to look, <code>fireflow/run</code> to start,
          cancel, redrive and signal, <code>fireflow/locks</code> for locks. It is kept only for this browser tab's session.
        </p>
        <label for="token-input">Token</label>
        <textarea id="token-input" class="code" rows={4} spellcheck={false} value={token} onInput={(event) => setToken(event.currentTarget.value)} />
        <button type="submit" class="button primary">
          Use token
        </button>
      </form>
    </dialog>
  );
}

function View({ route }: { route: Route }) {
  switch (route.view) {
    case 'flows':
      return <FlowsView />;
    case 'flow':
      return <FlowView key={`${route.flowId}@${route.version}`} flowId={route.flowId} version={route.version} />;
    case 'execution':
      return <ExecutionView key={route.executionId} executionId={route.executionId} />;
    case 'locks':
      return <LocksView lockKey={route.lockKey} />;
    case 'missing':
      return (
        <section>
          <h1>Nothing here</h1>
          <p>
            The console has no page at <code>{route.path}</code>. Go to the <a href={hrefs.flows()}>flows</a>.
          </p>
        </section>
      );
  }
}

const TITLES: Record<Route['view'], string> = { flows: 'Flows', flow: 'Flow', execution: 'Execution', locks: 'Locks', missing: 'Not found' };

function App() {
  const route = useRoute();
  const main = useRef<HTMLElement>(null);
  useEffect(() => {
    const subject = route.view === 'flow' ? route.flowId : route.view === 'execution' ? route.executionId : '';
    document.title = `${TITLES[route.view]}${subject ? ` ${subject}` : ''} · FireFlow`;
  }, [route]);
  const section = route.view === 'locks' ? 'locks' : 'flows';
  return (
    <>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="top">
        <a class="brand" href={hrefs.flows()}>
          <span class="brand-mark" aria-hidden="true">
            F
          </span>
          FireFlow
        </a>
        <nav class="top-nav" aria-label="Sections">
          <a href={hrefs.flows()} aria-current={section === 'flows' ? 'page' : undefined}>
            Flows
          </a>
          <a href={hrefs.locks()} aria-current={section === 'locks' ? 'page' : undefined}>
            Locks
          </a>
        </nav>
        <ThemeSwitch />
      </header>
      <main id="main" ref={main} tabIndex={-1}>
        <View route={route} />
      </main>
      <TokenDialog />
    </>
  );
}

const root = document.getElementById('app')!;
applyTheme((localStorage.getItem(THEME_KEY) as Theme | null) ?? 'auto');
interceptLinks(root);
render(<App />, root);
