"""Reading suites: a file's text, a file, a directory of files."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from blindside.errors import InputError, Problem
from blindside.json_values import show
from blindside.suites.lines import parse_line
from blindside.suites.shared import SharedContext, load_suite_settings
from blindside.suites.spec import PromptSpec, SuiteSpec

__all__ = ["load_suite_dir", "load_suite_file", "parse_suite_text"]


def parse_suite_text(text: str, *, file: str, name: str) -> SuiteSpec:
    """Parse and validate the content of a suite file.

    Parameters
    ----------
    text : str
        Content of the file; one JSON object per line, blank lines skipped.
    file : str
        Path of the file as it should appear in problems (and in ``path``).
    name : str
        Name of the suite (by convention the file stem).

    Returns
    -------
    SuiteSpec
        The suite with its prompts in file order.

    Raises
    ------
    InputError
        With every problem of the file, each naming its line and field.
    """
    problems: list[Problem] = []
    prompts: list[PromptSpec] = []
    first_line_of_id: dict[str, int] = {}
    # Split on "\n" only: str.splitlines() also splits on U+2028 and friends,
    # which JSON allows inside strings, and would shift physical line numbers.
    for lineno, raw in enumerate(text.split("\n"), start=1):
        if not raw.strip():
            continue
        prompt, external_id, line_problems = parse_line(raw.rstrip("\r"), lineno, file)
        if external_id is not None:
            if external_id in first_line_of_id:
                first = first_line_of_id[external_id]
                line_problems.append(
                    Problem(
                        file,
                        lineno,
                        "id",
                        f"duplicate id {show(external_id)}: already used on line {first}",
                    )
                )
            else:
                first_line_of_id[external_id] = lineno
        problems.extend(line_problems)
        if prompt is not None and not line_problems:
            prompts.append(prompt)
    if not problems and not prompts:
        problems.append(Problem(file, None, "", "suite has no prompts (the file is empty)"))
    if problems:
        raise InputError(problems)
    return SuiteSpec(name=name, path=Path(file), prompts=tuple(prompts))


def load_suite_file(path: str | Path) -> SuiteSpec:
    """Load and validate one suite file.

    Parameters
    ----------
    path : str or pathlib.Path
        A ``.jsonl`` file (UTF-8, an optional BOM is ignored).

    Returns
    -------
    SuiteSpec
        The suite, named after the file stem, with the shared context of its
        settings file (``NAME.toml`` beside it), if there is one.

    Raises
    ------
    InputError
        If the file cannot be read, is not UTF-8, or has any invalid line; or its
        settings have a problem (every problem of both files together).
    """
    path = Path(path)
    problems: list[Problem] = []
    suite: SuiteSpec | None = None
    shared: SharedContext | None = None
    try:
        suite = _read_suite_file(path)
    except InputError as exc:
        problems.extend(exc.problems)
    try:
        shared = load_suite_settings(path)
    except InputError as exc:
        problems.extend(exc.problems)
    if suite is not None and shared is not None:
        problems.extend(_sharing_problems(suite, shared))
    if problems:
        raise InputError(problems)
    assert suite is not None
    if shared is None:
        return suite
    prompts = tuple(replace(p, shared=shared) for p in suite.prompts)
    return replace(suite, prompts=prompts, shared=shared)


def _sharing_problems(suite: SuiteSpec, shared: SharedContext) -> list[Problem]:
    """Prompts that cannot start with a ``user_prefix`` context: the shared text must be first."""
    if shared.placement != "user_prefix":
        return []
    problems = []
    for prompt in suite.prompts:
        first = prompt.messages[0]["role"] if prompt.messages else "user"
        if prompt.system is not None or first != "user":
            field_name = "system" if prompt.system is not None else "messages[0].role"
            problems.append(
                Problem(
                    str(suite.path),
                    prompt.line,
                    field_name,
                    'the suite shares its context as "user_prefix", which must come first in '
                    "the request: start with a user message and put no system prompt here "
                    '(or share the context as "system")',
                )
            )
    return problems


def _read_suite_file(path: Path) -> SuiteSpec:
    """The suite in one ``.jsonl`` file, without its settings."""
    file = str(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise InputError.single(file, None, "", "file not found") from None
    except OSError as exc:
        raise InputError.single(file, None, "", f"cannot read file: {exc.strerror}") from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        byte = data[exc.start]
        raise InputError.single(
            file, line, "", f"not valid UTF-8 (byte 0x{byte:02x}); save the file as UTF-8"
        ) from None
    return parse_suite_text(text, file=file, name=path.stem)


def load_suite_dir(directory: str | Path) -> list[SuiteSpec]:
    """Load and validate every ``*.jsonl`` suite of a directory.

    Parameters
    ----------
    directory : str or pathlib.Path
        Directory holding the suites; subdirectories and dot-files are ignored.

    Returns
    -------
    list of SuiteSpec
        One suite per file, sorted by suite name.

    Raises
    ------
    InputError
        With the problems of all files together, if any file is invalid, if
        the directory has no suite, or if two suite names differ only by case.
    """
    directory = Path(directory)
    if not directory.is_dir():
        reason = "is not a directory" if directory.exists() else "directory not found"
        raise InputError.single(str(directory), None, "", reason)
    # Dot-files are editor backups and lock files, not suites.
    paths = sorted(
        (p for p in directory.glob("*.jsonl") if p.is_file() and not p.name.startswith(".")),
        key=lambda p: p.stem,
    )
    if not paths:
        raise InputError.single(
            str(directory), None, "", "no suite files (*.jsonl) in this directory"
        )
    suites: list[SuiteSpec] = []
    problems: list[Problem] = []
    seen: dict[str, Path] = {}
    for path in paths:
        try:
            suite = load_suite_file(path)
        except InputError as exc:
            problems.extend(exc.problems)
            continue
        # A single glob cannot yield the same stem twice, but names differing
        # only by case would look like one suite on pages and on macOS/Windows.
        key = suite.name.casefold()
        if key in seen:
            problems.append(
                Problem(
                    str(path),
                    None,
                    "",
                    f"suite name {show(suite.name)} clashes with {seen[key]}; rename one file",
                )
            )
            continue
        seen[key] = path
        suites.append(suite)
    if problems:
        raise InputError(problems)
    return suites
