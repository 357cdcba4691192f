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

from agadir.knowledge.index import DocumentIndex
from agadir.knowledge.retrieval import Retrieved

# A passage supports an answer when it shares a term with the question (BM25 found it) or,
# failing that, when its cosine similarity (multilingual USE) reaches this floor. Off-topic
# questions score about 0.10-0.15 against the packs, on-topic cross-lingual ones 0.15-0.45,
# so the floor alone would drop good cross-lingual passages: it only decides for passages the
# dense side found on its own (docs/knowledge.md).
MIN_SIMILARITY = 0.25

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


def supporting(hits: list[Retrieved], min_similarity: float = MIN_SIMILARITY) -> list[Retrieved]:
    """The hits that count as support: a shared term, or enough similarity (module notes)."""
    return [
        h
        for h in hits
        if any(name.startswith("bm25") for name in h.ranks) or h.similarity >= min_similarity
    ]


def no_answer(lang: str, kb: str) -> str:
    return NO_ANSWER.get(lang, NO_ANSWER["eng_Latn"]).format(kb=kb)


async def system_prompt(
    kb_title: str,
    lang: str,
    hits: list[Retrieved],
    budget_tokens: int,
    count_tokens: Callable[[str], Awaitable[int]],
) -> str:
    """The grounding instructions and as many numbered passages as fit `budget_tokens`."""
    language = LANGUAGE_NAMES.get(lang, "the language of the question")
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
