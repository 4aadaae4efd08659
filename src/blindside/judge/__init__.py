"""An LLM as judge: verdicts on the pairs raters see, in both orders, stored apart from votes.

:mod:`~blindside.judge.prompt` writes the judge's messages and parses its reply strictly,
:mod:`~blindside.judge.run` asks for the missing verdicts of a suite (resumably, within a
budget), :mod:`~blindside.judge.stats` holds the pure figures (position bias, agreement)
and :mod:`~blindside.judge.report` reads the verdicts into a ranking and a comparison
with the human votes. Nothing is re-exported here: import the submodule.
"""
