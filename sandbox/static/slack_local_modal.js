// slack-local modals: a view opened with views.open, rendered well enough to fill in and submit.
// Inputs supported: plain_text_input, static_select, external_select (options from the bot, asked
// as Slack asks: a signed block_suggestion sent by POST /slack-local/options, again as the user
// types), checkboxes, multi_users_select (the sandbox's users), radio_buttons. Field errors from
// the bot's response_action "errors" show under the field.
"use strict";

function inputElement(element, blockId) {
  const { el, state } = window.slackLocal;
  const id = `field-${blockId}`;
  switch (element.type) {
    case "plain_text_input":
      return element.multiline
        ? el("textarea", { id, rows: 3, maxlength: element.max_length })
        : el("input", { id, type: "text", maxlength: element.max_length });
    case "static_select":
      return el("select", { id },
        el("option", { value: "" }, (element.placeholder && element.placeholder.text) || "Choose…"),
        (element.options || []).map((o) => el("option", { value: o.value }, o.text.text)));
    case "external_select": {
      const select = el("select", { id, "data-external": "true" });
      const search = el("input", { type: "search", class: "suggest", "aria-label": "find", placeholder: "Type to find…" });
      const minimum = element.min_query_length === undefined ? 3 : element.min_query_length;
      let timer = null;
      search.addEventListener("input", () => {
        clearTimeout(timer);
        if (search.value.length >= minimum) timer = setTimeout(() => loadOptions(select, element, blockId, search.value), 250);
      });
      if (minimum === 0) loadOptions(select, element, blockId, "");
      else select.append(el("option", { value: "" }, "Type to find…"));
      return el("div", { class: "external" }, search, select);
    }
    case "multi_users_select":
      return el("select", { id, multiple: true, size: 2 },
        Object.entries(state.users).map(([uid, name]) => el("option", { value: uid }, `${name} (${uid})`)));
    case "checkboxes":
    case "radio_buttons":
      return el("div", { id }, (element.options || []).map((o) => el("label", {},
        el("input", { type: element.type === "checkboxes" ? "checkbox" : "radio", name: id, value: o.value }),
        " ", o.text.text, " ")));
    default:
      return el("div", { class: "hint" }, `[${element.type} is not rendered by slack-local]`);
  }
}

async function loadOptions(select, element, blockId, typed) {
  const { el, post, state } = window.slackLocal;
  const role = document.getElementById("role").value;
  const result = await post("/slack-local/options",
    { user: role, viewId: state.shownModal, blockId, actionId: element.action_id, value: typed });
  const options = result.ok ? result.options : [];
  const kept = select.value;
  const placeholder = (element.placeholder && element.placeholder.text) || "Choose…";
  select.replaceChildren(el("option", { value: "" }, result.ok ? placeholder : result.message || "no options"),
    ...options.map((o) => el("option", { value: o.value }, o.text.text)));
  if (options.some((o) => o.value === kept)) select.value = kept;
}

function readElement(element, node) {
  const base = { type: element.type };
  switch (element.type) {
    case "plain_text_input": return { ...base, value: node.value || null };
    case "static_select": {
      const option = (element.options || []).find((o) => o.value === node.value);
      return { ...base, selected_option: option ? { text: option.text, value: option.value } : null };
    }
    case "external_select": {
      const picked = node.querySelector("select").selectedOptions[0];
      return { ...base, selected_option: picked && picked.value
        ? { text: { type: "plain_text", text: picked.textContent }, value: picked.value } : null };
    }
    case "multi_users_select":
      return { ...base, selected_users: [...node.selectedOptions].map((o) => o.value) };
    case "checkboxes": {
      const picked = [...node.querySelectorAll("input:checked")].map((i) => i.value);
      return { ...base, selected_options: (element.options || []).filter((o) => picked.includes(o.value)) };
    }
    case "radio_buttons": {
      const picked = node.querySelector("input:checked");
      const option = picked && (element.options || []).find((o) => o.value === picked.value);
      return { ...base, selected_option: option || null };
    }
    default: return base;
  }
}

function openModal(record) {
  const { el, post, poll, state, textObject } = window.slackLocal;
  state.shownModal = record.viewId;
  const view = record.view || {};
  const inputs = [];
  const fields = (view.blocks || []).map((b) => {
    if (b.type !== "input") return el("div", { class: "block context" }, textObject(b.text || (b.elements || [])[0]));
    const node = inputElement(b.element, b.block_id);
    inputs.push({ block: b, node });
    return el("div", { class: "field", "data-block-id": b.block_id },
      el("label", { class: "title", for: `field-${b.block_id}` }, b.label.text,
        b.optional ? el("span", { class: "optional" }, " (optional)") : null),
      node, b.hint ? el("div", { class: "hint" }, b.hint.text) : null, el("div", { class: "error" }));
  });
  const close = async () => {
    document.getElementById("overlay").hidden = true;
    await post("/slack-local/close", { viewId: record.viewId });
    poll();
  };
  const submit = async (event) => {
    event.preventDefault();
    const values = {};
    for (const { block, node } of inputs) values[block.block_id] = { [block.element.action_id]: readElement(block.element, node) };
    for (const node of document.querySelectorAll("#dialog .field")) {
      node.classList.remove("invalid");
      node.querySelector(".error").textContent = "";
    }
    const role = document.getElementById("role").value;
    const result = await post("/slack-local/submit", { user: role, viewId: record.viewId, values });
    if (result.ok) { document.getElementById("overlay").hidden = true; poll(); return; }
    const errors = result.errors || { _: result.message || result.error };
    for (const [blockId, message] of Object.entries(errors)) {
      const field = document.querySelector(`#dialog .field[data-block-id="${CSS.escape(blockId)}"]`);
      if (field) { field.classList.add("invalid"); field.querySelector(".error").textContent = message; }
      else document.getElementById("modal-error").textContent = message;
    }
  };
  document.getElementById("dialog").replaceChildren(el("form", { id: "modal", onsubmit: submit },
    el("h2", {}, (view.title && view.title.text) || "Modal"),
    el("div", { class: "content" }, fields, el("div", { class: "field" }, el("div", { class: "error", id: "modal-error" }))),
    el("div", { class: "footer" },
      el("button", { type: "button", onclick: close }, (view.close && view.close.text) || "Cancel"),
      el("button", { type: "submit", class: "primary", id: "modal-submit" }, (view.submit && view.submit.text) || "Submit"))));
  document.getElementById("overlay").hidden = false;
}
