/**
 * Settings. Every agent: language, time zone, sound, desktop notifications and their
 * own password. The main account also: shops with their connections (secrets are
 * write-only: the page shows which are set, never their values), settings (rule
 * overrides, automatic reply, routing, queue order) and queues; agents with their shop
 * grants, chat permission and passwords; and the team's presence and load.
 */
import { ApiError, get, post, put } from './api.js';
import { announce, field, fill, h } from './dom.js';
import { LANGUAGES, language, setLanguage, t } from './i18n.js';
import { askDesktopPermission } from './notify.js';
import { isOwner, savePrefs, state } from './state.js';
import { dateTime, setTimeZone, timeZone } from './time.js';
import { teamTable } from './reception.js';
import { quickRepliesSection } from './settings_quick_replies.js';
import { complianceSettings } from './settings_compliance.js';
import { webhooksSection } from './settings_webhooks.js';
import { botSettings } from './settings_bot.js';
import { serviceLevelSettings } from './settings_service_level.js';
import { connectForms, connectResult, reconnectButton } from './settings_connect.js';

/** Shows the settings in `main`. */
export function showSettings(main) {
  fill(main, h('div', { class: 'page settings' }, preferences(),
    isOwner() ? [shopsSection(), agentsSection(), teamSection(), webhooksSection(), pluginsSection()] : null, quickRepliesSection()));
}

function section(title, ...body) {
  return h('section', { class: 'settings-part', 'aria-label': title }, h('h2', {}, title), ...body);
}

function status(el, promise, okText) {
  el.textContent = '';
  return promise.then((value) => { el.textContent = okText || t('common.saved'); announce(el.textContent); return value; },
    (e) => { el.textContent = e instanceof ApiError ? e.message : t('error.network'); throw e; });
}

function preferences() {
  const lang = h('select', {}, LANGUAGES.map(([code, name]) => h('option', { value: code, selected: code === language() }, name)));
  const known = typeof Intl.supportedValuesOf === 'function' ? Intl.supportedValuesOf('timeZone') : [];
  const zones = known.includes(timeZone()) ? known : [timeZone(), ...known];
  const zone = h('select', {}, zones.map((z) => h('option', { value: z, selected: z === timeZone() }, z)));
  const sound = h('input', { type: 'checkbox', checked: state.prefs.sound });
  const desktop = h('input', { type: 'checkbox', checked: state.prefs.desktop });
  const note = h('p', { class: 'muted', role: 'status' });
  const save = async () => {
    state.prefs.lang = lang.value;
    state.prefs.zone = zone.value;
    state.prefs.sound = sound.checked;
    state.prefs.desktop = desktop.checked && (await askDesktopPermission());
    desktop.checked = state.prefs.desktop;
    savePrefs();
    setTimeZone(zone.value);
    if (lang.value !== language()) { setLanguage(lang.value); location.reload(); return; }
    note.textContent = t('common.saved');
  };
  [lang, zone, sound, desktop].forEach((c) => c.addEventListener('change', save));
  return section(t('settings.preferences'),
    field(t('settings.language'), lang), field(t('settings.timeZone'), zone),
    h('label', { class: 'switch' }, sound, t('settings.sound')),
    h('label', { class: 'switch' }, desktop, t('settings.desktop')), note,
    passwordForm(state.me.id, t('settings.myPassword')));
}

function passwordForm(agentId, title) {
  const input = h('input', { type: 'password', autocomplete: 'new-password', minlength: 10 });
  const note = h('span', { class: 'muted', role: 'status' });
  return h('form', { class: 'inline-form', onsubmit: (e) => {
    e.preventDefault();
    status(note, put(`/agents/${agentId}/password`, { password: input.value })).then(() => { input.value = ''; }, () => {});
  } }, field(title, input, t('settings.passwordHint')), h('button', { type: 'submit', class: 'small' }, t('common.save')), note);
}

function shopsSection() {
  const body = h('div', {});
  const shops = [...state.shops.values()];
  fill(body, shops.map((shop) => shopCard(shop)));
  return section(t('settings.shops'), connectResult(), body,
    h('div', { class: 'settings-sub' }, h('h3', {}, t('connect.title')), connectForms()));
}

function shopCard(shop) {
  const details = h('details', { class: 'card', dataset: { shop: shop.id } }, h('summary', {}, `${shop.name} · ${shop.platform} · ${shop.region}`));
  details.addEventListener('toggle', () => {
    if (!details.open || details.dataset.loaded) return;
    details.dataset.loaded = '1';
    details.append(connectionForm(shop), settingsForm(shop), botSettings(shop), complianceSettings(shop), queueView(shop),
      serviceLevelSettings(shop));
  }, { once: false });
  return details;
}

function connectionForm(shop) {
  const view = h('p', { class: 'muted' });
  const apiBase = h('input', { type: 'url', placeholder: t('settings.apiBaseDefault') });
  const name = h('input', { placeholder: 'app_key' });
  const value = h('input', { type: 'password', autocomplete: 'off' });
  const note = h('span', { class: 'muted', role: 'status' });
  const paint = (c) => {
    view.textContent = t('settings.connection', { status: c.status, names: c.credential_names.join(', ') || '—', at: dateTime(c.updated_at) })
      + (c.status_detail ? ` (${c.status_detail})` : '');
    apiBase.value = c.api_base || '';
  };
  get(`/shops/${shop.id}/connection`).then(paint, () => { view.textContent = t('settings.noConnection'); });
  const form = h('form', { class: 'inline-form', onsubmit: (e) => {
    e.preventDefault();
    const credentials = name.value.trim() ? { [name.value.trim()]: value.value } : {};
    status(note, put(`/shops/${shop.id}/connection`, { api_base: apiBase.value.trim() || null, credentials }))
      .then((c) => { paint(c); value.value = ''; }, () => {});
  } }, field(t('settings.apiBase'), apiBase), field(t('settings.credentialName'), name),
  field(t('settings.credentialValue'), value, t('settings.writeOnly')), h('button', { type: 'submit', class: 'small' }, t('common.save')), note);
  return h('div', { class: 'settings-sub' }, h('h3', {}, t('settings.connectionTitle')), view, reconnectButton(shop), form);
}

function settingsForm(shop) {
  const text = h('textarea', { rows: 8, class: 'code', spellcheck: 'false' }, JSON.stringify(shop.settings || {}, null, 2));
  const note = h('span', { class: 'muted', role: 'status' });
  const rules = h('pre', { class: 'code small-text' });
  get(`/shops/${shop.id}/rules`).then((r) => { rules.textContent = JSON.stringify(r.overrides, null, 2); }, () => {});
  const form = h('form', { onsubmit: (e) => {
    e.preventDefault();
    let body;
    try { body = JSON.parse(text.value); } catch { note.textContent = t('settings.badJson'); return; }
    status(note, put(`/shops/${shop.id}/settings`, body)).then((s) => { state.shops.set(s.id, s); }, () => {});
  } }, field(t('settings.shopSettings'), text, t('settings.shopSettingsHint')), h('button', { type: 'submit', class: 'small' }, t('common.save')), note);
  return h('div', { class: 'settings-sub' }, h('h3', {}, t('settings.settingsTitle')), form, h('h4', {}, t('settings.overrides')), rules);
}

function queueView(shop) {
  const body = h('div', {}, h('h3', {}, t('settings.queue')));
  get(`/shops/${shop.id}/queue`).then((q) => {
    body.append(h('p', { class: 'muted' }, t('settings.queuePolicy', { policy: q.policy, order: q.order })),
      q.entries.length ? h('ol', {}, q.entries.map((e) => h('li', {}, `#${e.position} · ${dateTime(e.queued_at)}`))) : h('p', { class: 'muted' }, t('settings.queueEmpty')));
  }, (e) => body.append(h('p', { class: 'muted' }, e.message)));
  return h('div', { class: 'settings-sub' }, body);
}

function agentsSection() {
  const list = h('div', {});
  const paint = () => fill(list, [...state.agents.values()].filter((a) => a.role !== 'owner').map(agentCard));
  paint();
  return section(t('settings.agents'), list, newAgentForm(paint));
}

function agentCard(agent) {
  const boxes = [...state.shops.values()].map((shop) => {
    const grant = (agent.shops || []).find((g) => g.shop_id === shop.id);
    const sees = h('input', { type: 'checkbox', checked: !!grant, dataset: { shop: shop.id } });
    const chats = h('input', { type: 'checkbox', checked: !!(grant && grant.can_chat), dataset: { shop: shop.id, chat: '1' } });
    return h('tr', {}, h('td', {}, shop.name), h('td', {}, h('label', {}, sees, t('settings.sees'))), h('td', {}, h('label', {}, chats, t('settings.chats'))));
  });
  const note = h('span', { class: 'muted', role: 'status' });
  const table = h('table', { class: 'grid' }, h('tbody', {}, boxes));
  const save = () => {
    const shops = [...table.querySelectorAll('input[data-shop]:not([data-chat])')].filter((b) => b.checked).map((b) => ({
      shop_id: b.dataset.shop, can_chat: table.querySelector(`input[data-chat][data-shop="${b.dataset.shop}"]`).checked,
    }));
    status(note, put(`/agents/${agent.id}/shops`, { shops })).then((a) => state.agents.set(a.id, a), () => {});
  };
  return h('details', { class: 'card' }, h('summary', {}, `${agent.nickname} · ${agent.login || '—'} · ${t('role.' + agent.role)}`),
    table, h('button', { class: 'small', onclick: save }, t('settings.saveGrants')), note,
    passwordForm(agent.id, t('settings.agentPassword', { name: agent.nickname })));
}

function newAgentForm(repaint) {
  const nickname = h('input', { required: true });
  const login = h('input', { required: true, autocomplete: 'off' });
  const password = h('input', { type: 'password', autocomplete: 'new-password', minlength: 10 });
  const capacity = h('input', { type: 'number', min: 1, max: 50, value: 10, class: 'narrow' });
  const note = h('span', { class: 'muted', role: 'status' });
  return h('form', { class: 'inline-form', onsubmit: (e) => {
    e.preventDefault();
    const body = { nickname: nickname.value.trim(), login: login.value.trim(), capacity: Number(capacity.value), shops: [] };
    if (password.value) body.password = password.value;
    status(note, post('/agents', body), t('settings.agentCreated')).then(async () => {
      const agents = await get('/agents');
      state.agents = new Map(agents.map((a) => [a.id, a]));
      repaint();
      e.target.reset();
    }, () => {});
  } }, h('h3', {}, t('settings.newAgent')), field(t('settings.nickname'), nickname), field(t('signin.login'), login),
  field(t('signin.password'), password, t('settings.passwordHint')), field(t('presence.capacity'), capacity),
  h('button', { type: 'submit', class: 'small' }, t('settings.create')), note);
}

function teamSection() {
  const body = h('div', {}, h('p', { class: 'muted' }, t('data.loading')));
  get('/team/presence').then((team) => fill(body, teamTable(team)), (e) => fill(body, e.message));
  return section(t('data.team'), body);
}

function pluginsSection() {
  const body = h('div', {}, h('p', { class: 'muted' }, t('data.loading')));
  get('/plugins').then((plugins) => fill(body, plugins.length ? h('ul', { class: 'plugins' }, plugins.map((p) => h('li', {},
    p.loaded
      ? [h('strong', {}, p.name), ` · ${p.platform} · ${p.version} · ABI ${p.abi} · ${p.capabilities}`]
      : [h('strong', { class: 'refused' }, t('settings.pluginRefused')), ` ${p.error}`],
    h('div', { class: 'muted small-text' }, p.path))))
    : h('p', { class: 'muted' }, t('settings.noPlugins'))), (e) => fill(body, e.message));
  return section(t('settings.plugins'), h('p', { class: 'muted small-text' }, t('settings.pluginsHint')), body);
}
