#!/usr/bin/env node
// The `fireflow` command (npx fireflow …): runs cli/main.ts through tsx's loader, from the checkout.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
