/**
 * What a browser's server-side session holds: who the user is, and the secret
 * that binds its sign-ins to it. Nothing a background job or another request
 * must change lives here (tokens and Picker sessions are in the shared store,
 * by user id), so no two writers ever race over a session record.
 */
import 'express-session';
import type { SignedInUser } from '../domain/sign-in.ts';

declare module 'express-session' {
  interface SessionData {
    user: SignedInUser;
    /** Set when this browser starts its first sign-in; carried over when the session id is renewed at sign-in. */
    signInBinding: string;
  }
}
