// Media without a media server: one RTCPeerConnection per other participant, one audio and
// one video transceiver each, negotiated once ("perfect negotiation": the smaller id offers,
// the other is polite). Starting the camera, muting and sharing the screen only replace
// tracks. Carries about five people with video: each one uploads a stream per other person.

import { socket } from "./connection.js";
import { local } from "./media.js";
import { config, state } from "./state.js";
import * as tiles from "./tiles.js";

const VIDEO_MAX_BITRATE = 600000; // per peer; a mesh multiplies it by the number of peers
const peers = new Map();

function localTrack(kind) {
  if (kind === "video" && local.screen) {
    return local.screen.getVideoTracks()[0] || null;
  }
  return local.camera ? local.camera.getTracks().find((t) => t.kind === kind) || null : null;
}

function updateSenders() {
  for (const peer of peers.values()) {
    for (const transceiver of peer.pc.getTransceivers()) {
      const kind = transceiver.receiver.track.kind;
      transceiver.sender.replaceTrack(localTrack(kind)).catch(() => {});
    }
  }
}

function makePeer(pid, initiator) {
  const pc = new RTCPeerConnection({ iceServers: config.iceServers });
  const peer = { pc, polite: state.you > pid, makingOffer: false, ignoreOffer: false, stream: new MediaStream() };
  peers.set(pid, peer);
  const figure = tiles.tile(pid, "camera");
  tiles.show(pid, "camera", peer.stream);
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
    figure.querySelector("video").srcObject = peer.stream;
  });
  pc.addEventListener("connectionstatechange", () => {
    tiles.connectionState(figure, pc.connectionState);
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

function closePeer(pid) {
  const peer = peers.get(pid);
  if (peer) {
    peer.pc.close();
    peers.delete(pid);
  }
  tiles.remove(pid, "camera");
}

export const mesh = {
  mode: "mesh",
  bind() {
    socket.on("signal", onSignal);
  },
  start() {
    this.presence();
  },
  presence() {
    if (!state.you) {
      return;
    }
    for (const pid of [...peers.keys()]) {
      if (!state.participants.has(pid)) {
        closePeer(pid);
      }
    }
    for (const pid of state.participants.keys()) {
      if (pid !== state.you && !peers.has(pid) && state.you < pid) {
        makePeer(pid, true);
      }
    }
  },
  localChanged() {
    updateSenders();
  },
  layoutChanged() {},
  stop() {
    for (const pid of [...peers.keys()]) {
      closePeer(pid);
    }
  },
  // Inbound video of each tile: [figure, peer connection, the report's filter].
  measured() {
    return [...peers.entries()].map(([pid, peer]) => ({
      figure: tiles.find(pid, "camera"),
      pc: peer.pc,
      matches: (report) => report.kind === "video",
    }));
  },
  outbound() {
    return [...peers.values()].map((peer) => peer.pc);
  },
};
