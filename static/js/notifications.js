// The bell's dropdown: recent notifications under the top bar's link. Without this script
// the bell is a plain link to the notifications page.
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  const link = document.querySelector(".bell-link");
  const panel = document.querySelector(".bell-panel");
  if (!link || !panel) {
    return;
  }
  const close = () => {
    panel.hidden = true;
    link.setAttribute("aria-expanded", "false");
  };
  link.addEventListener("click", async (event) => {
    event.preventDefault();
    if (!panel.hidden) {
      close();
      return;
    }
    try {
      const answer = await fetch(link.dataset.recent, {
        credentials: "same-origin",
        headers: { Accept: "text/html" },
      });
      if (!answer.ok) {
        window.location.assign(link.href);
        return;
      }
      // A fragment the platform rendered and escaped itself.
      panel.innerHTML = await answer.text();
    } catch (_error) {
      window.location.assign(link.href);
      return;
    }
    panel.hidden = false;
    link.setAttribute("aria-expanded", "true");
    const first = panel.querySelector("button, a");
    if (first) {
      first.focus();
    }
  });
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && !panel.hidden) {
      close();
      link.focus();
    }
  });
  document.addEventListener("click", (event) => {
    if (!panel.hidden && !panel.contains(event.target) && !link.contains(event.target)) {
      close();
    }
  });
});
