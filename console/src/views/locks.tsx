import { useEffect, useState } from 'preact/hooks';
import { api, type LockState } from '../api.js';
import { hrefs, navigate } from '../router.js';
import { ErrorNote, Time } from '../ui.js';

/** /console/locks?key=…: whether a named lock is held, until when, and its fencing token. */
export function LocksView({ lockKey }: { lockKey: string | null }) {
  const [draft, setDraft] = useState(lockKey ?? '');
  const [state, setState] = useState<LockState | null>(null);
  const [failure, setFailure] = useState<unknown>(null);
  const [looking, setLooking] = useState(false);
  useEffect(() => {
    setDraft(lockKey ?? '');
    setState(null);
    setFailure(null);
    if (!lockKey) return undefined;
    let current = true;
    setLooking(true);
    api.lock(lockKey).then(
      (answer) => current && (setState(answer), setLooking(false)),
      (error: unknown) => current && (setFailure(error), setLooking(false)),
    );
    return () => {
      current = false;
    };
  }, [lockKey]);
  return (
    <section aria-labelledby="locks-title">
      <div class="page-head">
        <h1 id="locks-title">Locks</h1>
      </div>
      <form
        class="toolbar"
        onSubmit={(event) => {
          event.preventDefault();
          if (draft !== '') navigate(hrefs.locks(draft));
        }}
      >
        <label for="lock-key">Lock key</label>
        <input id="lock-key" value={draft} placeholder="e.g. orders" onInput={(event) => setDraft(event.currentTarget.value)} />
        <button type="submit" class="button primary" disabled={looking}>
          Look up
        </button>
      </form>
      {failure !== null && <ErrorNote error={failure} />}
      {state && (
        <div class="panel lock" aria-label="Lock">
          <dl class="facts">
            <div>
              <dt>Key</dt>
              <dd>
                <code>{state.lockKey}</code>
              </dd>
            </div>
            <div>
              <dt>Held</dt>
              <dd>
                <span class={`badge ${state.held ? 'badge-running' : 'badge-created'}`} data-held={String(state.held)}>
                  {state.held ? 'held' : 'free'}
                </span>
              </dd>
            </div>
            <div>
              <dt>Expires</dt>
              <dd>{state.expiresAt ? <Time iso={state.expiresAt} /> : <span class="muted">—</span>}</dd>
            </div>
            <div>
              <dt>Fencing token</dt>
              <dd>{state.fencingToken ?? <span class="muted">—</span>}</dd>
            </div>
          </dl>
        </div>
      )}
      {!lockKey && <p class="muted">Locks are named TTL leases in PostgreSQL. Enter a key to see whether it is held, until when, and its fencing token (never its lock id).</p>}
    </section>
  );
}
