"""Loss on assistant turns only: tokenise conversations with a mask of the assistant's tokens.

Why our own mask and not TRL's ``assistant_only_loss`` template path: TRL finds the assistant's
tokens through ``{% generation %}`` markers in the chat template, and swaps in a marked copy only
for the templates it knows. The packaged SmolLM2's template (ChatML with a default system turn)
has no markers and is not one of those, so TRL refuses it. Here the spans come from the base's
own template, whatever it is, by rendering prefixes: the assistant turn ``i`` is the text
between ``render(messages[:i], add_generation_prompt=True)`` and ``render(messages[:i + 1])``,
which holds the reply and its end-of-turn token (the model must learn to stop). The result is
TRL's pre-tokenised shape, ``{"input_ids", "assistant_masks"}``; TRL's preparation turns a 0 in
``assistant_masks`` into label -100, then truncates or packs, so both paths mask alike.

Not handled: templates that rewrite earlier turns when a later one is added (not
prefix-preserving, e.g. ones that drop past reasoning); those are refused with the recipe switch
that avoids them (``train.assistant_only_loss: false``).
"""

from __future__ import annotations

from typing import Any

from agadir.tune.errors import TuneDataError

SWITCH_HINT = "set `train.assistant_only_loss: false` in the recipe to train on whole conversations"


def _render(tokenizer: Any, messages: list[dict[str, str]], prompt: bool) -> str:
    return str(
        tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=prompt)
    )


def assistant_spans(tokenizer: Any, messages: list[dict[str, str]]) -> tuple[str, list[range]]:
    """The rendered conversation and the character range of each assistant turn in it."""
    full = _render(tokenizer, messages, prompt=False)
    spans = []
    for i, message in enumerate(messages):
        if message["role"] != "assistant":
            continue
        before = _render(tokenizer, messages[:i], prompt=True) if i else ""
        upto = _render(tokenizer, messages[: i + 1], prompt=False)
        if not (full.startswith(upto) and upto.startswith(before)):
            raise TuneDataError(
                f"the chat template does not render assistant turn {i} as a suffix of the turns "
                f"before it, so its tokens cannot be told apart; {SWITCH_HINT}"
            )
        spans.append(range(len(before), len(upto)))
    return full, spans


def masked_example(tokenizer: Any, messages: list[dict[str, str]]) -> dict[str, list[int]]:
    """``input_ids`` and ``assistant_masks`` (1 on tokens that overlap an assistant turn)."""
    text, spans = assistant_spans(tokenizer, messages)
    encoded = tokenizer(text, add_special_tokens=False, return_offsets_mapping=True)
    mask = [
        int(any(start < span.stop and end > span.start for span in spans))
        for start, end in encoded["offset_mapping"]
    ]
    return {"input_ids": list(encoded["input_ids"]), "assistant_masks": mask}


def masked_examples(
    tokenizer: Any, examples: list[dict[str, Any]], max_length: int
) -> tuple[list[dict[str, list[int]]], int]:
    """`masked_example` for each ``{"messages": ...}`` example, cut to ``max_length`` tokens.

    Returns the rows and how many were dropped because no assistant token falls within
    ``max_length`` (a long prompt): with packing, TRL would keep such a row with every label
    at -100, and a batch of them trains on nothing (loss 0). Refuses a split that keeps none.
    """
    rows, dropped = [], 0
    for example in examples:
        row = masked_example(tokenizer, example["messages"])
        row = {k: v[:max_length] for k, v in row.items()}
        if 1 in row["assistant_masks"]:
            rows.append(row)
        else:
            dropped += 1
    if not rows:
        raise TuneDataError(
            f"no conversation has an assistant token within train.max_length ({max_length}) "
            f"tokens: the prompts are longer; raise train.max_length, or {SWITCH_HINT}"
        )
    return rows, dropped
