// Discussions: reply and quote buttons, @mention autocomplete, TLP:RED recipients.
// Progressive enhancement only: every action works without JavaScript.
"use strict";

(() => {
  const replyForm = () => document.querySelector("form.reply-form");

  // A name isolated from the text around it: an Arabic name in an English sentence stays whole.
  const isolated = (text) => {
    const node = document.createElement("bdi");
    node.dir = "auto";
    node.textContent = text;
    return node;
  };

  function replyTo(post, quote) {
    const form = replyForm();
    if (!form) return;
    form.querySelector("input[name=parent_id]").value = post.dataset.postId;
    const label = document.querySelector(".js-replying-to");
    if (label) {
      // The translated sentence around the name, the name isolated in it.
      const name = post.querySelector(".post-head strong").textContent;
      const [before, after = ""] = window.emisa.t("to %(name)s").split("%(name)s");
      label.replaceChildren(before, isolated(name), after);
      label.hidden = false;
      document.querySelector(".js-cancel-reply").hidden = false;
    }
    const textarea = form.querySelector("textarea");
    const insert = (text) => {
      if (text) {
        const quoted = text.trim().split("\n").map((line) => (line ? `> ${line}` : ">")).join("\n");
        textarea.value = `${textarea.value ? `${textarea.value}\n\n` : ""}${quoted}\n\n`;
      }
      textarea.focus();
      textarea.setSelectionRange(textarea.value.length, textarea.value.length);
    };
    if (!quote) {
      insert("");
      return;
    }
    // A selection is quoted as selected; a whole post as its author wrote it (its Markdown:
    // lists, tables and code survive), else as the text shown.
    const selected = window.getSelection().toString();
    const body = post.querySelector(".post-body");
    const shown = body ? body.innerText : "";
    if (selected.trim()) {
      insert(selected);
      return;
    }
    fetch(`${post.querySelector(".permalink").href}/source`, { credentials: "same-origin" })
      .then((answer) => (answer.ok ? answer.text() : shown))
      .catch(() => shown)
      .then(insert);
  }

  document.addEventListener("click", (event) => {
    const button = event.target.closest(".js-reply, .js-quote, .js-cancel-reply");
    if (!button) return;
    if (button.classList.contains("js-cancel-reply")) {
      replyForm().querySelector("input[name=parent_id]").value = "";
      document.querySelector(".js-replying-to").hidden = true;
      button.hidden = true;
      return;
    }
    replyTo(button.closest("article.post"), button.classList.contains("js-quote"));
  });

  // @mention autocomplete: names of the group's members, inserted as "@Full Name ".
  function setupMentions(editor) {
    const textarea = editor.querySelector("textarea[data-mentions]");
    const list = editor.querySelector(".mention-list");
    if (!textarea || !list) return;
    let members = null;
    let matches = [];
    let selected = 0;
    let start = -1;

    async function load() {
      if (members) return members;
      const response = await fetch(editor.dataset.membersUrl, { credentials: "same-origin" });
      members = response.ok ? await response.json() : [];
      return members;
    }

    function close() { list.hidden = true; matches = []; start = -1; }

    function render() {
      list.replaceChildren(...matches.map((member, index) => {
        const item = document.createElement("li");
        item.setAttribute("role", "option");
        item.setAttribute("aria-selected", String(index === selected));
        item.append(isolated(member.name), ` · ${member.country}`);
        item.addEventListener("mousedown", (e) => { e.preventDefault(); choose(index); });
        return item;
      }));
      list.hidden = matches.length === 0;
    }

    function choose(index) {
      const member = matches[index];
      if (!member || start < 0) return;
      const before = textarea.value.slice(0, start);
      const after = textarea.value.slice(textarea.selectionStart);
      textarea.value = `${before}@${member.name} ${after}`;
      const caret = before.length + member.name.length + 2;
      textarea.setSelectionRange(caret, caret);
      close();
      textarea.focus();
    }

    textarea.addEventListener("input", async () => {
      const upto = textarea.value.slice(0, textarea.selectionStart);
      const at = upto.lastIndexOf("@");
      if (at < 0 || (at > 0 && /[\p{L}\p{N}_]/u.test(upto[at - 1]))) { close(); return; }
      const typed = upto.slice(at + 1);
      if (typed.length > 40 || typed.includes("\n")) { close(); return; }
      const all = await load();
      const needle = typed.toLocaleLowerCase();
      matches = all.filter((m) => m.name.toLocaleLowerCase().includes(needle)).slice(0, 8);
      selected = 0;
      start = at;
      render();
    });

    textarea.addEventListener("keydown", (event) => {
      if (list.hidden) return;
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        event.preventDefault();
        const step = event.key === "ArrowDown" ? 1 : -1;
        selected = (selected + step + matches.length) % matches.length;
        render();
      } else if (event.key === "Enter" || event.key === "Tab") {
        event.preventDefault();
        choose(selected);
      } else if (event.key === "Escape") {
        close();
      }
    });
    textarea.addEventListener("blur", () => setTimeout(close, 150));
  }

  // Named recipients matter only for TLP:RED.
  function setupRecipients() {
    const box = document.querySelector(".recipients[data-show-for]");
    const select = document.querySelector("select[name=tlp]");
    if (!box || !select) return;
    const update = () => { box.hidden = select.value !== box.dataset.showFor; };
    select.addEventListener("change", update);
    update();
  }

  document.addEventListener("DOMContentLoaded", () => {
    document.querySelectorAll(".editor").forEach(setupMentions);
    setupRecipients();
  });
})();
