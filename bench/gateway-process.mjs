/** The gateway as the container runs it (src/server.ts's startServer, logging at LOG_LEVEL), in its own process for memory sampling. */
import { loadConfig } from '../src/config.ts';
import { createLogger } from '../src/logger.ts';
import { startServer } from '../src/server.ts';

const config = loadConfig();
const running = await startServer(config, createLogger(config.logLevel));
console.log(JSON.stringify({ url: running.url }));
process.on('SIGTERM', () => void running.shutdown('SIGTERM').then(() => process.exit(0)));
