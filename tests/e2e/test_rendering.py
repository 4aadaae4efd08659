"""How the Vote page draws answers in a real browser: nothing fetched outside, buttons in view."""

from __future__ import annotations

from sqlmodel import col, update

from blindside.db import create_db_engine
from blindside.raters import add_rater, invite_link
from blindside.tables import Prompt, Response
from tests.e2e.conftest import assert_blind, wait_ready

TRACKER = "https://tracker.example.com"

# An answer that tries every way markdown has to make the browser fetch something.
BEACON_ANSWER = f"""Here is the chart:

![chart]({TRACKER}/inline.png?rater=1)

A reference image ![logo][r] and a collapsed one ![r][].

[r]: {TRACKER}/reference.png

Raw HTML: <img src="{TRACKER}/raw.gif"> <picture><source srcset="{TRACKER}/src.png"></picture>

<div><img src="{TRACKER}/block.gif"></div>

Links: <{TRACKER}/autolink>, {TRACKER}/bare.png, www.tracker.example.com/www.png and
[a link]({TRACKER}/link) [![badge]({TRACKER}/badge.svg)]({TRACKER}).

| table | image |
|---|---|
| 1 | ![cell]({TRACKER}/cell.png) |

Costs $5 or $6, see `a[0] < b`:

```python
url = "{TRACKER}/in-code.png"  # ![code]({TRACKER}/code.png)
```

```mermaid
graph TD; A["<img src='{TRACKER}/mermaid.png'>"] --> B
```
"""


def _sign_in(page, base: str, db_url: str) -> None:  # type: ignore[no-untyped-def]
    # An admin: the first test also opens the Leaderboard and Runs (with its Generate form).
    invite = add_rater(create_db_engine(db_url), "Ada", "admin")
    page.goto(invite_link(base, invite.token))
    page.wait_for_selector(".st-key-vote_left button", timeout=30_000)
    wait_ready(page)


def _set_every_answer(db_url: str, text: str) -> None:
    engine = create_db_engine(db_url)
    with engine.begin() as conn:
        conn.execute(update(Response).values(text=text))
    engine.dispose()


def test_an_answer_with_outside_images_fetches_nothing_outside(
    streamlit_server, loopback_page
) -> None:  # type: ignore[no-untyped-def]
    base, db_url = streamlit_server
    page, outside = loopback_page
    _set_every_answer(db_url, BEACON_ANSWER)
    _sign_in(page, base, db_url)
    answer = page.locator(".st-key-answer_left")
    answer.get_by_text("Here is the chart:").wait_for()
    page.wait_for_timeout(1_000)  # time for any image to be requested
    assert outside == [], f"the vote page tried to reach {outside}"
    assert answer.locator("img").count() == 0
    assert answer.locator("a[href^='http']").count() == 0
    # The image shows as the text that was typed (word joiners are invisible).
    shown = answer.inner_text().replace("\u2060", "")
    assert f"![chart]({TRACKER}/inline.png?rater=1)" in shown
    assert "Costs $5 or $6" in shown
    assert_blind(page)
    # The other pages: their navigation icons and fonts come from the app too.
    for link in ("Leaderboard", "Runs"):
        page.get_by_role("link", name=link).click()
        page.wait_for_timeout(500)
        wait_ready(page)
    page.wait_for_timeout(1_000)
    assert outside == [], f"the browser tried to reach {outside}"


def test_a_very_long_answer_leaves_the_buttons_in_view(streamlit_server, loopback_page) -> None:  # type: ignore[no-untyped-def]
    base, db_url = streamlit_server
    page, outside = loopback_page
    paragraph = "A long answer that goes on and on, and then on some more. " * 6
    long_answer = "\n\n".join(f"Paragraph {i}: {paragraph}" for i in range(700))
    assert len(long_answer.encode()) > 200_000
    _set_every_answer(db_url, long_answer)
    conversation = [
        {"role": "user", "content": "First question,\non two lines."},
        {"role": "assistant", "content": "A first answer."},
        {"role": "user", "content": "A follow-up question."},
    ]
    engine = create_db_engine(db_url)
    with engine.begin() as conn:
        conn.execute(update(Prompt).values(messages=conversation, system=None))
        # Prompts on every tier: the tier picker takes its row above the pair.
        conn.execute(update(Prompt).values(tier=col(Prompt.id) % 3 + 1))
    engine.dispose()
    _sign_in(page, base, db_url)
    page.locator(".st-key-answer_left").get_by_text("Paragraph 699:").wait_for(state="attached")
    assert page.locator(".st-key-vote_tier_picker button").count() == 3

    height = page.viewport_size["height"]
    for key in ("vote_left", "vote_right", "vote_tie", "vote_both_bad", "vote_skip"):
        box = page.locator(f".st-key-{key} button").bounding_box()
        assert box is not None and box["y"] >= 0 and box["y"] + box["height"] <= height, (key, box)
    # The answers scroll inside their boxes, side by side.
    for side in ("left", "right"):
        scroll, client = page.locator(f".st-key-answer_{side}").evaluate(
            "e => [e.scrollHeight, e.clientHeight]"
        )
        assert scroll > 20 * client, (side, scroll, client)
    # The prompt's turns are chat messages, its line breaks kept.
    messages = page.locator(".st-key-prompt_box [data-testid='stChatMessage']")
    assert messages.count() == 3
    assert messages.first.inner_text().splitlines()[-2:] == ["First question,", "on two lines."]
    assert outside == []
