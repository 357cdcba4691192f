"""Generate test documents at test time (no binary fixtures in the repository).

Arabic PDFs come two ways, as real producers make them: shaped by HarfBuzz (fpdf2's text
shaping: base-letter ToUnicode, glyphs placed right to left) and pre-shaped presentation forms
drawn in visual order (arabic-reshaper + python-bidi, the classic recipe of Python reporting
tools). Font: DejaVu Sans from Debian's fonts-dejavu-core.
"""

from __future__ import annotations

import io
from pathlib import Path

DEJAVU = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")

ARABIC_LINES = [
    "مرحبا بكم في المغرب",
    "السلام عليكم، كيف حالك؟",
    "العنوان: شارع محمد الخامس 25، الرباط 10000",
    "زرت Casablanca في 2023 مع 3 أصدقاء.",
    "الثمن هو 1,500.50 درهم (أي 15%) فقط",
    "Le prix est 120 DH, payé à Rabat.",
    "تقع مدينة أكادير على ساحل المحيط الأطلسي وعدد سكانها 421844 نسمة.",
    "la loi n° 09-08 relative à la protection des données",
]

ARABIC_PARAGRAPH = (
    "تعتبر اللغة العربية من أكثر اللغات انتشارا في العالم، ويتحدث بها أكثر من 400 مليون "
    "شخص. وفي المغرب تستعمل الدارجة في الحياة اليومية، بينما تستعمل العربية الفصحى في "
    "الإدارة والتعليم والإعلام. كما أن الأمازيغية لغة رسمية منذ دستور 2011."
)


def _fpdf(shaping: bool):  # type: ignore[no-untyped-def]
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_font("dejavu", fname=str(DEJAVU))
    pdf.set_font("dejavu", size=12)
    if shaping:
        pdf.set_text_shaping(True)
    return pdf


def _visual(line: str) -> str:
    import arabic_reshaper
    from bidi import get_display

    return str(get_display(arabic_reshaper.reshape(line)))


def arabic_pdf(path: Path, pages: list[list[str]], *, shaping: bool = True) -> Path:
    """One PDF page per entry of `pages`, one drawn line per string (no wrapping)."""
    pdf = _fpdf(shaping)
    for lines in pages:
        pdf.add_page()
        for line in lines:
            pdf.cell(0, 10, line if shaping else _visual(line), new_x="LMARGIN", new_y="NEXT")
    pdf.output(str(path))
    return path


def wrapped_pdf(path: Path, paragraphs: list[str], *, title: str | None = None) -> Path:
    """Paragraphs wrapped by fpdf2 (shaped, so Arabic lines are right to left), one page each."""
    pdf = _fpdf(True)
    if title:
        pdf.set_title(title)
    for paragraph in paragraphs:
        pdf.add_page()
        pdf.multi_cell(0, 8, paragraph, new_x="LMARGIN", new_y="NEXT")
    pdf.output(str(path))
    return path


def blank_pdf(path: Path, *, image: bool = False) -> Path:
    """Pages without a text layer: blank, or one drawn picture (a 'scan')."""
    from fpdf import FPDF
    from PIL import Image

    pdf = FPDF()
    pdf.add_page()
    if image:
        picture = Image.new("RGB", (200, 80), "white")
        for x in range(20, 180):
            picture.putpixel((x, 40), (0, 0, 0))
        pdf.image(picture, x=10, y=10, w=100)
    pdf.add_page()
    pdf.output(str(path))
    return path


def encrypted_pdf(source: Path, path: Path) -> Path:
    """`source` re-written with a user password (AES-256) by pypdf."""
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(source))
    writer.encrypt(user_password="secret", owner_password="owner", algorithm="AES-256")
    with path.open("wb") as f:
        writer.write(f)
    return path


def docx_file(path: Path, *, title: str | None = None) -> Path:
    """A Word document: heading, Arabic and French paragraphs, a 2x3 table, a closing line."""
    import docx

    document = docx.Document()
    if title:
        document.core_properties.title = title
    document.add_heading("Rapport annuel 2024", level=1)
    document.add_paragraph("Premier paragraphe en français.")
    document.add_paragraph("الفقرة الثانية باللغة العربية.")
    table = document.add_table(rows=2, cols=3)
    for r, row in enumerate([["Ville", "Population", "Région"], ["Agadir", "421844", "Souss"]]):
        for c, value in enumerate(row):
            table.cell(r, c).text = value
    document.add_paragraph("Paragraphe après le tableau.")
    buffer = io.BytesIO()
    document.save(buffer)
    path.write_bytes(buffer.getvalue())
    return path


def bomb_docx(path: Path, text_bytes: int) -> Path:
    """A real DOCX whose one paragraph is `text_bytes` of repeated words: it compresses ~1000x,
    as the 180 KB file that expanded to 60 MB of text did."""
    import zipfile

    docx_file(path)
    with zipfile.ZipFile(path) as src:
        parts = {info.filename: src.read(info) for info in src.infolist()}
    words = ("tomate serre Souss " * (text_bytes // 19 + 1))[:text_bytes]
    body = f'<w:body><w:p><w:r><w:t xml:space="preserve">{words}</w:t></w:r></w:p>'
    xml = parts["word/document.xml"].decode()
    start, end = xml.index("<w:body>"), xml.index("<w:sectPr")
    parts["word/document.xml"] = (xml[:start] + body + xml[end:]).encode()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as out:
        for name, data in parts.items():
            out.writestr(name, data)
    path.write_bytes(buffer.getvalue())
    return path


ARTICLE_HTML = """<!doctype html>
<html lang="fr"><head><meta charset="utf-8"><title>Guide &amp; démarches — Agadir</title>
<style>body {{ color: red }}</style><script>var tracking = "do-not-index";</script></head>
<body>
<nav><ul><li><a href="/">Accueil</a></li><li><a href="/contact">Contactez-nous</a></li></ul></nav>
<header><div class="menu">Menu principal Services Actualités</div></header>
<main><article>
<h1>Renouveler sa carte nationale</h1>
<p>{p1}</p>
<p>{p2}</p>
<p>يمكن تقديم الطلب في أي مقاطعة أمنية، مع صورتين وشهادة السكنى.</p>
</article></main>
<footer><p>© 2024 Portail. Mentions légales. Plan du site.</p></footer>
</body></html>
"""


def article_html(path: Path) -> Path:
    p1 = (
        "Pour renouveler votre carte nationale d'identité électronique, présentez-vous au "
        "commissariat de votre lieu de résidence avec l'ancienne carte et un justificatif. "
    ) * 2
    p2 = (
        "Le délai de délivrance est en général de deux à trois semaines; un récépissé vous est "
        "remis lors du dépôt du dossier et permet de suivre la demande en ligne. "
    ) * 2
    path.write_text(ARTICLE_HTML.format(p1=p1.strip(), p2=p2.strip()), encoding="utf-8")
    return path
