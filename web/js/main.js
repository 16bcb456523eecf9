/**
 * The web inbox starts here: it asks the daemon for the session, shows the sign-in form
 * when there is none, and otherwise loads the agent, the shops and the colleagues and
 * opens the shell.
 */
import { get, setCsrf, whenSignedOut } from './api.js';
import { browserLanguage, setLanguage } from './i18n.js';
import { showSignIn } from './signin.js';
import { startShell } from './shell.js';
import { loadPrefs, state } from './state.js';
import { setTimeZone } from './time.js';
import { announceLanguage } from './translation.js';

const root = document.getElementById('app');

// Errors the page met, kept for diagnosis (the browser tests print them on failure).
window.__errors = [];
window.addEventListener('error', (e) => window.__errors.push(String(e.message)));
window.addEventListener('unhandledrejection', (e) => window.__errors.push(String(e.reason && (e.reason.stack || e.reason))));

/** Loads what the shell needs for a signed-in session, then shows it. */
export async function enter(session) {
  setCsrf(session.csrf_token);
  state.me = session.agent;
  loadPrefs();
  setLanguage(state.prefs.lang || browserLanguage());
  setTimeZone(state.prefs.zone);
  announceLanguage();
  const [me, shops, agents] = await Promise.all([get('/me'), get('/shops'), get('/agents')]);
  state.me = me.agent;
  state.chatShops = new Set(me.chat_shops);
  state.shops = new Map(shops.map((s) => [s.id, s]));
  state.agents = new Map(agents.map((a) => [a.id, a]));
  startShell(root);
}

async function boot() {
  setLanguage(browserLanguage());
  whenSignedOut(() => location.reload());
  let session = null;
  try {
    session = await get('/session');
  } catch {
    showSignIn(root, enter);
    return;
  }
  await enter(session);
}

boot();
