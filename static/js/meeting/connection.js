// The socket to the /meetings namespace, acknowledged calls, and the connection state shown
// in the header ("Connected", "Reconnecting…").

import { $, t } from "./dom.js";

export const socket = io("/meetings", { reconnectionDelayMax: 10000 });

export function call(event, data) {
  return new Promise((resolve) => {
    socket.timeout(15000).emit(event, data || {}, (err, answer) => {
      resolve(err ? { ok: false, error: t("The server did not answer; check your connection.") } : answer);
    });
  });
}

export function setConn(text, state) {
  const conn = $("conn");
  conn.textContent = text;
  conn.dataset.state = state;
  conn.classList.toggle("ok", state === "connected");
  document.getElementById("room").dataset.connection = state;
}
