import { logger } from './logger.js';

/**
 * Runs `cleanup` once on SIGINT or SIGTERM, then exits. A second signal exits at once, and so
 * does a cleanup still running after `deadlineMs`.
 */
export function onShutdown(cleanup: () => Promise<void>, deadlineMs = 30_000): void {
  let stopping = false;
  const handle = (signal: NodeJS.Signals) => {
    if (stopping) process.exit(1);
    stopping = true;
    logger.info('stopping', { signal });
    setTimeout(() => {
      logger.error('clean stop took too long; exiting', { deadlineMs });
      process.exit(1);
    }, deadlineMs).unref();
    cleanup().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error('clean stop failed', { error });
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', handle);
  process.on('SIGTERM', handle);
}
