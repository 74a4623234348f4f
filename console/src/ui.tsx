import type { ComponentChildren } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, type ExecutionStatus } from './api.js';

// Small pieces every view uses: badges, folded JSON, confirmations, times, loading and errors.

export function StatusBadge({ status }: { status: ExecutionStatus }) {
  return (
    <span class={`badge badge-${status}`} data-status={status}>
      {status}
    </span>
  );
}

const FOLD_CHARS = 1_500;
const FOLD_LINES = 24;

/** A JSON value, pretty-printed; large values start folded. */
export function JsonView({ value, label }: { value: unknown; label: string }) {
  const text = value === undefined ? 'undefined' : JSON.stringify(value, null, 2);
  const large = text.length > FOLD_CHARS || text.split('\n').length > FOLD_LINES;
  if (!large) {
    return (
      <pre class="json" aria-label={label}>
        {text}
      </pre>
    );
  }
  return (
    <details class="json-fold">
      <summary>
        {label}: {summarise(value)} ({formatBytes(text.length)}) — show
      </summary>
      <pre class="json" aria-label={label}>
        {text}
      </pre>
    </details>
  );
}

function summarise(value: unknown): string {
  if (Array.isArray(value)) return `array of ${value.length}`;
  if (value && typeof value === 'object') return `object with ${Object.keys(value).length} keys`;
  return typeof value;
}

export const formatBytes = (bytes: number): string => (bytes < 1024 ? `${bytes} B` : bytes < 1024 * 1024 ? `${(bytes / 1024).toFixed(1)} KiB` : `${(bytes / 1024 / 1024).toFixed(1)} MiB`);

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.round(ms))} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
  const minutes = Math.floor(ms / 60_000);
  if (minutes < 60) return `${minutes} min ${Math.round((ms % 60_000) / 1000)} s`;
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

/** A time as the person's local time, with the ISO time on hover. */
export function Time({ iso }: { iso: string | null }) {
  if (!iso) return <span class="muted">—</span>;
  const date = new Date(iso);
  return (
    <time dateTime={iso} title={iso}>
      {date.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'medium' })}
    </time>
  );
}

/** How long an execution ran, ticking while it runs. */
export function Duration({ from, to }: { from: string | null; to: string | null }) {
  const [, tick] = useState(0);
  useEffect(() => {
    if (!from || to) return undefined;
    const timer = setInterval(() => tick((n) => n + 1), 1000);
    return () => clearInterval(timer);
  }, [from, to]);
  if (!from) return <span class="muted">—</span>;
  return <span>{formatDuration((to ? Date.parse(to) : Date.now()) - Date.parse(from))}</span>;
}

export function ErrorNote({ error }: { error: unknown }) {
  const message = error instanceof ApiError ? error.message : error instanceof Error ? error.message : String(error);
  const code = error instanceof ApiError ? error.code : 'Error';
  return (
    <div class="note note-error" role="alert">
      <strong>{code}</strong> {message}
    </div>
  );
}

export function Loading({ what }: { what: string }) {
  return (
    <p class="loading" role="status">
      Loading {what}…
    </p>
  );
}

/**
 * A button that asks before it acts: the first press shows what will happen and a "Confirm"
 * button (focused); Escape or "Back" steps away.
 */
export function ConfirmAction(props: { label: string; question: ComponentChildren; danger?: boolean; run: () => Promise<void>; children?: ComponentChildren }) {
  const [asking, setAsking] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const confirmRef = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    if (asking) confirmRef.current?.focus();
  }, [asking]);
  const confirm = async () => {
    setBusy(true);
    setError(null);
    try {
      await props.run();
      setAsking(false);
    } catch (thrown) {
      setError(thrown);
    } finally {
      setBusy(false);
    }
  };
  if (!asking) {
    return (
      <button type="button" class={props.danger ? 'button danger' : 'button'} onClick={() => setAsking(true)}>
        {props.label}
      </button>
    );
  }
  return (
    <div class="confirm" role="alertdialog" aria-label={props.label} onKeyDown={(event) => event.key === 'Escape' && setAsking(false)}>
      <div class="confirm-question">{props.question}</div>
      {props.children}
      {error !== null && <ErrorNote error={error} />}
      <div class="confirm-buttons">
        <button type="button" ref={confirmRef} class={props.danger ? 'button danger' : 'button primary'} disabled={busy} onClick={confirm}>
          Confirm
        </button>
        <button type="button" class="button quiet" disabled={busy} onClick={() => setAsking(false)}>
          Back
        </button>
      </div>
    </div>
  );
}

/** Loads once per `key`; `reload()` loads again. */
export function useLoad<T>(load: () => Promise<T>, key: string): { value: T | undefined; error: unknown; reload: () => void } {
  const [state, setState] = useState<{ key: string; value?: T; error?: unknown }>({ key: '' });
  const [generation, setGeneration] = useState(0);
  useEffect(() => {
    let current = true;
    load().then(
      (value) => current && setState({ key, value }),
      (error: unknown) => current && setState({ key, error }),
    );
    return () => {
      current = false;
    };
  }, [key, generation]);
  const fresh = state.key === key;
  return { value: fresh ? state.value : undefined, error: fresh ? state.error : undefined, reload: () => setGeneration((n) => n + 1) };
}
