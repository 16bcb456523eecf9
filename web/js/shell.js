/**
 * The frame around every view: the agent's avatar and status (online / busy / offline,
 * the accept-assignment switch, the capacity), the function menu (Inbox, Service data,
 * Settings), the shop/platform selector, and the live stream that keeps the agent
 * connected while the page is open.
 */
import { del, get, put } from './api.js';
import { announce, fill, h } from './dom.js';
import { t } from './i18n.js';
import { showInbox } from './inbox.js';
import { startNotifications } from './notify.js';
import { showReception } from './reception.js';
import { showSettings } from './settings.js';
import { backFromConnect } from './settings_connect.js';
import { emit, isOwner, on, platforms, state } from './state.js';
import { openStream } from './stream.js';
import { bindGlobalKeys } from './keys.js';

const VIEWS = { inbox: showInbox, data: showReception, settings: showSettings };
let main;
let current = 'inbox';

/** Shows the shell in `root` and the inbox in it. */
export function startShell(root) {
  main = h('main', { id: 'view', class: 'view' });
  fill(root, h('div', { class: 'shell' }, header(), menu(), main));
  openStream((event) => emit('event', event), (open, resumed) => {
    emit('live', open);
    // A resumed stream replays what was missed (or says `resync` itself).
    if (open && !resumed) emit('resync');
  });
  startNotifications();
  bindGlobalKeys();
  on('event', (event) => { if (event.type === 'resync') emit('resync'); });
  show(backFromConnect() ? 'settings' : 'inbox');
}

/** Shows a view of the menu. */
export function show(view) {
  current = view;
  document.querySelectorAll('.menu [data-view]').forEach((b) => {
    b.setAttribute('aria-current', b.dataset.view === view ? 'page' : 'false');
  });
  emit('leave');
  VIEWS[view](main);
}

function header() {
  const live = h('span', { class: 'live', role: 'status' });
  const paint = (open) => {
    live.className = 'live ' + (open ? 'on' : 'off');
    live.textContent = open ? t('shell.connected') : t('shell.disconnected');
  };
  paint(false);
  on('live', paint);
  return h('header', { class: 'top' },
    h('div', { class: 'me' },
      h('span', { class: 'avatar', 'aria-hidden': 'true' }, (state.me.nickname || '?').slice(0, 1).toUpperCase()),
      h('span', { class: 'nickname' }, state.me.nickname),
      presenceControls()),
    live,
    h('button', { class: 'link', onclick: signOut }, t('shell.signOut')));
}

function presenceControls() {
  const status = h('select', { 'aria-label': t('presence.status') },
    ['online', 'busy', 'offline'].map((s) => h('option', { value: s, selected: state.me.status === s }, t('presence.' + s))));
  const accept = h('input', { type: 'checkbox', checked: state.me.accept_assignment });
  const capacity = h('input', { type: 'number', min: 1, max: 50, value: state.me.capacity, class: 'narrow' });
  const save = async (body) => {
    try {
      const presence = await put('/me/presence', body);
      Object.assign(state.me, { status: presence.status, accept_assignment: presence.accept_assignment, capacity: presence.capacity });
      announce(t('presence.saved'));
    } catch (e) {
      announce(e.message);
      status.value = state.me.status;
      accept.checked = state.me.accept_assignment;
      capacity.value = state.me.capacity;
    }
  };
  status.addEventListener('change', () => save({ status: status.value }));
  accept.addEventListener('change', () => save({ accept_assignment: accept.checked }));
  capacity.addEventListener('change', () => save({ capacity: Number(capacity.value) }));
  return h('span', { class: 'presence' }, status,
    h('label', { class: 'switch' }, accept, t('presence.accept')),
    h('label', { class: 'capacity' }, t('presence.capacity'), capacity));
}

function menu() {
  const item = (view, label) => h('button', { class: 'menu-item', dataset: { view }, onclick: () => show(view) }, label);
  return h('nav', { class: 'menu', 'aria-label': t('menu.label') },
    item('inbox', t('menu.inbox')),
    item('data', t('menu.data')),
    item('settings', isOwner() ? t('menu.settings') : t('menu.preferences')),
    scopeSelector());
}

function scopeSelector() {
  const select = h('select', { 'aria-label': t('scope.label'), id: 'scope' },
    h('option', { value: '' }, t('scope.all')),
    platforms().map((p) => h('option', { value: 'p:' + p }, t('scope.platform', { platform: p }))),
    [...state.shops.values()].map((s) => h('option', { value: 's:' + s.id }, `${s.name} · ${s.platform}`)));
  select.addEventListener('change', () => {
    const v = select.value;
    state.scope = { platform: v.startsWith('p:') ? v.slice(2) : null, shop: v.startsWith('s:') ? v.slice(2) : null };
    emit('scope');
    if (current !== 'inbox') show('inbox');
  });
  return h('label', { class: 'scope' }, t('scope.label'), select);
}

async function signOut() {
  try { await del('/session'); } finally { location.reload(); }
}

/** Reloads the signed-in agent (after a presence change elsewhere). */
export async function refreshMe() {
  const me = await get('/me');
  state.me = me.agent;
}
