// This page's own camera, microphone and screen, and the buttons that control them. The
// transport (mesh or SFU) is told when a local stream starts or stops.

import { call } from "./connection.js";
import { $, t } from "./dom.js";
import { state } from "./state.js";
import { relabel } from "./tiles.js";

export const local = { camera: null, screen: null, micOn: true, camOn: true };
let transport = null;

export function useTransport(chosen) {
  transport = chosen;
}

// Through the SFU the camera is sent in three simulcast layers, so it is captured large
// enough for three (Chrome sends fewer layers below 960x540); a mesh sends one small stream.
function cameraConstraints() {
  return state.media.mode === "sfu"
    ? { width: { ideal: 960 }, height: { ideal: 540 }, frameRate: { max: 15 } }
    : { width: { ideal: 640 }, height: { ideal: 360 }, frameRate: { max: 20 } };
}

export function showControls() {
  const sends = state.media.publish;
  for (const id of ["btn-media", "btn-mic", "btn-cam", "btn-screen"]) {
    $(id).hidden = !sends || (id === "btn-media" && Boolean(local.camera));
  }
  $("observer-note").hidden = sends;
}

async function startCamera() {
  const error = $("media-error");
  error.hidden = true;
  try {
    local.camera = await navigator.mediaDevices.getUserMedia({
      audio: { echoCancellation: true, noiseSuppression: true },
      video: cameraConstraints(),
    });
  } catch (first) {
    try {
      local.camera = await navigator.mediaDevices.getUserMedia({ audio: true });
      error.textContent = t("No camera available: you take part with your microphone.");
      error.hidden = false;
    } catch (second) {
      error.textContent = t("No camera or microphone available: you can still follow, chat, raise your hand and vote.");
      error.hidden = false;
      return;
    }
  }
  $("local-video").srcObject = local.camera;
  $("btn-media").hidden = true;
  $("btn-mic").disabled = false;
  $("btn-cam").disabled = local.camera.getVideoTracks().length === 0;
  $("btn-screen").disabled = !(navigator.mediaDevices && navigator.mediaDevices.getDisplayMedia);
  // Starting muted, the others are told, so they see the badge; starting open is the default.
  setMic(local.micOn, !local.micOn);
  setCam(local.camera.getVideoTracks().length > 0);
  transport.localChanged("camera");
}

export function setMic(on, tell = true) {
  local.micOn = on;
  for (const track of local.camera ? local.camera.getAudioTracks() : []) {
    track.enabled = on;
  }
  $("btn-mic").textContent = on ? t("Mute") : t("Unmute");
  $("btn-mic").setAttribute("aria-pressed", String(!on));
  state.muted.set(state.you, !on);
  if (on) {
    $("start-muted").hidden = true;
  }
  relabel();
  if (tell && state.you) {
    call("media_muted", { muted: !on });
  }
}

// On entering the room, or entering it again after a dropped connection. A microphone not
// yet started follows the server's word on a large room (it starts off); one already running
// keeps the person's choice, and a closed one is said again: the server's new stay starts open.
export function enterWithMicrophone(startMuted) {
  if (local.camera) {
    if (!local.micOn) {
      call("media_muted", { muted: true });
    }
    return;
  }
  local.micOn = !startMuted;
  $("start-muted").hidden = !startMuted;
}

function setCam(on) {
  local.camOn = on;
  for (const track of local.camera ? local.camera.getVideoTracks() : []) {
    track.enabled = on;
  }
  $("btn-cam").textContent = on ? t("Camera off") : t("Camera on");
  $("btn-cam").setAttribute("aria-pressed", String(!on));
  $("me-media").hidden = on;
}

async function toggleScreen() {
  if (local.screen) {
    stopScreen();
    return;
  }
  try {
    local.screen = await navigator.mediaDevices.getDisplayMedia({ video: { frameRate: { max: 10 } }, audio: false });
  } catch (err) {
    return;
  }
  local.screen.getVideoTracks()[0].addEventListener("ended", stopScreen);
  $("local-video").srcObject = local.screen;
  $("btn-screen").textContent = t("Stop sharing");
  $("btn-screen").setAttribute("aria-pressed", "true");
  transport.localChanged("screen");
}

export function stopScreen() {
  if (!local.screen) {
    return;
  }
  for (const track of local.screen.getTracks()) {
    track.stop();
  }
  local.screen = null;
  $("local-video").srcObject = local.camera;
  $("btn-screen").textContent = t("Share screen");
  $("btn-screen").setAttribute("aria-pressed", "false");
  transport.localChanged("screen");
}

export function stopMedia() {
  stopScreen();
  for (const track of local.camera ? local.camera.getTracks() : []) {
    track.stop();
  }
  local.camera = null;
}

export function bindMediaButtons() {
  $("btn-media").addEventListener("click", startCamera);
  $("btn-mic").addEventListener("click", () => setMic(!local.micOn));
  $("btn-cam").addEventListener("click", () => setCam(!local.camOn));
  $("btn-screen").addEventListener("click", toggleScreen);
}
