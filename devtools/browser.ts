import chromium from '@sparticuz/chromium';
import { chromium as playwright, type Browser } from 'playwright-core';

/**
 * Headless Chromium from npm alone: the build @sparticuz/chromium ships inside its package
 * (unpacked to the temp folder on first use), driven by playwright-core. It runs as root here;
 * background networking stays off so the browser talks to nothing but the pages it is given.
 */
export async function launchBrowser(): Promise<Browser> {
  return playwright.launch({
    executablePath: await chromium.executablePath(),
    args: [...chromium.args, '--disable-background-networking', '--disable-component-update', '--no-first-run'],
    headless: true,
  });
}
