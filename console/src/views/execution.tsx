import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { preloadLayout } from '../../../lib/graph/layout.js';
import { foldNodeStates, type FlowEvent } from '../../../lib/graph/states.js';
import { api, ENDED, type Execution, type StoredFlow } from '../api.js';
import { FlowGraph } from '../graph.js';
import { NodeDetails } from '../nodeDetails.js';
import { hrefs } from '../router.js';
import { ConfirmAction, Duration, ErrorNote, formatDuration, JsonView, Loading, StatusBadge, Time } from '../ui.js';
import { ExecutionTable } from './flow.js';

/** How long one events request waits for news; the API answers as soon as there is some. */
const LONG_POLL_MS = 5_000;
const RETRY_AFTER_MS = 2_000;

/**
 * /console/executions/{executionId}: the flow graph coloured by each node's state, live from the
 * events long-poll; the record, the timeline, children, and the actions.
 */
export function ExecutionView({ executionId }: { executionId: string }) {
  const [execution, setExecution] = useState<Execution | null>(null);
  const [flow, setFlow] = useState<StoredFlow | null>(null);
  const [failure, setFailure] = useState<unknown>(null);
  const [events, setEvents] = useState<FlowEvent[]>([]);
  const [following, setFollowing] = useState(0);
  const [reconnecting, setReconnecting] = useState(false);
  const [selected, setSelected] = useState<string | null>(null);
  const lastIndex = useRef(-1);

  const refresh = async () => {
    try {
      setExecution(await api.getExecution(executionId));
    } catch (error) {
      setFailure(error);
    }
  };

  useEffect(() => {
    let current = true;
    preloadLayout();
    (async () => {
      const record = await api.getExecution(executionId);
      if (!current) return;
      setExecution(record);
      const pinned = await api.getFlow(record.flowId, record.flowVersion);
      if (current) setFlow(pinned);
    })().catch((error: unknown) => current && setFailure(error));
    return () => {
      current = false;
    };
  }, [executionId]);

  // Follow the events until the history ends; a redrive starts following again.
  useEffect(() => {
    const abort = new AbortController();
    (async () => {
      while (!abort.signal.aborted) {
        try {
          const page = await api.events(executionId, lastIndex.current, LONG_POLL_MS, abort.signal);
          setReconnecting(false);
          if (page.events.length > 0) {
            lastIndex.current = page.nextAfter;
            setEvents((seen) => [...seen, ...page.events]);
            if (page.events.some((event) => !event.type.startsWith('node:'))) void refresh();
          }
          if (page.done) {
            void refresh();
            return;
          }
        } catch (error) {
          if (abort.signal.aborted) return;
          setReconnecting(true);
          await new Promise((resolve) => setTimeout(resolve, RETRY_AFTER_MS));
        }
      }
    })();
    return () => abort.abort();
  }, [executionId, following]);

  const nodeIds = useMemo(() => flow?.definition.nodes.map((node) => node.id) ?? [], [flow]);
  const states = useMemo(() => foldNodeStates(nodeIds, events), [nodeIds, events]);

  if (failure !== null && !execution) return <ErrorNote error={failure} />;
  if (!execution) return <Loading what="the execution" />;
  const ended = ENDED.includes(execution.status);
  const waitingSignals = [...states.values()].flatMap((status) => (status.state === 'waiting' && status.signal ? [status.signal] : []));
  const parents = flow?.definition.nodes.filter((node) => node.type === 'SubflowNode' || node.type === 'ForEachNode') ?? [];
  return (
    <section aria-labelledby="execution-title">
      <nav class="crumbs" aria-label="Breadcrumb">
        <a href={hrefs.flows()}>Flows</a> / <a href={hrefs.flow(execution.flowId)}>{execution.flowId}</a> / <span>execution</span>
      </nav>
      <div class="page-head">
        <h1 id="execution-title">
          Execution{' '}
          <a class="title-id" href={hrefs.execution(execution.executionId)}>
            <code>{execution.executionId}</code>
          </a>
        </h1>
        <StatusBadge status={execution.status} />
      </div>
      <dl class="facts">
        <div>
          <dt>Flow</dt>
          <dd>
            <a href={hrefs.flow(execution.flowId, execution.flowVersion)}>
              {execution.flowId} v{execution.flowVersion}
            </a>
          </dd>
        </div>
        <div>
          <dt>Started</dt>
          <dd>
            <Time iso={execution.startedAt ?? execution.createdAt} />
          </dd>
        </div>
        <div>
          <dt>Duration</dt>
          <dd>
            <Duration from={execution.startedAt} to={execution.completedAt} />
          </dd>
        </div>
        {execution.redriveCount > 0 && (
          <div>
            <dt>Redrives</dt>
            <dd>{execution.redriveCount}</dd>
          </div>
        )}
        {execution.parentExecutionId && (
          <div>
            <dt>Parent</dt>
            <dd>
              <a href={hrefs.execution(execution.parentExecutionId)}>
                <code>{execution.parentExecutionId}</code>
              </a>
              {execution.parentNodeId && <span class="muted"> (node {execution.parentNodeId}{execution.itemIndex !== null ? `, item ${execution.itemIndex}` : ''})</span>}
            </dd>
          </div>
        )}
        <div>
          <dt>Live</dt>
          <dd>{ended ? <span class="muted">ended</span> : reconnecting ? <span class="warn">reconnecting…</span> : <span class="live">following events</span>}</dd>
        </div>
      </dl>
      <Actions execution={execution} waitingSignals={waitingSignals} onChanged={setExecution} onRedriven={() => setFollowing((n) => n + 1)} />
      {execution.error && (
        <div class={`note execution-error ${execution.error.type === 'Cancelled' ? 'note-stopped' : 'note-error'}`} role="alert">
          <strong>{execution.error.type}</strong> {execution.error.message}
          {execution.error.nodeId && (
            <>
              {' '}
              — at node{' '}
              <button type="button" class="link" onClick={() => setSelected(execution.error!.nodeId!)}>
                {execution.error.nodeId}
              </button>
            </>
          )}
        </div>
      )}
      <div class="split">
        <div class="split-main">{flow ? <FlowGraph definition={flow.definition} states={states} selected={selected} onSelect={setSelected} /> : <Loading what="the flow" />}</div>
        <aside class="split-side">
          {flow && selected ? (
            <NodeDetails definition={flow.definition} nodeId={selected} status={states.get(selected)} events={events} onClose={() => setSelected(null)} />
          ) : (
            <Timeline events={events} onSelect={setSelected} />
          )}
        </aside>
      </div>
      <div class="columns">
        <section class="panel" aria-labelledby="input-title">
          <h2 id="input-title">Input</h2>
          <JsonView value={execution.input} label="Input" />
        </section>
        <section class="panel" aria-labelledby="output-title">
          <h2 id="output-title">Output</h2>
          {execution.status === 'completed' ? <JsonView value={execution.output} label="Output" /> : <p class="muted">{ended ? 'none: the execution did not complete' : 'not yet'}</p>}
        </section>
      </div>
      {parents.length > 0 && <Children executionId={execution.executionId} events={events} />}
      {selected && <Timeline events={events} onSelect={setSelected} />}
    </section>
  );
}

function Actions(props: { execution: Execution; waitingSignals: string[]; onChanged(execution: Execution): void; onRedriven(): void }) {
  const { execution } = props;
  const ended = ENDED.includes(execution.status);
  const [signal, setSignal] = useState('');
  const [payload, setPayload] = useState('');
  const [sent, setSent] = useState<string | null>(null);
  const signalName = signal || props.waitingSignals[0] || '';
  const canRedrive = (execution.status === 'failed' || execution.status === 'stopped') && execution.parentExecutionId === null;
  if (ended && !canRedrive) return null;
  return (
    <div class="actions" role="group" aria-label="Actions">
      {!ended && (
        <ConfirmAction
          label="Cancel execution"
          danger
          question={
            <>
              Cancel this execution? Running nodes stop and it ends <strong>stopped</strong>. You can redrive it later.
            </>
          }
          run={async () => props.onChanged(await api.cancel(execution.executionId))}
        />
      )}
      {canRedrive && (
        <ConfirmAction
          label="Redrive"
          question={<>Run this execution again from where it ended? Completed nodes keep their outputs and do not run again.</>}
          run={async () => {
            await api.redrive(execution.executionId);
            props.onChanged(await api.getExecution(execution.executionId));
            props.onRedriven();
          }}
        />
      )}
      {!ended && (
        <ConfirmAction
          label="Send signal"
          question={<>Send a signal to this execution. A node waiting for a signal of that name takes it; otherwise it is kept until one waits.</>}
          run={async () => {
            let parsed: unknown;
            try {
              parsed = payload.trim() === '' ? undefined : JSON.parse(payload);
            } catch (error) {
              throw new Error(`Payload is not JSON: ${(error as Error).message}`);
            }
            if (!signalName) throw new Error('Name the signal to send.');
            await api.signal(execution.executionId, signalName, parsed);
            setSent(signalName);
          }}
        >
          <div class="form">
            <label for="signal-name">Signal</label>
            <input id="signal-name" value={signalName} placeholder="e.g. approved" onInput={(event) => setSignal(event.currentTarget.value)} />
            <label for="signal-payload">Payload</label>
            <textarea id="signal-payload" class="code" rows={3} spellcheck={false} placeholder="optional JSON" value={payload} onInput={(event) => setPayload(event.currentTarget.value)} />
          </div>
        </ConfirmAction>
      )}
      {sent && (
        <span class="muted small" role="status">
          Signal <code>{sent}</code> sent.
        </span>
      )}
      {props.waitingSignals.length > 0 && (
        <span class="small waiting-note">
          Waiting for {props.waitingSignals.map((name) => <code key={name}>{name}</code>)}
        </span>
      )}
    </div>
  );
}

function eventSummary(event: FlowEvent): string {
  const data = (event.data ?? {}) as Record<string, any>;
  switch (event.type) {
    case 'node:failed':
    case 'node:retrying':
    case 'flow:failed': {
      const error = data.error ?? {};
      const retry = event.type === 'node:retrying' ? ` (attempt ${data.attempt}; next in ${formatDuration(Number(data.delayMs ?? 0))})` : '';
      const handled = event.type === 'node:failed' && data.handled ? ' (handled)' : '';
      return `${error.type ?? 'Error'}: ${error.message ?? ''}${retry}${handled}`;
    }
    case 'node:waiting':
      return `for signal ${data.signal}`;
    case 'node:progress':
      return `${data.succeeded} succeeded, ${data.failed} failed, ${data.running} running of ${data.total}`;
    case 'node:skipped':
      return data.reason ? String(data.reason) : '';
    case 'flow:cancelled':
      return data.reason ? String(data.reason) : '';
    case 'execution:redriven':
      return `redrive ${data.redriveCount}`;
    default:
      return '';
  }
}

function Timeline({ events, onSelect }: { events: FlowEvent[]; onSelect(nodeId: string): void }) {
  const start = events[0] ? Date.parse(events[0].timestamp) : 0;
  return (
    <section class="panel timeline-panel" aria-labelledby="timeline-title">
      <h2 id="timeline-title">Events</h2>
      {events.length === 0 ? (
        <p class="muted">No events yet.</p>
      ) : (
        <ol class="timeline" aria-label="Event timeline">
          {events.map((event) => (
            <li key={event.index} class={`event event-${event.type.replace(':', '-')}`}>
              <span class="event-at muted">+{formatDuration(Date.parse(event.timestamp) - start)}</span>
              <span class="event-type">{event.type}</span>
              {event.nodeId && (
                <button type="button" class="link" onClick={() => onSelect(event.nodeId!)}>
                  {event.nodeId}
                </button>
              )}
              <span class="event-summary">{eventSummary(event)}</span>
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}

/** Child executions (SubflowNode, ForEachNode) with their status, refreshed as the parent's nodes report. */
function Children({ executionId, events }: { executionId: string; events: FlowEvent[] }) {
  const [children, setChildren] = useState<Execution[] | null>(null);
  const [failure, setFailure] = useState<unknown>(null);
  const childEvents = events.filter((event) => event.type === 'node:progress' || event.type === 'node:completed' || event.type === 'node:failed' || event.type === 'node:started').length;
  useEffect(() => {
    let current = true;
    const timer = setTimeout(() => {
      api.children(executionId).then(
        (page) => current && setChildren(page.items),
        (error: unknown) => current && setFailure(error),
      );
    }, children === null ? 0 : 500);
    return () => {
      current = false;
      clearTimeout(timer);
    };
  }, [executionId, childEvents]);
  const done = children?.filter((child) => ENDED.includes(child.status)).length ?? 0;
  return (
    <section class="panel" aria-labelledby="children-title">
      <div class="panel-head">
        <h2 id="children-title">Child executions</h2>
        {children && children.length > 0 && (
          <span class="muted small">
            {done} of {children.length} ended
          </span>
        )}
      </div>
      {failure !== null && <ErrorNote error={failure} />}
      {children === null && failure === null && <Loading what="children" />}
      {children && children.length === 0 && <p class="muted">None started yet.</p>}
      {children && children.length > 0 && (
        <>
          <progress max={children.length} value={done} aria-label="Children ended" />
          <ExecutionTable executions={children} showItem />
        </>
      )}
    </section>
  );
}
