// The video area: a stage (a shared screen, else the active speaker, large) and a paged
// gallery of everyone else. Each tile names its person (isolated with <bdi>) and country,
// and shows their hand, a muted microphone, talking and connection quality.

import { $, el, nameOf, t } from "./dom.js";
import { state } from "./state.js";

const tiles = new Map(); // "participant:kind" -> figure
let page = 0;
let onLayout = () => {};

export const keyOf = (participant, kind) => `${participant}:${kind}`;

export function whenLaidOut(fn) {
  onLayout = fn;
}

export function tile(participant, kind) {
  const key = keyOf(participant, kind);
  let figure = tiles.get(key);
  if (!figure) {
    const video = el("video", { autoplay: true, playsinline: true });
    figure = el(
      "figure",
      { class: `tile ${kind}`, "data-participant": participant, "data-kind": kind, "data-connection-state": "new" },
      video,
      el("figcaption", {}, el("span", { class: "who" }), " ", el("span", { class: "badges" }), el("span", { class: "link" }, "connecting")),
    );
    tiles.set(key, figure);
    label(figure);
    layout();
  }
  return figure;
}

export function find(participant, kind) {
  return tiles.get(keyOf(participant, kind)) || null;
}

export function show(participant, kind, stream) {
  const video = tile(participant, kind).querySelector("video");
  if (video.srcObject !== stream) {
    video.srcObject = stream;
    video.play().catch(() => {});
  }
}

export function remove(participant, kind) {
  const key = keyOf(participant, kind);
  const figure = tiles.get(key);
  if (figure) {
    figure.querySelector("video").srcObject = null;
    figure.remove();
    tiles.delete(key);
    layout();
  }
}

export function removeAll(participant) {
  for (const figure of [...tiles.values()]) {
    if (participant === undefined || figure.dataset.participant === participant) {
      remove(figure.dataset.participant, figure.dataset.kind);
    }
  }
}

export function all() {
  return [...tiles.values()];
}

function label(figure) {
  const person = state.participants.get(figure.dataset.participant);
  const who = figure.querySelector(".who");
  who.replaceChildren(
    nameOf(person, figure.dataset.kind === "screen" ? ` · ${t("screen")}` : ""),
    person && person.country ? ` · ${person.country}` : "",
  );
  const badges = figure.querySelector(".badges");
  badges.replaceChildren();
  if (person && person.hand) {
    badges.append(el("span", { class: "badge hand", title: t("Hand raised") }, "✋"));
  }
  if (state.muted.get(figure.dataset.participant) && figure.dataset.kind === "camera") {
    badges.append(el("span", { class: "badge muted", title: t("Microphone off") }, `🔇 ${t("muted")}`));
  }
  figure.classList.toggle("talking", state.talking === figure.dataset.participant && figure.dataset.kind === "camera");
}

export function relabel() {
  for (const figure of tiles.values()) {
    label(figure);
  }
  const mine = $("tile-me");
  mine.querySelector(".badges").replaceChildren(
    state.handRaised ? el("span", { class: "badge hand", title: t("Hand raised") }, "✋") : "",
    state.muted.get(state.you) ? el("span", { class: "badge muted" }, `🔇 ${t("muted")}`) : "",
  );
}

// The stage shows the last other person who spoke; this page's own voice only lights its
// own tile.
export function setTalking(participant, talking) {
  if (participant === state.you) {
    $("tile-me").classList.toggle("talking", talking);
    return;
  }
  if (!talking) {
    return; // the last speaker stays on stage until someone else speaks
  }
  state.talking = participant;
  relabel();
  layout();
}

// Page size from the space the gallery has: two rows of tiles at least 220 px wide.
function pageSize() {
  const width = $("gallery").clientWidth || 900;
  return Math.max(2, Math.floor(width / 220) * 2);
}

function onStage() {
  const list = [...tiles.values()];
  return (
    list.find((figure) => figure.dataset.kind === "screen")
    || (state.talking && tiles.get(keyOf(state.talking, "camera")))
    || null
  );
}

// Moving a playing <video> in the document pauses it: play it again where it lands.
function place(figure, parent) {
  parent.append(figure);
  const video = figure.querySelector("video");
  if (video.srcObject && video.paused) {
    video.play().catch(() => {});
  }
}

export function layout() {
  const stage = $("stage");
  const gallery = $("gallery");
  const staged = onStage();
  for (const figure of stage.querySelectorAll(".tile")) {
    if (figure !== staged) {
      place(figure, gallery);
    }
  }
  if (staged && staged.parentNode !== stage) {
    place(staged, stage);
  }
  stage.hidden = !staged;
  const rest = [...tiles.values()].filter((figure) => figure !== staged);
  const size = pageSize();
  const pages = Math.max(1, Math.ceil(rest.length / size));
  page = Math.min(page, pages - 1);
  rest.forEach((figure, index) => {
    figure.hidden = Math.floor(index / size) !== page;
    if (figure.parentNode !== gallery) {
      place(figure, gallery);
    }
  });
  if (staged) {
    staged.hidden = false;
  }
  $("pager").hidden = pages < 2;
  $("page-of").textContent = `${page + 1} / ${pages}`;
  $("page-prev").disabled = page === 0;
  $("page-next").disabled = page >= pages - 1;
  onLayout();
}

export function turnPage(step) {
  page += step;
  layout();
}

// What a subscriber needs from the layout: is the tile on screen, and which simulcast layer
// fits it (0: thumbnails under 200 px, 1: gallery tiles up to 640 px, 2: the stage). Chrome
// stops sending the smallest layer when it scales a busy camera down, so ordinary tiles ask
// for the middle one.
export function visibility(participant, kind) {
  const figure = tiles.get(keyOf(participant, kind));
  if (!figure || figure.hidden) {
    return { visible: false, layer: 0 };
  }
  const width = figure.clientWidth;
  return { visible: true, layer: width > 640 ? 2 : width >= 200 ? 1 : 0 };
}

export function quality(figure, level, framesDecoded) {
  figure.dataset.quality = level;
  if (framesDecoded !== undefined) {
    figure.dataset.framesDecoded = String(framesDecoded);
  }
  const link = figure.querySelector(".link");
  link.textContent = level === "good" || !level ? "" : t(`${level} connection`);
}

export function connectionState(figure, value) {
  figure.dataset.connectionState = value;
  if (value !== "connected") {
    figure.querySelector(".link").textContent = value;
  } else if (!figure.dataset.quality) {
    figure.querySelector(".link").textContent = "";
  }
}
