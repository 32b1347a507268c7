// Small progressive enhancements; the platform works without them.
"use strict";

// The page's language for scripts: translated messages and how to write dates, from the
// JSON data block base.html renders (id "emisa-i18n"). Scripts look messages up by their
// English text and fill in %(name)s placeholders.
window.emisa = (() => {
  let data = { locale: {}, strings: {} };
  try {
    data = JSON.parse(document.getElementById("emisa-i18n").textContent);
  } catch (_error) {
    // No data block: English, the browser's zone.
  }
  const tag = data.locale.tag || document.documentElement.lang || undefined;
  const zone = data.locale.zone || undefined;
  const format = (options) => new Intl.DateTimeFormat(tag, { timeZone: zone, ...options });
  return {
    t(message, values) {
      let text = data.strings[message] || message;
      for (const [name, value] of Object.entries(values || {})) {
        text = text.split(`%(${name})s`).join(String(value));
      }
      return text;
    },
    // Dates in the page's language and digits (-u-nu-latn unless the account chose arab),
    // in the account's time zone.
    time(iso) {
      const date = new Date(iso);
      return Number.isNaN(date.getTime()) ? "" : format({ hour: "2-digit", minute: "2-digit" }).format(date);
    },
    dateTime(iso) {
      const date = new Date(iso);
      return Number.isNaN(date.getTime()) ? "" : format({ dateStyle: "medium", timeStyle: "short" }).format(date);
    },
  };
})();

document.addEventListener("submit", (event) => {
  const form = event.target;
  const question = form.dataset ? form.dataset.confirm : null;
  if (question && !window.confirm(question)) {
    event.preventDefault();
  }
});

document.addEventListener("DOMContentLoaded", () => {
  // A time-zone choice (account page, first sign-in, meetings): suggest the browser's zone.
  for (const form of document.querySelectorAll("[data-zone-form]")) {
    const detected = Intl.DateTimeFormat().resolvedOptions().timeZone;
    const select = form.querySelector("select[name$='time_zone']");
    const known = detected && select && [...select.options].some((o) => o.value === detected);
    if (known && detected !== form.dataset.currentZone) {
      select.value = detected;
      let hint = form.querySelector("[data-zone-hint]");
      if (!hint) {
        hint = document.createElement("small");
        hint.className = "help";
        hint.dataset.zoneHint = "";
        select.after(hint);
      }
      hint.textContent = window.emisa.t("Your browser is set to %(zone)s; save to use it.", {
        zone: detected.replace(/_/g, " "),
      });
      hint.hidden = false;
    }
  }
});
