/**
 * The live stream: one WebSocket to `/api/v1/stream` while the page is open. While it
 * is open the agent counts as connected (TT-AGENT-3); closing the page closes it, and
 * the daemon stops assigning to the agent. It reconnects with a growing pause, except
 * when the daemon closed it because the account's access was revoked (code 4401): then
 * the page reloads, and shows the sign-in when the session is gone.
 */

/** Opens the stream; `onEvent(event)` gets each frame, `onState(open)` each change. */
export function openStream(onEvent, onState) {
  let socket = null;
  let pause = 500;
  let stopped = false;
  const url = (location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '/api/v1/stream';
  function connect() {
    socket = new WebSocket(url);
    socket.addEventListener('open', () => { pause = 500; onState(true); });
    socket.addEventListener('message', (frame) => {
      try { onEvent(JSON.parse(frame.data)); } catch (error) { console.error(error); }
    });
    socket.addEventListener('close', (event) => {
      onState(false);
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
