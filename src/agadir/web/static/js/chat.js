// The chat view: model/knowledge-base picker, conversation history, streaming with stop,
// retry and copy. Failures never drop the conversation: the answer being written keeps what
// arrived, is marked, and the notice says what happened and what to do.

import { h, clear, $ } from "./dom.js";
import { t } from "./i18n.js";
import { fillBody, messageElement, metaElement, storedError } from "./messages.js";

const CHAT = "/v1/chat/completions";

function isKnowledge(model) {
  return model.owned_by === "knowledge" || String(model.id).startsWith("kb:");
}

/** What the model sees: finished turns only (a failed, empty answer is not history). */
function requestMessages(messages) {
  return messages
    .filter((m) => m.role === "user" || (m.content && m.status !== "error"))
    .map((m) => ({ role: m.role, content: m.content }));
}

export class ChatView {
  /** notice: {show(error, actions), clear()}; onAuthLost handled by the Api. */
  constructor({ api, store, notice, arabizi }) {
    this.api = api;
    this.store = store;
    this.notice = notice;
    this.arabizi = arabizi;
    this.controller = null;
    this.models = [];
    this.defaultModel = null;
    this.conversation = store.current();
    this.list = $("#messages");
    this.picker = $("#model");
    this.prompt = $("#prompt");
    this.picker.addEventListener("change", () => this.onModelChange());
    $("#composer").addEventListener("submit", (event) => {
      event.preventDefault();
      this.sendPrompt();
    });
    this.prompt.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        this.sendPrompt();
      }
    });
    $("#stop").addEventListener("click", () => this.stop());
    // Escape stops an answer from the keyboard wherever the focus is (but closes a dialog first).
    document.addEventListener("keydown", (event) => {
      if (event.key === "Escape" && this.busy && !document.querySelector("dialog[open]")) this.stop();
    });
    $("#new-conversation").addEventListener("click", () => this.newConversation());
    $("#clear-history").addEventListener("click", () => this.clearHistory());
    document.addEventListener("agadir:language", () => this.render());
  }

  get busy() {
    return this.controller !== null;
  }

  /** Fill the picker from /v1/models (and knowledge-base titles when the API has them). */
  async loadModels() {
    const [models, health, knowledge] = await Promise.all([
      this.api.get("/v1/models"),
      fetch("/healthz", { cache: "no-store" })
        .then((r) => (r.ok ? r.json() : null))
        .catch(() => null),
      this.api.get("/v1/knowledge").catch(() => null),
    ]);
    const titles = new Map((knowledge?.data ?? []).map((kb) => [`kb:${kb.name}`, kb.title]));
    this.models = (models.data ?? []).filter(
      (m) => isKnowledge(m) || !m.capabilities || m.capabilities.includes("chat"),
    );
    this.defaultModel = health?.default_model ?? null;
    const option = (m) => h("option", { value: m.id }, titles.get(m.id) || m.id);
    const plain = this.models.filter((m) => !isKnowledge(m));
    const bases = this.models.filter(isKnowledge);
    clear(this.picker).append(
      h("optgroup", { label: t("models"), "data-i18n-group": "models" }, plain.map(option)),
      bases.length
        ? h("optgroup", { label: t("knowledgeBases"), "data-i18n-group": "kb" }, bases.map(option))
        : "",
    );
    this.picker.value = this.preferredModel();
  }

  preferredModel() {
    const ids = this.models.map((m) => m.id);
    for (const id of [this.conversation?.model, this.defaultModel]) {
      if (id && ids.includes(id)) return id;
    }
    return this.models.find((m) => !isKnowledge(m))?.id ?? ids[0] ?? "";
  }

  onModelChange() {
    if (this.conversation) {
      this.conversation.model = this.picker.value;
      this.store.touch(this.conversation);
    }
  }

  newConversation() {
    if (this.busy) this.stop();
    this.conversation = this.store.create(this.picker.value);
    this.notice.clear();
    this.render();
    this.prompt.focus();
  }

  open(id) {
    if (this.busy) return;
    this.conversation = this.store.get(id);
    this.store.setCurrent(id);
    if (this.conversation?.model) this.picker.value = this.preferredModel();
    this.notice.clear();
    this.render();
  }

  clearHistory() {
    if (this.busy) this.stop();
    this.store.clear();
    this.conversation = null;
    this.render();
  }

  render() {
    this.renderHistory();
    clear(this.list);
    const messages = this.conversation?.messages ?? [];
    if (messages.length === 0) {
      this.list.append(h("li", { class: "empty" }, t("emptyConversation")));
      return;
    }
    const last = messages.length - 1;
    messages.forEach((message, i) => {
      this.list.append(
        messageElement(message, { isLast: i === last, index: i, onRetry: () => this.retry() }),
      );
    });
    this.list.lastElementChild?.scrollIntoView({ block: "end" });
  }

  renderHistory() {
    const nav = clear($("#history-list"));
    for (const c of this.store.list()) {
      const current = c.id === this.conversation?.id;
      nav.append(
        h(
          "li",
          {},
          h(
            "button",
            {
              type: "button",
              class: current ? "conversation current" : "conversation",
              "aria-current": current ? "true" : null,
              dir: "auto",
              onclick: () => this.open(c.id),
            },
            c.title || t("untitled"),
          ),
        ),
      );
    }
  }

  async sendPrompt() {
    if (this.busy) return;
    await this.arabizi.flush();
    const text = this.prompt.value.trim();
    if (!text) return;
    if (!this.conversation) this.conversation = this.store.create(this.picker.value);
    this.conversation.model = this.picker.value;
    this.conversation.messages.push({ role: "user", content: text });
    this.prompt.value = "";
    this.store.touch(this.conversation);
    await this.answer();
  }

  /** Ask again from the last user message (after a failure, a stop, or to get another take). */
  async retry() {
    if (this.busy || !this.conversation) return;
    const messages = this.conversation.messages;
    if (messages.at(-1)?.role === "assistant") messages.pop();
    if (messages.at(-1)?.role !== "user") return;
    this.conversation.model = this.picker.value;
    await this.answer();
  }

  stop() {
    this.controller?.abort();
  }

  setBusy(busy) {
    $("#send").hidden = busy;
    $("#stop").hidden = !busy;
    this.picker.disabled = busy;
  }

  async answer() {
    const conversation = this.conversation;
    const model = conversation.model;
    const history = requestMessages(conversation.messages);
    const answer = { role: "assistant", content: "", status: "streaming", model };
    conversation.messages.push(answer);
    this.notice.clear();
    this.render();
    const body = this.list.lastElementChild.querySelector(".body");
    this.controller = new AbortController();
    this.setBusy(true);
    let frame = 0;
    try {
      const events = this.api.stream(CHAT, { model, messages: history }, this.controller.signal);
      for await (const event of events) {
        const choice = event.choices?.[0];
        const piece = choice?.delta?.content;
        if (piece) {
          answer.content += piece;
          frame ||= requestAnimationFrame(() => {
            frame = 0;
            fillBody(body, answer);
          });
        }
        if (event.citations) answer.citations = event.citations;
      }
      answer.status = "done";
    } catch (error) {
      if (error.kind === "aborted") {
        answer.status = "stopped";
      } else {
        answer.status = "error";
        answer.error = storedError(error);
        this.notice.show(error, { retry: () => this.retry() });
      }
    } finally {
      cancelAnimationFrame(frame);
      this.controller = null;
      this.setBusy(false);
      this.store.touch(conversation);
      if (conversation === this.conversation) this.render();
    }
    if (answer.status === "done") this.detectLanguages(conversation, answer);
  }

  /** Tag the last question and its answer with their detected language (best effort). */
  async detectLanguages(conversation, answer) {
    const question = conversation.messages.at(-2);
    const targets = [question, answer].filter((m) => m && m.content && !m.lang);
    if (targets.length === 0) return;
    try {
      const result = await this.api.post("/v1/lang/identify", {
        input: targets.map((m) => m.content.slice(0, 2000)),
        top_k: 1,
      });
      result.data.forEach((d) => (targets[d.index].lang = d.language));
    } catch {
      return; // no `lang` scope, rate-limited, offline: the badge is a nicety
    }
    this.store.touch(conversation);
    if (conversation !== this.conversation) return;
    for (const message of targets) {
      const index = conversation.messages.indexOf(message);
      const meta = this.list.querySelector(`li.msg[data-index="${index}"] .meta`);
      meta?.replaceWith(metaElement(message)); // in place: no re-render, selection kept
    }
    this.renderHistory();
  }
}
