/**
 * The Photos Picker REST API (photospicker.googleapis.com/v1), called with the
 * user's access token straight on the shared undici Agent: its JSON calls need
 * none of the WHATWG fetch machinery that google-auth-library's transport
 * builds for every call, and polls make most of the gateway's Google calls.
 * Retries follow retry.ts, as gaxios's do for OAuth. Answers are normalised
 * defensively: Google may omit default-valued fields (mediaItemsSet false, an
 * empty mediaItems list), and int64 values arrive as strings.
 */
import { request, type Agent, type Dispatcher } from 'undici';
import type { Config } from '../../config.ts';
import type { MediaItemsPage, PickerApi as PickerApiPort, PickingSession } from '../../domain/ports.ts';
import { toGoogleAppError } from './google-error.ts';
import { googleHttp } from './http-client.ts';
import { noInstrumentation, timed, type GoogleInstrumentation } from './instrumentation.ts';
import { pauseBeforeRetry, shouldRetry } from './retry.ts';

function parseJson(text: string): unknown {
  try {
    return text ? JSON.parse(text) : undefined;
  } catch {
    return undefined; // not JSON (an HTML error page from a proxy): the status alone says what happened
  }
}

function normaliseSession(data: Partial<PickingSession>): PickingSession {
  if (!data.id || !data.pickerUri) throw new Error('Picker session without id or pickerUri');
  return {
    id: data.id,
    pickerUri: data.pickerUri,
    ...(data.pollingConfig ? { pollingConfig: data.pollingConfig } : {}),
    expireTime: data.expireTime ?? '',
    ...(data.pickingConfig ? { pickingConfig: data.pickingConfig } : {}),
    mediaItemsSet: data.mediaItemsSet === true,
  };
}

/** Picker calls on behalf of one user, identified by their current access token. */
export class PickerApi implements PickerApiPort {
  readonly #agent: Agent;
  readonly #root: string;
  readonly #authorization: string;
  readonly #instrumentation: GoogleInstrumentation;

  constructor(config: Config, accessToken: string, instrumentation: GoogleInstrumentation = noInstrumentation) {
    this.#agent = googleHttp(config.upstreamTimeoutMs).agent;
    this.#root = `${config.google.pickerApiUrl}/v1`;
    this.#authorization = `Bearer ${accessToken}`;
    this.#instrumentation = instrumentation;
  }

  #call<T>(what: string, method: 'GET' | 'POST' | 'DELETE', path: string, options: { query?: Record<string, string | number>; body?: unknown } = {}): Promise<T> {
    const url = new URL(`${this.#root}${path}`);
    for (const [name, value] of Object.entries(options.query ?? {})) url.searchParams.set(name, String(value));
    const body = options.body === undefined ? undefined : JSON.stringify(options.body);
    return timed(this.#instrumentation, what, async () => {
      for (let attempt = 0; ; attempt++) {
        let answer: Dispatcher.ResponseData;
        try {
          answer = await request(url, {
            dispatcher: this.#agent,
            method,
            headers: { authorization: this.#authorization, accept: 'application/json', ...(body ? { 'content-type': 'application/json' } : {}) },
            ...(body ? { body } : {}),
          });
        } catch (error) {
          if (shouldRetry(method, attempt, undefined, error)) {
            await pauseBeforeRetry(method, attempt, undefined, this.#instrumentation.onRetry);
            continue;
          }
          throw toGoogleAppError(error, what);
        }
        const text = await answer.body.text();
        const data = parseJson(text);
        if (answer.statusCode >= 200 && answer.statusCode < 300) return (data ?? {}) as T;
        if (shouldRetry(method, attempt, answer.statusCode)) {
          await pauseBeforeRetry(method, attempt, answer.headers, this.#instrumentation.onRetry);
          continue;
        }
        throw toGoogleAppError({ response: { status: answer.statusCode, data, headers: answer.headers } }, what);
      }
    });
  }

  async createSession(input: { requestId?: string; maxItemCount?: number }) {
    // POST is never retried (see retry.ts): creating twice would open two sessions.
    const data = await this.#call<Partial<PickingSession>>('sessions.create', 'POST', '/sessions', {
      ...(input.requestId ? { query: { requestId: input.requestId } } : {}),
      body: input.maxItemCount ? { pickingConfig: { maxItemCount: String(input.maxItemCount) } } : {},
    });
    return normaliseSession(data);
  }

  async getSession(id: string) {
    const data = await this.#call<Partial<PickingSession>>('sessions.get', 'GET', `/sessions/${encodeURIComponent(id)}`);
    return normaliseSession(data);
  }

  async deleteSession(id: string): Promise<void> {
    await this.#call<unknown>('sessions.delete', 'DELETE', `/sessions/${encodeURIComponent(id)}`);
  }

  async listMediaItems(sessionId: string, page: { pageSize?: number; pageToken?: string } = {}) {
    const data = await this.#call<Partial<MediaItemsPage>>('mediaItems.list', 'GET', '/mediaItems', {
      query: {
        sessionId,
        ...(page.pageSize ? { pageSize: page.pageSize } : {}),
        ...(page.pageToken ? { pageToken: page.pageToken } : {}),
      },
    });
    return {
      mediaItems: Array.isArray(data.mediaItems) ? data.mediaItems : [],
      ...(data.nextPageToken ? { nextPageToken: data.nextPageToken } : {}),
    } satisfies MediaItemsPage;
  }
}
