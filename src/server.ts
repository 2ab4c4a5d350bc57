/**
 * The process: reads the configuration, opens the stores, starts the Google
 * emulator when no Google client is configured (outside production), serves
 * the app, works the job queue unless it is a web process (ROLE), and shuts
 * down gracefully on SIGTERM/SIGINT.
 */
import { createServer, type Server } from 'node:http';
import { Server as NetServer } from 'node:net';
import { createApp, startWork } from './app.ts';
import { ConfigError, EMULATOR_CLIENT, loadConfig, type Config } from './config.ts';
import { createLogger, type Logger } from './logger.ts';
import { createStores, type Stores } from './adapters/stores.ts';
import { withLocalSecrets } from './local-secrets.ts';

export interface RunningServer {
  server: Server;
  url: string;
  shutdown(signal?: string): Promise<void>;
}

/**
 * What the process needs of the Google emulator, a dev-only workspace package. It is named through a variable so
 * TypeScript does not follow it: the production build compiles without the package, which the image leaves out.
 */
const EMULATOR_PACKAGE: string = '@photos-picker-gateway/google-emulator';
interface EmulatorPackage {
  createEmulator(options: { publicUrl: string; clients: Array<{ clientId: string; clientSecret: string; redirectUris: string[] }> }): {
    readonly url: string;
    listen(port: number, host: string): Promise<void>;
    close(): Promise<void>;
  };
}

async function startEmulator(config: Config, logger: Logger) {
  // A worker process uses the emulator its web process serves (the same EMULATOR_PORT and PUBLIC_URL host).
  if (!config.emulator || config.role === 'worker') return undefined;
  // Loaded only here, so a production process never even imports the emulator.
  const { createEmulator } = (await import(EMULATOR_PACKAGE)) as EmulatorPackage;
  const emulator = createEmulator({
    publicUrl: config.emulator.url,
    clients: [{ ...EMULATOR_CLIENT, redirectUris: [config.redirectUri] }],
  });
  await emulator.listen(config.emulator.port, config.host);
  logger.info(`No GOOGLE_CLIENT_ID set: using the built-in Google emulator at ${emulator.url} (sign in as a demo account; nothing leaves this machine)`);
  return emulator;
}

export async function startServer(config: Config, logger: Logger): Promise<RunningServer> {
  for (const warning of config.warnings) logger.warn(warning);
  const emulator = await startEmulator(config, logger);
  const stores: Stores = await createStores(config, logger);
  let shuttingDown = false;

  const { app, services } = createApp({
    config,
    logger,
    sessionStore: stores.sessionStore,
    sharedStore: stores.sharedStore,
    jobs: stores.jobs,
    ...(stores.rateLimitStore ? { rateLimitStore: stores.rateLimitStore } : {}),
    onStoreStall: (listener) => stores.onStall?.(listener),
    readiness: { isReady: async () => !shuttingDown && (services.destinationWatch?.writable ?? true) && (await stores.ping()) },
  });

  // Logs where imports go, or why they cannot go there (readiness stays 503 until they can).
  await services.destinationWatch?.start();
  startWork(config, services);
  const server = createServer(app);
  // Explicit timeouts: keep-alive above a typical 60 s load-balancer idle timeout.
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  server.requestTimeout = 120_000;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const what = config.role === 'all' ? 'Photos Picker Gateway' : `Photos Picker Gateway (${config.role} process)`;
  logger.info({ port, publicUrl: config.publicUrl.href, role: config.role }, `${what} listening on ${config.publicUrl.href}`);

  let inFlight = 0;
  let onAllAnswered: (() => void) | undefined;
  server.prependListener('request', (_req, res) => {
    inFlight++;
    // During the drain every answer ends its connection, so a kept-alive client goes elsewhere for the next request.
    if (shuttingDown) res.setHeader('Connection', 'close');
    res.once('close', () => {
      if (--inFlight === 0) onAllAnswered?.();
    });
  });

  let closing: Promise<void> | undefined;
  const shutdown = (signal = 'shutdown') =>
    (closing ??= (async () => {
      shuttingDown = true;
      logger.info({ signal }, 'shutting down: readiness is now 503, finishing in-flight requests');
      // Stop accepting connections but keep the open ones for now. http.Server#close would also drop the idle
      // kept-alive ones at once, resetting a request already on its way over one (a load balancer's /readyz);
      // during the drain such a request is answered instead, with Connection: close.
      const closed = new Promise<void>((resolve) => NetServer.prototype.close.call(server, () => resolve()));
      const allAnswered = inFlight === 0 ? Promise.resolve() : new Promise<void>((resolve) => (onAllAnswered = resolve));
      const grace = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), config.shutdownGraceMs).unref());
      // The whole stop, jobs included, fits in the grace plus a moment to close the stores.
      const deadline = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), config.shutdownGraceMs + 500).unref());
      let outcome = await Promise.race([allAnswered, grace]);
      if (outcome !== 'timeout') {
        server.closeIdleConnections();
        outcome = await Promise.race([closed, grace]);
      }
      if (outcome === 'timeout') {
        logger.warn('grace period over: closing remaining connections');
        server.closeAllConnections();
        await closed;
      }
      services.destinationWatch?.stop();
      // Closing the stores asks running jobs to stop (a copy keeps what it stored, to resume) and waits for them;
      // one still running at the deadline is left to the queue: it runs again at the next start, or on another replica.
      if ((await Promise.race([stores.close(), deadline])) === 'timeout') logger.warn('grace period over: jobs still running are left to run again');
      await emulator?.close();
      logger.info('shutdown complete');
    })());

  return { server, url: `http://127.0.0.1:${port}`, shutdown };
}

async function main(): Promise<void> {
  let config: Config;
  let secretsKeptIn: string | undefined;
  try {
    const { env, keptIn } = withLocalSecrets(process.env);
    secretsKeptIn = keptIn;
    config = loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(1);
    }
    throw error;
  }
  const logger = createLogger(config.logLevel);
  if (secretsKeptIn) logger.warn(`SESSION_SECRET or TOKEN_ENCRYPTION_KEY is not set: using the ones kept in ${secretsKeptIn}. Set both in production.`);
  let running: RunningServer;
  try {
    running = await startServer(config, logger);
  } catch (error) {
    // A deployment mistake found while opening the stores (two processes on one data directory).
    if (error instanceof ConfigError) {
      logger.fatal(error.message);
      process.exit(1);
    }
    throw error;
  }
  const stop = (signal: string) => {
    running.shutdown(signal).then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
  process.on('unhandledRejection', (reason) => logger.error({ err: reason }, 'unhandled promise rejection'));
}

if (import.meta.main) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
