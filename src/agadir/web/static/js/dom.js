// Tiny DOM helpers. Everything user- or model-supplied goes through text nodes, never innerHTML:
// the page renders untrusted model output and must not execute it.

/**
 * Create an element: h("button", {class: "x", onclick: fn, dir: "auto"}, "text", child).
 * Attributes starting with "on" become listeners; null/false attributes are skipped.
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (name.startsWith("on") && typeof value === "function") {
      el.addEventListener(name.slice(2), value);
    } else if (name === "dataset") {
      Object.assign(el.dataset, value);
    } else {
      el.setAttribute(name, value === true ? "" : String(value));
    }
  }
  append(el, children);
  return el;
}

/** Append strings (as text) and nodes, flattening arrays and skipping null. */
export function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

export function clear(el) {
  while (el.firstChild) el.firstChild.remove();
  return el;
}

export const $ = (selector, root = document) => root.querySelector(selector);

/** A small table: columns are [header, row => cell content]. */
export function table(columns, rows, attrs = {}) {
  const head = h("tr", {}, columns.map(([title]) => h("th", { scope: "col" }, title)));
  const body = rows.map((row) => h("tr", {}, columns.map(([, cell]) => h("td", {}, cell(row)))));
  return h("table", attrs, h("thead", {}, head), h("tbody", {}, body));
}

/** Format an ISO time in the interface language, short. */
export function when(iso, lang) {
  if (!iso) return "";
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return String(iso);
  return date.toLocaleString(lang, { dateStyle: "short", timeStyle: "short" });
}

export async function copyText(text) {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    // Clipboard API needs a secure context; localhost is one, but fall back for plain-IP hosts.
    const area = h("textarea", { class: "offscreen" });
    area.value = text;
    document.body.append(area);
    area.select();
    const ok = document.execCommand("copy");
    area.remove();
    return ok;
  }
}
