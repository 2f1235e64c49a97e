from __future__ import annotations

import dataclasses

import pytest

from workflows.content_brief.writers.brief_text import BriefText
from workflows.content_brief.writers.wording import ENGLISH, WORDINGS, Wording, wording


@pytest.mark.parametrize("say", WORDINGS.values(), ids=lambda say: say.language)
def test_every_language_has_every_word_and_its_templates_format(say: Wording) -> None:
    for item in dataclasses.fields(say):
        assert getattr(say, item.name).strip(), item.name
    assert say.offline_notice.startswith(say.offline_marker)
    assert say.generated_by.startswith("> ")
    say.searching_for.format(keyword="k")
    say.much_discussed.format(subreddit="s", title="t", comments=3)


@pytest.mark.parametrize(
    ("language", "shown"),
    [
        ("en", "about 1,450 words"),
        ("de", "etwa 1.450 Wörter"),
        ("es", "unas 1.450 palabras"),
        ("fr", "environ 1\u202f450 mots"),
    ],
)
def test_word_counts_use_the_language_s_digit_grouping_and_read_back(
    language: str, shown: str
) -> None:
    say = wording(language)
    assert say.words(1450) == shown
    text = BriefText(f"# B\n\n- **{say.target_length}:** {shown}\n", say)
    assert text.field_number(say.target_length) == 1450


def test_regional_codes_and_unknown_languages() -> None:
    assert wording("de-DE").language == "de"
    assert wording("nl") is ENGLISH
