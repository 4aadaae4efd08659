"""Sign-in tokens and names, without a database: what is stored, how it is compared."""

from __future__ import annotations

import hashlib
import string

import pytest

from blindside.raters import (
    MAX_NAME_CHARS,
    RaterError,
    clean_rater_name,
    invite_link,
    new_token,
    rater_name_key,
    token_hash,
    token_matches,
)

URL_SAFE = set(string.ascii_letters + string.digits + "-_")


def test_tokens_are_256_random_bits_safe_in_a_url() -> None:
    tokens = {new_token() for _ in range(200)}
    assert len(tokens) == 200
    for token in tokens:
        assert len(token) == 43  # 32 bytes, base64 without padding
        assert set(token) <= URL_SAFE


def test_the_stored_form_is_the_sha256_and_not_the_token() -> None:
    token = new_token()
    stored = token_hash(token)
    assert stored == hashlib.sha256(token.encode()).hexdigest()
    assert token not in stored
    assert len(stored) == 64


def test_a_token_matches_only_its_own_hash() -> None:
    token, other = new_token(), new_token()
    assert token_matches(token, token_hash(token))
    assert not token_matches(other, token_hash(token))
    assert not token_matches(token, None)
    assert not token_matches(token, "")
    # A token is not its own hash: presenting the stored value signs nobody in.
    assert not token_matches(token_hash(token), token_hash(token))


def test_invite_links_put_the_token_in_the_query() -> None:
    assert invite_link("http://127.0.0.1:8501", "abc") == "http://127.0.0.1:8501/?invite=abc"
    assert invite_link("https://x.example/bs/", "abc") == "https://x.example/bs/?invite=abc"


@pytest.mark.parametrize(
    ("a", "b"),
    [("Ada Tester", "ada tester"), ("  Ada   Tester ", "ADA TESTER"), ("Straße", "STRASSE")],
)
def test_names_are_one_rater_whatever_the_case_and_spacing(a: str, b: str) -> None:
    assert rater_name_key(a) == rater_name_key(b)


def test_names_are_cleaned_and_bounded() -> None:
    assert clean_rater_name("  Ada   Lovelace ") == "Ada Lovelace"
    with pytest.raises(RaterError, match="needs a name"):
        clean_rater_name("   ")
    with pytest.raises(RaterError, match="at most"):
        clean_rater_name("x" * (MAX_NAME_CHARS + 1))
