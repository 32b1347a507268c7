// Small DOM helpers for the meeting room: text only, never HTML from the network.

export const $ = (id) => document.getElementById(id);

export function el(tag, attrs, ...children) {
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
    if (child !== null && child !== undefined && child !== false) {
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
  }
  return node;
}

// A person's name isolated from the text around it (right-to-left names stay whole).
export function nameOf(person, suffix) {
  return el("bdi", { dir: "auto" }, person ? person.name : "", suffix || "");
}

export function notice(text, kind = "info") {
  const box = $("notice");
  box.className = `flash flash-${kind}`;
  box.textContent = text;
  box.hidden = !text;
}

// The page's messages and time format (app.js, from the page's JSON data block).
export const t = (message, values) => window.emisa.t(message, values);

export function timeOf(iso) {
  return window.emisa.time(iso);
}
