import { afterEach, describe } from 'node:test';
import { signInWith, submitPickForm, withBrowserAndGateway } from '../helpers/browser.ts';
import { auditPages } from './page-audit.ts';

describe('the error pages for what Google answers, in every language', () => {
  const suite = withBrowserAndGateway();
  // A test that fails before its fault is used must not hand the fault to the next one.
  afterEach(() => suite.h.emulator.clearFaults());

  auditPages(suite, {
    'error-no-photos-account': async (page) => {
      await suite.signIn(page, 'carol@example.com');
      await submitPickForm(page, suite.h);
    },
    'error-too-many-sessions': async (page) => {
      await suite.signIn(page);
      suite.h.emulator.injectFault({ method: 'POST', path: '/v1/sessions', status: 429, retryAfterSeconds: 30, times: 2 });
      await submitPickForm(page, suite.h);
    },
    'error-google-unavailable': async (page) => {
      await suite.signIn(page);
      suite.h.emulator.injectFault({ method: 'POST', path: '/v1/sessions', status: 503 });
      await submitPickForm(page, suite.h);
    },
    'error-signed-out-by-google': async (page) => {
      // Signed in afresh each time: Google ends this sign-in.
      await signInWith(page, suite.h, 'bob@example.com');
      suite.h.emulator.revokeGrants('bob@example.com');
      suite.h.emulator.expireAccessTokens('bob@example.com');
      await submitPickForm(page, suite.h);
    },
  });
});
