import { useEffect, useState } from 'preact/hooks';
import { preloadLayout } from '../../../lib/graph/layout.js';
import { api, type Execution, type ExecutionStatus } from '../api.js';
import { FlowGraph } from '../graph.js';
import { NodeDetails } from '../nodeDetails.js';
import { hrefs, navigate } from '../router.js';
import { Duration, ErrorNote, JsonView, Loading, StatusBadge, Time, useLoad } from '../ui.js';

/** /console/flows/{flowId}: the graph, a start form, the executions and the definition. */
export function FlowView({ flowId, version }: { flowId: string; version: number | null }) {
  useEffect(preloadLayout, []);
  const flow = useLoad(() => api.getFlow(flowId, version ?? undefined), `${flowId}@${version ?? 'latest'}`);
  // The newest version number, for the version picker: the flow itself unless an older one is shown.
  const latest = useLoad(() => (version === null ? Promise.resolve(undefined) : api.getFlow(flowId)), `${flowId}@${version ?? 'latest'}:newest`);
  const [selected, setSelected] = useState<string | null>(null);
  return (
    <section aria-labelledby="flow-title">
      <nav class="crumbs" aria-label="Breadcrumb">
        <a href={hrefs.flows()}>Flows</a> / <span>{flowId}</span>
      </nav>
      {flow.error !== undefined && <ErrorNote error={flow.error} />}
      {!flow.value && flow.error === undefined && <Loading what="the flow" />}
      {flow.value && (
        <>
          <div class="page-head">
            <h1 id="flow-title">
              {flow.value.definition.name ?? flowId} <code class="title-id">{flowId}</code>
            </h1>
            <VersionPicker flowId={flowId} shown={flow.value.version} latest={latest.value?.version ?? flow.value.version} />
          </div>
          <div class="split">
            <div class="split-main">
              <FlowGraph definition={flow.value.definition} selected={selected} onSelect={setSelected} />
            </div>
            <aside class="split-side">
              {selected ? (
                <NodeDetails definition={flow.value.definition} nodeId={selected} onClose={() => setSelected(null)} />
              ) : (
                <StartForm flowId={flowId} />
              )}
            </aside>
          </div>
          <ExecutionList flowId={flowId} />
          <details class="panel">
            <summary>
              <h2 class="inline-h">Definition (JSON)</h2> <span class="muted small">version {flow.value.version}</span>
            </summary>
            <JsonView value={flow.value.definition} label="Definition" />
          </details>
        </>
      )}
    </section>
  );
}

function VersionPicker({ flowId, shown, latest }: { flowId: string; shown: number; latest: number }) {
  const versions = Array.from({ length: latest }, (_, index) => latest - index);
  return (
    <div class="inline-form">
      <label for="flow-version">Version</label>
      <select id="flow-version" value={String(shown)} onChange={(event) => navigate(hrefs.flow(flowId, Number(event.currentTarget.value) === latest ? undefined : Number(event.currentTarget.value)))}>
        {versions.map((version) => (
          <option key={version} value={String(version)}>
            v{version}
            {version === latest ? ' (latest)' : ''}
          </option>
        ))}
      </select>
    </div>
  );
}

/** "Start execution" with a JSON input and an optional idempotency key; then the new execution's view. */
function StartForm({ flowId }: { flowId: string }) {
  const [input, setInput] = useState('{}');
  const [idempotencyKey, setIdempotencyKey] = useState('');
  const [problem, setProblem] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (event: Event) => {
    event.preventDefault();
    let parsed: unknown;
    try {
      parsed = input.trim() === '' ? undefined : JSON.parse(input);
    } catch (error) {
      setProblem(new Error(`Input is not JSON: ${(error as Error).message}`));
      return;
    }
    setBusy(true);
    setProblem(null);
    try {
      const started = await api.startExecution(flowId, parsed, idempotencyKey.trim() || undefined);
      navigate(hrefs.execution(started.executionId));
    } catch (error) {
      setProblem(error);
      setBusy(false);
    }
  };
  return (
    <form class="panel form" onSubmit={submit} aria-labelledby="start-title">
      <h2 id="start-title">Start an execution</h2>
      <label for="start-input">Input</label>
      <textarea id="start-input" class="code" rows={8} spellcheck={false} value={input} onInput={(event) => setInput(event.currentTarget.value)} />
      <label for="start-key">Idempotency key</label>
      <input id="start-key" placeholder="optional: the same key starts nothing new" value={idempotencyKey} onInput={(event) => setIdempotencyKey(event.currentTarget.value)} />
      {problem !== null && <ErrorNote error={problem} />}
      <button type="submit" class="button primary" disabled={busy}>
        Start execution
      </button>
      <p class="muted small">Select a node in the graph to see its inputs and retry policy.</p>
    </form>
  );
}

const STATUSES: ExecutionStatus[] = ['created', 'running', 'completed', 'failed', 'stopped'];

/** The flow's executions, newest first, in pages of 20, filtered by status on the pages loaded. */
function ExecutionList({ flowId }: { flowId: string }) {
  const [pages, setPages] = useState<{ items: Execution[]; nextCursor: string | null; loadingMore: boolean }>({ items: [], nextCursor: null, loadingMore: false });
  const [status, setStatus] = useState<ExecutionStatus | ''>('');
  const first = useLoad(async () => {
    const page = await api.listExecutions(flowId);
    setPages({ items: page.items, nextCursor: page.nextCursor, loadingMore: false });
    return page;
  }, `executions:${flowId}`);
  const more = async () => {
    setPages((current) => ({ ...current, loadingMore: true }));
    const page = await api.listExecutions(flowId, pages.nextCursor);
    setPages((current) => ({ items: [...current.items, ...page.items], nextCursor: page.nextCursor, loadingMore: false }));
  };
  const shown = pages.items.filter((execution) => status === '' || execution.status === status);
  return (
    <section class="panel" aria-labelledby="executions-title">
      <div class="panel-head">
        <h2 id="executions-title">Executions</h2>
        <div class="inline-form">
          <label for="status-filter">Status</label>
          <select id="status-filter" value={status} onChange={(event) => setStatus(event.currentTarget.value as ExecutionStatus | '')}>
            <option value="">all</option>
            {STATUSES.map((value) => (
              <option key={value} value={value}>
                {value}
              </option>
            ))}
          </select>
          <button type="button" class="button quiet small" onClick={first.reload}>
            Refresh
          </button>
        </div>
      </div>
      {first.error !== undefined && <ErrorNote error={first.error} />}
      {!first.value && first.error === undefined && <Loading what="executions" />}
      {first.value && shown.length === 0 && <p class="muted">{pages.items.length === 0 ? 'No executions yet: start one above.' : 'None with this status among those loaded.'}</p>}
      {shown.length > 0 && <ExecutionTable executions={shown} />}
      {pages.nextCursor && (
        <button type="button" class="button quiet" disabled={pages.loadingMore} onClick={more}>
          Load older executions
        </button>
      )}
    </section>
  );
}

export function ExecutionTable({ executions, showItem }: { executions: Execution[]; showItem?: boolean }) {
  return (
    <table class="table" aria-label="Executions">
      <thead>
        <tr>
          {showItem && (
            <th scope="col" class="num">
              Item
            </th>
          )}
          <th scope="col">Execution</th>
          <th scope="col">Status</th>
          <th scope="col">Started</th>
          <th scope="col" class="num">
            Duration
          </th>
          <th scope="col" class="num">
            Version
          </th>
        </tr>
      </thead>
      <tbody>
        {executions.map((execution) => (
          <tr key={execution.executionId}>
            {showItem && <td class="num">{execution.itemIndex ?? '—'}</td>}
            <td>
              <a href={hrefs.execution(execution.executionId)}>
                <code>{execution.executionId}</code>
              </a>
            </td>
            <td>
              <StatusBadge status={execution.status} />
            </td>
            <td>
              <Time iso={execution.startedAt ?? execution.createdAt} />
            </td>
            <td class="num">
              <Duration from={execution.startedAt} to={execution.completedAt} />
            </td>
            <td class="num">v{execution.flowVersion}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
