// Document uploads: drag and drop, several files, one request per file with a progress bar.
// Without this script the forms still work (one file, a full page post).
"use strict";

(() => {
  const formatSize = (bytes) => {
    const units = ["B", "KiB", "MiB", "GiB"];
    let value = bytes;
    let unit = 0;
    while (value >= 1024 && unit < units.length - 1) { value /= 1024; unit += 1; }
    return unit === 0 ? `${value} B` : `${value.toFixed(1)} ${units[unit]}`;
  };

  const toggleDependent = (form) => {
    for (const node of form.querySelectorAll("[data-show-for]")) {
      const wanted = node.dataset.showFor;
      const source = wanted.startsWith("TLP:") ? form.querySelector("#tlp") : form.querySelector("#handling_code");
      node.hidden = !source || source.value !== wanted;
    }
  };

  const sendOne = (form, file, fields, row) => new Promise((resolve) => {
    const bar = row.querySelector("progress");
    const status = row.querySelector(".status");
    const data = new FormData();
    for (const [name, value] of fields) { data.append(name, value); }
    data.append("file", file, file.name);
    const xhr = new XMLHttpRequest();
    xhr.open("POST", form.action);
    xhr.setRequestHeader("X-CSRFToken", form.elements.csrf_token.value);
    xhr.setRequestHeader("Accept", "application/json");
    xhr.upload.addEventListener("progress", (event) => {
      if (event.lengthComputable) {
        bar.max = event.total;
        bar.value = event.loaded;
        status.textContent = `${Math.floor((100 * event.loaded) / event.total)} %`;
      }
    });
    xhr.addEventListener("load", () => {
      let body = null;
      try { body = JSON.parse(xhr.responseText); } catch (_error) { body = null; }
      if (xhr.status === 201 && body) {
        bar.value = bar.max;
        row.classList.add("done");
        status.textContent = window.emisa.t("encrypted and stored");
        if (body.url) {
          const link = document.createElement("a");
          link.href = body.url;
          link.textContent = window.emisa.t("view the document");
          status.append(" · ", link);
        }
        resolve(true);
      } else {
        row.classList.add("failed");
        status.textContent = body && body.error ? body.error.message : window.emisa.t("failed (%(status)s)", { status: xhr.status });
        resolve(false);
      }
    });
    xhr.addEventListener("error", () => {
      row.classList.add("failed");
      status.textContent = window.emisa.t("the connection failed; nothing was stored");
      resolve(false);
    });
    xhr.send(data);
  });

  // The document list below the form, fetched again in place: its "N of M" and rows then
  // include what was just stored, and the upload statuses (failures too) stay in view.
  const refreshList = async () => {
    const current = document.getElementById("document-list");
    if (!current) { return false; }
    try {
      const answer = await fetch(window.location.href, {
        credentials: "same-origin",
        headers: { Accept: "text/html" },
      });
      if (!answer.ok) { return false; }
      const page = new DOMParser().parseFromString(await answer.text(), "text/html");
      const fresh = page.getElementById("document-list");
      if (!fresh) { return false; }
      current.replaceWith(document.importNode(fresh, true));
      return true;
    } catch (_error) {
      return false;
    }
  };

  const setUp = (form) => {
    const input = form.querySelector("input[type=file]");
    const zone = form.querySelector(".dropzone");
    const list = form.querySelector(".uploads");
    const single = form.dataset.single === "1";
    const maxBytes = Number(form.dataset.maxBytes || 0);
    let queued = [];

    const show = () => {
      list.replaceChildren();
      for (const file of queued) {
        const row = document.createElement("li");
        const name = document.createElement("span");
        name.className = "name";
        const fileName = document.createElement("bdi");
        fileName.dir = "auto";
        fileName.textContent = file.name;
        name.append(fileName, ` (${formatSize(file.size)})`);
        const bar = document.createElement("progress");
        bar.max = 1;
        bar.value = 0;
        const status = document.createElement("span");
        status.className = "status";
        if (maxBytes && file.size > maxBytes) {
          row.classList.add("failed");
          status.textContent = window.emisa.t("larger than the maximum of %(max)s", { max: form.dataset.maxLabel });
        } else {
          status.textContent = window.emisa.t("ready");
        }
        row.append(name, bar, status);
        list.append(row);
      }
    };
    const take = (files) => {
      queued = single ? Array.from(files).slice(0, 1) : Array.from(files);
      show();
    };

    input.addEventListener("change", () => take(input.files));
    for (const name of ["dragenter", "dragover"]) {
      zone.addEventListener(name, (event) => { event.preventDefault(); zone.classList.add("over"); });
    }
    for (const name of ["dragleave", "drop"]) {
      zone.addEventListener(name, () => zone.classList.remove("over"));
    }
    zone.addEventListener("drop", (event) => {
      event.preventDefault();
      if (event.dataTransfer && event.dataTransfer.files.length) { take(event.dataTransfer.files); }
    });

    form.addEventListener("change", () => toggleDependent(form));
    toggleDependent(form);

    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      if (!queued.length) { take(input.files); }
      if (!queued.length) { input.focus(); return; }
      const button = form.querySelector("button[type=submit]");
      button.disabled = true;
      const base = new FormData(form);
      base.delete("file");
      base.delete("csrf_token");
      const title = (base.get("title") || "").trim();
      const rows = list.querySelectorAll("li");
      let ok = 0;
      for (let index = 0; index < queued.length; index += 1) {
        const file = queued[index];
        const row = rows[index];
        if (row.classList.contains("failed")) { continue; }
        const fields = [];
        for (const [name, value] of base.entries()) {
          if (name === "title" && !single) {
            fields.push([name, queued.length > 1 && title ? `${title} (${file.name})` : title]);
          } else {
            fields.push([name, value]);
          }
        }
        row.querySelector(".status").textContent = window.emisa.t("sending…");
        if (await sendOne(form, file, fields, row)) { ok += 1; }
      }
      button.disabled = false;
      if (!ok) { return; }
      if (single || !(await refreshList())) {
        // A new version: its page shows it once reloaded (as does a list that could not be
        // fetched again).
        window.setTimeout(() => window.location.reload(), 300);
        return;
      }
      queued = [];
      input.value = "";
    });
  };

  document.addEventListener("DOMContentLoaded", () => {
    for (const form of document.querySelectorAll("form.upload")) { setUp(form); }
  });
})();
