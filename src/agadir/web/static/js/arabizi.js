// Arabizi → Arabic script while typing, through POST /v1/lang/transliterate.
//
// Only *finished* Latin runs are converted (a run followed by a space or punctuation), so the
// word under the cursor is never rewritten mid-typing; `flush()` converts the rest before a
// message is sent. Calls are debounced, and a reply that arrives after the user kept typing is
// applied only to the prefix it was computed from. Whole runs are sent, not single words: the
// server's ranker uses the neighbouring words.

const LATIN_WORD = "[A-Za-z0-9'’]*[A-Za-z][A-Za-z0-9'’]*";
const LATIN_RUN = new RegExp(`${LATIN_WORD}(?:[ \\t]+${LATIN_WORD})*`, "g");

/** Latin runs of `text` as {start, end, text}; `complete` drops a run that ends the text. */
export function latinRuns(text, { complete }) {
  const runs = [];
  for (const match of text.matchAll(LATIN_RUN)) {
    const end = match.index + match[0].length;
    if (complete && end >= text.length) continue;
    runs.push({ start: match.index, end, text: match[0] });
  }
  return runs;
}

function splice(text, runs, replacements) {
  let out = "";
  let at = 0;
  runs.forEach((run, i) => {
    out += text.slice(at, run.start) + replacements[i];
    at = run.end;
  });
  return out + text.slice(at);
}

export class ArabiziHelper {
  /**
   * input: the textarea; api: Api; onState(state): "idle" | "busy" | "unavailable".
   */
  constructor(input, api, { delay = 300, onState = () => {} } = {}) {
    this.input = input;
    this.api = api;
    this.delay = delay;
    this.onState = onState;
    this.enabled = false;
    this.timer = null;
    this.pending = 0;
    input.addEventListener("input", () => this.schedule());
  }

  setEnabled(on) {
    this.enabled = on;
    if (on) this.schedule();
    else clearTimeout(this.timer);
  }

  schedule() {
    if (!this.enabled) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.convert({ complete: true }), this.delay);
  }

  /** Convert every Latin run, including the last one (before sending). */
  async flush() {
    clearTimeout(this.timer);
    if (this.enabled) await this.convert({ complete: false });
  }

  async convert({ complete }) {
    const snapshot = this.input.value;
    const runs = latinRuns(snapshot, { complete });
    if (runs.length === 0) return;
    const cut = runs[runs.length - 1].end;
    this.pending += 1;
    this.onState("busy");
    let body;
    try {
      body = await this.api.post("/v1/lang/transliterate", {
        input: runs.map((r) => r.text),
        direction: "arabizi-arabic",
      });
    } catch (error) {
      this.pending -= 1;
      this.onState(error.kind === "scope" || error.kind === "auth" ? "unavailable" : "idle");
      return;
    }
    this.pending -= 1;
    this.onState(this.pending ? "busy" : "idle");
    const prefix = snapshot.slice(0, cut);
    const now = this.input.value;
    if (!now.startsWith(prefix)) return; // the user edited what we converted: leave it alone
    const converted = splice(prefix, runs, body.data.map((d) => d.text));
    const atEnd = this.input.selectionStart === now.length;
    this.input.value = converted + now.slice(cut);
    if (atEnd) this.input.setSelectionRange(this.input.value.length, this.input.value.length);
    this.input.dispatchEvent(new Event("agadir:converted"));
  }
}
