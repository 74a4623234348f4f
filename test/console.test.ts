import { randomUUID } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { launchBrowser } from '../devtools/browser.js';
import type { FlowDefinition } from '../lib/flows/definition.js';
import { layoutFlow } from '../lib/graph/layout.js';
import { portCatalog } from '../lib/graph/ports.js';
import { TEST_JWT } from './support/globalSetup.js';
import { http } from './support/stack.js';

// The web console in a real headless Chromium against the suite's stack (serverless-offline
// serving the `console` function and the API, the worker running executions). One browser and one
// page for the whole file; each view is saved as a screenshot under test/artifacts/console/.

const ARTIFACTS = path.resolve(import.meta.dirname, 'artifacts', 'console');
const suffix = randomUUID().slice(0, 8);
const flowIds = {
  happy: `console-orders-${suffix}`,
  failing: `console-charge-${suffix}`,
  sleeping: `console-nightly-${suffix}`,
  approval: `console-approval-${suffix}`,
};

const happyFlow: FlowDefinition = {
  name: 'Orders total',
  nodes: [
    { id: 'in', type: 'FlowInputNode' },
    { id: 'settle', type: 'SleepNode', inputs: { ms: 3000 } },
    { id: 'total', type: 'TransformNode', inputs: { expression: '$sum(items.price)' } },
    { id: 'tax', type: 'TransformNode', inputs: { expression: '$round($ * 0.2, 2)' } },
    { id: 'out', type: 'FlowOutputNode' },
  ],
  edges: [
    { from: 'in.value', to: 'total.input' },
    { from: 'settle.__success', to: 'total.__execute' },
    { from: 'total.result', to: 'tax.input' },
    { from: 'tax.result', to: 'out.value' },
  ],
};

const failingFlow: FlowDefinition = {
  name: 'Charge card',
  nodes: [
    { id: 'in', type: 'FlowInputNode' },
    { id: 'check', type: 'BranchNode', inputs: { condition: true } },
    { id: 'reason', type: 'TransformNode', inputs: { expression: '"card declined: insufficient funds for " & amount' } },
    { id: 'charge', type: 'FailNode', inputs: { errorType: 'PaymentDeclined' } },
    { id: 'refund', type: 'TransformNode', inputs: { expression: '0' } },
    { id: 'out', type: 'FlowOutputNode' },
  ],
  edges: [
    { from: 'in.value', to: 'check.value' },
    { from: 'check.true', to: 'reason.input' },
    { from: 'reason.result', to: 'charge.message' },
    { from: 'check.false', to: 'refund.input' },
    { from: 'refund.result', to: 'out.value' },
  ],
};

const sleepingFlow: FlowDefinition = {
  name: 'Nightly batch',
  nodes: [
    { id: 'nap', type: 'SleepNode', inputs: { ms: 600_000 } },
    { id: 'after', type: 'TransformNode', inputs: { expression: '"done"' } },
    { id: 'out', type: 'FlowOutputNode' },
  ],
  edges: [
    { from: 'nap.__success', to: 'after.__execute' },
    { from: 'after.result', to: 'out.value' },
  ],
};

const approvalFlow: FlowDefinition = {
  name: 'Expense approval',
  nodes: [
    { id: 'approve', type: 'WaitForSignalNode', inputs: { signal: 'approved', timeoutMs: 120_000 } },
    { id: 'out', type: 'FlowOutputNode' },
  ],
  edges: [{ from: 'approve.payload', to: 'out.value' }],
};

let browser: Browser;
let page: Page;
const browserErrors: string[] = [];
const consoleUrl = (route = '') => `${inject('httpUrl')}/console${route}`;

async function screenshot(name: string): Promise<void> {
  await page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: true });
}

async function startViaApi(flowId: string, input: unknown): Promise<string> {
  const started = await http('POST', `/flows/${flowId}/executions`, { json: { input } });
  expect(started.status).toBe(202);
  return started.body.executionId as string;
}

const node = (nodeId: string, state?: string) => `[data-node-id="${nodeId}"]${state ? `[data-state="${state}"]` : ''}`;

beforeAll(async () => {
  await mkdir(ARTIFACTS, { recursive: true });
  for (const [key, definition] of [
    ['happy', happyFlow],
    ['failing', failingFlow],
    ['sleeping', sleepingFlow],
    ['approval', approvalFlow],
  ] as const) {
    const saved = await http('PUT', `/flows/${flowIds[key]}`, { json: definition });
    expect(saved.status).toBe(200);
  }
  // Each function's first call starts its Lambda (a second or more on a busy machine): start
  // them before the pages need them, as a deployed console finds them warm after its first visit.
  const unknown = `/executions/console-warm-up-${suffix}`;
  await Promise.all([
    http('GET', unknown),
    http('GET', `${unknown}/events`),
    http('GET', `${unknown}/children`),
    http('POST', `${unknown}/cancel`, { json: {} }),
    http('POST', `${unknown}/redrive`, { json: {} }),
    http('POST', `${unknown}/signals/warm`, { json: {} }),
    http('GET', `/flows/${flowIds.happy}`),
    http('GET', `/flows/${flowIds.happy}/executions`),
    http('GET', '/locks/console-warm-up'),
  ]);
  browser = await launchBrowser();
  page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  page.setDefaultTimeout(20_000);
  page.on('console', (message) => {
    if (message.type() === 'error') browserErrors.push(`${page.url()}: ${message.text()}`);
  });
  page.on('pageerror', (error) => browserErrors.push(`${page.url()}: ${error.message}`));
});

afterAll(async () => {
  await browser?.close();
});

describe('the console function', () => {
  it('answers the app for every path under /console, assets with their type and a year of caching', async () => {
    const index = await fetch(consoleUrl('/executions/some-id'));
    expect(index.status).toBe(200);
    expect(index.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(index.headers.get('cache-control')).toBe('no-cache');
    expect(index.headers.get('content-security-policy')).toContain("default-src 'self'");
    const html = await index.text();
    const script = html.match(/src="(\/console\/assets\/main-[^"]+\.js)"/)?.[1];
    const style = html.match(/href="(\/console\/assets\/main-[^"]+\.css)"/)?.[1];
    expect(script).toBeDefined();
    expect(style).toBeDefined();
    expect(html).not.toMatch(/https?:\/\//);
    const js = await fetch(`${inject('httpUrl')}${script}`);
    expect(js.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(js.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect((await js.text()).length).toBeGreaterThan(1000);
    const css = await fetch(`${inject('httpUrl')}${style}`);
    expect(css.headers.get('content-type')).toBe('text/css; charset=utf-8');
    const missing = await fetch(consoleUrl('/assets/main-NOSUCHFILE.js'));
    expect(missing.status).toBe(404);
    const root = await fetch(consoleUrl());
    expect(await root.text()).toBe(html);
  });
});

describe('the console in a browser', () => {
  it('lists a saved flow, and the filter finds it', async () => {
    await page.goto(consoleUrl());
    await page.getByLabel('Filter').fill(flowIds.happy);
    const row = page.locator(`tr[data-flow-id="${flowIds.happy}"]`);
    await row.waitFor();
    expect(await row.textContent()).toContain('Orders total');
    expect(await page.locator('tbody tr').count()).toBe(1);
    await page.getByLabel('Filter').fill('console-');
    await screenshot('flows');
    await row.getByRole('link').click();
    await page.waitForURL(consoleUrl(`/flows/${flowIds.happy}`));
  });

  it("draws every node and edge of the flow's graph, each node at its laid-out position", async () => {
    await page.goto(consoleUrl(`/flows/${flowIds.failing}`));
    const layout = await layoutFlow(failingFlow, portCatalog());
    await page.locator('[data-node-id]').nth(failingFlow.nodes.length - 1).waitFor();
    expect(await page.locator('[data-node-id]').count()).toBe(failingFlow.nodes.length);
    for (const laidOut of layout.nodes) {
      const element = page.locator(node(laidOut.id));
      expect(await element.getAttribute('data-node-type')).toBe(laidOut.type);
      expect(await element.getAttribute('transform')).toBe(`translate(${laidOut.x},${laidOut.y})`);
      expect(await element.getAttribute('data-state')).toBeNull();
      expect(await element.textContent()).toContain(laidOut.id);
    }
    expect(await page.locator('[data-edge]').count()).toBe(failingFlow.edges.length);
    for (const edge of failingFlow.edges) expect(await page.locator(`[data-edge="${edge.from}->${edge.to}"]`).count()).toBe(1);
    // A node's static inputs on click.
    await page.locator(node('charge')).click();
    await page.getByRole('heading', { name: 'charge', exact: true }).waitFor();
    expect(await page.locator('.node-details').textContent()).toContain('PaymentDeclined');
    await screenshot('flow-graph');
  });

  it('starts an execution from the form and shows its nodes turn completed without a reload', async () => {
    await page.goto(consoleUrl(`/flows/${flowIds.happy}`));
    const key = `console-key-${suffix}`;
    await page.getByLabel('Input').fill(JSON.stringify({ items: [{ price: 10 }, { price: 32.5 }] }));
    await page.getByLabel('Idempotency key').fill(key);
    await page.evaluate('window.sameDocument = true');
    await page.getByRole('button', { name: 'Start execution' }).click();
    await page.waitForURL(/\/console\/executions\/[^/]+$/);
    const executionId = decodeURIComponent(page.url().split('/').pop()!);
    // The id shows as text and links to this view.
    expect(await page.getByRole('link', { name: executionId }).getAttribute('href')).toBe(`/console/executions/${executionId}`);
    // The sleep runs for 3 s: the page sees it running, then everything completed, live.
    await page.locator(node('settle', 'running')).waitFor();
    await page.locator('[data-status="running"]').waitFor();
    await screenshot('execution-running');
    for (const { id } of happyFlow.nodes) await page.locator(node(id, 'completed')).waitFor();
    await page.locator('[data-status="completed"]').waitFor();
    expect(await page.evaluate('window.sameDocument')).toBe(true);
    expect(await page.locator('pre[aria-label="Output"]').textContent()).toBe('8.5');
    // The key went along: starting again with it finds the same execution.
    const again = await http('POST', `/flows/${flowIds.happy}/executions`, { json: { input: { items: [{ price: 10 }, { price: 32.5 }] }, idempotencyKey: key } });
    expect(again.body.executionId).toBe(executionId);
    await screenshot('execution-completed');
  });

  it('shows the failed node and its error message', async () => {
    const executionId = await startViaApi(flowIds.failing, { amount: 12 });
    await page.goto(consoleUrl(`/executions/${executionId}`));
    await page.locator('[data-status="failed"]').waitFor();
    await page.locator(node('charge', 'failed')).waitFor();
    await page.locator(node('refund', 'skipped')).waitFor();
    await page.locator(node('out', 'skipped')).waitFor();
    expect(await page.locator(node('reason')).getAttribute('data-state')).toBe('completed');
    const alert = page.locator('.execution-error');
    expect(await alert.textContent()).toContain('card declined: insufficient funds for 12');
    expect(await alert.textContent()).toContain('PaymentDeclined');
    await screenshot('execution-failed');
  });

  it('redrives a failed execution from the page', async () => {
    await page.getByRole('button', { name: 'Redrive' }).click();
    await page.getByRole('button', { name: 'Confirm' }).click();
    await page.getByText('execution:redriven').waitFor();
    await page.locator('[data-status="failed"]').waitFor();
    await page.getByText('Redrives').waitFor();
    await page.locator(node('charge', 'failed')).waitFor();
  });

  it('cancels a sleeping execution from the page and shows it stopped', async () => {
    const executionId = await startViaApi(flowIds.sleeping, {});
    await page.goto(consoleUrl(`/executions/${executionId}`));
    await page.locator(node('nap', 'running')).waitFor();
    await page.getByRole('button', { name: 'Cancel execution' }).click();
    await page.getByRole('button', { name: 'Confirm' }).click();
    await page.locator('[data-status="stopped"]').waitFor();
    await page.locator(node('nap', 'stopped')).waitFor();
    await page.getByText('flow:cancelled').waitFor();
    // Nodes that never ran read pending once it ended.
    expect(await page.locator(node('after')).getAttribute('data-state')).toBe('pending');
    expect((await http('GET', `/executions/${executionId}`)).body.status).toBe('stopped');
    await screenshot('execution-cancelled');
  });

  it('sends a signal to a waiting node', async () => {
    const executionId = await startViaApi(flowIds.approval, {});
    await page.goto(consoleUrl(`/executions/${executionId}`));
    await page.locator(node('approve', 'waiting')).waitFor();
    await screenshot('execution-waiting');
    await page.getByRole('button', { name: 'Send signal' }).click();
    expect(await page.getByLabel('Signal', { exact: true }).inputValue()).toBe('approved');
    await page.getByLabel('Payload').fill('{"by": "ops"}');
    await page.getByRole('button', { name: 'Confirm' }).click();
    await page.locator(node('approve', 'completed')).waitFor();
    await page.locator('[data-status="completed"]').waitFor();
  });

  it('keeps every view at its URL across a reload, and back goes back', async () => {
    await page.goto(consoleUrl(`/flows/${flowIds.sleeping}`));
    await page.locator(node('nap')).waitFor();
    await page.reload();
    await page.locator(node('nap')).waitFor();
    const executionLink = page.locator('table[aria-label="Executions"] a').first();
    const executionHref = await executionLink.getAttribute('href');
    await executionLink.click();
    await page.waitForURL(consoleUrl(executionHref!.replace('/console', '')));
    await page.locator('[data-status="stopped"]').waitFor();
    await page.reload();
    await page.locator('[data-status="stopped"]').waitFor();
    await page.locator(node('nap', 'stopped')).waitFor();
    await page.goBack();
    await page.waitForURL(consoleUrl(`/flows/${flowIds.sleeping}`));
    await page.locator(node('nap')).waitFor();
    await page.goto(consoleUrl('/locks?key=console-lock'));
    await page.locator('[data-held="false"]').waitFor();
    await page.reload();
    expect(await page.getByLabel('Lock key').inputValue()).toBe('console-lock');
    await page.locator('[data-held="false"]').waitFor();
    await screenshot('locks');
  });

  it('under the JWT authorizer, asks for a token when the API answers 401 and keeps it for the session', async () => {
    // The suite's second stack: the same functions behind serverless-offline's JWT authorizer,
    // which checks issuer, audience, expiry and scopes (not signatures, as API Gateway does).
    const jwtUrl = inject('jwtHttpUrl');
    const token = (scope: string) => {
      const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
      const now = Math.floor(Date.now() / 1000);
      return [part({ alg: 'RS256', typ: 'JWT' }), part({ iss: TEST_JWT.issuer, aud: TEST_JWT.audience, exp: now + 600, iat: now, sub: 'console-test', scope }), 'unsigned'].join('.');
    };
    const errorsBefore = browserErrors.length;
    try {
      await page.goto(`${jwtUrl}/console`);
      await page.getByRole('heading', { name: 'Sign in to the FireFlow API' }).waitFor();
      await screenshot('token');
      const readOnly = token('fireflow/read');
      await page.getByLabel('Token').fill(`Bearer ${readOnly}`);
      await page.getByRole('button', { name: 'Use token' }).click();
      await page.locator(`tr[data-flow-id="${flowIds.happy}"]`).waitFor();
      expect(await page.evaluate(`sessionStorage.getItem('fireflow.console.token')`)).toBe(readOnly);
      // Kept for the session: another view reads with it, and starting needs fireflow/run.
      await page.goto(`${jwtUrl}/console/flows/${flowIds.happy}`);
      await page.locator(node('settle')).waitFor();
      await page.getByRole('button', { name: 'Start execution' }).click();
      await page.getByText('lacks the scope').waitFor();
    } finally {
      await page.evaluate('sessionStorage.clear()');
    }
    // The browser logs the 401 and 403 answers themselves; the app logged nothing else.
    const during = browserErrors.splice(errorsBefore);
    expect(during.filter((line) => !/status of 40[13] \((Unauthorized|Forbidden)\)/.test(line))).toEqual([]);
  });

  it('reads well in the dark theme too', async () => {
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.goto(consoleUrl(`/flows/${flowIds.failing}`));
    await page.locator(node('charge')).waitFor();
    expect(await page.evaluate('getComputedStyle(document.body).backgroundColor')).toBe('rgb(16, 19, 24)');
    await screenshot('flow-graph-dark');
    await page.emulateMedia({ colorScheme: 'light' });
  });

  it('logged no error in the browser console on any of these pages', () => {
    expect(browserErrors).toEqual([]);
  });
});
