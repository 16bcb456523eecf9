/**
 * Notifications: the unread count in the tab's title, an optional sound for a new buyer
 * message, and a desktop notification when a conversation is newly assigned to the
 * agent or its first reply is about to miss the shop's service-level target. The browser asks for permission only when the agent turns desktop
 * notifications on in the preferences, never on its own.
 */
import { on, shopName, state } from './state.js';
import { t } from './i18n.js';

const assignedToMe = new Map();
let audio = null;

/** Starts listening to the stream and the counts. */
export function startNotifications() {
  on('counts', (page) => {
    const unread = (page.mine && page.mine.unread_messages) || 0;
    document.title = unread > 0 ? `(${unread}) shopmux` : 'shopmux';
  });
  on('event', (event) => {
    if (event.type === 'message_created' && event.message.direction === 'in') beep();
    if (event.type === 'conversation_updated') assigned(event.conversation);
    if (event.type === 'breach_soon') breachSoon(event);
  });
}

function assigned(c) {
  const mine = c.assignee_id === state.me.id && c.state === 'in_progress';
  const before = assignedToMe.get(c.id);
  assignedToMe.set(c.id, mine);
  if (!mine || before === true || !state.prefs.desktop) return;
  if (!('Notification' in window) || Notification.permission !== 'granted') return;
  const n = new Notification(t('notify.assigned'), { body: `${c.platform} · ${shopName(c.shop_id)}: ${c.preview || ''}`, tag: c.id });
  n.onclick = () => window.focus();
}

/** Tells the agent holding it (or, unassigned, everyone) that a target is about to be missed. */
function breachSoon(event) {
  if (event.assignee_id && event.assignee_id !== state.me.id) return;
  beep();
  if (!state.prefs.desktop || !('Notification' in window) || Notification.permission !== 'granted') return;
  const n = new Notification(t('notify.breachSoon'), { body: shopName(event.shop_id), tag: 'breach-' + event.conversation_id });
  n.onclick = () => window.focus();
}

function beep() {
  if (!state.prefs.sound) return;
  try {
    audio = audio || new AudioContext();
    const tone = audio.createOscillator();
    const gain = audio.createGain();
    tone.frequency.value = 880;
    gain.gain.setValueAtTime(0.08, audio.currentTime);
    gain.gain.exponentialRampToValueAtTime(0.0001, audio.currentTime + 0.25);
    tone.connect(gain).connect(audio.destination);
    tone.start();
    tone.stop(audio.currentTime + 0.25);
  } catch { /* no audio here */ }
}

/** Asks for permission to show desktop notifications (once, when the agent turns them on). */
export async function askDesktopPermission() {
  if (!('Notification' in window)) return false;
  if (Notification.permission === 'granted') return true;
  if (Notification.permission === 'denied') return false;
  return (await Notification.requestPermission()) === 'granted';
}
