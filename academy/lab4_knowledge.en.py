# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Lab 4 — Knowledge bases
#
# **Goal.** Give a cooperative's documents to Agadir and get answers a person can check:
# ingest a PDF written in Arabic, ask about it in Darija and in French, verify every citation
# against the stored text, then erase a document and prove that no byte of it is left.
#
# The PDF is generated here (fpdf2 with HarfBuzz shaping, as the knowledge tests do; the
# font is Debian's DejaVu Sans), so the lab needs no file from outside. About 2 minutes on
# 2 cores.

# %%
import json

import httpx
import openai
from fpdf import FPDF
from labkit import new_lab

lab = new_lab("lab4")
folder = lab.home.parent
base_url = lab.serve()
client = openai.OpenAI(base_url=f"{base_url}/v1", api_key=lab.admin_key, max_retries=0)
admin = {"Authorization": f"Bearer {lab.admin_key}"}

# %% [markdown]
# ## 1. A PDF in Arabic
#
# Two pages of a cooperative's guide, in Modern Standard Arabic: the harvest on page 1, prices
# and certification on page 2. Arabic in a PDF is stored as shaped glyphs placed right to
# left; Agadir rebuilds the logical text from the glyph positions.

# %%
pages = [
    [
        "دليل تعاونية تيفاوين لزيت أركان",
        "تقع التعاونية في جماعة تمنار بإقليم الصويرة، وتضم 62 امرأة من الدواوير المجاورة.",
        "يبدأ جني ثمار أركان في شهر يونيو، بعد أن تسقط الثمار الناضجة من الشجر.",
        "تُجفف الثمار تحت الشمس مدة ثلاثة أسابيع قبل كسر النوى يدويا.",
    ],
    [
        "الأسعار والشهادات",
        "يباع لتر زيت أركان الغذائي بثلاثمائة وخمسين درهما، ولتر الزيت التجميلي بأربعمائة درهم.",
        "حصلت التعاونية على شهادة الإنتاج البيولوجي سنة 2019 تحت رقم المراقبة 4471.",
        "يتم الدفع نقدا أو بتحويل بنكي عند استلام الطلب.",
    ],
]
pdf = FPDF()
pdf.add_font("dejavu", fname="/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
pdf.set_font("dejavu", size=12)
pdf.set_text_shaping(True)
for lines in pages:
    pdf.add_page()
    for line in lines:
        pdf.multi_cell(0, 9, line, new_x="LMARGIN", new_y="NEXT", align="R")
guide = folder / "guide-tifawin.pdf"
pdf.output(str(guide))
note = folder / "note-interne.md"
note.write_text(
    "# Note interne\n\nLe code du portail de l'entrepôt est KBX-2291-TIF. "
    "Ne pas le communiquer aux visiteurs.\n",
    encoding="utf-8",
)
print(guide, guide.stat().st_size, "bytes;", note)

# %% [markdown]
# ## 2. Create a base and ingest
#
# A base has an owner tenant, a **purpose** and a **legal basis** (Moroccan Law 09-08 asks for
# both), and a retention. Ingestion reports each file (`added`, `unchanged`, `replaced`,
# `skipped` and why) and keeps its provenance: source, sha256, licence, pages.

# %%
lab.cli(
    "kb", "create", "tifawin", "--owner", "admin",
    "--purpose", "answer members' questions about the cooperative",
    "--legal-basis", "legitimate interest of the cooperative",
)  # fmt: skip
ingest = lab.cli(
    "kb", "ingest", "tifawin", str(guide), str(note), "--json", "--licence", "CC-BY-4.0"
)
report = json.loads(ingest.stdout)
documents = json.loads(lab.cli("kb", "docs", "tifawin", "--format", "json", quiet=True).stdout)
by_name = {d["name"]: d for d in documents}
print({name: (d["pages"], d["chunks"], d["sha256"][:12]) for name, d in by_name.items()})

# %% [markdown]
# ## 3. Ask in Darija and in French
#
# `model: "kb:tifawin"` retrieves passages and answers from them, with `citations`. With the
# small packaged model the answer is *extractive*: the passages' best sentences, quoted
# exactly, each with its `[n]` — nothing invented. The Darija question is in Arabic script,
# the French one asks about an Arabic document: retrieval is cross-lingual.

# %%
questions = {
    "ary_Arab": "شحال كيسوا لتر ديال زيت أركان الغذائي؟",
    "fra_Latn": "À quel mois commence la récolte de l'argan à la coopérative ?",
}
answers = {}
for language, question in questions.items():
    reply = client.chat.completions.create(
        model="kb:tifawin",
        messages=[{"role": "user", "content": question}],
        temperature=0,
        max_tokens=128,
    )
    extra = reply.model_extra or {}
    answers[language] = (reply.choices[0].message.content, extra["citations"], extra)
    print(f"[{language}] {question}\n{reply.choices[0].message.content}")
    print("  mode:", extra.get("answer_mode"))
    for c in extra["citations"]:
        print(f"  [{c['index']}] {c['document']} p.{c['page']} {c['start']}-{c['end']}")

# %% [markdown]
# The CLI asks the same way (`agadir kb ask`), here in Arabizi:

# %%
asked = lab.cli(
    "kb", "ask", "tifawin", "wach 3ndhom chahada dyal lbio?",
    "--url", f"{base_url}/v1", env={"AGADIR_API_KEY": lab.admin_key},
)  # fmt: skip

# %% [markdown]
# ## 4. Check the citations yourself
#
# The export gives each document's stored text. A citation is honest when its quote is the
# stored text between its `start` and `end`, on the page it names.

# %%
export = httpx.get(f"{base_url}/v1/knowledge/tifawin/export", headers=admin)
stored = {}
for line in export.text.splitlines():
    doc = json.loads(line)
    stored[doc["id"]] = doc
checked = 0
for _, citations, _ in answers.values():
    for c in citations:
        text = stored[c["document_id"]]["text"]
        assert text[c["start"] : c["end"]] == c["quote"], c
        checked += 1
print(f"{checked} citations match the stored text exactly")
price = answers["ary_Arab"][1]
harvest = answers["fra_Latn"][1]
print("price cited from page", {c["page"] for c in price if c["cited"]})
print("harvest cited from page", {c["page"] for c in harvest if c["cited"]})

# %% [markdown]
# ## 5. Erase a document and prove it is gone
#
# The internal note holds a gate code that should never have been ingested. Before: search
# finds it. Then `agadir kb rm-doc` deletes, in one transaction, the document, its chunks,
# index rows, vectors and cached answers, and compacts the database (FTS index rewritten,
# freed pages zeroed, WAL truncated, VACUUM). After: no search finds it, and the marker is in
# no byte of the database files.

# %%
marker = "KBX-2291-TIF"


def search(query: str) -> list[dict]:
    r = httpx.post(
        f"{base_url}/v1/knowledge/tifawin/search",
        headers=admin,
        json={"query": query, "top_k": 5},
    )
    return r.json()["data"]


def marker_in_files() -> list[str]:
    needles = (marker.encode("utf-8"), marker.encode("utf-16-le"))
    found = []
    for path in sorted(lab.home.glob("agadir.db*")):
        data = path.read_bytes()
        if any(n in data for n in needles):
            found.append(path.name)
    return found


before_search = [p["text"] for p in search("code du portail de l'entrepôt") if marker in p["text"]]
before_files = marker_in_files()
note_id = by_name["note-interne.md"]["id"]
lab.cli("kb", "rm-doc", "tifawin", note_id)
after_search = [p["text"] for p in search("code du portail de l'entrepôt") if marker in p["text"]]
after_files = marker_in_files()
remaining = json.loads(lab.cli("kb", "docs", "tifawin", "--format", "json", quiet=True).stdout)
print("before:", len(before_search), "passages,", before_files)
print("after: ", len(after_search), "passages,", after_files or "no file holds the marker")
print("documents left:", [d["name"] for d in remaining])

# %% [markdown]
# ## Checks

# %%
assert {r["status"] for r in report["files"]} == {"added"}, report
assert by_name["guide-tifawin.pdf"]["pages"] == 2
assert answers["ary_Arab"][0] and answers["fra_Latn"][0]
assert checked >= 2
assert any("350" in c["quote"] or "ثلاثمائة" in c["quote"] for c in price if c["cited"])
assert any(c["page"] == 2 for c in price if c["cited"])
assert any("يونيو" in c["quote"] and c["page"] == 1 for c in harvest if c["cited"])
assert "4471" in asked.stdout or "2019" in asked.stdout
assert before_search and before_files
assert not after_search and not after_files
assert [d["name"] for d in remaining] == ["guide-tifawin.pdf"]
lab.stop()
print("lab 4: all checks passed")

# %% [markdown]
# ## What you learned
#
# - A knowledge base records why it exists (purpose, legal basis), who owns it, and where each
#   document came from.
# - Arabic PDFs are read from their glyphs back into logical text; questions in Darija,
#   Arabizi or French find Arabic passages.
# - Every citation points to a page and a character span of the stored text: you can check it.
# - Erasure removes the document everywhere it was copied (chunks, index, vectors, cache) and
#   compacts the files, which you can verify byte by byte.
#
# ## Exercises
#
# 1. Ask a question the guide does not answer (for example about the price of saffron). What
#    comes back, and was a model called?
# 2. Ingest the same PDF a second time, then a changed version (add a line). What does each
#    report say, and does the document id change?
# 3. Ask the Darija question with `extra_body={"answer_mode": "generative"}`. Compare the
#    answer with the extractive one: which can you trust, and why?
#
# Solutions: [solutions/lab4_knowledge.md](solutions/lab4_knowledge.md).
