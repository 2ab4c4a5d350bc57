import { Router } from 'express';
import type { GoogleAccounts } from '../../domain/accounts.ts';
import type { PickerSessions } from '../../domain/picker-sessions.ts';
import type { Views } from '../views.ts';

export function homeRoutes(deps: { accounts: GoogleAccounts; pickerSessions: PickerSessions; views: Views }): Router {
  const router = Router();
  router.get('/', async (req, res) => {
    const user = req.session?.user;
    const connected = user !== undefined && (await deps.accounts.isConnected(user.id));
    res.set('Cache-Control', 'no-store');
    deps.views.render(req, res, 'home', {
      title: (res.locals.t as (k: string) => string)('home.title'),
      user: connected ? user : undefined,
      pickerSessions: connected ? await deps.pickerSessions.list(user.id) : [],
      formError: undefined,
      values: {},
    });
  });
  return router;
}
