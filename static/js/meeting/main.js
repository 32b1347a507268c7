// The meeting room: joins over the /meetings socket, keeps the room's state from its events
// and picks the media transport the server names (its SFU, or a mesh without one).

import { call, setConn, socket } from "./connection.js";
import { $, notice, t, timeOf } from "./dom.js";
import { bindMediaButtons, enterWithMicrophone, setMic, showControls, stopMedia, useTransport } from "./media.js";
import { mesh } from "./mesh.js";
import { addChat, bindRoom, renderLobby, renderPeopleList, renderPolls, setHandButton } from "./room.js";
import { sfu } from "./sfu.js";
import { config, state } from "./state.js";
import { watchQuality } from "./stats.js";
import * as tiles from "./tiles.js";

let transport = null;

function choose(mode) {
  if (transport && transport.mode === mode) {
    return;
  }
  if (transport) {
    transport.stop();
  }
  transport = mode === "sfu" ? sfu : mesh;
  useTransport(transport);
}

socket.on("connect", async () => {
  setConn(t("Connected"), "connected");
  const answer = await call("join", { meeting_id: config.meetingId });
  if (!answer.ok) {
    showEnded(answer.error, "danger");
    return;
  }
  state.you = answer.you;
  if (answer.waiting) {
    showWaiting(answer.message, answer.meeting);
  } else {
    enterRoom(answer);
  }
});

socket.on("connect_error", (err) => {
  setConn(t("Cannot connect"), "failed");
  notice(err && err.message ? err.message : t("Cannot reach the meeting server."), "danger");
});

// A dropped network: the socket reconnects by itself, the page keeps its chat and asks the
// server for the room again once back; media is negotiated afresh.
socket.on("disconnect", (reason) => {
  if (transport) {
    transport.stop();
  }
  state.you = null;
  if (state.ended) {
    return;
  }
  if (reason === "io server disconnect") {
    setConn(t("Disconnected"), "disconnected");
    if (!$("notice").textContent) {
      notice(t("The server ended your connection."), "warning");
    }
    stopMedia();
  } else {
    setConn(t("Reconnecting…"), "reconnecting");
    $("reconnecting").hidden = false;
  }
});

socket.on("presence", ({ participants, hands }) => {
  state.hands = hands || state.hands;
  if (!$("room-body").hidden) {
    renderPeople(participants);
  }
});
socket.on("chat", (message) => addChat(message));
// While the message queue is down, people on other server processes are not heard here
// (emisa/realtime.py); once it is back, catch up with what was missed.
socket.on("live_updates", async ({ connected }) => {
  $("live-updates").hidden = connected;
  if (connected && state.you && !state.ended) {
    const answer = await call("sync");
    if (answer.ok) {
      state.hands = answer.hands || [];
      for (const message of answer.history || []) {
        addChat(message);
      }
      renderPeople(answer.participants || []);
    }
  }
});
socket.on("hand", ({ participant, raised, queue, by_chair: byChair }) => {
  state.hands = queue || state.hands;
  const person = state.participants.get(participant);
  if (person) {
    person.hand = raised;
  }
  if (participant === state.you) {
    setHandButton(raised);
    if (byChair) {
      notice(t("The coordinator lowered your hand."), "info");
    }
  }
  renderPeopleList();
});
socket.on("muted", ({ participant, muted, by_chair: byChair }) => {
  state.muted.set(participant, muted);
  if (participant === state.you && byChair) {
    setMic(false, false);
    notice(t("The coordinator muted your microphone. Unmute when you speak."), "warning");
  }
  renderPeopleList();
});
socket.on("lobby", ({ waiting }) => renderLobby(waiting));
socket.on("meeting", (meeting) => updateMeeting(meeting));
socket.on("admitted", async () => {
  const answer = await call("sync");
  if (answer.ok) {
    enterRoom(answer);
  }
});
socket.on("refused", ({ message }) => showEnded(message, "warning"));
socket.on("removed", ({ message }) => showEnded(message, "warning"));
socket.on("mute_request", ({ by }) => {
  setMic(false);
  notice(t("%(name)s asked you to mute; your microphone is off. Unmute when you speak.", { name: by }), "warning");
});
socket.on("poll", (poll) => {
  state.polls.set(poll.id, { ...(state.polls.get(poll.id) || {}), ...poll });
  renderPolls();
});
socket.on("poll_votes", ({ poll, votes }) => {
  const known = state.polls.get(poll);
  if (known) {
    known.votes = votes;
    renderPolls();
  }
});
socket.on("minutes", ({ text, updated_at: updatedAt }) => {
  if (!state.can.chair) {
    $("minutes").value = text;
  }
  $("minutes-status").textContent = t("updated %(time)s", { time: timeOf(updatedAt) });
});

function showWaiting(message, meeting) {
  updateMeeting(meeting);
  $("waiting").hidden = false;
  $("waiting-text").textContent = message;
  $("room-body").hidden = true;
}

async function enterRoom(answer) {
  $("waiting").hidden = true;
  $("reconnecting").hidden = true;
  $("room-body").hidden = false;
  $("live-updates").hidden = answer.live_updates !== false;
  state.can = answer.can || state.can;
  state.media = answer.media || state.media;
  state.hands = answer.hands || [];
  updateMeeting(answer.meeting);
  $("chair-panel").hidden = !state.can.chair;
  $("chat-text").disabled = !state.can.chat;
  if (!state.can.chat) {
    $("chat-text").placeholder = t("Observers follow the chat but do not write in it.");
  }
  const minutes = $("minutes");
  minutes.value = answer.minutes || "";
  minutes.readOnly = !state.can.chair;
  for (const message of answer.history || []) {
    addChat(message);
  }
  state.polls.clear();
  for (const poll of answer.polls || []) {
    state.polls.set(poll.id, poll);
  }
  renderPolls();
  if (state.can.chair) {
    renderLobby(answer.lobby || []);
  }
  choose(state.media.mode);
  enterWithMicrophone(Boolean(answer.start_muted));
  showControls();
  renderPeople(answer.participants || []);
  // After a dropped connection the server gives a raised hand back with its place.
  const mine = state.participants.get(state.you);
  setHandButton(Boolean(mine && mine.hand));
  transport.start();
}

function renderPeople(participants) {
  state.participants = new Map(participants.map((p) => [p.id, p]));
  // Who muted before this page came is known from the room's state; the `muted` event keeps
  // it current. The page's own microphone is its own: it knows that best.
  for (const person of participants) {
    if (person.id !== state.you) {
      state.muted.set(person.id, Boolean(person.muted));
    }
  }
  renderPeopleList();
  if (transport) {
    transport.presence();
  }
}

function updateMeeting(meeting) {
  if (!meeting) {
    return;
  }
  state.meeting = meeting;
  const badge = $("room-state");
  badge.textContent = t(meeting.state);
  badge.className = `state state-${meeting.state}`;
  $("room-lock").hidden = !meeting.locked;
  $("btn-lock").textContent = meeting.locked ? t("Unlock") : t("Lock");
  $("btn-open").hidden = meeting.state !== "scheduled";
  if (meeting.state === "closed" || meeting.state === "cancelled") {
    showEnded(meeting.state === "closed" ? t("The coordinator ended the meeting.") : t("The meeting was cancelled."));
  }
}

// The end of this page's stay (ended, refused, removed): it says why and nothing stays usable.
function showEnded(message, kind) {
  state.ended = true;
  if (transport) {
    transport.stop();
  }
  stopMedia();
  if (kind) {
    notice(message, kind);
  }
  for (const control of config.root.querySelectorAll("button, input, textarea, select")) {
    control.disabled = true;
  }
  $("room-body").hidden = true;
  $("waiting").hidden = true;
  $("reconnecting").hidden = true;
  $("ended").hidden = false;
  $("ended-title").textContent = message || t("The meeting has ended");
  setConn(t("Not in the meeting"), "ended");
}

$("btn-leave").addEventListener("click", async () => {
  state.ended = true;
  await call("leave");
  socket.disconnect();
  stopMedia();
  window.location.assign(config.detailUrl);
});

window.addEventListener("pagehide", () => {
  stopMedia();
  socket.disconnect();
});

tiles.whenLaidOut(() => transport && transport.layoutChanged());
bindRoom();
bindMediaButtons();
mesh.bind();
sfu.bind();
watchQuality(() => transport);
