// Meeting pages: show invitees only for TLP:RED (app.js suggests the browser's time zone).
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  const tlp = document.querySelector("[data-tlp-select]");
  const invitees = document.querySelector("[data-invitees]");
  if (tlp && invitees) {
    const toggle = () => {
      invitees.hidden = tlp.value !== "TLP:RED";
    };
    tlp.addEventListener("change", toggle);
    toggle();
  }

  for (const input of document.querySelectorAll("[data-select-on-focus]")) {
    input.addEventListener("focus", () => input.select());
  }
});
