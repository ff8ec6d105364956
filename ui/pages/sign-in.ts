import { byId, h, mount } from '../dom/h.js';
import { explain } from '../feedback.js';
import { keepToken } from '../session.js';

/** Asks for the access token; `signIn` then checks it with the server and opens the app. */
export const renderSignIn = (signIn: () => Promise<void>) => {
  byId('nav').hidden = true;
  const input = h('input', {
    type: 'password',
    name: 'token',
    autocomplete: 'off',
    required: true,
    'aria-label': 'Token',
  });
  const form = h(
    'form',
    {
      onsubmit: async (event: Event) => {
        event.preventDefault();
        keepToken(input.value.trim());
        try {
          await signIn();
        } catch (error) {
          explain(error);
        }
      },
    },
    h('label', {}, 'Your access token', input),
    h('p', { class: 'muted' }, 'It is kept for this browser tab only.'),
    h('button', { type: 'submit' }, 'Sign in'),
  );
  mount(h('section', { class: 'signin' }, h('h1', {}, 'Sign in'), form));
};
