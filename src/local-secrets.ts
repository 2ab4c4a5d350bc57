/**
 * Secrets for a process that keeps its state on disk without being told them. Outside production, with the
 * embedded store, a missing SESSION_SECRET or TOKEN_ENCRYPTION_KEY is generated once and kept in
 * `DATA_DIR/secrets.json` (readable by this user only), so a restart keeps people signed in and their stored
 * Google tokens readable. In production they must be set: keys kept beside the data they protect protect
 * nothing from whoever can read the volume.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const LOCAL_SECRETS_FILE = 'secrets.json';

interface LocalSecrets {
  SESSION_SECRET: string;
  TOKEN_ENCRYPTION_KEY: string;
}

type Env = Record<string, string | undefined>;

const isSet = (value: string | undefined) => value !== undefined && value.trim() !== '';

/** The embedded store is the default: SESSION_STORE unset or `embedded`. */
export const usesEmbeddedStore = (env: Env) => !isSet(env.SESSION_STORE) || env.SESSION_STORE?.trim() === 'embedded';

/**
 * `env` with the secrets it lacks filled in from (or first written to) DATA_DIR, where that applies, and the
 * file they are kept in, for the start-up log.
 */
export function withLocalSecrets(env: Env): { env: Env; keptIn?: string } {
  if (env.NODE_ENV === 'production' || !usesEmbeddedStore(env)) return { env };
  if (isSet(env.SESSION_SECRET) && isSet(env.TOKEN_ENCRYPTION_KEY)) return { env };
  const dataDir = isSet(env.DATA_DIR) ? (env.DATA_DIR as string) : './data';
  const secrets = readOrCreate(join(dataDir, LOCAL_SECRETS_FILE), dataDir);
  return {
    env: {
      ...env,
      SESSION_SECRET: isSet(env.SESSION_SECRET) ? env.SESSION_SECRET : secrets.SESSION_SECRET,
      TOKEN_ENCRYPTION_KEY: isSet(env.TOKEN_ENCRYPTION_KEY) ? env.TOKEN_ENCRYPTION_KEY : secrets.TOKEN_ENCRYPTION_KEY,
    },
    keptIn: join(dataDir, LOCAL_SECRETS_FILE),
  };
}

function readOrCreate(file: string, dataDir: string): LocalSecrets {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as LocalSecrets;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  mkdirSync(dataDir, { recursive: true });
  const secrets: LocalSecrets = {
    SESSION_SECRET: randomBytes(32).toString('base64url'),
    TOKEN_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
  };
  try {
    // 'wx': of two processes starting at once, one writes and the other reads what it wrote.
    writeFileSync(file, `${JSON.stringify(secrets, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
    return secrets;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    return JSON.parse(readFileSync(file, 'utf8')) as LocalSecrets;
  }
}
