"""Grounded answers: the prompt built from retrieved passages, and the citations returned.

The model is asked to answer only from numbered passages, in the user's language and script,
and to cite them as [n]. Whatever it writes, the response carries the passages themselves as
citations (document, page, character span, quoted text), each re-checked against the stored
document text just before it is returned, so a reader can always go to the source; `cited`
marks the ones the answer referred to. With no passage similar enough to the question, no
model is called: the answer says the knowledge base does not cover it, in the user's language.

The passages given to the model are trimmed to the engine's context (small CPU models have
2k tokens and Arabic costs many tokens each); citations still list every supporting passage.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from agadir.knowledge.analysis import terms
from agadir.knowledge.index import DocumentIndex
from agadir.knowledge.retrieval import Retrieved, query_variants

# When is there anything to answer from? The multilingual encoder's cosine between a question
# and its gold passage is low across languages (median 0.26 on the packs' questions, 5% under
# 0.10), and off-topic questions reach 0.05-0.28, so no single floor separates them. Measured
# on the packs (docs/knowledge.md): a question is answerable when its best passage reaches
# ANSWERABLE cosine or holds at least half of the question's terms; then every passage with
# some similarity or a third of the terms is kept as support. A weak answer with its sources
# shown beats a refusal of a real question; the prompt still tells the model to say when the
# passages do not answer.
ANSWERABLE = 0.15
MIN_PASSAGE = 0.10
STRONG_COVERAGE = 0.5
SOME_COVERAGE = 0.34

LANGUAGE_NAMES = {
    "ary_Arab": "Moroccan Darija written in Arabic script",
    "ary_Latn": "Moroccan Darija written in Latin letters (Arabizi)",
    "arb_Arab": "Modern Standard Arabic",
    "fra_Latn": "French",
    "eng_Latn": "English",
    "spa_Latn": "Spanish",
    "zgh_Tfng": "Tamazight written in Tifinagh",
    "ber_Latn": "Tamazight written in Latin letters",
}

NO_ANSWER = {
    "ary_Arab": "ما لقيتش فقاعدة المعارف «{kb}» شي نص كيجاوب على هاد السؤال.",
    "ary_Latn": "Ma l9itch f9a3idat lma3arif «{kb}» chi nass kayjaweb 3la had sou2al.",
    "arb_Arab": "لم أجد في قاعدة المعارف «{kb}» أي نص يجيب عن هذا السؤال.",
    "fra_Latn": "Je n'ai trouvé dans la base de connaissances « {kb} » aucun passage qui "
    "réponde à cette question.",
    "spa_Latn": "No he encontrado en la base de conocimiento «{kb}» ningún pasaje que "
    "responda a esta pregunta.",
    "eng_Latn": "I found no passage in the knowledge base “{kb}” that answers this question.",
}

_MARK = re.compile(r"\[(\d{1,2})\]")


@dataclass(frozen=True)
class Citation:
    index: int
    document_id: str
    document: str
    title: str | None
    kb: str
    page: int
    start: int
    end: int
    quote: str
    cited: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


def coverage(question_terms: list[set[str]], text: str) -> float:
    """Best share of a question variant's terms found in `text`."""
    have = set(terms(text))
    return max((len(w & have) / len(w) for w in question_terms if w), default=0.0)


def supporting(hits: list[Retrieved], question: str, lang: str | None = None) -> list[Retrieved]:
    """The hits that support an answer, or [] when the question is not answerable from them."""
    wanted = [set(terms(v)) for v in query_variants(question, lang)]
    covers = [coverage(wanted, h.passage.text) for h in hits]
    answerable = any(
        h.similarity >= ANSWERABLE or c >= STRONG_COVERAGE
        for h, c in zip(hits, covers, strict=True)
    )
    if not answerable:
        return []
    return [
        h
        for h, c in zip(hits, covers, strict=True)
        if h.similarity >= MIN_PASSAGE or c >= SOME_COVERAGE
    ]


def no_answer(lang: str, kb: str) -> str:
    if lang not in NO_ANSWER:  # another Arabic-script label (arq, arz...) or und
        lang = "arb_Arab" if lang.endswith("_Arab") else "eng_Latn"
    return NO_ANSWER[lang].format(kb=kb)


async def system_prompt(
    kb_title: str,
    lang: str,
    hits: list[Retrieved],
    budget_tokens: int,
    count_tokens: Callable[[str], Awaitable[int]],
) -> str:
    """The grounding instructions and as many numbered passages as fit `budget_tokens`."""
    fallback = "Arabic" if lang.endswith("_Arab") else "the language of the question"
    language = LANGUAGE_NAMES.get(lang, fallback)
    head = (
        f"You answer questions using only the numbered passages from the knowledge base "
        f"'{kb_title}'. Cite the passages you use like [1]. If the passages do not answer the "
        f"question, say that the knowledge base does not say. Answer in {language}.\n\nPassages:"
    )
    parts = [head]
    used = await count_tokens(head)
    for i, hit in enumerate(hits, start=1):
        p = hit.passage
        block = f"\n[{i}] ({p.document}, p. {p.page}) {p.text}"
        cost = await count_tokens(block)
        if used + cost > budget_tokens:
            room = budget_tokens - used
            if room < 32:
                break
            block = block[: max(0, len(block) * room // max(cost, 1))]
            cost = room
        parts.append(block)
        used += cost
    return "".join(parts)


def cited_indices(answer: str, n: int) -> set[int]:
    return {int(m) for m in _MARK.findall(answer) if 1 <= int(m) <= n}


def verified_citations(docs: DocumentIndex, hits: list[Retrieved], answer: str) -> list[Citation]:
    """Citations for `hits`, each checked against the stored text; a failing one is dropped."""
    cited = cited_indices(answer, len(hits))
    bodies: dict[str, str | None] = {}
    out: list[Citation] = []
    for i, hit in enumerate(hits, start=1):
        p = hit.passage
        if p.document_id not in bodies:
            bodies[p.document_id] = docs.body(p.document_id)
        body = bodies[p.document_id]
        if (
            body is None
            or not (0 <= p.start < p.end <= len(body))
            or body[p.start : p.end] != p.text
        ):
            continue  # erased or changed since retrieval: never cite what is not stored
        out.append(
            Citation(
                index=i,
                document_id=p.document_id,
                document=p.document,
                title=p.title,
                kb=p.kb,
                page=p.page,
                start=p.start,
                end=p.end,
                quote=p.text,
                cited=i in cited,
            )
        )
    return out
