/**
 * A shop's contact policies in the settings (main account): the platform's policies
 * (checked before a reply is sent) each switched on or off and given more words, the
 * shop's own domains links may go to, and word policies of the shop's own. Saved into
 * the shop's settings as `compliance` ({disabled, allowed_domains, extra_words}), the
 * other settings kept.
 */
import { ApiError, get, put } from './api.js';
import { announce, field, fill, h } from './dom.js';
import { t } from './i18n.js';
import { state } from './state.js';

const words = (text) => text.split(',').map((w) => w.trim()).filter(Boolean);

/** The contact-policy part of a shop's settings card. */
export function complianceSettings(shop) {
  const body = h('div', { class: 'settings-sub compliance-settings' },
    h('h3', {}, t('compliance.settingsTitle')), h('p', { class: 'muted small-text' }, t('compliance.hint')));
  Promise.all([get(`/shops/${shop.id}/rules`), get(`/shops/${shop.id}`)])
    .then(([rules, fresh]) => paint(body, shop, rules.rules.compliance || {}, (fresh.settings || {}).compliance || {}),
      (e) => body.append(h('p', { class: 'muted' }, e.message)));
  return body;
}

function paint(body, shop, platform, own) {
  const policies = platform.policies || [];
  const disabled = new Set(own.disabled || []);
  const extra = own.extra_words || {};
  const rows = policies.map((p) => {
    const on = h('input', { type: 'checkbox', checked: !disabled.has(p.id), dataset: { policy: p.id } });
    const more = h('input', { class: 'wide', value: (extra[p.id] || []).join(', '), dataset: { words: p.id }, 'aria-label': t('compliance.extraWords') });
    return h('tr', {}, h('td', {}, h('label', {}, on, ' ', h('strong', { class: 'rule' }, p.id))),
      h('td', {}, t('compliance.explain.' + p.kind)), h('td', {}, more));
  });
  const ownIds = Object.keys(extra).filter((id) => !policies.some((p) => p.id === id));
  const ownRows = ownIds.map((id) => h('tr', {}, h('td', {}, h('strong', { class: 'rule' }, id)),
    h('td', {}, t('compliance.explain.words')),
    h('td', {}, h('input', { class: 'wide', value: extra[id].join(', '), dataset: { words: id }, 'aria-label': t('compliance.extraWords') }))));
  const newId = h('input', { class: 'narrow-text', placeholder: 'SHOP-WORDS-1', 'aria-label': t('compliance.newPolicy') });
  const newWords = h('input', { class: 'wide', 'aria-label': t('compliance.extraWords') });
  const domains = h('textarea', { rows: 3, class: 'code' }, (own.allowed_domains || []).join('\n'));
  const note = h('span', { class: 'muted', role: 'status' });
  const table = h('table', { class: 'grid' }, h('tbody', {}, rows, ownRows,
    h('tr', {}, h('td', {}, newId), h('td', {}, t('compliance.newPolicy')), h('td', {}, newWords))));
  const save = async () => {
    const compliance = {
      disabled: [...table.querySelectorAll('input[data-policy]')].filter((b) => !b.checked).map((b) => b.dataset.policy),
      allowed_domains: domains.value.split('\n').map((d) => d.trim()).filter(Boolean),
      extra_words: {},
    };
    for (const input of table.querySelectorAll('input[data-words]')) {
      const list = words(input.value);
      if (list.length) compliance.extra_words[input.dataset.words] = list;
    }
    if (newId.value.trim() && words(newWords.value).length) compliance.extra_words[newId.value.trim()] = words(newWords.value);
    note.textContent = '';
    try {
      const latest = await get(`/shops/${shop.id}`);
      const saved = await put(`/shops/${shop.id}/settings`, { ...(latest.settings || {}), compliance });
      state.shops.set(saved.id, saved);
      note.textContent = t('common.saved');
      announce(note.textContent);
    } catch (e) {
      note.textContent = e instanceof ApiError ? e.message : t('error.network');
    }
  };
  fill(body, h('h3', {}, t('compliance.settingsTitle')), h('p', { class: 'muted small-text' }, t('compliance.hint')),
    policies.length ? null : h('p', { class: 'muted' }, t('compliance.none')),
    table,
    h('p', { class: 'muted small-text' }, t('compliance.platformDomains', { domains: (platform.allowed_domains || []).join(', ') || '—' })),
    field(t('compliance.allowedDomains'), domains),
    h('button', { class: 'small', onclick: save }, t('compliance.save')), note);
}
