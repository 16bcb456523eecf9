/**
 * Settings: quick replies (AE-QUICK-1, DY-QUICK-1, ALL-SHOP-1). Every account manages
 * its own set; the main account also each shop's set, which the shop's agents use.
 * A reply has a group, a title (the shortcut typed after `/`), a default text and
 * versions per language; texts may hold the variables listed (clicking one inserts it).
 * ↑/↓ move a reply within its set; groups follow their first reply.
 */
import { ApiError, del, get, post, put } from './api.js';
import { field, fill, h } from './dom.js';
import { t } from './i18n.js';
import { isOwner, state } from './state.js';
import { VARIABLES } from './quick_replies.js';

/** The quick replies section of the settings page. */
export function quickRepliesSection() {
  const sets = [setView(null, t('qr.ownSet'))];
  if (isOwner()) for (const shop of state.shops.values()) sets.push(setView(shop.id, t('qr.shopSetOf', { shop: shop.name })));
  return h('section', { class: 'settings-part qr-settings', 'aria-label': t('qr.title') },
    h('h2', {}, t('qr.title')), h('p', { class: 'muted small-text' }, t('qr.hint')), sets);
}

/** One set (the account's own when `shopId` is null) with its form. */
function setView(shopId, title) {
  const list = h('ol', { class: 'qr-list' });
  const note = h('span', { class: 'muted', role: 'status' });
  let replies = [];
  const form = replyForm(shopId, note, () => load());
  const load = () => get(`/quick_replies?scope=${shopId ? 'shop&shop_id=' + shopId : 'own'}`)
    .then((r) => { replies = r; paint(); }, (e) => { note.textContent = e.message; });

  function paint() {
    let heading = null;
    fill(list, replies.flatMap((r, i) => {
      const out = [];
      if (r.group !== heading) { heading = r.group; out.push(h('li', { class: 'qr-group' }, r.group || t('qr.noGroup'))); }
      out.push(h('li', { class: 'qr-item', dataset: { id: r.id } },
        h('strong', {}, r.title), ' ', h('span', { class: 'qr-text' }, r.text),
        r.translations.length ? h('span', { class: 'muted small-text' }, ' · ' + r.translations.map((x) => x.language).join(', ')) : null,
        h('span', { class: 'qr-actions' },
          h('button', { class: 'small', 'aria-label': t('qr.up', { title: r.title }), disabled: i === 0, onclick: () => move(i, -1) }, '↑'),
          h('button', { class: 'small', 'aria-label': t('qr.down', { title: r.title }), disabled: i === replies.length - 1, onclick: () => move(i, 1) }, '↓'),
          h('button', { class: 'small', onclick: () => form.edit(r) }, t('bench.edit')),
          h('button', { class: 'small', onclick: () => remove(r) }, t('bench.delete')))));
      return out;
    }));
    if (!replies.length) list.append(h('li', { class: 'muted' }, t('qr.empty')));
  }

  function move(i, by) {
    const ids = replies.map((r) => r.id);
    [ids[i], ids[i + by]] = [ids[i + by], ids[i]];
    put('/quick_replies/order', { ...(shopId ? { shop_id: shopId } : {}), ids })
      .then((r) => { replies = r; paint(); }, (e) => { note.textContent = e.message; });
  }

  function remove(r) {
    if (!confirm(t('qr.confirmDelete', { title: r.title }))) return;
    del(`/quick_replies/${r.id}`).then(load, (e) => { note.textContent = e.message; });
  }

  load();
  return h('details', { class: 'card', open: shopId === null, dataset: { set: shopId || 'own' } },
    h('summary', {}, title), list, form.el, note);
}

/** The form adding a reply to a set, or editing one (`edit(reply)`). */
function replyForm(shopId, note, saved) {
  let editing = null;
  const group = h('input', { maxlength: 64, name: 'group' });
  const title = h('input', { maxlength: 64, required: true, name: 'title' });
  const text = h('textarea', { rows: 3, maxlength: 5000, required: true, name: 'text' });
  const versions = h('div', { class: 'qr-versions' });
  const heading = h('h3', {}, t('qr.new'));
  const vars = h('p', { class: 'small-text' }, t('qr.variables'), ' ', VARIABLES.map((v) =>
    h('button', { type: 'button', class: 'link qr-var', onclick: () => insert(`{${v}}`) }, `{${v}}`)));
  let lastText = text;

  function insert(word) {
    const box = lastText;
    const at = box.selectionStart ?? box.value.length;
    box.value = box.value.slice(0, at) + word + box.value.slice(box.selectionEnd ?? at);
    box.focus();
    box.setSelectionRange(at + word.length, at + word.length);
  }

  function version(language = '', body = '') {
    const lang = h('input', { class: 'narrow', maxlength: 35, placeholder: 'es', value: language, 'aria-label': t('qr.language') });
    const words = h('textarea', { rows: 2, maxlength: 5000, value: body, 'aria-label': t('qr.versionText') });
    words.addEventListener('focus', () => { lastText = words; });
    const row = h('div', { class: 'qr-version' }, lang, words,
      h('button', { type: 'button', class: 'small', onclick: () => row.remove() }, '×'));
    versions.append(row);
  }

  text.addEventListener('focus', () => { lastText = text; });
  const submit = (e) => {
    e.preventDefault();
    const translations = [...versions.querySelectorAll('.qr-version')].map((row) => ({
      language: row.querySelector('input').value.trim(), text: row.querySelector('textarea').value,
    })).filter((v) => v.language || v.text.trim());
    const body = { group: group.value, title: title.value, text: text.value, translations };
    const call = editing ? put(`/quick_replies/${editing.id}`, body)
      : post('/quick_replies', { ...(shopId ? { shop_id: shopId } : {}), ...body });
    note.textContent = '';
    call.then(() => { note.textContent = t('common.saved'); reset(); saved(); },
      (err) => { note.textContent = err instanceof ApiError ? err.message : t('error.network'); });
  };
  function reset() {
    editing = null;
    el.reset();
    fill(versions);
    heading.textContent = t('qr.new');
  }
  const el = h('form', { class: 'qr-form', onsubmit: submit }, heading,
    field(t('qr.group'), group), field(t('qr.titleField'), title, t('qr.titleHint')),
    field(t('qr.text'), text), vars, versions,
    h('div', { class: 'inline-form' },
      h('button', { type: 'button', class: 'small', onclick: () => version() }, t('qr.addLanguage')),
      h('button', { type: 'submit', class: 'small primary' }, t('common.save')),
      h('button', { type: 'button', class: 'small', onclick: reset }, t('qr.cancel'))));
  return {
    el,
    edit(r) {
      editing = r;
      group.value = r.group;
      title.value = r.title;
      text.value = r.text;
      fill(versions);
      r.translations.forEach((x) => version(x.language, x.text));
      heading.textContent = t('qr.editing', { title: r.title });
      title.focus();
    },
  };
}
