import type { PortCatalog } from '../../lib/graph/layout.js';

declare global {
  /** The port names of every built-in node type, put in at build time (console/build.ts). */
  const FIREFLOW_PORT_CATALOG: PortCatalog;
}
