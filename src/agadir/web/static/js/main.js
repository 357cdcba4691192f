// Page start-up and the glue between views: language, sign-in, tabs, notices, Arabizi toggle.

import { $, clear, h } from "./dom.js";
import { t, setLanguage, initialLanguage } from "./i18n.js";
import { Api } from "./api.js";
import { session, ConversationStore } from "./store.js";
import { ChatView } from "./chat.js";
import { AdminView } from "./admin.js";
import { ArabiziHelper } from "./arabizi.js";

const signin = $("#signin");
const chatSection = $("#chat");
const adminSection = $("#admin");

/** The chat's notice line: what happened and what to do, with the buttons that do it. */
const notice = {
  el: $("#notice"),
  show(error, { retry } = {}) {
    clear(this.el).append(h("span", { class: "text" }, error.explain()));
    this.el.dataset.kind = error.kind;
    if (retry && error.kind !== "auth" && error.kind !== "scope") {
      this.el.append(h("button", { type: "button", class: "retry", onclick: retry }, t("retry")));
    }
    if (error.kind === "auth") {
      this.el.append(h("button", { type: "button", onclick: () => showSignIn() }, t("signInAgain")));
    }
    this.el.hidden = false;
  },
  clear() {
    clear(this.el);
    delete this.el.dataset.kind;
    this.el.hidden = true;
  },
};

const api = new Api(
  () => session.key(),
  (error) => {
    // The key stopped working (revoked, expired, tenant disabled): forget it, keep everything
    // else on screen, and offer the sign-in form above the conversation.
    session.forgetKey();
    showSignIn(error.explain());
  },
);

const store = new ConversationStore();
const arabizi = new ArabiziHelper($("#prompt"), api, {
  onState: (state) => {
    const label = $("#arabizi-state");
    label.textContent = state === "busy" ? "…" : state === "unavailable" ? t("arabiziUnavailable") : "";
    label.dataset.state = state;
  },
});
const chat = new ChatView({ api, store, notice, arabizi });
const admin = new AdminView({ api });

function showSignIn(message = "") {
  signin.hidden = false;
  $("#signin-error").textContent = message;
  $("#key").value = "";
  $("#key").focus();
  $("#composer fieldset").disabled = true;
}

function selectTab(name) {
  const adminOn = name === "admin";
  chatSection.hidden = adminOn;
  adminSection.hidden = !adminOn;
  $("#tab-chat").setAttribute("aria-selected", String(!adminOn));
  $("#tab-admin").setAttribute("aria-selected", String(adminOn));
  if (adminOn) admin.show();
}

async function probeAdmin() {
  // One admin call tells whether to offer the admin view; a 403 just hides the tab.
  try {
    await api.get("/admin/tenants");
    $("#tab-admin").hidden = false;
  } catch {
    $("#tab-admin").hidden = true;
  }
}

/** Validate the key with GET /v1/models; on success show the chat. */
async function enter() {
  await chat.loadModels();
  signin.hidden = true;
  $("#signin-error").textContent = "";
  $("#composer fieldset").disabled = false;
  $("#tabs").hidden = false;
  $("#sign-out").hidden = false;
  if (adminSection.hidden) chatSection.hidden = false;
  chat.render();
  probeAdmin();
  if (!chatSection.hidden) $("#prompt").focus(); // keyboard users land where they type
}

$("#signin-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const key = $("#key").value.trim();
  if (!key) {
    $("#signin-error").textContent = t("errEmptyKey");
    return;
  }
  session.setKey(key);
  try {
    await enter();
    notice.clear();
  } catch (error) {
    session.forgetKey();
    $("#signin-error").textContent = error.explain ? error.explain() : String(error);
  }
});

$("#sign-out").addEventListener("click", () => {
  chat.stop();
  session.forgetKey();
  chatSection.hidden = true;
  adminSection.hidden = true;
  $("#tabs").hidden = true;
  $("#tab-admin").hidden = true;
  $("#sign-out").hidden = true;
  showSignIn();
});

$("#tab-chat").addEventListener("click", () => selectTab("chat"));
$("#tab-admin").addEventListener("click", () => selectTab("admin"));

$("#arabizi").addEventListener("change", (event) => arabizi.setEnabled(event.target.checked));

const languagePicker = $("#ui-lang");
languagePicker.addEventListener("change", () => setLanguage(languagePicker.value));
document.addEventListener("agadir:language", () => {
  for (const group of document.querySelectorAll("optgroup[data-i18n-group]")) {
    group.label = t(group.dataset.i18nGroup === "kb" ? "knowledgeBases" : "models");
  }
  if (!adminSection.hidden) admin.show();
});

for (const dialog of document.querySelectorAll("dialog")) {
  // a click on the backdrop closes, like Escape does
  dialog.addEventListener("click", (event) => {
    if (event.target === dialog) dialog.close();
  });
}

setLanguage(initialLanguage());
languagePicker.value = document.documentElement.lang;
if (session.key()) {
  enter().catch((error) => showSignIn(error.explain ? error.explain() : String(error)));
}
document.body.dataset.ready = "true";
performance.mark("agadir-ready"); // bench/bench_web.py: the page is drawn and usable
