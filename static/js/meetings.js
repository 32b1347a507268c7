// Meeting pages: suggest the browser's time zone, show invitees only for TLP:RED.
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  const form = document.querySelector("[data-zone-form]");
  if (form) {
    const detected = Intl.DateTimeFormat().resolvedOptions().timeZone;
    const select = form.querySelector("select");
    const hint = form.querySelector("[data-zone-hint]");
    const known = detected && select && [...select.options].some((o) => o.value === detected);
    if (known && detected !== form.dataset.currentZone) {
      select.value = detected;
      hint.textContent = `Your browser is set to ${detected.replace(/_/g, " ")}; save to use it.`;
      hint.hidden = false;
    }
  }

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
