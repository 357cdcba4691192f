// The admin view (keys with the `admin` scope): tenants and keys, usage per tenant with a
// chart, the audit-log tail with filters and chain verification, knowledge bases and erasure.
// It is a client of the documented /admin/* and /v1/knowledge API, nothing more: every action
// it takes is audited by the server like the same call from curl.

import { h, clear, $, table, copyText } from "./dom.js";
import { t, value, formatDate, formatNumber } from "./i18n.js";
import { barChart } from "./chart.js";
import { uploadZone } from "./upload.js";

/** Ask for confirmation in the page's <dialog>; resolves true only on "Confirm". */
export function confirmDialog(text) {
  const dialog = $("#confirm-dialog");
  $("#confirm-text", dialog).textContent = text;
  dialog.returnValue = "";
  dialog.showModal();
  return new Promise((resolve) => {
    dialog.addEventListener("close", () => resolve(dialog.returnValue === "confirm"), {
      once: true,
    });
  });
}

function field(label, input) {
  return h("label", { class: "field" }, h("span", {}, label), input);
}

/** A server code shown in the interface language, the code itself kept in data-value. */
function coded(code, className = "") {
  return h("span", { class: className || null, dataset: { value: code ?? "" } }, value(code));
}

/** A date in the interface locale, the exact ISO time as its tooltip. */
function dated(time) {
  if (time === null || time === undefined || time === "") return "";
  const date = typeof time === "number" ? new Date(time * 1000) : new Date(time);
  const iso = Number.isNaN(date.getTime()) ? String(time) : date.toISOString();
  return h("time", { datetime: iso, title: iso }, formatDate(time));
}

function limitsText(limits) {
  if (!limits) return "";
  return ["rpm", "tpm", "tpd"]
    .filter((k) => limits[k] != null)
    .map((k) => `${k} ${limits[k]}`)
    .join(" · ");
}

export class AdminView {
  constructor({ api }) {
    this.api = api;
    this.root = $("#admin");
  }

  /** Build the sections (again, e.g. after a language switch) and load their data. */
  async show() {
    clear(this.root).append(
      h("h1", { class: "view-title" }, t("admin")),
      this.section("tenants", t("tenants")),
      this.section("keys", t("keys")),
      this.section("usage", t("usage")),
      this.section("audit", t("audit")),
      this.section("knowledge", t("knowledgeBases")),
    );
    await Promise.all([this.loadTenantsAndKeys(), this.loadUsage(), this.loadAudit(), this.loadKnowledge()]);
  }

  section(id, title) {
    return h(
      "section",
      { id: `admin-${id}`, class: "card admin-section" },
      h("h2", {}, title),
      h("div", { class: "controls" }),
      h("p", { class: "result", role: "status", "aria-live": "polite" }),
      h("div", { class: "content" }),
    );
  }

  parts(id) {
    const root = $(`#admin-${id}`);
    return { controls: $(".controls", root), result: $(".result", root), content: $(".content", root) };
  }

  async guard(id, action) {
    const { result } = this.parts(id);
    try {
      return await action();
    } catch (error) {
      result.textContent = error.explain ? error.explain() : String(error);
      result.classList.add("error");
      return null;
    }
  }

  say(id, text) {
    const { result } = this.parts(id);
    result.classList.remove("error");
    result.textContent = text;
  }

  async loadTenantsAndKeys() {
    const [tenants, keys] = await Promise.all([
      this.guard("tenants", () => this.api.get("/admin/tenants")),
      this.guard("keys", () => this.api.get("/admin/keys")),
    ]);
    if (tenants) this.renderTenants(tenants.data);
    if (keys) this.renderKeys(keys.data, tenants?.data ?? []);
  }

  renderTenants(tenants) {
    const { controls, content } = this.parts("tenants");
    const name = h("input", { name: "tenant-name", required: true, pattern: "[a-z0-9._\\-]{1,63}", dir: "ltr" });
    const rpm = h("input", { name: "tenant-rpm", type: "number", min: 1, dir: "ltr" });
    const form = h(
      "form",
      { class: "inline", method: "post" },
      field(t("name"), name),
      field(t("rpmLimit"), rpm),
      h("button", { type: "submit" }, t("createTenant")),
    );
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const body = { name: name.value.trim() };
      if (rpm.value) body.limits = { rpm: Number(rpm.value) };
      const created = await this.guard("tenants", () => this.api.post("/admin/tenants", body));
      if (created) {
        this.say("tenants", `${t("createTenant")}: ${created.name}`);
        await this.loadTenantsAndKeys();
      }
    });
    clear(controls).append(form);
    clear(content).append(
      table(
        [
          [t("name"), (r) => r.name],
          [t("status"), (r) => coded(r.status)],
          [t("piiMode"), (r) => coded(r.pii_mode)],
          [t("limits"), (r) => limitsText(r.limits)],
          [t("created"), (r) => dated(r.created_at)],
        ],
        tenants,
        { class: "data", id: "tenants-table" },
        { caption: t("tenants") },
      ),
    );
  }

  renderKeys(keys, tenants) {
    const { controls, content } = this.parts("keys");
    const tenant = h("select", { name: "key-tenant" }, tenants.map((x) => h("option", { value: x.name }, x.name)));
    const scopes = h("input", { name: "key-scopes", value: "chat,lang,models:*,kb:*", dir: "ltr" });
    const label = h("input", { name: "key-label", dir: "auto" });
    const expires = h("input", { name: "key-expires", dir: "ltr", placeholder: "30d" });
    const form = h(
      "form",
      { class: "inline", method: "post" },
      field(t("tenant"), tenant),
      field(t("scopes"), scopes),
      field(t("label"), label),
      field(t("expires"), expires),
      h("button", { type: "submit" }, t("createKey")),
    );
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const body = { tenant: tenant.value, scopes: scopes.value, label: label.value || null };
      if (expires.value.trim()) body.expires = expires.value.trim();
      const created = await this.guard("keys", () => this.api.post("/admin/keys", body));
      if (created) {
        await this.loadTenantsAndKeys();
        this.showNewKey(created);
      }
    });
    clear(controls).append(form);
    const revoke = (row) =>
      row.status === "active"
        ? h("button", { type: "button", class: "danger revoke", dataset: { key: row.id }, onclick: () => this.revoke(row.id) }, t("revoke"))
        : "";
    clear(content).append(
      table(
        [
          ["id", (r) => h("code", {}, r.id)],
          [t("tenant"), (r) => r.tenant],
          [t("label"), (r) => h("span", { dir: "auto" }, r.label ?? "")],
          [t("scopes"), (r) => r.scopes.join(", ")],
          [t("status"), (r) => coded(r.status, `key-status ${r.status}`)],
          [t("created"), (r) => dated(r.created_at)],
          ["", revoke],
        ],
        keys,
        { class: "data", id: "keys-table" },
        { caption: t("keys"), actions: t("revoke") },
      ),
    );
  }

  showNewKey(created) {
    const { result } = this.parts("keys");
    const value = h("code", { id: "new-key", dir: "ltr" }, created.key);
    const copy = h("button", { type: "button", onclick: () => copyText(created.key) }, t("copy"));
    result.classList.remove("error");
    clear(result).append(h("strong", {}, t("newKeyOnce")), " ", value, " ", copy);
  }

  async revoke(id) {
    if (!(await confirmDialog(t("confirmRevoke", { id })))) return;
    const revoked = await this.guard("keys", () => this.api.post(`/admin/keys/${encodeURIComponent(id)}/revoke`));
    if (revoked) {
      await this.loadTenantsAndKeys();
      this.say("keys", `${t("revoke")}: ${revoked.id} → ${revoked.status}`);
    }
  }

  async loadUsage(since = "24h") {
    const { controls, content } = this.parts("usage");
    const picker = h("select", { name: "usage-since" }, ["24h", "7d", "30d"].map((s) => h("option", { value: s, selected: s === since }, s)));
    picker.addEventListener("change", () => this.loadUsage(picker.value));
    clear(controls).append(field(t("since"), picker));
    const usage = await this.guard("usage", () => this.api.get(`/admin/usage?since=${encodeURIComponent(since)}`));
    if (!usage) return;
    const rows = usage.data.map((r) => ({ ...r, name: r.tenant ?? "—" }));
    clear(content).append(
      barChart(rows.map((r) => ({ label: r.name, value: r.total_tokens })), {
        title: `${t("tokens")} (${since})`,
        rtl: document.documentElement.dir === "rtl",
        format: formatNumber,
      }),
      table(
        [
          [t("tenant"), (r) => r.name],
          [t("requests"), (r) => formatNumber(r.requests)],
          [t("errors"), (r) => formatNumber(r.errors)],
          [t("tokens"), (r) => formatNumber(r.total_tokens)],
        ],
        rows,
        { class: "data", id: "usage-table" },
        { caption: t("usage") },
      ),
    );
  }

  async loadAudit(filters = { kind: "", tenant: "", limit: 50 }) {
    const { controls, content } = this.parts("audit");
    const kind = h("select", { name: "audit-kind" }, ["", "request", "admin", "event", "checkpoint"].map((k) => h("option", { value: k, selected: k === filters.kind }, k ? value(k) : t("any"))));
    const tenant = h("input", { name: "audit-tenant", value: filters.tenant, dir: "ltr" });
    const limit = h("input", { name: "audit-limit", type: "number", min: 1, max: 1000, value: filters.limit, dir: "ltr" });
    const form = h("form", { class: "inline", method: "post" }, field(t("kind"), kind), field(t("tenant"), tenant), field(t("limit"), limit), h("button", { type: "submit" }, t("filter")));
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.loadAudit({ kind: kind.value, tenant: tenant.value.trim(), limit: Number(limit.value) || 50 });
    });
    const verify = h("button", { type: "button", id: "verify-chain", onclick: () => this.verify() }, t("verifyChain"));
    clear(controls).append(form, verify);
    const query = new URLSearchParams({ limit: String(filters.limit) });
    if (filters.kind) query.set("kind", filters.kind);
    if (filters.tenant) query.set("tenant", filters.tenant);
    const tail = await this.guard("audit", () => this.api.get(`/admin/audit?${query}`));
    if (!tail) return;
    const tokens = (r) => (r.tokens ? (r.tokens.prompt ?? 0) + (r.tokens.completion ?? 0) : "");
    clear(content).append(
      table(
        [
          ["#", (r) => r.seq],
          [t("time"), (r) => dated(r.time)],
          [t("kind"), (r) => coded(r.kind)],
          [t("tenant"), (r) => r.tenant ?? ""],
          [t("endpoint"), (r) => h("code", {}, r.endpoint ?? r.extra?.action ?? r.what ?? "")],
          [t("status"), (r) => r.status ?? ""],
          [t("tokens"), tokens],
        ],
        tail.data,
        { class: "data", id: "audit-table" },
        { caption: t("audit") },
      ),
    );
  }

  async verify() {
    this.say("audit", "…");
    const result = await this.guard("audit", () => this.api.get("/admin/audit/verify"));
    if (!result) return;
    const text = result.ok
      ? t("chainOk", { records: result.records, first: result.first_seq ?? "-", last: result.last_seq ?? "-" })
      : t("chainBroken", { seq: result.broken_seq, reason: result.reason });
    this.say("audit", text);
    this.parts("audit").result.dataset.ok = String(result.ok);
  }

  async loadKnowledge() {
    const { content } = this.parts("knowledge");
    let bases;
    try {
      bases = await this.api.get("/v1/knowledge");
    } catch (error) {
      if (error.kind === "notfound" || error.kind === "scope") this.say("knowledge", t("noKnowledge"));
      else await this.guard("knowledge", () => Promise.reject(error));
      return;
    }
    if (!bases.data.length) this.say("knowledge", t("noKnowledge"));
    clear(content).append(
      ...bases.data.map((kb) =>
        h(
          "details",
          { class: "kb", dataset: { kb: kb.name }, ontoggle: (e) => e.target.open && this.loadDocuments(kb, e.target) },
          h("summary", {}, h("strong", { dir: "auto" }, kb.title || kb.name), ` — ${formatNumber(kb.documents)} ${t("documents")} · ${formatNumber(kb.chunks)} ${t("chunks")}`),
          h("p", { dir: "auto", class: "muted" }, `${t("purpose")}: ${kb.purpose ?? ""} · ${t("retention")}: ${kb.retention_days ?? "—"}`),
          uploadZone({ api: this.api, kb, onDone: (zone) => this.loadDocuments(kb, zone.closest("details")) }),
          h("div", { class: "documents" }),
        ),
      ),
    );
  }

  async loadDocuments(kb, details) {
    const docs = await this.guard("knowledge", () => this.api.get(`/v1/knowledge/${encodeURIComponent(kb.name)}/documents`));
    if (!docs) return;
    const erase = (doc) => h("button", { type: "button", class: "danger erase", dataset: { doc: doc.id }, onclick: () => this.erase(kb, doc, details) }, t("erase"));
    clear($(".documents", details)).append(
      table(
        [
          [t("document"), (d) => h("span", { dir: "auto" }, d.name)],
          [t("licence"), (d) => d.licence ?? ""],
          [t("pages"), (d) => d.pages ?? ""],
          [t("chunks"), (d) => d.chunks],
          [t("added"), (d) => dated(d.added_at)],
          ["", erase],
        ],
        docs.data,
        { class: "data documents-table" },
        { caption: `${t("documents")} — ${kb.title || kb.name}`, actions: t("erase") },
      ),
    );
  }

  async erase(kb, doc, details) {
    if (!(await confirmDialog(t("confirmErase", { name: doc.name, kb: kb.title || kb.name })))) return;
    const path = `/v1/knowledge/${encodeURIComponent(kb.name)}/documents/${encodeURIComponent(doc.id)}`;
    const result = await this.guard("knowledge", () => this.api.delete(path));
    if (!result) return;
    this.say("knowledge", t("erased", { name: doc.name, chunks: result.chunks_removed }));
    await this.loadDocuments(kb, details);
  }
}
