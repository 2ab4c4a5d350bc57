/**
 * What the gateway keeps in a user's server-side session. Declared once here
 * so every module reads and writes the same, typed shape.
 */
import 'express-session';

/** A sign-in in progress: one-time, bound to this browser's session. */
export interface PendingSignIn {
  state: string;
  codeVerifier: string;
  returnTo: string;
  startedAt: number;
}

export interface SignedInUser {
  sub: string;
  email: string;
  name?: string;
  picture?: string;
  authenticatedAt: number;
}

/** A Picker session this user created through the gateway. Only these ids are served. */
export interface OwnedPickerSession {
  id: string;
  pickerUri: string;
  createdAt: number;
  expireTime: string;
}

declare module 'express-session' {
  interface SessionData {
    signIn: PendingSignIn;
    user: SignedInUser;
    /** Encrypted GoogleTokens (see TokenVault). */
    googleTokens: string;
    pickerSessions: Record<string, OwnedPickerSession>;
  }
}
