// slack-local: a Slack workspace look-alike for the sandbox. Plain DOM, no framework, no build step.
// Every piece of text from the bot or the user is put in the page with textContent / text nodes,
// never innerHTML. Links are made only from http(s) URLs.
// Channels: the sidebar lists /slack-local/channels.json; the page shows one channel at a time (its
// id in the URL's #fragment), sends commands from it, and can add one (POST /slack-local/channel).
"use strict";

const state = {
  info: null, lastJson: "", shownModal: null, users: {},
  channel: null, channels: [], lastChannelsJson: "", messages: [], seen: {},
};
const $ = (id) => document.getElementById(id);

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "class") node.className = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

function showError(message) {
  const box = $("error");
  box.textContent = message || "";
  box.hidden = !message;
}

function setStatus(message) { $("status").textContent = message; }

async function post(path, body) {
  const response = await fetch(path, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
  let data;
  try { data = await response.json(); } catch (e) { data = { ok: false, message: `HTTP ${response.status}` }; }
  if (!response.ok && data.ok !== false) data = { ok: false, message: data.message || `HTTP ${response.status}` };
  return data;
}

// ---- mrkdwn: entities, <url|label>, <@U…>, <!here>, *bold*, `code` ----
const ENTITIES = { "&amp;": "&", "&lt;": "<", "&gt;": ">" };
const decode = (text) => text.replace(/&(amp|lt|gt);/g, (m) => ENTITIES[m]);

function safeUrl(url) { return /^https?:\/\//i.test(url) ? url : null; }

function mrkdwn(text) {
  const out = [];
  const pattern = /<([^<>]+)>|\*([^*\n]+)\*|`([^`\n]+)`/g;
  let last = 0;
  for (const m of text.matchAll(pattern)) {
    if (m.index > last) out.push(decode(text.slice(last, m.index)));
    if (m[1] !== undefined) out.push(angle(m[1]));
    else if (m[2] !== undefined) out.push(el("b", {}, decode(m[2])));
    else out.push(el("code", {}, decode(m[3])));
    last = m.index + m[0].length;
  }
  if (last < text.length) out.push(decode(text.slice(last)));
  return out;
}

function angle(inner) {
  const [target, label] = inner.split("|", 2);
  if (target.startsWith("@")) return el("span", { class: "mention" }, "@" + (state.users[target.slice(1)] || target.slice(1)));
  if (target.startsWith("#")) return el("span", { class: "mention" }, "#" + (label || target.slice(1)));
  if (target.startsWith("!")) return el("span", { class: "mention" }, "@" + (label || target.slice(1).split("^")[0]));
  const url = safeUrl(decode(target));
  return url ? el("a", { href: url, target: "_blank", rel: "noopener" }, decode(label || target)) : decode(inner);
}

function textObject(obj) {
  if (!obj) return [];
  if (typeof obj === "string") return [obj];
  return obj.type === "mrkdwn" && !obj.verbatim_plain ? mrkdwn(obj.text || "") : [obj.text || ""];
}

// ---- Block Kit ----
function button(element, message, blockId) {
  const style = element.style === "primary" ? "primary" : element.style === "danger" ? "danger" : "";
  const label = (element.text && element.text.text) || element.action_id;
  if (element.url) {
    const url = safeUrl(element.url);
    return el("a", { class: "btn", href: url || "#", target: "_blank", rel: "noopener" }, label);
  }
  return el("button", {
    type: "button", class: style, "data-action-id": element.action_id,
    onclick: (event) => click(event.currentTarget, element, message, blockId, label),
  }, label);
}

function block(b, message) {
  switch (b.type) {
    case "header": return el("div", { class: "block header" }, textObject(b.text));
    case "divider": return el("div", { class: "block divider" });
    case "context": return el("div", { class: "block context" },
      (b.elements || []).map((e) => e.type === "image" ? `[${e.alt_text || "image"}] ` : el("span", {}, textObject(e), " ")));
    case "actions": return el("div", { class: "actions", "data-block-id": b.block_id },
      (b.elements || []).filter((e) => e.type === "button").map((e) => button(e, message, b.block_id)));
    case "section": {
      const parts = [];
      if (b.text) parts.push(el("div", {}, textObject(b.text)));
      if (b.fields) parts.push(el("div", { class: "fields" }, b.fields.map((f) => el("div", {}, textObject(f)))));
      if (b.accessory && b.accessory.type === "button") parts.push(el("div", { class: "actions" }, button(b.accessory, message, b.block_id)));
      return el("div", { class: "block section" }, parts);
    }
    case "rich_text": return el("div", { class: "block" }, JSON.stringify(b.elements));
    default: return el("div", { class: "block muted" }, `[${b.type} block]`);
  }
}

function messageNode(m, replies) {
  const ephemeral = m.kind !== "message" && !(m.kind === "response_url" && m.responseType === "in_channel");
  const when = new Date((m.receivedAt || 0) * 1000).toLocaleTimeString();
  const body = el("div", { class: "body" },
    el("div", {}, el("span", { class: "who" }, "drs-chatops", el("span", { class: "app-tag" }, "APP")),
      el("span", { class: "when" }, when, m.updatedAt ? " (edited)" : "")),
    ephemeral ? el("div", { class: "note-line" }, `Only visible to ${state.users[m.user] || "you"} · ${m.kind}`) : null,
    m.threadTs && m.replyBroadcast ? el("div", { class: "note-line" }, "replied to a thread, also sent to the channel") : null,
    (m.blocks && m.blocks.length ? m.blocks : [{ type: "section", text: { type: "mrkdwn", text: m.text || "" } }])
      .map((b) => block(b, m)));
  if (replies && replies.length) {
    body.append(el("div", { class: "note-line" }, `${replies.length} ${replies.length === 1 ? "reply" : "replies"}`));
    body.append(el("div", { class: "thread" }, replies.map((r) => messageNode(r, null))));
  }
  return el("div", { class: "msg" + (ephemeral ? " ephemeral" : ""), "data-ts": m.ts, "data-kind": m.kind },
    el("div", { class: "avatar" }, "DR"), body);
}

// ---- channels ----
const CHANNEL_ID = /^[A-Z0-9]{1,20}$/;

function channelName(id) {
  const found = state.channels.find((c) => c.id === id);
  return found ? found.name : id.toLowerCase();
}

function counts() {
  const by = {};
  for (const m of state.messages) if (m.kind !== "modal") by[m.channel] = (by[m.channel] || 0) + 1;
  return by;
}

function renderChannels() {
  const by = counts();
  const shownHome = window.slackLocalHome && window.slackLocalHome.role();
  const links = state.channels.map((c) => {
    const unread = c.id !== state.channel ? (by[c.id] || 0) - (state.seen[c.id] || 0) : 0;
    return el("div", {
      class: "channel" + (c.id === state.channel && !shownHome ? " active" : "") + (unread > 0 ? " unread" : ""),
      role: "button", tabindex: "0", "data-channel": c.id, id: `channel-${c.id}`,
      onclick: () => selectChannel(c.id),
    }, `# ${c.name}`, unread > 0 ? el("span", { class: "count" }, unread) : null);
  });
  $("channel-links").replaceChildren(...links);
}

async function pollChannels() {
  const text = await (await fetch("/slack-local/channels.json", { cache: "no-store" })).text();
  if (text !== state.lastChannelsJson) {
    state.lastChannelsJson = text;
    state.channels = JSON.parse(text);
    renderChannels();
    showChannelHeader();
  }
}

function showChannelHeader() {
  const name = channelName(state.channel);
  $("channel-name").textContent = `# ${name}`;
  $("channel-id").textContent = state.channel;
  document.title = `#${name} · slack-local (sandbox)`;
}

function selectChannel(id) {
  if (!CHANNEL_ID.test(id)) return;
  state.channel = id;
  if (location.hash !== `#${id}`) history.replaceState(null, "", `#${id}`);
  if (window.slackLocalHome) window.slackLocalHome.showPane(null);
  showChannelHeader();
  render(state.messages);
}

async function addChannel(event) {
  event.preventDefault();
  const name = $("new-channel-name").value.trim().toLowerCase().replace(/\s+/g, "-");
  if (!name) return;
  const role = $("role").value;
  const result = await post("/slack-local/channel", { user: role, name });
  if (!result.ok) { showError(result.message || result.error); return; }
  showError("");
  $("new-channel-name").value = "";
  $("new-channel").hidden = true;
  await pollChannels();
  selectChannel(result.channel.id);
  setStatus(`Created #${result.channel.name} as the sandbox ${role} and invited the bot.`);
}

function render(messages) {
  state.messages = messages;
  const list = $("messages");
  const atBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 40;
  const shown = messages.filter((m) => m.kind !== "modal" && m.channel === state.channel);
  const replies = {};
  for (const m of shown) if (m.threadTs) (replies[m.threadTs] = replies[m.threadTs] || []).push(m);
  const top = shown.filter((m) => !m.threadTs || m.replyBroadcast || !shown.some((p) => p.ts === m.threadTs));
  list.replaceChildren(...(top.length ? top.map((m) => messageNode(m, m.threadTs ? null : replies[m.ts]))
    : [el("p", { class: "muted" }, "No messages yet. Try /dr help, /dr plans or /dr run <plan>.")]));
  if (atBottom) list.scrollTop = list.scrollHeight;
  state.seen[state.channel] = counts()[state.channel] || 0;
  renderChannels();
  const modal = messages.filter((m) => m.kind === "modal" && !m.closed).pop();
  if (modal && state.shownModal !== modal.viewId) openModal(modal);
}

async function poll() {
  try {
    const response = await fetch("/slack-local/messages.json", { cache: "no-store" });
    const text = await response.text();
    if (text !== state.lastJson) { state.lastJson = text; render(JSON.parse(text)); }
    await pollChannels();
  } catch (e) { setStatus("The sandbox does not answer (stopped?): " + e); }
}

// ---- sending ----
async function send(event) {
  event.preventDefault();
  const text = $("command").value.trim();
  if (!text) return;
  const role = $("role").value;
  $("send").disabled = true;
  setStatus(`Sending ${text} as the sandbox ${role}…`);
  try {
    const result = await post("/slack-local/command", { user: role, text, channel: state.channel, channelName: channelName(state.channel) });
    if (result.ok) { showError(""); setStatus(`Sent ${text} as the sandbox ${role}: the bot acknowledged.`); $("command").value = "/dr "; }
    else { showError(result.message || result.error); setStatus(`${text} failed.`); }
  } finally { $("send").disabled = false; poll(); }
}

function confirmDialog(confirm) {
  return new Promise((resolve) => {
    const close = (answer) => { $("overlay").hidden = true; resolve(answer); };
    $("dialog").replaceChildren(
      el("h2", {}, (confirm.title && confirm.title.text) || "Are you sure?"),
      el("div", { class: "content" }, textObject(confirm.text)),
      el("div", { class: "footer" },
        el("button", { type: "button", onclick: () => close(false) }, (confirm.deny && confirm.deny.text) || "Cancel"),
        el("button", { type: "button", class: confirm.style === "danger" ? "danger" : "primary", id: "confirm-yes", onclick: () => close(true) },
          (confirm.confirm && confirm.confirm.text) || "Yes")));
    $("overlay").hidden = false;
  });
}

async function click(node, element, message, blockId, label) {
  if (element.confirm && !(await confirmDialog(element.confirm))) return;
  const role = message.home || $("role").value;
  node.disabled = true;
  setStatus(`Clicked ${label} as the sandbox ${role}…`);
  const common = { user: role, actionId: element.action_id, blockId: blockId || "", value: element.value || "", text: label };
  const result = message.home  // a button in a Home tab: a view, in no channel
    ? await post("/slack-local/home-action", common)
    : await post("/slack-local/action", { ...common, channel: message.channel, ts: message.ts });
  if (result.ok) { showError(""); setStatus(`Clicked ${label} as the sandbox ${role}: the bot acknowledged.`); }
  else { showError(result.message || result.error); node.disabled = false; setStatus(`${label} failed.`); }
  poll();
}

window.slackLocal = { mrkdwn, textObject, el, post, poll, state, block, showError, setStatus, renderChannels };
document.addEventListener("DOMContentLoaded", async () => {
  $("composer").addEventListener("submit", send);
  $("new-channel").addEventListener("submit", addChannel);
  $("add-channel").addEventListener("click", () => {
    $("new-channel").hidden = !$("new-channel").hidden;
    if (!$("new-channel").hidden) $("new-channel-name").focus();
  });
  window.addEventListener("hashchange", () => selectChannel(location.hash.slice(1)));
  const wanted = location.hash.slice(1);
  state.channel = CHANNEL_ID.test(wanted) ? wanted : "C0SANDBOX";
  showChannelHeader();
  try {
    state.info = await (await fetch("/_sandbox/info")).json();
    if (!CHANNEL_ID.test(wanted)) state.channel = state.info.slackChannelId || "C0SANDBOX";
    showChannelHeader();
    $("drs-label").textContent = state.info.drs.label;
    for (const [role, id] of Object.entries(state.info.slackUsers)) state.users[id] = `sandbox-${role}`;
    if (!state.info.functions.bot) showError("The Slack bot function is not deployed in this sandbox: commands answer 503.");
  } catch (e) { showError("Could not read /_sandbox/info: " + e); }
  poll();
  setInterval(poll, 1000);
});
