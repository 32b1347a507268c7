// The meeting room: Socket.IO namespace /meetings, and a WebRTC mesh signalled over it.
//
// Chat, hands, polls and minutes need nothing but the socket: they keep working
// when a participant has no camera or the media connection fails. Media uses one
// RTCPeerConnection per other participant with one audio and one video
// transceiver each, negotiated once ("perfect negotiation": the participant with
// the smaller id offers, the other is polite); starting the camera, muting and
// sharing the screen only replace tracks, so they need no renegotiation.
"use strict";

(() => {
  const root = document.getElementById("room");
  if (!root || typeof io === "undefined") {
    return;
  }
  const $ = (id) => document.getElementById(id);
  const meetingId = Number(root.dataset.meetingId);
  const iceServers = JSON.parse(root.dataset.iceServers || "[]");
  const chatMax = Number(root.dataset.chatMax || 2000);
  const VIDEO_MAX_BITRATE = 600000; // per peer; a mesh multiplies it by the number of peers

  const state = {
    you: null,
    participants: new Map(),
    can: { chat: false, vote: false, chair: false },
    meeting: null,
    hands: [],
    polls: new Map(),
    ended: false,
  };
  const peers = new Map();
  const media = { camera: null, screen: null, micOn: true, camOn: true };

  // Small DOM helpers: text only, never HTML from the network.
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (key === "class") {
        node.className = value;
      } else if (key.startsWith("on")) {
        node.addEventListener(key.slice(2), value);
      } else if (value !== false && value !== null && value !== undefined) {
        node.setAttribute(key, value === true ? "" : value);
      }
    }
    for (const child of children) {
      if (child !== null && child !== undefined) {
        node.append(child instanceof Node ? child : document.createTextNode(String(child)));
      }
    }
    return node;
  }

  function notice(text, kind = "info") {
    const box = $("notice");
    box.className = `flash flash-${kind}`;
    box.textContent = text;
    box.hidden = !text;
  }

  function setConn(text, ok) {
    const conn = $("conn");
    conn.textContent = text;
    conn.classList.toggle("ok", Boolean(ok));
  }

  function timeOf(iso) {
    const date = new Date(iso);
    return Number.isNaN(date.getTime())
      ? ""
      : date.toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit" });
  }

  // The socket

  const socket = io("/meetings", { reconnectionDelayMax: 10000 });

  function call(event, data) {
    return new Promise((resolve) => {
      socket.timeout(15000).emit(event, data || {}, (err, answer) => {
        resolve(err ? { ok: false, error: "The server did not answer; check your connection." } : answer);
      });
    });
  }

  socket.on("connect", async () => {
    setConn("Connected", true);
    const answer = await call("join", { meeting_id: meetingId });
    if (!answer.ok) {
      notice(answer.error, "danger");
      showEnded(answer.error);
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
    setConn("Cannot connect", false);
    notice(err && err.message ? err.message : "Cannot reach the meeting server.", "danger");
  });

  socket.on("disconnect", (reason) => {
    closeAllPeers();
    state.you = null;
    if (state.ended) {
      return;
    }
    if (reason === "io server disconnect") {
      setConn("Disconnected", false);
      if (!$("notice").textContent) {
        notice("The server ended your connection.", "warning");
      }
      stopMedia();
    } else {
      setConn("Reconnecting…", false);
    }
  });

  socket.on("presence", ({ participants }) => {
    if (!$("room-body").hidden) {
      renderPeople(participants);
    }
  });
  socket.on("chat", (message) => addChat(message));
  socket.on("hand", ({ participant, raised, queue, by_chair: byChair }) => {
    state.hands = queue || state.hands;
    const person = state.participants.get(participant);
    if (person) {
      person.hand = raised;
    }
    if (participant === state.you) {
      setHandButton(raised);
      if (byChair) {
        notice("The coordinator lowered your hand.", "info");
      }
    }
    renderPeopleList();
  });
  socket.on("signal", (message) => onSignal(message));
  socket.on("lobby", ({ waiting }) => renderLobby(waiting));
  socket.on("meeting", (meeting) => updateMeeting(meeting));
  socket.on("admitted", async () => {
    const answer = await call("sync");
    if (answer.ok) {
      enterRoom(answer);
    }
  });
  socket.on("refused", ({ message }) => {
    state.ended = true;
    showEnded(message);
  });
  socket.on("removed", ({ message }) => {
    state.ended = true;
    showEnded(message);
  });
  socket.on("mute_request", ({ by }) => {
    setMic(false);
    notice(`${by} asked you to mute; your microphone is off. Unmute when you speak.`, "warning");
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
    $("minutes-status").textContent = `updated ${timeOf(updatedAt)}`;
  });

  // Room state

  function showWaiting(message, meeting) {
    updateMeeting(meeting);
    $("waiting").hidden = false;
    $("waiting-text").textContent = message;
    $("room-body").hidden = true;
  }

  function enterRoom(answer) {
    $("waiting").hidden = true;
    $("room-body").hidden = false;
    state.can = answer.can || state.can;
    state.hands = answer.hands || [];
    updateMeeting(answer.meeting);
    $("chair-panel").hidden = !state.can.chair;
    $("chat-text").disabled = !state.can.chat;
    if (!state.can.chat) {
      $("chat-text").placeholder = "Observers follow the chat but do not write in it.";
    }
    const minutes = $("minutes");
    minutes.value = answer.minutes || "";
    minutes.readOnly = !state.can.chair;
    $("chat-log").replaceChildren();
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
    renderPeople(answer.participants || []);
  }

  function updateMeeting(meeting) {
    if (!meeting) {
      return;
    }
    state.meeting = meeting;
    const badge = $("room-state");
    badge.textContent = meeting.state;
    badge.className = `state state-${meeting.state}`;
    $("room-lock").hidden = !meeting.locked;
    $("btn-lock").textContent = meeting.locked ? "Unlock" : "Lock";
    $("btn-open").hidden = meeting.state !== "scheduled";
    if (meeting.state === "closed" || meeting.state === "cancelled") {
      state.ended = true;
      showEnded(meeting.state === "closed" ? "The coordinator ended the meeting." : "The meeting was cancelled.");
    }
  }

  function showEnded(message) {
    closeAllPeers();
    stopMedia();
    $("room-body").hidden = true;
    $("waiting").hidden = true;
    $("ended").hidden = false;
    $("ended-title").textContent = message || "The meeting has ended";
    setConn("Not in the meeting", false);
  }

  // People

  function renderPeople(participants) {
    state.participants = new Map(participants.map((p) => [p.id, p]));
    renderPeopleList();
    syncPeers();
  }

  function renderPeopleList() {
    const list = $("people");
    list.replaceChildren();
    $("people-count").textContent = String(state.participants.size);
    for (const person of state.participants.values()) {
      const me = person.id === state.you;
      const item = el(
        "li",
        { class: person.hand ? "hand-up" : "" },
        person.hand ? el("span", { class: "hand pill", title: "Hand raised" }, "hand up") : null,
        el("strong", {}, person.name, me ? " (you)" : ""),
        " ",
        el("small", { class: "muted" }, `${person.organisation} · ${person.country}`),
        person.role === "coordinator" ? el("span", { class: "pill" }, "chair") : null,
        person.role === "observer" ? el("span", { class: "pill subtle" }, "observer") : null,
      );
      if (state.can.chair && !me) {
        const tools = el("span", { class: "tools" });
        if (person.hand) {
          tools.append(el("button", { type: "button", class: "small", onclick: () => call("lower_hand", { participant: person.id }).then(report) }, "Lower hand"));
        }
        tools.append(
          el("button", { type: "button", class: "small", onclick: () => call("mute_request", { participant: person.id }).then(report) }, "Ask to mute"),
          el("button", {
            type: "button",
            class: "small danger",
            onclick: () => {
              if (window.confirm(`Remove ${person.name} from the meeting?`)) {
                call("remove", { participant: person.id }).then(report);
              }
            },
          }, "Remove"),
        );
        item.append(tools);
      }
      list.append(item);
    }
    const queue = $("hand-queue");
    queue.replaceChildren();
    for (const pid of state.hands) {
      const person = state.participants.get(pid);
      if (person) {
        queue.append(el("li", {}, person.name));
      }
    }
  }

  function renderLobby(waiting) {
    const list = $("lobby");
    list.replaceChildren();
    $("lobby-count").textContent = String(waiting.length);
    for (const person of waiting) {
      list.append(
        el(
          "li",
          {},
          el("strong", {}, person.name),
          " ",
          el("small", { class: "muted" }, `${person.organisation} · ${person.country}`),
          el(
            "span",
            { class: "tools" },
            el("button", { type: "button", class: "small primary", onclick: () => call("admit", { participant: person.id }).then(report) }, "Admit"),
            el("button", { type: "button", class: "small danger", onclick: () => call("refuse", { participant: person.id }).then(report) }, "Refuse"),
          ),
        ),
      );
    }
  }

  function report(answer) {
    if (answer && !answer.ok) {
      notice(answer.error, "danger");
    }
    return answer;
  }

  // Chat

  function addChat(message) {
    const log = $("chat-log");
    const mine = message.author && state.participants.get(state.you)
      && message.author.user_id === state.participants.get(state.you).user_id;
    log.append(
      el(
        "li",
        { class: mine ? "mine" : "" },
        el("span", { class: "who" }, message.author ? message.author.name : message.author_name),
        el("time", { datetime: message.sent_at }, timeOf(message.sent_at)),
        el("p", {}, message.text),
      ),
    );
    log.scrollTop = log.scrollHeight;
  }

  const chatText = $("chat-text");
  chatText.addEventListener("input", () => {
    $("chat-count").textContent = `${chatText.value.length} / ${chatMax}`;
  });
  chatText.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey) {
      event.preventDefault();
      $("chat-form").requestSubmit();
    }
  });
  $("chat-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const text = chatText.value.trim();
    if (!text) {
      return;
    }
    const answer = await call("chat", { text });
    const error = $("chat-error");
    error.hidden = answer.ok;
    error.textContent = answer.ok ? "" : answer.error;
    if (answer.ok) {
      chatText.value = "";
      $("chat-count").textContent = `0 / ${chatMax}`;
    }
  });

  // Hands

  function setHandButton(raised) {
    const button = $("btn-hand");
    button.setAttribute("aria-pressed", String(raised));
    button.textContent = raised ? "Lower hand" : "Raise hand";
  }
  $("btn-hand").addEventListener("click", async () => {
    const raised = $("btn-hand").getAttribute("aria-pressed") !== "true";
    const answer = report(await call("hand", { raised }));
    if (answer.ok) {
      setHandButton(raised);
    }
  });

  // Polls

  function renderPolls() {
    const box = $("polls");
    box.replaceChildren();
    $("polls-box").hidden = state.polls.size === 0;
    for (const poll of [...state.polls.values()].reverse()) {
      const card = el("article", { class: `poll poll-${poll.state}` }, el("h3", {}, poll.question));
      const total = poll.votes || 0;
      poll.options.forEach((option, index) => {
        if (poll.state === "closed" && poll.results) {
          const count = poll.results[index];
          const share = total ? Math.round((100 * count) / total) : 0;
          card.append(el("div", { class: "result" },
            el("span", {}, option),
            el("meter", { min: "0", max: String(Math.max(total, 1)), value: String(count) }),
            el("strong", {}, `${count} (${share}%)`)));
        } else if (poll.state === "open" && state.can.vote && !poll.voted) {
          card.append(el("button", {
            type: "button",
            class: "option",
            onclick: async () => {
              const answer = report(await call("vote", { poll: poll.id, option: index }));
              if (answer.ok || /already voted/.test(answer.error || "")) {
                poll.voted = true;
                renderPolls();
              }
            },
          }, option));
        } else {
          card.append(el("div", { class: "result" }, el("span", {}, option)));
        }
      });
      card.append(el("p", { class: "muted" },
        `${total} vote${total === 1 ? "" : "s"}`,
        poll.state === "open" ? (poll.voted ? " · you voted; results when the poll closes" : " · results when the poll closes") : " · closed"));
      if (state.can.chair && poll.state === "open") {
        card.append(el("button", { type: "button", class: "small", onclick: () => call("close_poll", { poll: poll.id }).then(report) }, "Close and show results"));
      }
      box.append(card);
    }
  }

  $("poll-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const question = $("poll-question").value;
    const options = $("poll-options").value.split("\n").map((line) => line.trim()).filter(Boolean);
    const answer = report(await call("poll", { question, options }));
    if (answer.ok) {
      $("poll-question").value = "";
      $("poll-options").value = "";
    }
  });

  // Minutes: the chair types, the room sees it shortly after a pause.

  let minutesTimer = null;
  $("minutes").addEventListener("input", () => {
    if (!state.can.chair) {
      return;
    }
    $("minutes-status").textContent = "editing…";
    clearTimeout(minutesTimer);
    minutesTimer = setTimeout(async () => {
      const answer = report(await call("minutes", { text: $("minutes").value }));
      if (answer.ok) {
        $("minutes-status").textContent = `saved ${timeOf(answer.updated_at)}`;
      }
    }, 1200);
  });

  // Chair controls

  $("btn-open").addEventListener("click", () => call("open").then(report));
  $("btn-lock").addEventListener("click", () => call("lock", { locked: !(state.meeting && state.meeting.locked) }).then(report));
  $("btn-mute-all").addEventListener("click", () => call("mute_request", {}).then(report));
  $("btn-close").addEventListener("click", () => {
    if (window.confirm("End the meeting for everyone?")) {
      call("close").then(report);
    }
  });
  $("btn-leave").addEventListener("click", async () => {
    state.ended = true;
    await call("leave");
    socket.disconnect();
    stopMedia();
    window.location.assign(root.dataset.detailUrl);
  });

  // Media

  function localTrack(kind) {
    if (kind === "video" && media.screen) {
      return media.screen.getVideoTracks()[0] || null;
    }
    return media.camera ? media.camera.getTracks().find((t) => t.kind === kind) || null : null;
  }

  function updateSenders() {
    for (const peer of peers.values()) {
      for (const transceiver of peer.pc.getTransceivers()) {
        const kind = transceiver.receiver.track.kind;
        transceiver.sender.replaceTrack(localTrack(kind)).catch(() => {});
      }
    }
  }

  $("btn-media").addEventListener("click", async () => {
    const error = $("media-error");
    error.hidden = true;
    const video = { width: { ideal: 640 }, height: { ideal: 360 }, frameRate: { max: 20 } };
    try {
      media.camera = await navigator.mediaDevices.getUserMedia({ audio: { echoCancellation: true, noiseSuppression: true }, video });
    } catch (first) {
      try {
        media.camera = await navigator.mediaDevices.getUserMedia({ audio: true });
        error.textContent = "No camera available: you take part with your microphone.";
        error.hidden = false;
      } catch (second) {
        error.textContent = "No camera or microphone available: you can still follow, chat, raise your hand and vote.";
        error.hidden = false;
        return;
      }
    }
    $("local-video").srcObject = media.camera;
    $("btn-media").hidden = true;
    $("btn-mic").disabled = false;
    $("btn-cam").disabled = media.camera.getVideoTracks().length === 0;
    $("btn-screen").disabled = !(navigator.mediaDevices && navigator.mediaDevices.getDisplayMedia);
    setMic(true);
    setCam(media.camera.getVideoTracks().length > 0);
    updateSenders();
  });

  function setMic(on) {
    media.micOn = on;
    for (const track of media.camera ? media.camera.getAudioTracks() : []) {
      track.enabled = on;
    }
    $("btn-mic").textContent = on ? "Mute" : "Unmute";
    $("btn-mic").setAttribute("aria-pressed", String(!on));
  }

  function setCam(on) {
    media.camOn = on;
    for (const track of media.camera ? media.camera.getVideoTracks() : []) {
      track.enabled = on;
    }
    $("btn-cam").textContent = on ? "Camera off" : "Camera on";
    $("btn-cam").setAttribute("aria-pressed", String(!on));
    $("me-media").hidden = on;
  }

  $("btn-mic").addEventListener("click", () => setMic(!media.micOn));
  $("btn-cam").addEventListener("click", () => setCam(!media.camOn));
  $("btn-screen").addEventListener("click", async () => {
    if (media.screen) {
      stopScreen();
      return;
    }
    try {
      media.screen = await navigator.mediaDevices.getDisplayMedia({ video: { frameRate: { max: 10 } }, audio: false });
    } catch (err) {
      return;
    }
    const track = media.screen.getVideoTracks()[0];
    track.addEventListener("ended", stopScreen);
    $("local-video").srcObject = media.screen;
    $("btn-screen").textContent = "Stop sharing";
    updateSenders();
  });

  function stopScreen() {
    if (!media.screen) {
      return;
    }
    for (const track of media.screen.getTracks()) {
      track.stop();
    }
    media.screen = null;
    $("local-video").srcObject = media.camera;
    $("btn-screen").textContent = "Share screen";
    updateSenders();
  }

  function stopMedia() {
    stopScreen();
    for (const track of media.camera ? media.camera.getTracks() : []) {
      track.stop();
    }
    media.camera = null;
  }

  // Peers: one RTCPeerConnection per other participant.

  function syncPeers() {
    if (!state.you) {
      return;
    }
    for (const pid of [...peers.keys()]) {
      if (!state.participants.has(pid)) {
        closePeer(pid);
      }
    }
    for (const pid of state.participants.keys()) {
      // The smaller id offers; the other answers when the offer arrives.
      if (pid !== state.you && !peers.has(pid) && state.you < pid) {
        makePeer(pid, true);
      }
    }
  }

  function makePeer(pid, initiator) {
    const pc = new RTCPeerConnection({ iceServers });
    const peer = { pc, polite: state.you > pid, makingOffer: false, ignoreOffer: false, stream: new MediaStream(), tile: null };
    peers.set(pid, peer);
    peer.tile = makeTile(pid, peer.stream);
    const send = (data) => socket.emit("signal", { to: pid, data });
    pc.addEventListener("icecandidate", ({ candidate }) => send({ candidate: candidate ? candidate.toJSON() : null }));
    pc.addEventListener("negotiationneeded", async () => {
      try {
        peer.makingOffer = true;
        await pc.setLocalDescription();
        send({ description: pc.localDescription.toJSON() });
      } catch (err) {
        console.warn("offer failed", err);
      } finally {
        peer.makingOffer = false;
      }
    });
    pc.addEventListener("track", ({ track }) => {
      peer.stream.addTrack(track);
      peer.tile.querySelector("video").srcObject = peer.stream;
    });
    pc.addEventListener("connectionstatechange", () => {
      peer.tile.dataset.connectionState = pc.connectionState;
      peer.tile.querySelector(".link").textContent = pc.connectionState === "connected" ? "" : pc.connectionState;
      if (pc.connectionState === "connected") {
        limitBitrate(pc);
      }
      if (pc.connectionState === "failed" && !peer.polite) {
        pc.restartIce();
      }
    });
    if (initiator) {
      for (const kind of ["audio", "video"]) {
        const transceiver = pc.addTransceiver(kind, { direction: "sendrecv" });
        const track = localTrack(kind);
        if (track) {
          transceiver.sender.replaceTrack(track);
        }
      }
    }
    return peer;
  }

  function limitBitrate(pc) {
    for (const sender of pc.getSenders()) {
      if (!sender.track || sender.track.kind !== "video") {
        continue;
      }
      const params = sender.getParameters();
      if (!params.encodings || !params.encodings.length) {
        params.encodings = [{}];
      }
      params.encodings[0].maxBitrate = VIDEO_MAX_BITRATE;
      sender.setParameters(params).catch(() => {});
    }
  }

  async function onSignal({ from, data }) {
    if (!state.participants.has(from) || !data) {
      return;
    }
    const peer = peers.get(from) || makePeer(from, false);
    const { pc } = peer;
    try {
      if (data.description) {
        const collision = data.description.type === "offer"
          && (peer.makingOffer || pc.signalingState !== "stable");
        peer.ignoreOffer = !peer.polite && collision;
        if (peer.ignoreOffer) {
          return;
        }
        await pc.setRemoteDescription(data.description);
        if (data.description.type === "offer") {
          for (const transceiver of pc.getTransceivers()) {
            transceiver.direction = "sendrecv";
            const track = localTrack(transceiver.receiver.track.kind);
            if (track) {
              await transceiver.sender.replaceTrack(track);
            }
          }
          await pc.setLocalDescription();
          socket.emit("signal", { to: from, data: { description: pc.localDescription.toJSON() } });
        }
      } else if ("candidate" in data && data.candidate) {
        try {
          await pc.addIceCandidate(data.candidate);
        } catch (err) {
          if (!peer.ignoreOffer) {
            throw err;
          }
        }
      }
    } catch (err) {
      console.warn("signalling failed", err);
    }
  }

  function makeTile(pid, stream) {
    const person = state.participants.get(pid);
    const video = el("video", { autoplay: true, playsinline: true });
    video.srcObject = stream;
    const tile = el(
      "figure",
      { class: "tile", "data-participant": pid, "data-connection-state": "new" },
      video,
      el("figcaption", {}, person ? `${person.name} · ${person.country}` : "", " ", el("span", { class: "link" }, "connecting")),
    );
    $("videos").append(tile);
    return tile;
  }

  function closePeer(pid) {
    const peer = peers.get(pid);
    if (!peer) {
      return;
    }
    peer.pc.close();
    peer.tile.remove();
    peers.delete(pid);
  }

  function closeAllPeers() {
    for (const pid of [...peers.keys()]) {
      closePeer(pid);
    }
  }

  window.addEventListener("pagehide", () => {
    stopMedia();
    socket.disconnect();
  });
})();
