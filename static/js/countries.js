// Country choices (a group's allowed countries, an item's releasable-to): the long
// multiple select gains a search box, regional presets and a summary of what is chosen.
// Without this script the select works as it is.
"use strict";

(() => {
  const t = (message, values) => (window.emisa ? window.emisa.t(message, values) : message);
  const PRESETS = [
    ["EU-27", ["AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IE",
      "IT", "LV", "LT", "LU", "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE"]],
    ["MENA partners", ["DZ", "EG", "IQ", "JO", "LB", "LY", "MA", "TN"]],
    ["Sahel", ["BF", "ML", "MR", "NE", "TD"]],
    ["East Africa", ["BI", "DJ", "ER", "ET", "KE", "RW", "SO", "SS", "SD", "TZ", "UG"]],
  ];

  const enhance = (select) => {
    const box = document.createElement("div");
    box.className = "country-picker";
    const search = document.createElement("input");
    search.type = "search";
    search.placeholder = t("Find a country");
    search.setAttribute("aria-label", t("Find a country"));
    search.setAttribute("aria-controls", select.id);
    const presets = document.createElement("div");
    presets.className = "presets";
    presets.append(t("Add:"), " ");
    const summary = document.createElement("p");
    summary.className = "muted country-summary";
    summary.setAttribute("aria-live", "polite");

    const update = () => {
      const chosen = [...select.selectedOptions].map((option) => option.textContent.trim());
      summary.textContent = chosen.length
        ? t("%(num)s selected: %(names)s", { num: chosen.length, names: chosen.join(", ") })
        : t("None selected");
    };
    for (const [name, codes] of PRESETS) {
      const button = document.createElement("button");
      button.type = "button";
      button.className = "small";
      button.textContent = t(name);
      button.addEventListener("click", () => {
        for (const option of select.options) {
          if (codes.includes(option.value)) { option.selected = true; }
        }
        select.dispatchEvent(new Event("change", { bubbles: true }));
      });
      presets.append(button, " ");
    }
    const clear = document.createElement("button");
    clear.type = "button";
    clear.className = "small";
    clear.textContent = t("Clear");
    clear.addEventListener("click", () => {
      for (const option of select.options) { option.selected = false; }
      select.dispatchEvent(new Event("change", { bubbles: true }));
    });
    presets.append(clear);

    search.addEventListener("input", () => {
      const wanted = search.value.trim().toLocaleLowerCase();
      for (const option of select.options) {
        const text = `${option.textContent} ${option.value}`.toLocaleLowerCase();
        option.hidden = Boolean(wanted) && !text.includes(wanted);
      }
    });
    // A click chooses or drops one country without Ctrl: the others stay chosen.
    select.addEventListener("mousedown", (event) => {
      const option = event.target.closest("option");
      if (!option) { return; }
      event.preventDefault();
      option.selected = !option.selected;
      select.focus();
      select.dispatchEvent(new Event("change", { bubbles: true }));
    });
    select.addEventListener("change", update);
    select.before(box);
    box.append(search, presets);
    select.after(summary);
    update();
  };

  document.addEventListener("DOMContentLoaded", () => {
    const selects = document.querySelectorAll(
      "select[multiple][name$='allowed_countries'], select[multiple][name$='releasable_to']",
    );
    for (const select of selects) { enhance(select); }
  });
})();
