/**
 * Keys that work anywhere on the page: `/` focuses the search, `r` the reply box, `i`
 * the list, Shift+E ends the open conversation; Esc leaves a field for the list. Keys
 * typed in a field are the field's.
 */
import { endOpen, focusReply } from './chat.js';
import { focusList } from './inbox.js';

let bound = false;

function typing(el) {
  return el && (el.tagName === 'INPUT' || el.tagName === 'TEXTAREA' || el.tagName === 'SELECT' || el.isContentEditable);
}

/** Binds the page's keys once. */
export function bindGlobalKeys() {
  if (bound) return;
  bound = true;
  document.addEventListener('keydown', (event) => {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    if (event.key === 'Escape' && typing(document.activeElement)) {
      document.activeElement.blur();
      focusList();
      return;
    }
    if (typing(event.target)) return;
    if (event.key === '/') { event.preventDefault(); document.getElementById('search')?.focus(); }
    else if (event.key === 'r') { event.preventDefault(); focusReply(); }
    else if (event.key === 'i') { event.preventDefault(); focusList(); }
    else if (event.key === 'E') { event.preventDefault(); endOpen(); }
  });
}
