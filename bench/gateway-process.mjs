/**
 * The gateway as the container runs it: the build of `npm run build` in dist/, plain JavaScript with no TypeScript
 * stripped at run time (src/server.ts's startServer, logging at LOG_LEVEL), in its own process for measuring.
 */
const dist = new URL('../dist/', import.meta.url);
const { loadConfig } = await import(new URL('config.js', dist).href);
const { createLogger } = await import(new URL('logger.js', dist).href);
const { startServer } = await import(new URL('server.js', dist).href);

const config = loadConfig();
const running = await startServer(config, createLogger(config.logLevel));
console.log(JSON.stringify({ url: running.url }));
process.on('SIGTERM', () => void running.shutdown('SIGTERM').then(() => process.exit(0)));
