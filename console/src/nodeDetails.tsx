import type { FlowDefinition } from '../../lib/flows/definition.js';
import { splitEndpoint } from '../../lib/graph/layout.js';
import type { FlowEvent, NodeStatus } from '../../lib/graph/states.js';
import { stateLabel } from '../../lib/graph/svg.js';
import { JsonView, Time } from './ui.js';

/** What a selected node is: its static inputs, retry policy and wiring; in an execution also its state, error, outputs and events. */
export function NodeDetails(props: { definition: FlowDefinition; nodeId: string; status?: NodeStatus; events?: FlowEvent[]; onClose(): void }) {
  const node = props.definition.nodes.find((candidate) => candidate.id === props.nodeId);
  if (!node) return null;
  const incoming = props.definition.edges.filter((edge) => splitEndpoint(edge.to).nodeId === node.id);
  const outgoing = props.definition.edges.filter((edge) => splitEndpoint(edge.from).nodeId === node.id);
  const nodeEvents = (props.events ?? []).filter((event) => event.nodeId === node.id);
  const completed = [...nodeEvents].reverse().find((event) => event.type === 'node:completed');
  const outputs = (completed?.data as { outputs?: unknown } | undefined)?.outputs;
  return (
    <div class="panel node-details" aria-labelledby="node-title">
      <div class="panel-head">
        <h2 id="node-title">
          <code>{node.id}</code>
        </h2>
        <button type="button" class="button quiet small" onClick={props.onClose} aria-label="Close node details">
          ✕
        </button>
      </div>
      <p class="muted">{node.type}</p>
      {props.status && (
        <p>
          <span class={`state-chip state-${props.status.state}`}>{stateLabel(props.status)}</span>
          {props.status.signal && (
            <span class="muted small"> waiting for signal <code>{props.status.signal}</code></span>
          )}
        </p>
      )}
      {props.status?.error?.message && (
        <div class="note note-error" role="note">
          <strong>{props.status.error.type ?? 'Error'}</strong> {props.status.error.message}
        </div>
      )}
      {props.status?.progress && (
        <p class="small">
          {props.status.progress.succeeded} succeeded · {props.status.progress.failed} failed · {props.status.progress.running} running of {props.status.progress.total}
        </p>
      )}
      <h3>Static inputs</h3>
      {node.inputs && Object.keys(node.inputs).length > 0 ? <JsonView value={node.inputs} label="Static inputs" /> : <p class="muted small">none</p>}
      <h3>Retry policy</h3>
      {node.retry && node.retry.length > 0 ? <JsonView value={node.retry} label="Retry policy" /> : <p class="muted small">none: a failure is final</p>}
      {node.timeoutMs !== undefined && (
        <p class="small">
          Timeout per attempt: <strong>{node.timeoutMs} ms</strong>
        </p>
      )}
      <h3>Wiring</h3>
      <ul class="wiring small">
        {incoming.map((edge) => (
          <li key={`${edge.from}->${edge.to}`}>
            <code>{edge.from}</code> → <code>{edge.to}</code>
          </li>
        ))}
        {outgoing.map((edge) => (
          <li key={`${edge.from}->${edge.to}`}>
            <code>{edge.from}</code> → <code>{edge.to}</code>
          </li>
        ))}
        {incoming.length + outgoing.length === 0 && <li class="muted">no edges</li>}
      </ul>
      {outputs !== undefined && (
        <>
          <h3>Outputs</h3>
          <JsonView value={outputs} label="Outputs" />
        </>
      )}
      {nodeEvents.length > 0 && (
        <>
          <h3>Events</h3>
          <ol class="timeline small">
            {nodeEvents.map((event) => (
              <li key={event.index}>
                <span class="event-type">{event.type}</span> <Time iso={event.timestamp} />
              </li>
            ))}
          </ol>
        </>
      )}
    </div>
  );
}
