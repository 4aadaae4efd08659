"""pairing.conversation: a prompt's chat messages as the rater reads them."""

from __future__ import annotations

from blindside.pairing import conversation


def test_turns_keep_their_roles_and_line_breaks() -> None:
    messages = [
        {"role": "user", "content": "Line one\nline two"},
        {"role": "assistant", "content": "Noted."},
        {"role": "user", "content": "Now shorter."},
    ]
    system, turns = conversation(messages, None)
    assert system is None
    assert turns == (
        ("user", "Line one\nline two"),
        ("assistant", "Noted."),
        ("user", "Now shorter."),
    )


def test_system_messages_are_set_apart() -> None:
    messages = [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Hi"},
        {"role": "system", "content": "Answer in French."},
        {"role": "user", "content": "Again"},
    ]
    system, turns = conversation(messages, "Be brief.")
    assert system == "Be brief.\n\nAnswer in French."
    assert [role for role, _ in turns] == ["user", "user"]


def test_the_prompt_system_field_is_used_when_messages_have_none() -> None:
    assert conversation([{"role": "user", "content": "Hi"}], "Be kind.") == (
        "Be kind.",
        (("user", "Hi"),),
    )


def test_a_missing_content_reads_as_empty() -> None:
    # An assistant turn that only called a tool has no content.
    _, turns = conversation([{"role": "assistant", "content": None}], None)
    assert turns == (("assistant", ""),)
