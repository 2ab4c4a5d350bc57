import { Router } from 'express';
import type { GoogleAccounts } from '../../auth/google-account.ts';
import type { PickerSessions } from '../../picker/picker-sessions.ts';
import type { Views } from '../views.ts';

export function homeRoutes(deps: { accounts: GoogleAccounts; pickerSessions: PickerSessions; views: Views }): Router {
  const router = Router();
  router.get('/', (req, res) => {
    const signedIn = deps.accounts.isSignedIn(req.session);
    res.set('Cache-Control', 'no-store');
    deps.views.render(req, res, 'home', {
      title: (res.locals.t as (k: string) => string)('home.title'),
      user: signedIn ? req.session.user : undefined,
      pickerSessions: signedIn ? deps.pickerSessions.owned(req) : [],
      formError: undefined,
      values: {},
    });
  });
  return router;
}
