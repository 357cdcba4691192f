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

/**
 * A small table: columns are [header, row => cell content]; `caption` names it for screen
 * readers. It sits in a box that scrolls sideways on its own (reachable with the keyboard), so
 * a wide table never makes the page wider than a phone screen. An empty header (a column of
 * buttons) gets an off-screen `actions` label.
 */
export function table(columns, rows, attrs = {}, { caption = "", actions = "" } = {}) {
  const header = (title) => title || h("span", { class: "offscreen" }, actions || caption);
  const head = h("tr", {}, columns.map(([title]) => h("th", { scope: "col" }, header(title))));
  const body = rows.map((row) => h("tr", {}, columns.map(([, cell]) => h("td", {}, cell(row)))));
  const tableEl = h("table", attrs, h("thead", {}, head), h("tbody", {}, body));
  return h("div", { class: "table-scroll", tabindex: "0", role: "region", "aria-label": caption }, tableEl);
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
