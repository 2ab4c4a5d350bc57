/**
 * The Photos Picker REST API (photospicker.googleapis.com/v1), called through
 * OAuth2Client.request() with the user's access token. Answers are normalised
 * defensively: Google may omit default-valued fields (mediaItemsSet false, an
 * empty mediaItems list), and int64 values arrive as strings.
 */
import type { OAuth2Client } from 'google-auth-library';
import type { Config } from '../../config.ts';
import type { MediaItemsPage, PickerApi as PickerApiPort, PickingSession } from '../../domain/ports.ts';
import { createOAuthClient } from './oauth-client.ts';
import { toGoogleAppError } from './google-error.ts';
import { noInstrumentation, timed, type GoogleInstrumentation } from './instrumentation.ts';

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
  readonly #client: OAuth2Client;
  readonly #root: string;
  readonly #instrumentation: GoogleInstrumentation;

  constructor(config: Config, accessToken: string, instrumentation: GoogleInstrumentation = noInstrumentation) {
    this.#client = createOAuthClient(config, { access_token: accessToken }, instrumentation);
    this.#root = `${config.google.pickerApiUrl}/v1`;
    this.#instrumentation = instrumentation;
  }

  #call<T>(what: string, request: Parameters<OAuth2Client['request']>[0]): Promise<T> {
    return timed(this.#instrumentation, what, async () => {
      try {
        const response = await this.#client.request<T>({ responseType: 'json', ...request });
        return response.data;
      } catch (error) {
        throw toGoogleAppError(error, what);
      }
    });
  }

  async createSession(input: { requestId?: string; maxItemCount?: number }) {
    const data = await this.#call<Partial<PickingSession>>('sessions.create', {
      url: `${this.#root}/sessions`,
      // POST is never retried (see retry.ts): creating twice would open two sessions.
      method: 'POST',
      ...(input.requestId ? { params: { requestId: input.requestId } } : {}),
      data: input.maxItemCount ? { pickingConfig: { maxItemCount: String(input.maxItemCount) } } : {},
    });
    return normaliseSession(data);
  }

  async getSession(id: string) {
    const data = await this.#call<Partial<PickingSession>>('sessions.get', {
      url: `${this.#root}/sessions/${encodeURIComponent(id)}`,
      method: 'GET',
    });
    return normaliseSession(data);
  }

  async deleteSession(id: string): Promise<void> {
    await this.#call<unknown>('sessions.delete', {
      url: `${this.#root}/sessions/${encodeURIComponent(id)}`,
      method: 'DELETE',
    });
  }

  async listMediaItems(sessionId: string, page: { pageSize?: number; pageToken?: string } = {}) {
    const data = await this.#call<Partial<MediaItemsPage>>('mediaItems.list', {
      url: `${this.#root}/mediaItems`,
      method: 'GET',
      params: {
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
