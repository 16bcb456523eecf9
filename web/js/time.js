/**
 * Times as the agent reads them: in the agent's chosen time zone and language, and the
 * waiting times and countdowns of the list.
 */
import { language, t } from './i18n.js';

let zone;

/** Sets the time zone (an IANA name); undefined means the browser's. */
export function setTimeZone(name) { zone = name || undefined; }

/** The time zone in use. */
export function timeZone() {
  return zone || Intl.DateTimeFormat().resolvedOptions().timeZone;
}

function locale() { return language() === 'zh' ? 'zh-CN' : 'en-GB'; }

/** A date and time, e.g. "3 Dec 2026, 14:05". */
export function dateTime(iso) {
  if (!iso) return '';
  return new Intl.DateTimeFormat(locale(), {
    timeZone: timeZone(), dateStyle: 'medium', timeStyle: 'short',
  }).format(new Date(iso));
}

/** A message's time: the clock time today, else the date and time. */
export function shortTime(iso) {
  if (!iso) return '';
  const date = new Date(iso);
  const sameDay = new Intl.DateTimeFormat('en-CA', { timeZone: timeZone() });
  if (sameDay.format(date) === sameDay.format(new Date())) {
    return new Intl.DateTimeFormat(locale(), { timeZone: timeZone(), timeStyle: 'short' })
      .format(date);
  }
  return dateTime(iso);
}

/** A span in words: "2 d 3 h", "4 h 12 m", "5 m", "40 s". */
export function span(ms) {
  const s = Math.max(0, Math.floor(ms / 1000));
  const d = Math.floor(s / 86400), hh = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  if (d > 0) return t('time.dh', { d, h: hh });
  if (hh > 0) return t('time.hm', { h: hh, m });
  if (m > 0) return t('time.m', { m });
  return t('time.s', { s });
}

/** Milliseconds from now until `iso` (negative when past). */
export function until(iso) { return new Date(iso).getTime() - Date.now(); }

/** Milliseconds since `iso`. */
export function since(iso) { return Date.now() - new Date(iso).getTime(); }
