// Small progressive enhancements; the platform works without them.
"use strict";

document.addEventListener("submit", (event) => {
  const form = event.target;
  const question = form.dataset ? form.dataset.confirm : null;
  if (question && !window.confirm(question)) {
    event.preventDefault();
  }
});

// The main menu folds behind a button on narrow screens. Without this script the button stays
// hidden and the menu shown; the stylesheet decides from the width whether the button shows.
function setUpMenu() {
  const button = document.querySelector(".menu-toggle[aria-controls]");
  const menu = button ? document.getElementById(button.getAttribute("aria-controls")) : null;
  if (!menu) return;
  const setOpen = (open) => button.setAttribute("aria-expanded", String(open));
  setOpen(false);
  button.hidden = false;
  button.addEventListener("click", () => setOpen(button.getAttribute("aria-expanded") !== "true"));
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && button.getAttribute("aria-expanded") === "true") {
      setOpen(false);
      button.focus();
    }
  });
}

document.addEventListener("DOMContentLoaded", () => {
  setUpMenu();
  // Show UTC timestamps in the reader's own time zone.
  for (const node of document.querySelectorAll("time[data-local]")) {
    const date = new Date(node.getAttribute("datetime"));
    if (!Number.isNaN(date.getTime())) {
      node.title = node.textContent;
      node.textContent = date.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
    }
  }
});
