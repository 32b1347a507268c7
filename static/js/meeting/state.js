// The room's state as this page knows it; the server's events keep it current.

const root = document.getElementById("room");

export const config = {
  root,
  meetingId: Number(root.dataset.meetingId),
  iceServers: JSON.parse(root.dataset.iceServers || "[]"),
  chatMax: Number(root.dataset.chatMax || 2000),
  detailUrl: root.dataset.detailUrl,
};

export const state = {
  you: null,
  participants: new Map(), // participant id -> {id, user_id, name, country, organisation, role, hand}
  can: { chat: false, vote: false, chair: false },
  media: { mode: "mesh", publish: false, mesh_limit: 5 },
  meeting: null,
  hands: [],
  polls: new Map(),
  muted: new Map(), // participant id -> true when their microphone is off
  talking: null, // participant id of the active speaker
  ended: false,
  handRaised: false,
};

export function me() {
  return state.participants.get(state.you);
}
