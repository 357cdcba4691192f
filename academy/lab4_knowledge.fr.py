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
# # Lab 4 — Bases de connaissances
#
# **Objectif.** Confier les documents d'une coopérative à Agadir et obtenir des réponses
# qu'une personne peut vérifier : ingérer un PDF écrit en arabe, l'interroger en darija et en
# français, vérifier chaque citation contre le texte stocké, puis effacer un document et
# prouver qu'il n'en reste pas un octet.
#
# Le PDF est généré ici (fpdf2 avec la mise en forme HarfBuzz, comme dans les tests de
# connaissances ; police DejaVu Sans de Debian) : le lab n'a besoin d'aucun fichier
# extérieur. Environ 2 minutes sur 2 cœurs.

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
# ## 1. Un PDF en arabe
#
# Deux pages du guide d'une coopérative, en arabe standard : la récolte en page 1, les prix et
# la certification en page 2. Dans un PDF, l'arabe est stocké en glyphes mis en forme, placés
# de droite à gauche ; Agadir reconstruit le texte logique à partir de leurs positions.

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
# ## 2. Créer une base et ingérer
#
# Une base a un tenant propriétaire, une **finalité** et une **base légale** (la loi
# marocaine 09-08 exige les deux), et une durée de conservation. L'ingestion rend compte de
# chaque fichier (`added`, `unchanged`, `replaced`, `skipped` et pourquoi) et garde sa
# provenance : source, sha256, licence, pages.

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
# ## 3. Demander en darija et en français
#
# `model: "kb:tifawin"` cherche des passages et répond à partir d'eux, avec des `citations`.
# Avec le petit modèle livré, la réponse est *extractive* : les meilleures phrases des
# passages, citées mot pour mot, chacune avec son `[n]` — rien d'inventé. La question en
# darija est en écriture arabe, la question en français porte sur un document arabe : la
# recherche est multilingue.

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
# La ligne de commande demande de la même façon (`agadir kb ask`), ici en arabizi :

# %%
asked = lab.cli(
    "kb", "ask", "tifawin", "wach 3ndhom chahada dyal lbio?",
    "--url", f"{base_url}/v1", env={"AGADIR_API_KEY": lab.admin_key},
)  # fmt: skip

# %% [markdown]
# ## 4. Vérifier les citations vous-même
#
# L'export donne le texte stocké de chaque document. Une citation est honnête quand sa
# citation est exactement le texte stocké entre son `start` et son `end`, à la page qu'elle
# nomme.

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
# ## 5. Effacer un document et prouver qu'il a disparu
#
# La note interne contient un code de portail qui n'aurait jamais dû être ingéré. Avant : la
# recherche le trouve. Puis `agadir kb rm-doc` supprime, en une transaction, le document, ses
# morceaux, les lignes d'index, les vecteurs et les réponses en cache, et compacte la base
# (index plein texte réécrit, pages libérées mises à zéro, WAL tronqué, VACUUM). Après :
# aucune recherche ne le trouve, et le marqueur n'est dans aucun octet des fichiers de la base.

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
# ## Vérifications

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
# ## Ce que vous avez appris
#
# - Une base de connaissances dit pourquoi elle existe (finalité, base légale), à qui elle
#   appartient, et d'où vient chaque document.
# - Les PDF arabes sont relus de leurs glyphes vers le texte logique ; des questions en
#   darija, en arabizi ou en français trouvent des passages arabes.
# - Chaque citation pointe vers une page et un intervalle de caractères du texte stocké : vous
#   pouvez la vérifier.
# - L'effacement retire le document partout où il avait été copié (morceaux, index, vecteurs,
#   cache) et compacte les fichiers, ce que vous vérifiez octet par octet.
#
# ## Exercices
#
# 1. Posez une question à laquelle le guide ne répond pas (par exemple le prix du safran).
#    Que revient-il, et un modèle a-t-il été appelé ?
# 2. Ingérez le même PDF une deuxième fois, puis une version modifiée (ajoutez une ligne). Que
#    dit chaque rapport, et l'identifiant du document change-t-il ?
# 3. Posez la question en darija avec `extra_body={"answer_mode": "generative"}`. Comparez avec
#    la réponse extractive : à laquelle se fier, et pourquoi ?
#
# Solutions : [solutions/lab4_knowledge.md](solutions/lab4_knowledge.md).
