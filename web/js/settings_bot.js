/**
 * A shop's FAQ bot and greeting in the settings (main account): the bot's switch, the
 * greeting with its versions per buyer language and its FAQ list (DY-GREET-1), the questions with their category, phrasings,
 * answers per language and related questions (DY-BOT-1), their counts and resolution
 * rates (DY-BOT-2), and the shop's own texts per language for "please rephrase", the
 * hand-off notice and the rating thank-you (the built-in ones shown as placeholders).
 */
import { ApiError, del, get, post, put } from './api.js';
import { field, fill, h } from './dom.js';
import { t } from './i18n.js';

const percent = (rate) => (rate == null ? '—' : `${Math.round(rate * 100)}%`);

function statsLine(s) {
  return t('bot.stats', {
    hits: s.hits, answers: s.answers, solved: s.solved, unsolved: s.unsolved,
    rate: percent(s.resolution_rate), feedback: percent(s.feedback_resolution_rate),
  });
}

/** Parses `lang: answer` lines into an object of answers per language. */
function parseAnswers(text) {
  const out = {};
  for (const line of text.split('\n')) {
    const at = line.indexOf(':');
    if (at > 0 && line.slice(at + 1).trim()) out[line.slice(0, at).trim()] = line.slice(at + 1).trim();
  }
  return out;
}

/** Texts per language as `lang: text` lines. */
const asLines = (versions) => Object.entries(versions || {}).map(([lang, text]) => `${lang}: ${text}`).join('\n');

/** The shop's own texts (rephrase, hand-off, rating thank-you), the built-in ones as placeholders. */
function textFields(view) {
  const area = (key, name) => h('textarea', { rows: 3, name, placeholder: asLines(view.built_in_texts[key]) },
    asLines(view.settings.texts[key]));
  const fields = { rephrase: area('rephrase', 'bot-rephrase'), hand_off: area('hand_off', 'bot-hand-off'),
    rating_thanks: area('rating_thanks', 'bot-thanks') };
  const value = () => Object.fromEntries(Object.entries(fields).map(([k, el]) => [k, parseAnswers(el.value)]));
  const controls = [
    h('h4', {}, t('bot.texts')),
    field(t('bot.rephraseText'), fields.rephrase, t('bot.textsHint')),
    field(t('bot.handOffText'), fields.hand_off, t('bot.textsHint')),
    field(t('bot.thanksText'), fields.rating_thanks, t('bot.thanksHint')),
  ];
  return { controls, value };
}

/** The bot part of a shop's settings card. */
export function botSettings(shop) {
  const body = h('div', { class: 'settings-sub bot-settings', dataset: { shop: shop.id } });
  const note = h('span', { class: 'muted', role: 'status' });
  const report = (e) => { note.textContent = e instanceof ApiError ? e.message : t('error.network'); };
  const paint = async () => {
    let view; let questions;
    try {
      [view, questions] = await Promise.all([get(`/shops/${shop.id}/bot`), get(`/shops/${shop.id}/bot/questions`)]);
    } catch (e) { report(e); return; }
    const enabled = h('input', { type: 'checkbox', checked: view.settings.enabled, name: 'bot-enabled' });
    const greeting = h('textarea', { rows: 2, name: 'bot-greeting' }, view.settings.greeting);
    const greetings = h('textarea', { rows: 3, name: 'bot-greetings', placeholder: 'es: …' },
      asLines(view.settings.greetings));
    const faq = h('select', { multiple: true, name: 'bot-faq', size: Math.min(6, Math.max(2, questions.length)) },
      questions.map((q) => h('option', { value: q.id, selected: view.settings.faq.includes(q.id) }, q.phrasings[0])));
    const texts = textFields(view);
    const save = h('form', { class: 'inline-form', onsubmit: (e) => {
      e.preventDefault();
      const chosen = [...faq.selectedOptions].map((o) => o.value);
      const settings = { enabled: enabled.checked, greeting: greeting.value,
        greetings: parseAnswers(greetings.value), faq: chosen, texts: texts.value() };
      put(`/shops/${shop.id}/bot`, settings)
        .then(() => { note.textContent = t('common.saved'); paint(); }, report);
    } }, h('label', { class: 'switch' }, enabled, t('bot.enabled')),
    field(t('bot.greeting'), greeting), field(t('bot.greetings'), greetings, t('bot.greetingsHint')),
    field(t('bot.faqList'), faq, t('bot.faqListHint')),
    ...texts.controls,
    h('button', { type: 'submit', class: 'small' }, t('common.save')));
    const rows = questions.map((q) => h('li', { class: 'bot-question', dataset: { id: q.id } },
      h('strong', {}, q.phrasings[0]), ' ', h('span', { class: 'badge' }, q.category),
      h('div', { class: 'muted small-text' }, statsLine(q.stats)),
      h('button', { class: 'small', type: 'button', onclick: () => del(`/shops/${shop.id}/bot/questions/${q.id}`).then(paint, report) }, t('bench.delete'))));
    fill(body, h('h3', {}, t('bot.title')),
      h('p', { class: 'muted', dataset: { botTotals: '' } }, statsLine(view.stats), ' · ', t('bot.handOffs', { n: view.hand_offs })),
      save, h('h4', {}, t('bot.questions')),
      questions.length ? h('ul', { class: 'bot-questions' }, rows) : h('p', { class: 'muted' }, t('bot.noQuestions')),
      newQuestion(shop, questions, paint, report), note);
  };
  paint();
  return body;
}

function newQuestion(shop, questions, done, report) {
  const category = h('input', { name: 'bot-category', required: true });
  const phrasings = h('textarea', { rows: 3, name: 'bot-phrasings', required: true });
  const answer = h('textarea', { rows: 2, name: 'bot-answer', required: true });
  const answers = h('textarea', { rows: 2, name: 'bot-answers', placeholder: 'zh: …' });
  const related = h('select', { multiple: true, name: 'bot-related' },
    questions.map((q) => h('option', { value: q.id }, q.phrasings[0])));
  return h('form', { class: 'bot-new', onsubmit: (e) => {
    e.preventDefault();
    const body = {
      category: category.value, answer: answer.value, answers: parseAnswers(answers.value),
      phrasings: phrasings.value.split('\n').map((p) => p.trim()).filter(Boolean),
      related: [...related.selectedOptions].map((o) => o.value),
    };
    post(`/shops/${shop.id}/bot/questions`, body).then(done, report);
  } }, h('h4', {}, t('bot.newQuestion')),
  field(t('bot.category'), category), field(t('bot.phrasings'), phrasings, t('bot.phrasingsHint')),
  field(t('bot.answer'), answer), field(t('bot.answers'), answers, t('bot.answersHint')),
  questions.length ? field(t('bot.related'), related) : null,
  h('button', { type: 'submit', class: 'small' }, t('settings.create')));
}
