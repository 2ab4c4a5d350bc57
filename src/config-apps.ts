/**
 * The host apps a deployment serves (APPS inline, or APPS_FILE), validated
 * once at startup. A fault stops the start with a message naming the app and
 * the field, never a secret's value.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { SECRET, secretKey, type HostApp } from './domain/host-apps.ts';

export type { HostApp } from './domain/host-apps.ts';

const secret = z.string().refine((value) => SECRET.test(value) && secretKey(value).length >= 24, {
  message: 'must be whsec_ followed by the base64 of at least 24 random bytes',
});

const webUrl = (what: string) =>
  z.string().refine((value) => {
    try {
      const url = new URL(value);
      return (url.protocol === 'https:' || url.protocol === 'http:') && !url.username && !url.password;
    } catch {
      return false;
    }
  }, { message: `must be an absolute http(s) ${what} without credentials` });

/** An origin exactly: scheme, host and port, nothing after (a trailing slash is forgiven). */
const origin = webUrl('origin').refine((value) => new URL(value).origin === value.replace(/\/$/, ''), {
  message: 'must be an origin only, such as https://app.example (no path, query or fragment)',
}).transform((value) => new URL(value).origin);

const appSchema = z.strictObject({
  id: z.string().regex(/^[a-z0-9-]{1,40}$/, 'must be 1 to 40 of a-z, 0-9 and -'),
  name: z.string().trim().min(1, 'must not be empty').max(100, 'must be at most 100 characters')
    .refine((value) => !/\p{Cc}/u.test(value), { message: 'must not contain control characters' }),
  secrets: z.array(secret).min(1, 'must list at least one secret').max(10, 'must list at most 10 secrets'),
  returnOrigins: z.array(origin).min(1, 'must list at least one origin').max(50, 'must list at most 50 origins'),
  webhookUrl: webUrl('URL').optional(),
  maxItems: z.number().int().min(1).max(2000).optional(),
});

/** Names the app (by its id when it has a readable one) and the field, and says what is wrong; never echoes a value. */
function describe(issue: z.core.$ZodIssue, raw: unknown, source: string): string {
  const [index, ...field] = issue.path;
  if (typeof index !== 'number') return `${source}: ${issue.message}`;
  const id = (raw as Array<{ id?: unknown }>)[index]?.id;
  const app = typeof id === 'string' && /^[a-z0-9-]{1,40}$/.test(id) ? `app "${id}"` : `app ${index + 1}`;
  const where = field.map((part) => (typeof part === 'number' ? `[${part}]` : `.${String(part)}`)).join('').replace(/^\./, '');
  return `${source}: ${app}${where ? `, field ${where}` : ''}: ${issue.message}`;
}

export class AppsConfigError extends Error {
  override name = 'AppsConfigError';
}

/** The apps from APPS (JSON) or APPS_FILE (a path to JSON); none when neither is set. */
export function loadApps(env: { APPS?: string | undefined; APPS_FILE?: string | undefined }): HostApp[] {
  if (env.APPS && env.APPS_FILE) throw new AppsConfigError('Set APPS or APPS_FILE, not both.');
  const source = env.APPS ? 'APPS' : 'APPS_FILE';
  let text: string;
  if (env.APPS) text = env.APPS;
  else if (env.APPS_FILE) {
    try {
      text = readFileSync(env.APPS_FILE, 'utf8');
    } catch (error) {
      throw new AppsConfigError(`APPS_FILE: cannot read ${env.APPS_FILE} (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
    }
  } else return [];

  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new AppsConfigError(`${source}: is not valid JSON (a list of apps)`);
  }
  const parsed = z.array(z.unknown()).min(1, 'must list at least one app').safeParse(raw);
  if (!parsed.success) throw new AppsConfigError(`${source}: must be a JSON list of apps`);
  const problems: string[] = [];
  const apps: HostApp[] = [];
  parsed.data.forEach((candidate, index) => {
    const app = appSchema.safeParse(candidate);
    if (!app.success) {
      for (const issue of app.error.issues) problems.push(describe({ ...issue, path: [index, ...issue.path] }, raw, source));
      return;
    }
    const { webhookUrl, maxItems, ...rest } = app.data;
    apps.push({ ...rest, maxItems: maxItems ?? 2000, ...(webhookUrl ? { webhookUrl } : {}) });
  });
  const seen = new Set<string>();
  for (const app of apps) {
    if (seen.has(app.id)) problems.push(`${source}: app "${app.id}", field id: is used by two apps`);
    seen.add(app.id);
  }
  if (problems.length > 0) throw new AppsConfigError(problems.join('; '));
  return apps;
}
