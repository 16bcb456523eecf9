/**
 * The live stream: one WebSocket to `/api/v1/stream` while the page is open. While it
 * is open the agent counts as connected (TT-AGENT-3); closing the page closes it, and
 * the daemon stops assigning to the agent. It reconnects with a growing pause, except
 * when the daemon closed it because the account's access was revoked (code 4401): then
 * the page reloads, and shows the sign-in when the session is gone.
 *
 * Daemons sharing a PostgreSQL database send `cursor` frames: the stream keeps the last
 * and reconnects — to whichever daemon answers — with `?cursor=`, and that daemon first
 * sends the events missed meanwhile (or `resync` when it cannot).
 */

/**
 * Opens the stream; `onEvent(event)` gets each frame but the cursor, `onState(open,
 * resumed)` each change (`resumed`: reconnected with a cursor, so the daemon sends what
 * was missed and no reload is needed).
 */
export function openStream(onEvent, onState) {
  let socket = null;
  let pause = 500;
  let stopped = false;
  let cursor = null;
  const base = (location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '/api/v1/stream';
  function connect() {
    const resumed = cursor !== null;
    socket = new WebSocket(resumed ? base + '?cursor=' + encodeURIComponent(cursor) : base);
    socket.addEventListener('open', () => { pause = 500; onState(true, resumed); });
    socket.addEventListener('message', (frame) => {
      let event;
      try { event = JSON.parse(frame.data); } catch (error) { console.error(error); return; }
      if (event.type === 'cursor') { cursor = event.cursor; return; }
      try { onEvent(event); } catch (error) { console.error(error); }
    });
    socket.addEventListener('close', (event) => {
      onState(false, false);
      if (stopped) return;
      if (event.code === 4401) { location.reload(); return; }
      setTimeout(connect, pause);
      pause = Math.min(pause * 2, 15000);
    });
  }
  connect();
  return {
    close() { stopped = true; if (socket) socket.close(); },
  };
}
