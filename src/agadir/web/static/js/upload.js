// Upload documents to a knowledge base from the admin view: drop files on the zone (or choose
// them with the button, which is what keyboard and screen-reader users do), and each file gets
// its own line with a progress bar and the server's verdict (added, replaced, unchanged, or
// skipped and why). Files go one request each, one after the other: a bad file never hides
// the others' results, and a big upload does not hog the server. The checks are the server's
// own (POST /v1/knowledge/{kb}/documents); nothing is decided here.
//
// The server may answer a big file with 202 and a job to follow instead of the report: then
// the line polls that job until it ends and shows its report the same way.

import { h, clear } from "./dom.js";
import { t, value, formatNumber } from "./i18n.js";

const POLL_MS = 1000;
const FINISHED = new Set(["done", "completed", "succeeded", "failed", "error", "cancelled", "canceled"]);

/** The per-file verdict line from one entry of the ingest report. */
function verdict(file) {
  const parts = [value(file.status)];
  if (file.chunks) {
    parts.push(file.chunks === 1 ? t("passageOne") : t("passagesCount", { n: formatNumber(file.chunks) }));
  }
  if (file.reason) parts.push(file.reason);
  return parts.join(" — ");
}

/** Where to follow a 202: the Location header, the body's url, or the documented jobs path. */
function jobUrl(kb, reply) {
  if (reply.location) return reply.location;
  if (reply.body?.url) return reply.body.url;
  const id = reply.body?.job_id ?? reply.body?.id;
  return `/v1/knowledge/${encodeURIComponent(kb.name)}/jobs/${encodeURIComponent(id)}`;
}

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

class FileLine {
  constructor(file) {
    this.progress = h("progress", { max: "100", value: "0", "aria-label": t("uploadProgress", { name: file.name }) });
    this.report = h("span", { class: "report", dir: "auto" }, t("uploadWaiting"));
    this.el = h(
      "li",
      { class: "upload-file", dataset: { name: file.name, status: "waiting" } },
      h("span", { class: "name", dir: "auto" }, file.name),
      this.progress,
      this.report,
    );
  }

  set(status, text, fraction = null) {
    this.el.dataset.status = status;
    this.report.textContent = text;
    if (fraction !== null) this.progress.value = Math.round(fraction * 100);
  }
}

async function follow(api, kb, reply, line) {
  const url = jobUrl(kb, reply);
  for (;;) {
    const job = await api.get(url);
    const p = job.progress ?? {};
    const fraction = p.files_total ? p.files_done / p.files_total : null;
    line.set("processing", `${value(job.status ?? "running")}…`, fraction);
    if (FINISHED.has(job.status)) return job.report ?? job.result ?? job;
    await sleep(POLL_MS);
  }
}

async function sendOne(api, kb, file, line) {
  const form = new FormData();
  form.append("files", file, file.name);
  const path = `/v1/knowledge/${encodeURIComponent(kb.name)}/documents`;
  line.set("uploading", t("uploading"), 0);
  let reply;
  try {
    reply = await api.upload(path, form, (fraction) => line.set("uploading", t("uploading"), fraction));
  } catch (error) {
    line.set("error", error.explain ? error.explain() : String(error));
    return;
  }
  line.set("processing", t("uploadProcessing"), 1);
  let report = reply.body;
  if (reply.status === 202) {
    try {
      report = await follow(api, kb, reply, line);
    } catch (error) {
      line.set("error", error.explain ? error.explain() : String(error));
      return;
    }
  }
  const entry = report?.files?.find((f) => f.name === file.name) ?? report?.files?.[0];
  if (!entry) {
    line.set(report?.status === "failed" ? "error" : "done", report?.error ?? value(report?.status ?? "done"));
    return;
  }
  line.set(entry.status === "skipped" ? "skipped" : "done", verdict(entry), 1);
  line.el.dataset.result = entry.status;
}

/** The drop zone and file button for one knowledge base; onDone(zone) after each batch. */
export function uploadZone({ api, kb, onDone }) {
  const input = h("input", { type: "file", multiple: true, hidden: true, class: "upload-input" });
  const choose = h("button", { type: "button", class: "choose" }, t("chooseFiles"));
  const list = h("ul", { class: "upload-list", "aria-live": "polite" });
  const zone = h(
    "div",
    { class: "upload", dataset: { kb: kb.name } },
    h("p", { class: "hint" }, t("dropFiles", { kb: kb.title || kb.name }), " ", choose),
    input,
    list,
  );
  let queue = Promise.resolve();
  const take = (files) => {
    const lines = [...files].map((file) => [file, new FileLine(file)]);
    if (lines.length === 0) return;
    clear(list).append(...lines.map(([, line]) => line.el));
    queue = queue.then(async () => {
      for (const [file, line] of lines) await sendOne(api, kb, file, line);
      await onDone(zone);
    });
  };
  choose.addEventListener("click", () => input.click());
  input.addEventListener("change", () => {
    take(input.files);
    input.value = "";
  });
  zone.addEventListener("dragover", (event) => {
    event.preventDefault();
    zone.classList.add("over");
  });
  zone.addEventListener("dragleave", () => zone.classList.remove("over"));
  zone.addEventListener("drop", (event) => {
    event.preventDefault();
    zone.classList.remove("over");
    take(event.dataTransfer?.files ?? []);
  });
  return zone;
}
