/**
 * The sign-in form: login name and password. The daemon answers the same for an unknown
 * name and a wrong password, and slows down repeated attempts.
 */
import { ApiError, post, setCsrf } from './api.js';
import { field, fill, h } from './dom.js';
import { t } from './i18n.js';

/** Shows the form in `root`; calls `enter(session)` once signed in. */
export function showSignIn(root, enter) {
  const login = h('input', { name: 'login', autocomplete: 'username', required: true, autofocus: true });
  const password = h('input', { name: 'password', type: 'password', autocomplete: 'current-password', required: true });
  const error = h('p', { class: 'form-error', role: 'alert' });
  const button = h('button', { type: 'submit', class: 'primary' }, t('signin.submit'));
  const form = h('form', { class: 'signin', onsubmit: submit },
    h('h1', {}, 'shopmux'),
    h('p', { class: 'muted' }, t('signin.intro')),
    field(t('signin.login'), login),
    field(t('signin.password'), password),
    error, button);
  fill(root, h('main', { class: 'signin-page' }, form));
  login.focus();

  async function submit(event) {
    event.preventDefault();
    button.disabled = true;
    error.textContent = '';
    try {
      const session = await post('/session', { login: login.value.trim(), password: password.value });
      setCsrf(session.csrf_token);
      await enter(session);
    } catch (e) {
      error.textContent = reason(e);
      password.select();
    } finally {
      button.disabled = false;
    }
  }
}

function reason(e) {
  if (!(e instanceof ApiError)) return t('error.network');
  if (e.code === 'too_many_attempts') return t('signin.tooMany', { seconds: e.retryAfter || 60 });
  if (e.code === 'sign_in_failed') return t('signin.failed');
  return e.message;
}
