// slack-local Home tabs: one per sandbox user, as Slack shows an app's Home. Opening one sends the
// signed app_home_opened event for that user (POST /slack-local/home); the page then shows what the
// bot published with views.publish (POST /slack-local/home-view, polled), and its buttons send the
// click of a home tab (POST /slack-local/home-action). Text goes in with text nodes only.
"use strict";

const home = { role: null, lastJson: "" };

function showPane(role) {
  home.role = role;
  home.lastJson = "";
  document.getElementById("home").hidden = !role;
  document.getElementById("messages").hidden = !!role;
  document.getElementById("composer").hidden = !!role;
  window.slackLocal.renderChannels();  // no channel is highlighted while a Home tab shows
  for (const link of document.querySelectorAll("#home-links .channel")) {
    link.classList.toggle("active", link.dataset.role === role);
  }
}

async function openHome(role) {
  const { post, showError, setStatus } = window.slackLocal;
  showPane(role);
  document.getElementById("role").value = role;  // a modal opened from this home is submitted as this user
  document.getElementById("home").replaceChildren(document.createTextNode("Opening the Home tab…"));
  const result = await post("/slack-local/home", { user: role });
  if (result.ok) { showError(""); setStatus(`Opened the Home tab of the sandbox ${role}: the bot acknowledged.`); }
  else showError(result.message || result.error);
  pollHome();
}

async function pollHome() {
  if (!home.role) return;
  const { post } = window.slackLocal;
  const result = await post("/slack-local/home-view", { user: home.role });
  const text = JSON.stringify(result.view || null);
  if (text !== home.lastJson) { home.lastJson = text; renderHome(result.view); }
}

function renderHome(view) {
  const { el, block } = window.slackLocal;
  const pane = document.getElementById("home");
  if (!view) { pane.replaceChildren(el("p", { class: "muted" }, "Waiting for the bot to publish this Home tab…")); return; }
  const pseudo = { home: home.role };
  pane.replaceChildren(el("div", { class: "home-view", "data-user": home.role }, (view.blocks || []).map((b) => block(b, pseudo))));
}

window.slackLocalHome = { showPane, role: () => home.role };
document.addEventListener("DOMContentLoaded", () => {
  const wait = setInterval(() => {
    const { state, el } = window.slackLocal;
    if (!state.info) return;
    clearInterval(wait);
    const links = Object.keys(state.info.slackUsers).map((role) =>
      el("div", { class: "channel", role: "button", tabindex: "0", "data-role": role, id: `home-${role}`,
        onclick: () => openHome(role) }, `Home · sandbox ${role}`));
    document.getElementById("home-links").replaceChildren(...links);
  }, 200);
  setInterval(pollHome, 1000);
});
