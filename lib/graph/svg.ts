import type { FlowLayout, GraphEdge, GraphNode } from './layout.js';
import type { NodeStatus } from './states.js';

// A laid-out flow as SVG markup: the console puts it into its page, the command line writes it to
// a file (standalone, with its own styles). Every node carries data-node-id and data-node-type
// (and data-state in an execution), every edge data-edge="<from>-><to>".

export interface SvgOptions {
  /** Each node's state, in an execution; without it nodes carry no data-state. */
  states?: ReadonlyMap<string, NodeStatus>;
  /** A whole SVG document with its own styles (light, and dark where the viewer prefers it), for files. */
  standalone?: boolean;
}

const escapeXml = (text: string): string =>
  text.replace(/[&<>"']/g, (char) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[char]!);

function edgePath(edge: GraphEdge): string {
  const [first, ...rest] = edge.points;
  if (!first) return '';
  return `M${first.x} ${first.y}${rest.map((point) => `L${point.x} ${point.y}`).join('')}`;
}

/** The words a node's state badge shows, e.g. `retrying (2)` (its second attempt) or `running 3/10` (a ForEachNode's items ended). */
export function stateLabel(status: NodeStatus | undefined): string {
  if (!status) return '';
  if (status.state === 'retrying' && status.attempt) return `retrying (${status.attempt + 1})`;
  if (status.progress && (status.state === 'running' || status.state === 'completed' || status.state === 'failed')) {
    const { total, succeeded, failed } = status.progress;
    return `${status.state} ${succeeded + failed}/${total}`;
  }
  return status.state;
}

/** A node's accessible name: its id, type and state. */
export function nodeLabel(node: Pick<GraphNode, 'id' | 'type'>, status: NodeStatus | undefined): string {
  return status ? `${node.id} (${node.type}), ${stateLabel(status)}` : `${node.id} (${node.type})`;
}

function renderNode(node: GraphNode, status: NodeStatus | undefined, withState: boolean): string {
  const state = withState ? (status?.state ?? 'pending') : undefined;
  const label = nodeLabel(node, withState ? status ?? { state: 'pending' } : undefined);
  const ports = [
    ...node.inputs.map(
      (port) =>
        `<g class="ff-port ff-port-in${port.name.startsWith('__') ? ' ff-port-system' : ''}" data-port="${escapeXml(port.name)}"><circle cx="${port.x}" cy="${port.y}" r="3.5"/><text x="${port.x + 9}" y="${port.y + 4}">${escapeXml(port.name)}</text></g>`,
    ),
    ...node.outputs.map(
      (port) =>
        `<g class="ff-port ff-port-out${port.name.startsWith('__') ? ' ff-port-system' : ''}" data-port="${escapeXml(port.name)}"><circle cx="${port.x}" cy="${port.y}" r="3.5"/><text x="${port.x - 9}" y="${port.y + 4}" text-anchor="end">${escapeXml(port.name)}</text></g>`,
    ),
  ].join('');
  const badge = state ? `<text class="ff-node-state" x="${node.width - 12}" y="40" text-anchor="end">${escapeXml(stateLabel(status ?? { state: 'pending' }))}</text>` : '';
  return (
    `<g class="ff-node" data-node-id="${escapeXml(node.id)}" data-node-type="${escapeXml(node.type)}"${state ? ` data-state="${state}"` : ''}` +
    ` transform="translate(${node.x},${node.y})" tabindex="0" role="button" aria-label="${escapeXml(label)}">` +
    `<rect class="ff-node-box" width="${node.width}" height="${node.height}" rx="6"/>` +
    `<path class="ff-node-band" d="M0 6Q0 0 6 0H${node.width - 6}Q${node.width} 0 ${node.width} 6Z"/>` +
    `<text class="ff-node-id" x="12" y="24">${escapeXml(node.id)}</text>` +
    `<text class="ff-node-type" x="12" y="40">${escapeXml(node.type)}</text>${badge}` +
    `<line class="ff-node-rule" x1="0" x2="${node.width}" y1="48" y2="48"/>${ports}</g>`
  );
}

/** Styles of a standalone drawing; the console has the same rules in its stylesheet, with its themes. */
const STANDALONE_STYLE = `
svg{font-family:ui-sans-serif,system-ui,sans-serif;--ff-bg:#fff;--ff-node:#fff;--ff-line:#c5cad3;--ff-text:#1d2330;--ff-muted:#667085;--ff-edge:#8a93a3}
@media (prefers-color-scheme:dark){svg{--ff-bg:#14171d;--ff-node:#1d222b;--ff-line:#394150;--ff-text:#e6e9ef;--ff-muted:#9aa3b2;--ff-edge:#6d7789}}
.ff-bg{fill:var(--ff-bg)}
.ff-edge path{fill:none;stroke:var(--ff-edge);stroke-width:1.5;marker-end:url(#ff-arrow)}
.ff-arrow{fill:var(--ff-edge)}
.ff-node-box{fill:var(--ff-node);stroke:var(--ff-line)}
.ff-node-band{fill:#5b6b86}
.ff-node-rule{stroke:var(--ff-line)}
.ff-node-id{font-weight:600;font-size:13px;fill:var(--ff-text)}
.ff-node-type,.ff-node-state{font-size:11px;fill:var(--ff-muted)}
.ff-port circle{fill:var(--ff-node);stroke:var(--ff-edge);stroke-width:1.5}
.ff-port text{font-size:11px;fill:var(--ff-text)}
.ff-port-system text{fill:var(--ff-muted)}
`;

/** The graph's markup: edges under nodes. `standalone` wraps it into an SVG document. */
export function renderFlowSvg(layout: FlowLayout, options: SvgOptions = {}): string {
  const withState = options.states !== undefined;
  const edges = layout.edges.map((edge) => `<g class="ff-edge" data-edge="${escapeXml(edge.id)}"><path d="${edgePath(edge)}"/></g>`).join('');
  const nodes = layout.nodes.map((node) => renderNode(node, options.states?.get(node.id), withState)).join('');
  const defs =
    '<defs><marker id="ff-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">' +
    '<path d="M0 0L10 5L0 10z" class="ff-arrow"/></marker></defs>';
  const body = `${defs}<g class="ff-edges">${edges}</g><g class="ff-nodes">${nodes}</g>`;
  if (!options.standalone) return body;
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${layout.width}" height="${layout.height}" viewBox="0 0 ${layout.width} ${layout.height}">` +
    `<style>${STANDALONE_STYLE}</style><rect class="ff-bg" width="100%" height="100%"/>${body}</svg>\n`
  );
}
