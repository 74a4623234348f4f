import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';
import type { FlowDefinition } from '../../lib/flows/definition.js';
import { layoutFlow, type FlowLayout } from '../../lib/graph/layout.js';
import type { NodeStatus } from '../../lib/graph/states.js';
import { nodeLabel, renderFlowSvg, stateLabel } from '../../lib/graph/svg.js';
import { ErrorNote, Loading } from './ui.js';

// The flow drawn with the shared layout and SVG renderer (lib/graph, also the command line's),
// with pan (drag, arrow keys), zoom (wheel, + and -, buttons) and nodes that take focus and clicks.

interface View {
  x: number;
  y: number;
  scale: number;
}

/** User Timing names: the mark when a layout starts, the measure once the flow is in the page. */
const LAYOUT_START = 'fireflow:layout-start';
export const LAYOUT_AND_DRAW = 'fireflow:layout-and-draw';

const MIN_SCALE = 0.1;
const MIN_FRAME_HEIGHT = 300;
const MAX_SCALE = 2.5;
const clampScale = (scale: number) => Math.min(MAX_SCALE, Math.max(MIN_SCALE, scale));

/** The first view: the whole flow when it fits at a readable size, else its start at a readable size. */
function initialView(layout: FlowLayout, width: number, height: number): View {
  const fit = Math.min(width / layout.width, height / layout.height, 1);
  const scale = Math.max(fit, 0.5);
  const x = layout.width * scale < width ? (width - layout.width * scale) / 2 : 0;
  const y = layout.height * scale < height ? (height - layout.height * scale) / 2 : 0;
  return { x, y, scale };
}

export function FlowGraph(props: {
  definition: FlowDefinition;
  /** Node states in an execution; without them the nodes carry no state. */
  states?: ReadonlyMap<string, NodeStatus>;
  selected: string | null;
  onSelect(nodeId: string | null): void;
}) {
  const [layout, setLayout] = useState<FlowLayout | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [view, setView] = useState<View | null>(null);
  const frame = useRef<HTMLDivElement>(null);
  const drawing = useRef<SVGGElement>(null);
  const drag = useRef<{ x: number; y: number; view: View; moved: boolean } | null>(null);

  useEffect(() => {
    let current = true;
    setLayout(null);
    performance.mark(LAYOUT_START);
    layoutFlow(props.definition, FIREFLOW_PORT_CATALOG).then(
      (laidOut) => current && setLayout(laidOut),
      (thrown: unknown) => current && setError(thrown),
    );
    return () => {
      current = false;
    };
  }, [props.definition]);

  // Draw once per layout; states and selection change attributes in place, so focus stays put.
  useLayoutEffect(() => {
    if (!layout || !drawing.current || !frame.current) return;
    drawing.current.innerHTML = renderFlowSvg(layout, props.states ? { states: props.states } : {});
    // As tall as the flow needs, within limits: a small flow leaves no empty field, a big one pans.
    frame.current.style.height = `${Math.round(Math.min(Math.max(MIN_FRAME_HEIGHT, layout.height + 40), innerHeight * 0.72))}px`;
    const bounds = frame.current.getBoundingClientRect();
    setView(initialView(layout, bounds.width, bounds.height));
    // User Timing: how long laying out and drawing took (browser dev tools and `npm run bench` read it).
    performance.measure(LAYOUT_AND_DRAW, LAYOUT_START);
  }, [layout]);

  useLayoutEffect(() => {
    const root = drawing.current;
    if (!layout || !root) return;
    for (const node of layout.nodes) {
      const element = root.querySelector(`[data-node-id="${CSS.escape(node.id)}"]`);
      if (!element) continue;
      element.classList.toggle('ff-selected', node.id === props.selected);
      if (!props.states) continue;
      const status = props.states.get(node.id) ?? { state: 'pending' as const };
      if (element.getAttribute('data-state') !== status.state) element.setAttribute('data-state', status.state);
      element.setAttribute('aria-label', nodeLabel(node, status));
      const badge = element.querySelector('.ff-node-state');
      if (badge && badge.textContent !== stateLabel(status)) badge.textContent = stateLabel(status);
    }
  }, [layout, props.states, props.selected]);

  const zoomAt = (factor: number, clientX?: number, clientY?: number) => {
    if (!view || !frame.current) return;
    const bounds = frame.current.getBoundingClientRect();
    const px = (clientX ?? bounds.left + bounds.width / 2) - bounds.left;
    const py = (clientY ?? bounds.top + bounds.height / 2) - bounds.top;
    const scale = clampScale(view.scale * factor);
    const ratio = scale / view.scale;
    setView({ scale, x: px - (px - view.x) * ratio, y: py - (py - view.y) * ratio });
  };
  const fit = () => {
    if (!layout || !frame.current) return;
    const bounds = frame.current.getBoundingClientRect();
    const scale = clampScale(Math.min(bounds.width / layout.width, bounds.height / layout.height, 1));
    setView({ scale, x: (bounds.width - layout.width * scale) / 2, y: (bounds.height - layout.height * scale) / 2 });
  };

  const nodeOf = (target: EventTarget | null) => (target instanceof Element ? target.closest('[data-node-id]')?.getAttribute('data-node-id') ?? null : null);

  const onKeyDown = (event: KeyboardEvent) => {
    if (!view) return;
    const step = 60;
    const moves: Record<string, [number, number]> = { ArrowLeft: [step, 0], ArrowRight: [-step, 0], ArrowUp: [0, step], ArrowDown: [0, -step] };
    const node = nodeOf(event.target);
    if ((event.key === 'Enter' || event.key === ' ') && node) {
      event.preventDefault();
      props.onSelect(node);
    } else if (event.key === '+' || event.key === '=') zoomAt(1.2);
    else if (event.key === '-') zoomAt(1 / 1.2);
    else if (event.key === '0') fit();
    else if (event.key === 'Escape') props.onSelect(null);
    else if (moves[event.key] && !node) {
      event.preventDefault();
      const [dx, dy] = moves[event.key]!;
      setView({ ...view, x: view.x + dx, y: view.y + dy });
    }
  };

  if (error) return <ErrorNote error={error} />;
  const nodeCount = props.definition.nodes.length;
  return (
    <div class="graph">
      <div class="graph-tools" role="toolbar" aria-label="Graph view">
        <button type="button" class="button quiet small" onClick={() => zoomAt(1.2)} aria-label="Zoom in">
          +
        </button>
        <button type="button" class="button quiet small" onClick={() => zoomAt(1 / 1.2)} aria-label="Zoom out">
          −
        </button>
        <button type="button" class="button quiet small" onClick={fit}>
          Fit
        </button>
        <span class="muted small">
          {nodeCount} nodes · {props.definition.edges.length} edges
        </span>
      </div>
      <div
        class="graph-frame"
        ref={frame}
        tabIndex={0}
        role="region"
        aria-label="Flow graph: drag or use the arrow keys to pan, + and - to zoom, Tab to the nodes, Enter to select one"
        onKeyDown={onKeyDown}
        onWheel={(event) => {
          event.preventDefault();
          zoomAt(Math.exp(-event.deltaY * 0.0015), event.clientX, event.clientY);
        }}
        onPointerDown={(event) => {
          if (!view || event.button !== 0) return;
          drag.current = { x: event.clientX, y: event.clientY, view, moved: false };
        }}
        onPointerMove={(event) => {
          const start = drag.current;
          if (!start) return;
          const dx = event.clientX - start.x;
          const dy = event.clientY - start.y;
          if (!start.moved && Math.hypot(dx, dy) < 4) return;
          if (!start.moved) frame.current?.setPointerCapture(event.pointerId);
          start.moved = true;
          setView({ ...start.view, x: start.view.x + dx, y: start.view.y + dy });
        }}
        onPointerUp={(event) => {
          const start = drag.current;
          drag.current = null;
          if (start && !start.moved) props.onSelect(nodeOf(event.target));
        }}
      >
        {!layout && <Loading what="the layout" />}
        <svg class="graph-svg" width="100%" height="100%" aria-hidden={layout ? undefined : 'true'}>
          <g transform={view ? `translate(${view.x},${view.y}) scale(${view.scale})` : undefined} ref={drawing} />
        </svg>
      </div>
    </div>
  );
}
