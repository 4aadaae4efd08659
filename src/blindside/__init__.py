"""blindside: blind side-by-side evaluation of LLMs on your own prompts."""

__version__ = "0.1.0"
