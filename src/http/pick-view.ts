/**
 * What a page of a host app's pick needs: the headers that let its popup keep
 * the app's window as opener, or let its Cancel form redirect to the app, and
 * the message the popup posts to the app (embed.js reads it).
 */
import type { Response } from 'express';
import type { Pick, Picks } from '../domain/picks.ts';
import { allowFormRedirectTo, keepOpener } from './middleware/security.ts';

export interface PickView {
  id: string;
  appName: string;
  /** The app's label for its user, when its request named one. */
  account: string | null;
  popup: boolean;
  /** A popup that turns into Google's picker at Continue (embed.js v2 follows the pick from the app's page). */
  inPlace: boolean;
  /** Where the user goes back to: return_to with pick, status and state. */
  returnUrl: string;
  /** The return_to origin, the only one the popup posts to. */
  origin: string;
  /** What the popup posts to its opener, as JSON: { source, pick, status, state }. */
  message: string;
}

export const pickPath = (id: string) => `/picks/${encodeURIComponent(id)}`;

export function pickView(picks: Picks, pick: Pick, appName: string): PickView {
  return {
    id: pick.id,
    appName,
    account: pick.account,
    popup: pick.popup,
    inPlace: pick.inPlace,
    returnUrl: picks.returnUrl(pick).href,
    origin: new URL(pick.returnTo).origin,
    message: JSON.stringify({ source: 'photos-picker-gateway', pick: pick.id, status: pick.status, state: pick.state }),
  };
}

/** The headers of a page in a pick's flow: a popup keeps its opener; a full page's Cancel may go back to the app. */
export function pickPageHeaders(res: Response, pick: Pick): void {
  if (pick.popup) keepOpener(res);
  else allowFormRedirectTo(res, new URL(pick.returnTo).origin);
}
