import { logger } from './logger.js';

/** A repeat of the first signal this soon is the same request (npm forwards the terminal's signal to the script it runs). */
const REPEAT_GRACE_MS = 1_000;

/**
 * Runs `cleanup` once on SIGINT or SIGTERM, then exits. A later second signal, or a cleanup still
 * running after `deadlineMs`, calls `force` (which should end what the process started, at once)
 * and exits.
 */
export function onShutdown(cleanup: () => Promise<void>, deadlineMs = 30_000, force: () => void = () => undefined): void {
  let first: { signal: NodeJS.Signals; at: number } | undefined;
  const giveUp = () => {
    force();
    process.exit(1);
  };
  const handle = (signal: NodeJS.Signals) => {
    if (first) {
      if (signal === first.signal && Date.now() - first.at < REPEAT_GRACE_MS) return;
      logger.warn('stopping now', { signal });
      giveUp();
    }
    first = { signal, at: Date.now() };
    logger.info('stopping', { signal });
    setTimeout(() => {
      logger.error('clean stop took too long; exiting', { deadlineMs });
      giveUp();
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
