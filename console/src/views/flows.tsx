import { useState } from 'preact/hooks';
import { api } from '../api.js';
import { hrefs, navigate } from '../router.js';
import { ErrorNote, Loading, useLoad } from '../ui.js';

/** /console: every saved flow, with a filter; and a way to jump to an execution by its id. */
export function FlowsView() {
  const flows = useLoad(() => api.listFlows(), 'flows');
  const [filter, setFilter] = useState('');
  const [executionId, setExecutionId] = useState('');
  const needle = filter.trim().toLowerCase();
  const shown = (flows.value?.items ?? []).filter((flow) => needle === '' || flow.flowId.toLowerCase().includes(needle) || (flow.name ?? '').toLowerCase().includes(needle));
  return (
    <section aria-labelledby="flows-title">
      <div class="page-head">
        <h1 id="flows-title">Flows</h1>
        <form
          class="inline-form"
          onSubmit={(event) => {
            event.preventDefault();
            if (executionId.trim()) navigate(hrefs.execution(executionId.trim()));
          }}
        >
          <label class="sr-only" for="go-execution">
            Execution id
          </label>
          <input id="go-execution" placeholder="Open an execution by id" value={executionId} onInput={(event) => setExecutionId(event.currentTarget.value)} />
          <button type="submit" class="button quiet">
            Open
          </button>
        </form>
      </div>
      <div class="toolbar">
        <label for="flow-filter">Filter</label>
        <input id="flow-filter" type="search" placeholder="name or id" value={filter} onInput={(event) => setFilter(event.currentTarget.value)} />
        {flows.value && (
          <span class="muted small" role="status">
            {shown.length} of {flows.value.items.length}
          </span>
        )}
      </div>
      {flows.error !== undefined && <ErrorNote error={flows.error} />}
      {!flows.value && flows.error === undefined && <Loading what="flows" />}
      {flows.value && flows.value.items.length === 0 && (
        <div class="empty">
          <p>No flows yet.</p>
          <p class="muted">
            Save one with <code>PUT /flows/&#123;flowId&#125;</code> (a JSON definition of nodes and edges); it shows up here.
          </p>
        </div>
      )}
      {shown.length > 0 && (
        <table class="table" aria-label="Flows">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Flow id</th>
              <th scope="col" class="num">
                Version
              </th>
            </tr>
          </thead>
          <tbody>
            {shown.map((flow) => (
              <tr key={flow.flowId} data-flow-id={flow.flowId}>
                <td>
                  <a href={hrefs.flow(flow.flowId)}>{flow.name ?? flow.flowId}</a>
                </td>
                <td>
                  <code>{flow.flowId}</code>
                </td>
                <td class="num">v{flow.version}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
