/**
 * The interface's words, from one catalogue per language (`messages/<lang>.js`, the same
 * keys as English). A missing key falls back to English, then to the key itself. To add
 * a language: copy `messages/en.js`, translate the values, and list it in `LANGUAGES`.
 */
import en from './messages/en.js';
import zh from './messages/zh.js';

/** The languages offered, with their own names. */
export const LANGUAGES = [['en', 'English'], ['zh', '简体中文']];

const CATALOGUES = { en, zh };
let current = 'en';

/** Switches the interface language. */
export function setLanguage(lang) {
  current = CATALOGUES[lang] ? lang : 'en';
  document.documentElement.lang = current === 'zh' ? 'zh-CN' : current;
}

/** The current language. */
export function language() { return current; }

/** The language a browser prefers, among those offered. */
export function browserLanguage() {
  const wanted = (navigator.language || 'en').toLowerCase();
  return wanted.startsWith('zh') ? 'zh' : 'en';
}

/** The words for `key`, with `{name}` placeholders filled from `vars`. */
export function t(key, vars) {
  const text = CATALOGUES[current][key] ?? en[key] ?? key;
  if (!vars) return text;
  return text.replace(/\{(\w+)\}/g, (_, name) => (vars[name] ?? '').toString());
}
