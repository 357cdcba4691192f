// Grounded answers: `[n]` markers in the text become buttons, a numbered source list follows,
// and a click opens the quoted passage with its document, page and knowledge base.
// The quote is the server-verified text of the chunk; we only ever set it as text.

import { h, clear, $ } from "./dom.js";
import { t } from "./i18n.js";

const MARKER = /\[(\d+)\]/g;

function citeButton(citation, label) {
  return h(
    "button",
    {
      type: "button",
      class: "cite",
      dataset: { index: String(citation.index) },
      "aria-label": `${t("sources")} ${citation.index}`,
      onclick: () => openCitation(citation),
    },
    label,
  );
}

/** Fill `body` with `text`, turning [n] markers that match a citation into buttons. */
export function renderAnswer(body, text, citations) {
  clear(body);
  const byIndex = new Map((citations || []).map((c) => [Number(c.index), c]));
  if (byIndex.size === 0) {
    body.textContent = text;
    return;
  }
  let at = 0;
  for (const match of text.matchAll(MARKER)) {
    const citation = byIndex.get(Number(match[1]));
    if (!citation) continue;
    body.append(text.slice(at, match.index), citeButton(citation, match[0]));
    at = match.index + match[0].length;
  }
  body.append(text.slice(at));
}

function describe(citation) {
  const name = citation.title || citation.document || citation.document_id || "";
  const page = citation.page != null ? ` — ${t("page")} ${citation.page}` : "";
  return `${name}${page}`;
}

/** The numbered list of sources under a grounded answer (null when there are none). */
export function sourceList(citations) {
  if (!citations || citations.length === 0) return null;
  return h(
    "div",
    { class: "sources" },
    h("span", { class: "sources-title" }, t("sources")),
    h(
      "ol",
      {},
      citations.map((c) =>
        h(
          "li",
          {},
          h(
            "button",
            {
              type: "button",
              class: "source",
              dataset: { index: String(c.index) },
              onclick: () => openCitation(c),
            },
            `[${c.index}] `,
            h("span", { dir: "auto" }, describe(c)),
          ),
        ),
      ),
    ),
  );
}

/** Show one citation in the dialog: quote, document, page, knowledge base. */
export function openCitation(citation) {
  const dialog = $("#citation-dialog");
  $("#citation-number", dialog).textContent = `[${citation.index}]`;
  $("#citation-quote", dialog).textContent = citation.quote ?? "";
  const facts = clear($("#citation-facts", dialog));
  const rows = [
    [t("document"), citation.title || citation.document || citation.document_id],
    [t("page"), citation.page],
    [t("knowledgeBase"), citation.kb],
  ];
  for (const [label, value] of rows) {
    if (value === null || value === undefined || value === "") continue;
    facts.append(h("dt", {}, label), h("dd", { dir: "auto" }, String(value)));
  }
  dialog.showModal();
}
