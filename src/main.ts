import { startTessera } from './app.js';
import { type Config, ConfigError, loadConfig } from './config.js';
import { createLogger } from './logging.js';

async function main(): Promise<void> {
  let config: Config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(`Configuration error: ${error.message}`);
      process.exit(2);
    }
    throw error;
  }
  const logger = createLogger(config.logLevel);
  const tessera = await startTessera(config, logger);
  await tessera.app.listen({ port: config.port, host: config.host });
  logger.info(
    {
      url: config.publicUrl.toString(),
      database: config.database.kind,
      mail: config.smtpUrl ? 'smtp' : 'outbox',
      blobs: config.blobs.kind,
      sso: config.oidc ? config.oidc.name : 'off',
    },
    'Tessera is ready',
  );

  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    tessera.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

main().catch((error: unknown) => {
  console.error('Tessera could not start:', error instanceof Error ? error.message : error);
  process.exit(1);
});
