import { launchBrowser } from '../devtools/browser.js';
import { startOffline } from '../devtools/offline.js';
import { freePort } from '../devtools/ports.js';
import { buildConsole } from '../console/build.js';
import type { FlowDefinition } from '../lib/flows/definition.js';
import { absoluteMetric, median, type Metric } from './support.js';

// The console's bars: a 300-node flow laid out and drawn in headless Chromium (≤ 2 s), and the
// first view usable on the local stack (≤ 1 s). serverless-offline serves the `console` function
// and the API as `npm start` does; the bundle sizes are printed beside.

const RUNS = 5;
const NODE_COUNT = 300;
const CHAIN_LENGTH = 10;

/** A wide flow of 300 nodes: chains of transforms and branches fanning out from the input. */
export function wideFlow(nodeCount = NODE_COUNT): FlowDefinition {
  const nodes: FlowDefinition['nodes'] = [{ id: 'in', type: 'FlowInputNode' }];
  const edges: FlowDefinition['edges'] = [];
  for (let index = 0; index < nodeCount - 2; index += 1) {
    const chain = Math.floor(index / CHAIN_LENGTH);
    const position = index % CHAIN_LENGTH;
    const id = `c${chain}n${position}`;
    const branch = position % 4 === 2;
    nodes.push(branch ? { id, type: 'BranchNode', inputs: { condition: true } } : { id, type: 'TransformNode', inputs: { expression: `{"step": ${position}, "value": $}` } });
    const previous = nodes[nodes.length - 2]!;
    const source = position === 0 ? 'in.value' : previous.type === 'BranchNode' ? `${previous.id}.true` : `${previous.id}.result`;
    edges.push({ from: source, to: `${id}.${branch ? 'value' : 'input'}` });
  }
  nodes.push({ id: 'out', type: 'FlowOutputNode' });
  edges.push({ from: `c0n${CHAIN_LENGTH - 1}.result`, to: 'out.value' });
  return { name: 'Wide flow (300 nodes)', nodes, edges };
}

export async function benchConsole(databaseUrl: string): Promise<Metric[]> {
  const build = await buildConsole();
  process.stdout.write('console bundle sizes (bytes, gzip):\n');
  for (const size of build.sizes) process.stdout.write(`  ${size.path.padEnd(48)} ${String(size.bytes).padStart(9)} ${String(size.gzipBytes).padStart(9)}\n`);

  const offline = await startOffline({ databaseUrl, httpPort: await freePort(), lambdaPort: await freePort(), stdio: 'ignore', env: { LOG_LEVEL: 'error' } });
  const browser = await launchBrowser();
  try {
    const flowId = 'bench-console-wide';
    const saved = await fetch(`${offline.httpUrl}/flows/${flowId}`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(wideFlow()) });
    if (!saved.ok) throw new Error(`saving the 300-node flow answered ${saved.status}: ${await saved.text()}`);
    const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });

    // First view: the flows list, from navigation start until its table is in the page. One
    // visit first, so that the functions are warm as they are for anyone after the first visitor.
    const firstView = async () => {
      await page.goto(`${offline.httpUrl}/console`);
      await page.locator(`tr[data-flow-id="${flowId}"]`).waitFor({ timeout: 60_000 });
      return (await page.evaluate('performance.now()')) as number;
    };
    await firstView();
    const firstViews: number[] = [];
    for (let run = 0; run < RUNS; run += 1) firstViews.push(await firstView());

    // The 300-node flow: from the start of the layout (elkjs loaded on demand) until every node
    // is in the page at its position, as the console's own User Timing measure reports it.
    const drawn: number[] = [];
    const opened: number[] = [];
    for (let run = 0; run < RUNS + 1; run += 1) {
      await page.goto(`${offline.httpUrl}/console/flows/${flowId}`);
      await page.locator('[data-node-id]').nth(NODE_COUNT - 1).waitFor({ timeout: 60_000 });
      const measured = (await page.evaluate(`performance.getEntriesByName('fireflow:layout-and-draw')[0]?.duration`)) as number | undefined;
      const sinceNavigation = (await page.evaluate('performance.now()')) as number;
      if (measured === undefined) throw new Error('the console reported no fireflow:layout-and-draw measure');
      if (run === 0) continue;
      drawn.push(measured);
      opened.push(sinceNavigation);
    }
    process.stdout.write(`console: 300-node flow page open → every node drawn, median ${Math.round(median(opened))} ms (navigation, API, layout and drawing)\n`);
    return [
      absoluteMetric('console: 300-node flow laid out and drawn (headless Chromium)', 'ms', median(drawn), 2000),
      absoluteMetric('console: first view usable (flows list, local stack)', 'ms', median(firstViews), 1000),
    ];
  } finally {
    await browser.close();
    await offline.stop();
  }
}
