import { assets, index } from 'fireflow:console-assets';
import { consoleHandler } from '../lib/lambda/console.js';

/** GET /console, GET /console/{path+} → the web console (a static app built into this bundle). */
export const serveConsole = consoleHandler({ index, assets });
