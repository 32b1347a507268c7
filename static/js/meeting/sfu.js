// Media through the platform's SFU (Janus, driven by the server): one peer connection sends
// this page's camera (three simulcast layers) and one its screen; a single peer connection
// receives everyone else's streams. All negotiation goes through the /meetings socket, which
// names participants and this page's own mids only. Video of tiles out of view is not
// forwarded, and each visible tile receives the layer that fits its size.

import { call, socket } from "./connection.js";
import { notice } from "./dom.js";
import { local } from "./media.js";
import { config, state } from "./state.js";
import * as tiles from "./tiles.js";

const SIMULCAST = [
  { rid: "h", active: true, maxBitrate: 900000 },
  { rid: "m", active: true, maxBitrate: 300000, scaleResolutionDownBy: 2 },
  { rid: "l", active: true, maxBitrate: 100000, scaleResolutionDownBy: 4 },
];

const publishers = { camera: null, screen: null };
let subscriber = null;
const available = new Map(); // "participant:kind" -> {participant, kind}
const streams = new Map(); // "participant:kind" -> MediaStream shown on its tile
let negotiating = Promise.resolve();
// The server handles each event in its own thread: a tile hidden then shown at once sent
// "stop" and "send" together, Janus could apply them in the wrong order and the tile got no
// video for good. Each request now waits for the answer to the one before.
let configuring = Promise.resolve();

function track(name, pc) {
  config.root.dataset[`${name}State`] = pc.connectionState;
}

// ICE candidates wait until the server has set the peer connection up, then follow it.
function connection(name) {
  const entry = { pc: new RTCPeerConnection({ iceServers: config.iceServers }), ready: false, queue: [] };
  entry.pc.addEventListener("icecandidate", ({ candidate }) => {
    const line = candidate ? candidate.toJSON() : null;
    if (entry.ready) {
      call("media_trickle", { pc: name, candidate: line });
    } else {
      entry.queue.push(line);
    }
  });
  entry.pc.addEventListener("connectionstatechange", () => track(name, entry.pc));
  track(name, entry.pc);
  return entry;
}

function ready(name, entry) {
  entry.ready = true;
  for (const line of entry.queue.splice(0)) {
    call("media_trickle", { pc: name, candidate: line });
  }
}

function close(name, entry) {
  entry.pc.close();
  config.root.dataset[`${name}State`] = "closed";
}

async function publish(kind) {
  const stream = kind === "camera" ? local.camera : local.screen;
  if (!stream || !state.media.publish || !state.you) {
    return;
  }
  unpublish(kind, false);
  const entry = connection(kind);
  publishers[kind] = entry;
  for (const audio of stream.getAudioTracks()) {
    entry.pc.addTransceiver(audio, { direction: "sendonly", streams: [stream] });
  }
  for (const video of stream.getVideoTracks()) {
    const init = { direction: "sendonly", streams: [stream] };
    if (kind === "camera") {
      init.sendEncodings = SIMULCAST;
    }
    entry.pc.addTransceiver(video, init);
  }
  const offer = await entry.pc.createOffer();
  await entry.pc.setLocalDescription(offer);
  const answer = await call("media_publish", { kind, jsep: { type: offer.type, sdp: offer.sdp } });
  if (publishers[kind] !== entry) {
    return; // stopped or replaced meanwhile
  }
  if (!answer.ok) {
    notice(answer.error, "danger");
    close(kind, entry);
    publishers[kind] = null;
    return;
  }
  await entry.pc.setRemoteDescription(answer.jsep);
  ready(kind, entry);
}

function unpublish(kind, tell = true) {
  const entry = publishers[kind];
  if (!entry) {
    return;
  }
  close(kind, entry);
  publishers[kind] = null;
  if (tell) {
    call("media_unpublish", { kind });
  }
}

async function subscribeTo(keys) {
  const feeds = keys.map((key) => available.get(key)).filter(Boolean);
  if (!feeds.length) {
    return;
  }
  const answer = await call("media_subscribe", { feeds });
  if (!answer.ok && !state.ended) {
    console.warn("subscription refused", answer.error);
  }
}

function receiver() {
  if (!subscriber) {
    subscriber = connection("subscriber");
    subscriber.streams = new Map(); // mid -> {participant, kind, type, active}
    subscriber.sent = new Map(); // mid -> what was last asked for its video
    subscriber.pc.addEventListener("track", () => showStreams());
  }
  return subscriber;
}

async function onOffer({ jsep, streams: described }) {
  const entry = receiver();
  entry.streams = new Map(described.map((stream) => [stream.mid, stream]));
  await entry.pc.setRemoteDescription(jsep);
  const answer = await entry.pc.createAnswer();
  await entry.pc.setLocalDescription(answer);
  const reply = await call("media_answer", { jsep: { type: "answer", sdp: answer.sdp } });
  if (!reply.ok) {
    console.warn("answer refused", reply.error);
    return;
  }
  ready("subscriber", entry);
  showStreams();
}

// One MediaStream per person and kind, from the subscription's live m-lines.
function showStreams() {
  if (!subscriber) {
    return;
  }
  const grouped = new Map();
  for (const transceiver of subscriber.pc.getTransceivers()) {
    const info = subscriber.streams.get(transceiver.mid);
    if (!info || !info.active || !info.participant || !state.participants.has(info.participant)) {
      continue;
    }
    const key = tiles.keyOf(info.participant, info.kind);
    grouped.set(key, [...(grouped.get(key) || []), transceiver.receiver.track]);
  }
  for (const [key, tracks] of grouped) {
    const [participant, kind] = key.split(":");
    let stream = streams.get(key);
    const same = stream && stream.getTracks().length === tracks.length
      && tracks.every((t) => stream.getTracks().includes(t));
    if (!same) {
      stream = new MediaStream(tracks);
      streams.set(key, stream);
    }
    tiles.show(participant, kind, stream);
    tiles.connectionState(tiles.find(participant, kind), subscriber.pc.connectionState === "connected" ? "connected" : "connecting");
  }
  for (const key of [...streams.keys()]) {
    if (!grouped.has(key)) {
      streams.delete(key);
      const [participant, kind] = key.split(":");
      tiles.remove(participant, kind);
    }
  }
  sfu.layoutChanged();
}

function forget(participant) {
  for (const key of [...available.keys()]) {
    if (available.get(key).participant === participant) {
      available.delete(key);
    }
  }
}

export const sfu = {
  mode: "sfu",
  bind() {
    socket.on("media_feed", ({ participant, kind, active }) => {
      if (participant === state.you || !state.participants.has(participant)) {
        return;
      }
      const key = tiles.keyOf(participant, kind);
      if (active) {
        available.set(key, { participant, kind });
        subscribeTo([key]);
      } else {
        available.delete(key);
      }
    });
    socket.on("media_offer", (message) => {
      negotiating = negotiating.then(() => onOffer(message)).catch((err) => console.warn("negotiation failed", err));
    });
    socket.on("media_talking", ({ participant, talking }) => tiles.setTalking(participant, talking));
    socket.on("media_closed", ({ pc }) => {
      if (pc === "subscriber") {
        if (subscriber) {
          close("subscriber", subscriber);
          subscriber = null;
        }
        streams.clear();
        for (const figure of tiles.all()) {
          tiles.remove(figure.dataset.participant, figure.dataset.kind);
        }
      } else if (publishers[pc]) {
        close(pc, publishers[pc]);
        publishers[pc] = null;
      }
    });
    socket.on("media_reset", ({ message }) => {
      notice(message, "warning");
      this.stop();
      setTimeout(() => state.you && !state.ended && this.start(), 3000);
    });
    window.addEventListener("resize", () => this.layoutChanged());
  },
  async start() {
    const answer = await call("media_feeds");
    if (!answer.ok) {
      notice(answer.error, "warning");
      return;
    }
    available.clear();
    for (const feed of answer.feeds) {
      if (feed.participant !== state.you && state.participants.has(feed.participant)) {
        available.set(tiles.keyOf(feed.participant, feed.kind), { participant: feed.participant, kind: feed.kind });
        if (feed.talking) {
          tiles.setTalking(feed.participant, true);
        }
      }
    }
    subscribeTo([...available.keys()]);
    await publish("camera");
    await publish("screen");
  },
  presence() {
    for (const figure of tiles.all()) {
      if (!state.participants.has(figure.dataset.participant)) {
        forget(figure.dataset.participant);
        streams.delete(tiles.keyOf(figure.dataset.participant, figure.dataset.kind));
        tiles.remove(figure.dataset.participant, figure.dataset.kind);
      }
    }
    for (const { participant } of [...available.values()]) {
      if (!state.participants.has(participant)) {
        forget(participant);
      }
    }
  },
  localChanged(kind) {
    const stream = kind === "camera" ? local.camera : local.screen;
    if (stream) {
      publish(kind);
    } else {
      unpublish(kind);
    }
  },
  layoutChanged() {
    if (!subscriber) {
      return;
    }
    for (const [mid, info] of subscriber.streams) {
      if (info.type !== "video" || !info.active) {
        continue;
      }
      const { visible, layer } = tiles.visibility(info.participant, info.kind);
      const wanted = `${info.participant}:${info.kind}:${visible}:${layer}`;
      if (subscriber.sent.get(mid) !== wanted) {
        const entry = subscriber;
        entry.sent.set(mid, wanted);
        const request = { mid, video: visible, substream: info.kind === "camera" ? layer : null };
        configuring = configuring
          .then(() => call("media_configure", request))
          .then((answer) => answer.ok || entry.sent.delete(mid)); // asked again at the next look
      }
    }
  },
  stop() {
    for (const kind of Object.keys(publishers)) {
      if (publishers[kind]) {
        close(kind, publishers[kind]);
        publishers[kind] = null;
      }
    }
    if (subscriber) {
      close("subscriber", subscriber);
      subscriber = null;
    }
    available.clear();
    streams.clear();
    tiles.removeAll();
  },
  measured() {
    if (!subscriber) {
      return [];
    }
    const found = [];
    for (const transceiver of subscriber.pc.getTransceivers()) {
      const info = subscriber.streams.get(transceiver.mid);
      if (info && info.active && info.type === "video") {
        const id = transceiver.receiver.track.id;
        found.push({
          figure: tiles.find(info.participant, info.kind),
          pc: subscriber.pc,
          matches: (report) => report.trackIdentifier === id,
        });
      }
    }
    return found;
  },
  outbound() {
    return Object.values(publishers).filter(Boolean).map((entry) => entry.pc);
  },
};
