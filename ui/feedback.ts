import { ApiError } from './api/client.js';
import { byId } from './dom/h.js';
import { forgetToken } from './session.js';

/** The one message line under the header (role="alert"): errors, and confirmations such as "Approved.". */
export const show = (text: string, kind: 'error' | 'info' = 'error') => {
  const message = byId('message');
  message.textContent = text;
  message.className = kind;
  message.hidden = false;
};

export const clearMessage = () => {
  byId('message').hidden = true;
};

let signInAgain: () => void = () => undefined;

/** What to show when the server no longer accepts the token (app.ts passes the sign-in page). */
export const onTokenRefused = (handler: () => void) => {
  signInAgain = handler;
};

/** Clear words for what went wrong; a 401 sends the user back to sign-in. */
export const explain = (error: unknown) => {
  if (!(error instanceof ApiError))
    return show(`Something went wrong: ${error instanceof Error ? error.message : String(error)}`);
  if (error.status === 401) {
    forgetToken();
    signInAgain();
    return show('Your token was not accepted (401). Sign in again.');
  }
  if (error.status === 403) return show(`Not allowed (403): ${error.message}`);
  if (error.status === 409) return show(`Conflict (409): ${error.message}. The page shows the current state.`);
  if (error.status === 404) return show(`Not found (404): ${error.message}`);
  if (error.status === 400) return show(`Please check the form (400): ${error.message}`);
  return show(`The server could not do that (${error.status}): ${error.message}`);
};
