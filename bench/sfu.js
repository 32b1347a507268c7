// Synthetic meeting participants for bench/sfu.py, all in one Chromium page: each has its own
// Socket.IO connection (its own API token) and peer connections, and sends the page's fake
// camera at low resolution and its fake microphone (silent), or a voice for those who
// talk. No rendering: the benchmark reads getStats only.
//
// SFU: every participant publishes through the platform (media_publish) and subscribes to
// every other's stream (media_subscribe, media_offer, media_answer), as static/js/meeting/
// sfu.js does, without trickle: offers and answers carry their (loopback) candidates.
// Mesh: every pair of participants shares one peer connection in each direction, negotiated
// inside the page (what the platform relays in a mesh does not touch the media path).

const bench = {
  participants: [],
  meshPairs: [],
  capture: null,
  bitrate: window.benchBitrate || 300000, // set by bench/sfu.py before the page loads
};

async function captured(width, height, fps) {
  if (!bench.capture) {
    bench.capture = await navigator.mediaDevices.getUserMedia({
      audio: true,
      video: { width: { exact: width }, height: { exact: height }, frameRate: { max: fps } },
    });
  }
  return bench.capture;
}

// Candidates in the description itself: gathering on loopback without STUN is immediate.
function gathered(pc) {
  if (pc.iceGatheringState === "complete") {
    return Promise.resolve();
  }
  return new Promise((resolve) => {
    pc.addEventListener("icegatheringstatechange", () => {
      if (pc.iceGatheringState === "complete") {
        resolve();
      }
    });
  });
}

function emit(socket, event, data) {
  return new Promise((resolve) => {
    socket.timeout(60000).emit(event, data, (err, answer) => resolve(err ? { ok: false, error: String(err) } : answer));
  });
}

// A participant who talks: a voice-like signal (a sawtooth whose pitch drifts and whose
// loudness moves at the pace of syllables) instead of the page's quiet microphone. It never
// falls silent, so Opus never pauses it: the most a talker sends.
function voice() {
  const context = new AudioContext();
  const source = context.createOscillator();
  source.type = "sawtooth";
  source.frequency.value = 140;
  const loudness = context.createGain();
  loudness.gain.value = 0.3;
  const modulate = (param, hertz, depth) => {
    const wave = context.createOscillator();
    const amount = context.createGain();
    wave.frequency.value = hertz;
    amount.gain.value = depth;
    wave.connect(amount).connect(param);
    wave.start();
  };
  modulate(source.frequency, 0.5, 30);
  modulate(loudness.gain, 4, 0.2);
  const out = context.createMediaStreamDestination();
  source.connect(loudness).connect(out);
  source.start();
  return out.stream.getAudioTracks()[0];
}

function send(pc, stream, video) {
  pc.addTransceiver(stream.getAudioTracks()[0], { direction: "sendonly", streams: [stream] });
  if (video) {
    pc.addTransceiver(stream.getVideoTracks()[0], {
      direction: "sendonly",
      streams: [stream],
      sendEncodings: [{ maxBitrate: bench.bitrate }],
    });
  }
}

async function joinSfu(token, meetingId, video, talking, width, height, fps) {
  const capture = await captured(width, height, fps);
  const stream = talking ? new MediaStream([voice(), ...capture.getVideoTracks()]) : capture;
  const socket = io("/meetings", { auth: { token }, transports: ["websocket"], forceNew: true });
  await new Promise((resolve) => socket.on("connect", resolve));
  const joined = await emit(socket, "join", { meeting_id: meetingId });
  if (!joined.ok) {
    throw new Error(`join refused: ${joined.error}`);
  }
  const me = {
    socket,
    you: joined.you,
    talking,
    publisher: new RTCPeerConnection(),
    subscriber: null,
    sources: new Map(), // mid received -> the participant it comes from
    negotiating: Promise.resolve(),
  };
  bench.participants.push(me);
  const subscribe = (feeds) => feeds.length && emit(socket, "media_subscribe", { feeds });
  socket.on("media_feed", ({ participant, kind, active }) => {
    if (active && participant !== me.you) {
      subscribe([{ participant, kind }]);
    }
  });
  socket.on("media_offer", ({ jsep, streams }) => {
    for (const { mid, participant } of streams) {
      me.sources.set(mid, participant);
    }
    me.negotiating = me.negotiating.then(async () => {
      me.subscriber = me.subscriber || new RTCPeerConnection();
      await me.subscriber.setRemoteDescription(jsep);
      await me.subscriber.setLocalDescription(await me.subscriber.createAnswer());
      await gathered(me.subscriber);
      await emit(socket, "media_answer", { jsep: { type: "answer", sdp: me.subscriber.localDescription.sdp } });
    }).catch((err) => console.warn("subscription failed", err));
  });
  send(me.publisher, stream, video);
  await me.publisher.setLocalDescription(await me.publisher.createOffer());
  await gathered(me.publisher);
  const answer = await emit(socket, "media_publish", {
    kind: "camera",
    jsep: { type: "offer", sdp: me.publisher.localDescription.sdp },
  });
  if (!answer.ok) {
    throw new Error(`publishing refused: ${answer.error}`);
  }
  await me.publisher.setRemoteDescription(answer.jsep);
  const feeds = await emit(socket, "media_feeds", {});
  await subscribe(feeds.feeds.filter((f) => f.participant !== me.you).map(({ participant, kind }) => ({ participant, kind })));
}

// A participant who cannot join in time fails the room size instead of hanging the run.
function joinSfuWithin(ms, ...args) {
  const late = new Promise((_, reject) => setTimeout(() => reject(new Error(`not joined within ${ms} ms`)), ms));
  return Promise.race([joinSfu(...args), late]);
}

async function joinMesh(count, videoCount, width, height, fps) {
  const stream = await captured(width, height, fps);
  const peers = Array.from({ length: count }, () => ({ outbound: [], inbound: [] }));
  for (let a = 0; a < count; a += 1) {
    for (let b = 0; b < count; b += 1) {
      if (a === b) {
        continue;
      }
      const sender = new RTCPeerConnection();
      const receiver = new RTCPeerConnection();
      send(sender, stream, a < videoCount);
      await sender.setLocalDescription(await sender.createOffer());
      await gathered(sender);
      await receiver.setRemoteDescription(sender.localDescription);
      await receiver.setLocalDescription(await receiver.createAnswer());
      await gathered(receiver);
      await sender.setRemoteDescription(receiver.localDescription);
      peers[a].outbound.push(sender);
      peers[b].inbound.push(receiver);
    }
  }
  bench.meshPairs = peers;
}

// Totals over peer connections; received audio also per participant it comes from (SFU).
async function counters(pcs, type, sources = new Map()) {
  const total = {
    bytes: 0, frames: 0, packets: 0, audioPackets: 0, videoPackets: 0, lost: 0, decoded: 0,
    videoStreams: 0, audioStreams: 0, audioFrom: {},
  };
  for (const pc of pcs) {
    for (const report of (await pc.getStats()).values()) {
      if (report.type !== type) {
        continue;
      }
      const packets = (type === "outbound-rtp" ? report.packetsSent : report.packetsReceived) || 0;
      total.packets += packets;
      total[report.kind === "audio" ? "audioPackets" : "videoPackets"] += packets;
      if (type === "outbound-rtp") {
        total.bytes += report.bytesSent || 0;
        total.frames += report.framesEncoded || 0;
      } else {
        total.lost += Math.max(0, report.packetsLost || 0);
        if (report.kind === "video") {
          total.decoded += report.framesDecoded || 0;
          total.videoStreams += (report.framesDecoded || 0) > 0 ? 1 : 0;
        } else {
          total.audioStreams += packets > 0 ? 1 : 0;
          const source = sources.get(report.mid);
          if (source) {
            total.audioFrom[source] = (total.audioFrom[source] || 0) + packets;
          }
        }
      }
    }
  }
  return total;
}

// One sample per participant: what it sent and what it received.
async function sample(mode) {
  const people = mode === "sfu"
    ? bench.participants.map((p) => ({
      you: p.you,
      talking: p.talking,
      outbound: [p.publisher],
      inbound: p.subscriber ? [p.subscriber] : [],
      sources: p.sources,
    }))
    : bench.meshPairs;
  return Promise.all(people.map(async (p) => ({
    you: p.you,
    talking: p.talking,
    sent: await counters(p.outbound, "outbound-rtp"),
    received: await counters(p.inbound, "inbound-rtp", p.sources),
  })));
}

window.bench = { joinSfuWithin, joinMesh, sample, state: bench };
