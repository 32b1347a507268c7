// Connection quality from WebRTC statistics, every two seconds: each tile shows how its
// video arrives (lost packets, jitter) and counts frames decoded; the header shows how this
// page's own sending fares (loss and round trip reported back by the receiver).

import { $, t } from "./dom.js";
import { state } from "./state.js";
import * as tiles from "./tiles.js";

const PERIOD = 2000;
const previous = new WeakMap(); // figure -> {lost, received}

function level(lossRate, jitter) {
  if (lossRate > 0.08 || jitter > 0.1) {
    return "poor";
  }
  return lossRate > 0.02 || jitter > 0.03 ? "fair" : "good";
}

async function reports(pc, cache) {
  if (!cache.has(pc)) {
    cache.set(pc, pc.getStats().then((stats) => [...stats.values()]).catch(() => []));
  }
  return cache.get(pc);
}

async function measure(transport) {
  const cache = new Map();
  for (const { figure, pc, matches } of transport.measured()) {
    if (!figure) {
      continue;
    }
    const inbound = (await reports(pc, cache)).find((r) => r.type === "inbound-rtp" && matches(r));
    if (!inbound) {
      continue;
    }
    const before = previous.get(figure) || { lost: 0, received: 0 };
    const lost = Math.max(0, (inbound.packetsLost || 0) - before.lost);
    const received = Math.max(0, (inbound.packetsReceived || 0) - before.received);
    previous.set(figure, { lost: inbound.packetsLost || 0, received: inbound.packetsReceived || 0 });
    const rate = lost + received ? lost / (lost + received) : 0;
    tiles.quality(figure, level(rate, inbound.jitter || 0), inbound.framesDecoded || 0);
  }
  let worst = null;
  for (const pc of transport.outbound()) {
    for (const report of await reports(pc, cache)) {
      if (report.type === "remote-inbound-rtp") {
        const seen = level(report.fractionLost || 0, report.jitter || 0);
        const order = ["good", "fair", "poor"];
        worst = worst && order.indexOf(worst) >= order.indexOf(seen) ? worst : seen;
      }
    }
  }
  const own = $("quality");
  own.hidden = !worst;
  own.textContent = worst ? t("Your connection: %(quality)s", { quality: t(worst) }) : "";
  own.dataset.quality = worst || "";
}

export function watchQuality(currentTransport) {
  setInterval(() => {
    const transport = currentTransport();
    if (transport && state.you && !state.ended) {
      transport.layoutChanged(); // retries a tile's layer or visibility the server missed
      measure(transport).catch((err) => console.warn("statistics failed", err));
    }
  }, PERIOD);
}
