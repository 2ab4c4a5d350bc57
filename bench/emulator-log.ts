/** The emulator's request log, read over its control API (the emulator runs in a process of its own). */
import type http from 'node:http';
import type { RequestLogEntry } from '@photos-picker-gateway/google-emulator';
import { call, callJson } from './http-call.ts';

export async function clearRequests(agent: http.Agent, emulatorUrl: string): Promise<void> {
  await call(agent, `${emulatorUrl}/__emulator/requests`, { method: 'DELETE' });
}

export function requests(agent: http.Agent, emulatorUrl: string): Promise<RequestLogEntry[]> {
  return callJson<RequestLogEntry[]>(agent, `${emulatorUrl}/__emulator/requests`);
}

/** When the emulator was done with a request (answered or hung up on), on its wall clock; undefined while it runs. */
export const endedAt = (entry: RequestLogEntry): number | undefined =>
  entry.durationMs === undefined ? undefined : entry.at + entry.durationMs;
