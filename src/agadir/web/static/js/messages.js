// One chat message as DOM: body (dir="auto"), detected-language badge, sources, actions.
// Rendering is a pure function of the stored message, so a reload redraws the same thing.

import { h, copyText } from "./dom.js";
import { t, languageName } from "./i18n.js";
import { renderAnswer, sourceList } from "./citations.js";
import { ApiError } from "./api.js";

/** Errors are stored as data and explained at render time, in the current language. */
export function storedError(error) {
  return {
    kind: error.kind,
    status: error.status,
    message: error.serverMessage,
    retryAfter: error.retryAfter,
  };
}

export function explainStored(stored) {
  if (!stored) return "";
  const { kind, ...rest } = stored;
  return new ApiError(kind, rest).explain();
}

function badge(message) {
  if (!message.lang || message.lang === "und") return null;
  return h(
    "span",
    { class: "lang-badge", title: `${t("detected")}: ${message.lang}`, dataset: { lang: message.lang } },
    languageName(message.lang),
  );
}

function actions(message, { onRetry, isLast }) {
  if (message.role !== "assistant" || message.status === "streaming") return null;
  const copy = h("button", { type: "button", class: "action copy" }, t("copy"));
  copy.addEventListener("click", async () => {
    if (await copyText(message.content)) {
      copy.textContent = t("copied");
      setTimeout(() => (copy.textContent = t("copy")), 1500);
    }
  });
  const retry = isLast
    ? h("button", { type: "button", class: "action retry", onclick: onRetry }, t("retry"))
    : null;
  return h("div", { class: "actions" }, message.content ? copy : null, retry);
}

/** Fill a message body: plain text for the user, text with citation buttons for answers. */
export function fillBody(body, message) {
  if (message.role === "assistant") renderAnswer(body, message.content, message.citations);
  else body.textContent = message.content;
}

/** Who wrote it and, once detected, the language badge (replaced in place when it arrives). */
export function metaElement(message) {
  const who = message.role === "user" ? t("you") : t("assistant");
  return h("div", { class: "meta" }, h("span", { class: "who" }, who), badge(message));
}

/** The <li> for one message; `onRetry` is wired on the last answer only. */
export function messageElement(message, { onRetry, isLast, index }) {
  const body = h("div", { class: "body", dir: "auto" });
  fillBody(body, message);
  const status =
    message.status === "stopped"
      ? h("span", { class: "status" }, t("stopped"))
      : message.status === "error"
        ? h("span", { class: "status error", role: "note" }, explainStored(message.error))
        : null;
  return h(
    "li",
    {
      class: `msg ${message.role} ${message.status ?? "done"}`,
      dataset: { status: message.status ?? "done", index: String(index) },
    },
    metaElement(message),
    body,
    status,
    sourceList(message.citations),
    actions(message, { onRetry, isLast }),
  );
}
