"""Who may sign in through an OIDC provider, and as what: the ``oidc_roles.toml`` table.

Streamlit's ``st.login`` proves an e-mail address; this table, written by an admin, turns
it into a role (:mod:`blindside.roles`). An exact address wins over its domain; an address
matching neither is refused. The file is validated as a whole, like ``models.toml``: every
problem names the file, the line and the field (``blindside validate``, ``init`` and so
``make run`` stop with exit code 2).

.. code-block:: toml

    [roles]
    "ada@example.com" = "admin"
    "grace@example.com" = "lead"
    "@example.com" = "rater"

    [providers.okta]             # one per [auth.NAME] of secrets.toml; "default" for [auth]
    label = "Okta"               # the button reads "Sign in with Okta"
    trust_email = true           # the provider sends no email_verified claim

Pure: no database, no Streamlit (``docs/raters.md`` says how it is used).
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from blindside.config.checker import Checker, toml_type
from blindside.config.locator import Locator
from blindside.errors import InputError, Problem
from blindside.roles import ROLE_NAMES, Role

#: Streamlit's name for the provider configured directly in ``[auth]`` (``st.login()``).
DEFAULT_PROVIDER = "default"

_TOP_KEYS = ("roles", "providers")
_PROVIDER_KEYS = ("label", "trust_email")
_TOML_SYNTAX_LINE_RE = re.compile(r"\(at line (\d+), column \d+\)")
# A DNS name as written in addresses: labels of letters, digits and hyphens, joined by dots.
_DOMAIN_RE = re.compile(r"^(?!-)[a-z0-9-]+(?<!-)(\.(?!-)[a-z0-9-]+(?<!-))*$")
_LOCAL_RE = re.compile(r"^[^\s@\"'<>(),;:\[\]\\]+$")


def normalise_email(email: str) -> str:
    """An address as the table compares it: trimmed and case-folded."""
    return email.strip().casefold()


@dataclass(frozen=True)
class ProviderOptions:
    """How one provider is offered and trusted.

    Attributes
    ----------
    label : str or None
        The name on its button ("Sign in with LABEL"); None: the provider's name.
    trust_email : bool
        Accept its e-mail addresses without an ``email_verified`` claim (providers that
        only hand out addresses of their own directory, such as a company's Okta).
    """

    label: str | None = None
    trust_email: bool = False


@dataclass(frozen=True)
class OidcRoles:
    """The validated table.

    Attributes
    ----------
    path : str
        The file it was read from ("" for none).
    addresses : Mapping[str, Role]
        Exact addresses, case-folded.
    domains : Mapping[str, Role]
        Domains (without the ``@``), case-folded.
    providers : Mapping[str, ProviderOptions]
        Options by provider name.
    """

    path: str = ""
    addresses: Mapping[str, Role] = field(default_factory=lambda: MappingProxyType({}))
    domains: Mapping[str, Role] = field(default_factory=lambda: MappingProxyType({}))
    providers: Mapping[str, ProviderOptions] = field(default_factory=lambda: MappingProxyType({}))

    def role_for(self, email: str) -> Role | None:
        """The role of ``email``: its exact entry, else its domain's; None: refused."""
        address = normalise_email(email)
        if address in self.addresses:
            return self.addresses[address]
        local, at, domain = address.rpartition("@")
        if not at or not local:
            return None
        return self.domains.get(domain)

    def options(self, provider: str) -> ProviderOptions:
        """``provider``'s options (the defaults when it has no ``[providers.NAME]``)."""
        return self.providers.get(provider, ProviderOptions())

    def label(self, provider: str) -> str:
        """What its button calls ``provider``."""
        label = self.options(provider).label
        if label:
            return label
        return "single sign-on" if provider == DEFAULT_PROVIDER else provider.capitalize()


#: No table: every OIDC sign-in is refused.
NO_ROLES = OidcRoles()


def _syntax_error(text: str, file: str, exc: tomllib.TOMLDecodeError) -> InputError:
    message = str(exc)
    m = _TOML_SYNTAX_LINE_RE.search(message)
    line = int(m.group(1)) if m else max(1, len(text.splitlines()))
    return InputError([Problem(file, line, "", f"TOML syntax error: {message}")])


def _entry(key: str) -> tuple[str, str] | str:
    """``("address", a)`` or ``("domain", d)`` for a valid key, else what is wrong with it."""
    entry = normalise_email(key)
    if "*" in entry:
        return "no wildcards: write '@example.com' for every address of a domain"
    local, at, domain = entry.rpartition("@")
    if not at:
        return "must be an e-mail address ('ada@example.com') or a domain ('@example.com')"
    if not _DOMAIN_RE.match(domain):
        return f"'{domain}' is not a domain name"
    if not local:
        return ("domain", domain)
    if not _LOCAL_RE.match(local):
        return f"'{entry}' is not an e-mail address"
    return ("address", entry)


def _roles(ck: Checker, data: Mapping[str, Any]) -> tuple[dict[str, Role], dict[str, Role]]:
    raw = data.get("roles", {})
    if not isinstance(raw, dict):
        ck.add(ck.loc.top_level("roles"), "roles", f"'roles' must be a table, got {toml_type(raw)}")
        return {}, {}
    tables: dict[str, dict[str, Role]] = {"address": {}, "domain": {}}
    first_key: dict[str, str] = {}
    for key, value in raw.items():
        line = ck.loc.table_key("roles", key)
        name = f"roles.{key}"
        entry = _entry(key)
        if isinstance(entry, str):
            ck.add(line, name, entry)
            continue
        kind, normal = entry
        if normal in first_key:
            ck.add(line, name, f"the same entry as '{first_key[normal]}' (case is ignored)")
            continue
        first_key[normal] = key
        if not isinstance(value, str):
            ck.add(
                line, name, f"must be a role name ({', '.join(ROLE_NAMES)}), got {toml_type(value)}"
            )
            continue
        try:
            role = Role.parse(value)
        except ValueError as exc:
            ck.add(line, name, str(exc))
            continue
        tables[kind][normal] = role
    return tables["address"], tables["domain"]


def _providers(ck: Checker, data: Mapping[str, Any]) -> dict[str, ProviderOptions]:
    raw = data.get("providers", {})
    if not isinstance(raw, dict):
        ck.add(
            ck.loc.top_level("providers"),
            "providers",
            f"'providers' must be a table of [providers.NAME] tables, got {toml_type(raw)}",
        )
        return {}
    options: dict[str, ProviderOptions] = {}
    for name, table in raw.items():
        where = f"[providers.{name}]"
        header = ck.loc.top_level(f"providers.{name}") or ck.loc.top_level("providers")
        if not isinstance(table, dict):
            ck.add(header, f"providers.{name}", f"{where} must be a table, got {toml_type(table)}")
            continue
        if "_" in name or not name:
            # Streamlit refuses an underscore in a provider's name (st.login).
            ck.add(header, f"providers.{name}", f"{where}: a provider name has no underscore")

        def line_of(key: str, table_name: str = f"providers.{name}") -> int | None:
            return ck.loc.table_key(table_name, key)

        ck.unknown_keys(table, _PROVIDER_KEYS, where, line_of, f"providers.{name}.")
        label = table.get("label")
        if label is not None and (not isinstance(label, str) or not label.strip()):
            ck.add(
                line_of("label"),
                f"providers.{name}.label",
                f"{where}: 'label' must be a non-empty string",
            )
            label = None
        trust = table.get("trust_email", False)
        if not isinstance(trust, bool):
            ck.add(
                line_of("trust_email"),
                f"providers.{name}.trust_email",
                f"{where}: 'trust_email' must be true or false, got {toml_type(trust)}",
            )
            trust = False
        options[name] = ProviderOptions(label.strip() if label else None, trust)
    return options


def parse_oidc_roles(text: str, *, file: str) -> OidcRoles:
    """Parse and validate the text of an ``oidc_roles.toml``.

    Raises
    ------
    InputError
        Listing every problem, each with file, line and field.
    """
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise _syntax_error(text, file, exc) from None
    ck = Checker(file, Locator(text))
    ck.unknown_keys(data, _TOP_KEYS, "top level", ck.loc.top_level)
    addresses, domains = _roles(ck, data)
    providers = _providers(ck, data)
    if ck.problems:
        raise InputError(ck.problems)
    return OidcRoles(
        path=file,
        addresses=MappingProxyType(addresses),
        domains=MappingProxyType(domains),
        providers=MappingProxyType(providers),
    )


def load_oidc_roles(path: Path) -> OidcRoles:
    """Read and validate the table at ``path``.

    Raises
    ------
    InputError
        An unreadable file, or any problem in it.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError.single(path, None, "", f"cannot read the OIDC role table: {exc}") from None
    return parse_oidc_roles(text, file=str(path))


def read_oidc_roles(path: Path, *, required: bool) -> OidcRoles:
    """The table at ``path``, or :data:`NO_ROLES` when it is absent and not ``required``.

    ``required`` is for a path an admin named (``BLINDSIDE_OIDC_ROLES``): a missing file
    there is a mistake, not a choice.

    Raises
    ------
    InputError
        A missing required file, an unreadable one, or any problem in it.
    """
    if not required and not path.exists():
        return NO_ROLES
    return load_oidc_roles(path)
