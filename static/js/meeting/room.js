// The room's interface around the video: participants, lobby, chat, hands, polls, minutes
// and the chair's controls. None of it needs media: it keeps working without a camera.

import { call } from "./connection.js";
import { $, el, nameOf, notice, t, timeOf } from "./dom.js";
import { config, me, state } from "./state.js";
import { relabel, turnPage } from "./tiles.js";

export function report(answer) {
  if (answer && !answer.ok) {
    notice(answer.error, "danger");
  }
  return answer;
}

// People

export function renderPeopleList() {
  const list = $("people");
  list.replaceChildren();
  $("people-count").textContent = String(state.participants.size);
  for (const person of state.participants.values()) {
    const mine = person.id === state.you;
    const item = el(
      "li",
      { class: person.hand ? "hand-up" : "", "data-participant": person.id },
      person.hand ? el("span", { class: "hand pill", title: t("Hand raised") }, t("hand up")) : null,
      el("strong", {}, nameOf(person, mine ? ` ${t("(you)")}` : "")),
      " ",
      el("small", { class: "muted" }, el("bdi", { dir: "auto" }, person.organisation || ""), ` · ${person.country}`),
      state.muted.get(person.id) ? el("span", { class: "pill subtle" }, t("muted")) : null,
      person.role === "coordinator" ? el("span", { class: "pill" }, t("chair")) : null,
      person.role === "observer" ? el("span", { class: "pill subtle" }, t("observer")) : null,
    );
    if (state.can.chair && !mine) {
      item.append(chairTools(person));
    }
    list.append(item);
  }
  const queue = $("hand-queue");
  queue.replaceChildren();
  for (const pid of state.hands) {
    const person = state.participants.get(pid);
    if (person) {
      queue.append(el("li", {}, nameOf(person)));
    }
  }
  relabel();
  warnMeshLimit();
}

function chairTools(person) {
  const tools = el("span", { class: "tools" });
  if (person.hand) {
    tools.append(el("button", { type: "button", class: "small", onclick: () => call("lower_hand", { participant: person.id }).then(report) }, t("Lower hand")));
  }
  tools.append(
    el("button", { type: "button", class: "small", onclick: () => call("mute_request", { participant: person.id }).then(report) }, t("Mute")),
    el("button", {
      type: "button",
      class: "small danger",
      onclick: () => {
        if (window.confirm(t("Remove %(name)s from the meeting?", { name: person.name }))) {
          call("remove", { participant: person.id }).then(report);
        }
      },
    }, t("Remove")),
  );
  return tools;
}

// A mesh sends every camera to every participant: past a handful of people it breaks down.
function warnMeshLimit() {
  const box = $("mesh-warning");
  const over = state.media.mode === "mesh" && state.can.chair
    && state.participants.size > state.media.mesh_limit;
  box.hidden = !over;
  if (over) {
    box.textContent = t(
      "People in this room: %(count)s. Without a media server each browser sends its video "
      + "to every other one, which carries about %(limit)s people with video: ask participants "
      + "to turn their cameras off, or have the platform's administrator configure the Janus "
      + "media server (EMISA_JANUS_URL).",
      { count: state.participants.size, limit: state.media.mesh_limit },
    );
  }
}

export function renderLobby(waiting) {
  const list = $("lobby");
  list.replaceChildren();
  $("lobby-count").textContent = String(waiting.length);
  for (const person of waiting) {
    list.append(
      el(
        "li",
        {},
        el("strong", {}, nameOf(person)),
        " ",
        el("small", { class: "muted" }, `${person.organisation} · ${person.country}`),
        el(
          "span",
          { class: "tools" },
          el("button", { type: "button", class: "small primary", onclick: () => call("admit", { participant: person.id }).then(report) }, t("Admit")),
          el("button", { type: "button", class: "small danger", onclick: () => call("refuse", { participant: person.id }).then(report) }, t("Refuse")),
        ),
      ),
    );
  }
}

// Chat

export function addChat(message) {
  const log = $("chat-log");
  if (log.querySelector(`[data-message="${Number(message.id)}"]`)) {
    return;
  }
  const mine = message.author && me() && message.author.user_id === me().user_id;
  log.append(
    el(
      "li",
      { class: mine ? "mine" : "", "data-message": String(Number(message.id)) },
      el("span", { class: "who" }, el("bdi", { dir: "auto" }, message.author ? message.author.name : message.author_name)),
      el("time", { datetime: message.sent_at }, timeOf(message.sent_at)),
      el("p", { dir: "auto" }, message.text),
    ),
  );
  log.scrollTop = log.scrollHeight;
}

function bindChat() {
  const chatText = $("chat-text");
  chatText.addEventListener("input", () => {
    $("chat-count").textContent = `${chatText.value.length} / ${config.chatMax}`;
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
      $("chat-count").textContent = `0 / ${config.chatMax}`;
    }
  });
}

// Hands

export function setHandButton(raised) {
  state.handRaised = raised;
  const button = $("btn-hand");
  button.setAttribute("aria-pressed", String(raised));
  button.textContent = raised ? t("Lower hand") : t("Raise hand");
  relabel();
}

// Polls

export function renderPolls() {
  const box = $("polls");
  box.replaceChildren();
  $("polls-box").hidden = state.polls.size === 0;
  for (const poll of [...state.polls.values()].reverse()) {
    const card = el("article", { class: `poll poll-${poll.state}` }, el("h3", { dir: "auto" }, poll.question));
    const total = poll.votes || 0;
    poll.options.forEach((option, index) => {
      if (poll.state === "closed" && poll.results) {
        const count = poll.results[index];
        const share = total ? Math.round((100 * count) / total) : 0;
        card.append(el("div", { class: "result" },
          el("span", { dir: "auto" }, option),
          el("meter", { min: "0", max: String(Math.max(total, 1)), value: String(count) }),
          el("strong", {}, `${count} (${share}%)`)));
      } else if (poll.state === "open" && state.can.vote && !poll.voted) {
        card.append(el("button", {
          type: "button",
          class: "option",
          onclick: async () => {
            const answer = report(await call("vote", { poll: poll.id, option: index }));
            if (answer.ok || answer.status === 409) { // 409: already voted, or the poll closed
              poll.voted = true;
              renderPolls();
            }
          },
        }, option));
      } else {
        card.append(el("div", { class: "result" }, el("span", { dir: "auto" }, option)));
      }
    });
    card.append(el("p", { class: "muted" },
      t("Votes: %(count)s", { count: total }),
      " · ",
      poll.state === "open" ? (poll.voted ? t("you voted; results when the poll closes") : t("results when the poll closes")) : t("voting closed")));
    if (state.can.chair && poll.state === "open") {
      card.append(el("button", { type: "button", class: "small", onclick: () => call("close_poll", { poll: poll.id }).then(report) }, t("Close and show results")));
    }
    box.append(card);
  }
}

function bindPollForm() {
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
}

// Minutes: the chair types, the room sees it shortly after a pause.

function bindMinutes() {
  let timer = null;
  $("minutes").addEventListener("input", () => {
    if (!state.can.chair) {
      return;
    }
    $("minutes-status").textContent = "editing…";
    clearTimeout(timer);
    timer = setTimeout(async () => {
      const answer = report(await call("minutes", { text: $("minutes").value }));
      if (answer.ok) {
        $("minutes-status").textContent = t("saved %(time)s", { time: timeOf(answer.updated_at) });
      }
    }, 1200);
  });
}

function bindChair() {
  $("btn-open").addEventListener("click", () => call("open").then(report));
  $("btn-lock").addEventListener("click", () => call("lock", { locked: !(state.meeting && state.meeting.locked) }).then(report));
  $("btn-mute-all").addEventListener("click", () => call("mute_request", {}).then(report));
  $("btn-close").addEventListener("click", () => {
    if (window.confirm(t("End the meeting for everyone?"))) {
      call("close").then(report);
    }
  });
}

export function bindRoom() {
  bindChat();
  bindPollForm();
  bindMinutes();
  bindChair();
  $("btn-hand").addEventListener("click", async () => {
    const raised = !state.handRaised;
    const answer = report(await call("hand", { raised }));
    if (answer.ok) {
      setHandButton(raised);
    }
  });
  $("page-prev").addEventListener("click", () => turnPage(-1));
  $("page-next").addEventListener("click", () => turnPage(1));
}
