/**
 * Translation in the chat (TT-TR-1, AE-TR-1, AE-TR-2): both texts of a message, each
 * labelled with its language (the buyer's original and its translation into the agent's
 * language; the agent's original and what was sent), or why it is untranslated; and
 * the reply box's auto-translate switch with the choice of source and target and the
 * live preview of the draft's translation (debounced as the agent types).
 */
import { get, post, put } from './api.js';
import { h, fill } from './dom.js';
import { t, language } from './i18n.js';

const DEBOUNCE_MS = 350;
/** Languages offered as source and target (primary subtags). */
export const LANGS = ['en', 'es', 'pl', 'zh', 'fr', 'de', 'pt', 'it', 'ja', 'ko', 'ru'];

/** Tells the daemon the agent's interface language: buyer messages are translated into it. */
export function announceLanguage() {
  return put('/me/language', { language: language() }).catch(() => {});
}

function tag(lang) { return lang ? ` · ${lang}` : ''; }

/** The translation part of a message bubble, or null when none applies. */
export function translationOf(m) {
  const tr = m.translation;
  if (!tr) return null;
  if (m.direction === 'out') {
    if (tr.original_text) {
      return h('div', { class: 'translation out-original' },
        h('span', { class: 'tr-label' }, t('translation.yourText') + tag(tr.source)),
        h('p', { class: 'original-text' }, tr.original_text),
        h('span', { class: 'tr-label' }, t('translation.sent') + tag(tr.target)));
    }
    return tr.error ? h('p', { class: 'tr-error', role: 'note' }, t('translation.sentUntranslated', { reason: tr.error })) : null;
  }
  if (tr.status === 'pending') return h('p', { class: 'tr-pending muted' }, t('translation.pending'));
  if (tr.status === 'same_language') return null;
  if (tr.status === 'failed') {
    return h('p', { class: 'tr-error', role: 'note' }, t('translation.failed', { reason: tr.error || '' }));
  }
  return h('div', { class: 'translation' },
    h('span', { class: 'tr-label' }, t('translation.translation') + tag(tr.target)),
    h('p', { class: 'translated' }, m.translated_text || ''));
}

/** The label over a buyer message's original, when it has a translation. */
export function originalLabel(m) {
  const tr = m.translation;
  if (!tr || m.direction !== 'in' || tr.status !== 'translated') return null;
  return h('span', { class: 'tr-label' }, t('translation.original') + tag(tr.source));
}

function select(name, value, onchange) {
  const s = h('select', { 'aria-label': name, dataset: { tr: name } },
    h('option', { value: '' }, t('translation.auto')),
    LANGS.map((l) => h('option', { value: l, selected: l === value }, l)));
  s.addEventListener('change', onchange);
  return s;
}

/**
 * The reply box's translation bar for a conversation: `text` is the draft's textarea.
 * `fields()` is what a reply carries (`translate` when switched on and the platform does
 * not translate itself).
 */
export function translationBar(text, conversationId) {
  const el = h('div', { class: 'translate-bar' });
  const preview = h('div', { class: 'translate-preview', role: 'status', 'aria-live': 'polite' });
  let view = null;
  let timer = null;
  let asked = 0;
  const switchBox = h('input', { type: 'checkbox', id: 'auto-translate' });
  let source = select('source', null, save);
  let target = select('target', null, save);

  get(`/conversations/${conversationId}/translation`).then((v) => { view = v; paint(); }).catch(() => fill(el));
  text.addEventListener('input', schedule);
  switchBox.addEventListener('change', save);

  function paint() {
    if (view.platform_translates) {
      fill(el, h('p', { class: 'muted small-text', dataset: { rule: view.platform_translates } }, t('translation.platformTranslates', { rule: view.platform_translates })));
      return;
    }
    switchBox.checked = view.auto_translate;
    source = select('source', view.source, save);
    target = select('target', view.target, save);
    fill(el, h('label', { class: 'switch' }, switchBox, ' ', t('translation.autoTranslate')),
      h('span', { class: 'tr-langs', hidden: !view.auto_translate }, source, ' → ', target,
        h('span', { class: 'muted small-text' }, ' ', t('translation.defaults', { agent: view.agent_language, buyer: view.buyer_language || 'en' }))),
      preview);
    schedule();
  }

  async function save() {
    try {
      view = await put(`/conversations/${conversationId}/translation`, { auto_translate: switchBox.checked, source: source.value || null, target: target.value || null });
    } catch (e) {
      preview.textContent = e.message || t('error.network');
      return;
    }
    paint();
  }

  function on() { return view && view.auto_translate && !view.platform_translates; }

  function schedule() {
    clearTimeout(timer);
    if (!on() || !text.value.trim()) { fill(preview); return; }
    timer = setTimeout(refresh, DEBOUNCE_MS);
  }

  async function refresh() {
    const draft = text.value.trim();
    if (!draft || !on()) return;
    const mine = ++asked;
    try {
      const r = await post(`/conversations/${conversationId}/translate`, { text: draft, source: source.value || null, target: target.value || null });
      if (mine !== asked) return;
      fill(preview, r.text
        ? [h('span', { class: 'tr-label' }, t('translation.preview') + tag(r.target)), h('p', { class: 'preview-text' }, r.text)]
        : h('p', { class: 'tr-error' }, t('translation.previewFailed', { reason: r.error || '' })));
    } catch (e) {
      if (mine === asked) fill(preview, h('p', { class: 'tr-error' }, e.message || t('error.network')));
    }
  }

  return {
    el,
    fields() { return on() ? { translate: { source: source.value || null, target: target.value || null } } : {}; },
    reset() { asked++; clearTimeout(timer); fill(preview); },
  };
}
