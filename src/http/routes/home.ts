import { Router, type Request, type Response } from 'express';
import type { GoogleAccounts } from '../../domain/accounts.ts';
import type { Imports } from '../../domain/imports.ts';
import type { PickerSessions } from '../../domain/picker-sessions.ts';
import type { SignedInUser } from '../../domain/sign-in.ts';
import type { Translate } from '../../i18n/core.ts';
import { sessionSummaries } from '../session-list.ts';
import type { Views } from '../views.ts';

/** What the previous step did, said once on the home page it leads to (`?notice=`): a query flag, as sign-out leaves no session. */
const NOTICES = new Set(['deleted', 'importStopped', 'importKept', 'signedOut']);

export interface HomeDeps {
  accounts: GoogleAccounts;
  pickerSessions: PickerSessions;
  imports?: Imports;
  views: Views;
}

/** The home page; also the Pick form shown again with its problem (`formError`, `values`). */
export async function renderHome(
  deps: HomeDeps,
  req: Request,
  res: Response,
  user: SignedInUser | undefined,
  form: { formError?: string; values?: Record<string, string> } = {},
  status = 200,
): Promise<void> {
  const t = res.locals.t as Translate;
  const notice = typeof req.query.notice === 'string' && NOTICES.has(req.query.notice) ? t(`notice.${req.query.notice}`) : undefined;
  deps.views.render(req, res, 'home', {
    title: t('home.title'),
    user,
    notice,
    pickerSessions: user ? await sessionSummaries(user.id, deps.pickerSessions, deps.imports, t) : [],
    formError: form.formError,
    values: form.values ?? {},
  }, status);
}

export function homeRoutes(deps: HomeDeps): Router {
  const router = Router();
  router.get('/', async (req, res) => {
    const user = req.session?.user;
    const connected = user !== undefined && (await deps.accounts.isConnected(user.id));
    res.set('Cache-Control', 'no-store');
    await renderHome(deps, req, res, connected ? user : undefined);
  });
  return router;
}
