"""The identity-leak rules: who ships assistants, what they are called, how an answer says so.

An answer leaks when it ties *itself* to a vendor or an assistant: "As an AI
model developed by OpenAI", "I'm Claude", "my developers at Anthropic",
"I was trained by the makers of Gemini", "Mistral AI built me", "as a Llama
model, I …". A vendor may be named outright or through its product ("the lab
behind ChatGPT", "the company that makes Claude", "ChatGPT's parent company").

Answers that only *discuss* vendors and products are not leaks: "ChatGPT and
Claude both offer a free tier", "Claude, developed by Anthropic, reads long
files", "OpenAI, the lab behind ChatGPT, was founded in 2015", "as a Gemini,
you are curious". So every rule needs a self-reference (I, me, my, "as a …
model", "this model") bound to the vendor or product in one clause, and:

* names that are also common words or first names are matched with care:
  "Bard", "Copilot", "Meta", "Mistral", "Cohere", "Perplexity", "Amazon" and
  "ERNIE" only as capitalised proper nouns; "I'm Claude" is a claim but
  "My name is Claude Dubois" and "I'm Gemma from the support team" are people;
* a name claim takes no article: "I'm Gemini" is a claim, "I'm a Gemini" a
  star sign (a model family with an article needs a model noun: "I'm a Gemini
  model").

``tests/unit/identity_corpus.py`` is the labelled corpus these rules are
measured on (precision and recall in ``tests/unit/test_identity.py``).
"""

from __future__ import annotations

import re

#: Organisations that ship assistants, as answers name them.
#: ``(?-i:…)`` keeps a name that is also an ordinary word case-sensitive.
VENDORS = (
    "OpenAI",
    "Anthropic",
    "Google(?: DeepMind| AI| Research)?",
    "DeepMind",
    "(?-i:Meta)(?: AI)?",
    "(?-i:Mistral)(?: AI)?",
    "Alibaba(?: Cloud)?",
    "Qwen Team",
    "DeepSeek(?: AI)?",
    "xAI",
    "Microsoft(?: Research)?",
    "(?-i:Cohere)",
    "(?-i:Amazon)(?: Web Services)?",
    "AWS",
    "AI21(?: Labs)?",
    "(?-i:Moonshot)(?: AI)?",
    "Zhipu(?: AI)?",
    "Baidu",
    "Nvidia",
    "IBM",
    "(?-i:Perplexity)(?: AI)?",
    "Together AI",
    "Hugging Face",
    "Inflection(?: AI)?",
)

#: Assistant and model-family names a model may call itself.
ASSISTANTS = (
    "ChatGPT",
    "GPT(?:-?[0-9][\\w.-]*)?",
    "o[134](?:-mini|-pro)?",
    "Claude(?:[ -][0-9.]+)?(?:[ -](?:Opus|Sonnet|Haiku|Instant))?(?:[ -][0-9.]+)?",
    "Gemini(?:[ -](?:[0-9.]+|Pro|Ultra|Flash|Nano|Advanced))*",
    "(?-i:Meta) AI",
    "(?-i:Amazon) Q",
    "(?-i:Bard)",
    "Gemma(?:[ -]?[0-9][\\w.-]*)?",
    "PaLM(?: ?2)?",
    "Llama(?:[ -]?[0-9][\\w.-]*)?",
    "(?-i:Mistral)(?:[ -](?:Large|Medium|Small|[0-9][\\w.]*))?",
    "Mixtral(?:[ -][\\w.]+)?",
    "Le Chat",
    "Qwen[\\w.-]*",
    "DeepSeek(?:[ -]?[A-Z0-9][\\w.-]*)?",
    "Grok(?:[ -]?[0-9][\\w.]*)?",
    "(?-i:Copilot)",
    "(?-i:Phi)(?:-[0-9][\\w.-]*)?",
    "Command R\\+?",
    "Kimi",
    "GLM[\\w.-]*",
    "(?-i:ERNIE)(?: Bot)?",
    "Nemotron",
)

#: Assistant names that are also first names: "I'm Claude Dubois", "I'm Gemma from the
#: support team" are people. A claim to be one of these must not go on like a person's.
PERSON_LIKE = ("Claude", "Gemma", "Kimi")

_VENDOR = "(?:" + "|".join(VENDORS) + ")"
_ASSISTANT = "(?:" + "|".join(ASSISTANTS) + ")"

# A product's maker, named through the product: "the lab behind ChatGPT", "the company that
# makes Claude", "the makers of Gemini", "the people at OpenAI", "ChatGPT's parent company".
_ORG = (
    r"(?:lab|labs|company|team|teams|people|folks|organi[sz]ation|startup|firm|group"
    r"|researchers|engineers|makers?|creators?|developers?|builders?|authors?|parent\s+company)"
)
_PRODUCES = (
    r"(?:makes?|made|builds?|built|creates?|created|develops?|developed|trains?|trained"
    r"|runs?|released|releases|ships?|owns?|launched|brought\s+you|gave\s+you)"
)
_INDIRECT_VENDOR = (
    rf"(?:the\s+)?(?:same\s+)?(?:AI\s+)?{_ORG}\s+"
    rf"(?:behind|responsible\s+for|(?:that|who|which)\s+(?:also\s+)?{_PRODUCES})"
    rf"\s+(?:the\s+)?{_ASSISTANT}"
    r"|(?:the\s+)?(?:same\s+)?(?:makers?|creators?|developers?|builders?|authors?|company|lab)"
    rf"\s+of\s+(?:the\s+)?{_ASSISTANT}"
    rf"|(?:the\s+)?(?:people|folks|team|teams|researchers|engineers)\s+(?:at|from)\s+{_VENDOR}"
    rf"|{_ASSISTANT}['’]s\s+(?:maker|creator|developer|parent\s+company|company|lab|team"
    r"|makers|creators|developers)"
)
#: A vendor, named outright or through its product.
VENDOR_REF = rf"(?:{_VENDOR}|{_INDIRECT_VENDOR})"

# A person's name goes on with a capitalised surname ("Claude Dubois") or where they work
# ("Gemma from the support team"); an assistant's does not, unless it names its vendor.
_PERSON_LIKE = "(?:" + "|".join(PERSON_LIKE) + r")\b"
_NOT_A_PERSON = rf"(?!\s+(?-i:[A-Z][a-z])|\s+(?:from|at|with|of|in|on)\s+(?!{_VENDOR}\b))"
#: An assistant named in a claim: a first-name-like one must not read as a person, and
#: "This is ChatGPT's weak spot" is not a claim.
_CLAIMED = (
    rf"(?:(?={_PERSON_LIKE}){_ASSISTANT}{_NOT_A_PERSON}|(?!{_PERSON_LIKE}){_ASSISTANT})"
    r"(?!['’]s\b)"
)

_MAKER = (
    r"(?:developed|created|trained|built|made|designed|engineered|programmed|released"
    r"|fine-?tuned|pre-?trained|produced|launched)"
)
# Made *at* a vendor is a model's story; trained at a vendor is often a person's.
_MADE_AT = r"(?:developed|created|built|made|designed|engineered|programmed)"
_SELF_NOUN = (
    r"(?:model|assistant|AI|chatbot|bot|LLM|system|program|agent|language\s+model"
    r"|language\s+assistant)"
)
_I_AM = r"(?:I\s+am|I['’]m|I\s+was|I\s+have\s+been|I['’]ve\s+been)"
# Where a clause starts: "As an AI model …", "Sorry, but as a Llama model, …", and not
# "Claude is marketed as an AI assistant by Anthropic".
_CLAUSE = r"(?:(?:^|(?<=[\n.!?:;,(\"“*]))\s*|\b(?:but|and|so|because|since|that|while|just)\s+)"
_I_AM_OR_AS = rf"(?:\bI\s+am|\bI['’]m|{_CLAUSE}(?:as|being))"
# "a Microsoft AI engineer", "an OpenAI API customer" are people, not models.
_NOT_A_JOB = (
    r"(?![\s-]+(?:engineers?|researchers?|developers?|scientists?|users?|customers?"
    r"|subscribers?|experts?|specialists?|consultants?|architects?|teams?|leads?|managers?"
    r"|products?|startups?|enthusiasts?|fans?|courses?|certifications?|certified)\b)"
)
# "trained by Google engineers during my internship" is a person's story.
_NOT_PEOPLE = (
    r"(?![\s-]+(?:engineers?|employees?|staff|experts?|researchers?|recruiters?|managers?"
    r"|mentors?|instructors?|teachers?|coaches?|trainers?|people|folks|veterans?)\b)"
)
_ROLE_OF_MAKER = r"(?:developers?|creators?|makers?|trainers?|parent\s+company|training\s+team)"
_MAKES_ME = (
    r"(?:developed|created|trained|built|made|designed|programmed|fine-?tuned)\s+me\b"
    r"(?!\s+(?:a|an|in|as|for)\b)"
)
_POLICIES = r"(?:\w+\s+){0,2}(?:policies|policy|guidelines|rules|terms)"

#: Self-reference patterns (case-insensitive unless marked), each a way an answer names its author.
LEAK_PATTERNS: tuple[re.Pattern[str], ...] = tuple(
    re.compile(p, re.IGNORECASE)
    for p in (
        # "I was trained by the makers of Gemini", "I've been developed at Google"
        rf"\b{_I_AM}\s+(?:\w+\s+){{0,2}}?(?:{_MAKER}\s+(?:and\s+\w+\s+)?by|{_MADE_AT}\s+at)\s+"
        rf"\b{VENDOR_REF}{_NOT_PEOPLE}",
        # "Trained by Google, I …", "Built by the lab behind ChatGPT, I …"
        rf"{_CLAUSE}(?:being\s+)?{_MAKER}\s+(?:by|at)\s+{VENDOR_REF}\s*,\s*(?:I|my)\b",
        # "I'm a product of the company that makes Claude", "my training by OpenAI"
        rf"\b(?:I\s+am|I['’]m|I\s+was)\s+(?:an?\s+)?(?:\w+\s+)?(?:product|creation|project)\s+"
        rf"(?:of|from|by)\s+{VENDOR_REF}",
        rf"\bmy\s+(?:\w+\s+)?training\s+(?:\w+\s+)?(?:by|at|from)\s+{VENDOR_REF}",
        # "OpenAI, the company that trained me", "the lab that built me, Anthropic"
        rf"\b{VENDOR_REF}[\s,(—–-]+(?:the\s+)?{_ORG}\s+(?:that|who|which)\s+(?:\w+\s+)?{_MAKES_ME}",
        rf"\b(?:the\s+)?{_ORG}\s+(?:that|who|which)\s+(?:\w+\s+)?{_MAKES_ME}[\s,:(—–-]+"
        rf"(?:is\s+|was\s+)?{VENDOR_REF}",
        # "As an AI model developed by OpenAI", "I'm a helpful assistant from Mistral AI",
        # "as a large language model, trained by the lab behind ChatGPT"
        rf"{_I_AM_OR_AS}\s+(?:an?\s+|the\s+)?(?:[\w-]+\s+){{0,4}}?{_SELF_NOUN}\s*,?\s+"
        rf"(?:(?:\w+\s+)?{_MAKER}\s+(?:by|at)|from|by|of)\s+{VENDOR_REF}",
        # "This model was trained by Google DeepMind"
        rf"\bthis\s+{_SELF_NOUN}\s+(?:was|is|has\s+been)\s+(?:\w+\s+)?{_MAKER}\s+(?:by|at)\s+"
        rf"\b{VENDOR_REF}",
        # "I'm an OpenAI language model", "as a Google-trained assistant", "I am an Anthropic AI"
        rf"{_I_AM_OR_AS}\s+(?:an?\s+)?{VENDOR_REF}(?:[- ]\w+)?\s+{_SELF_NOUN}\b{_NOT_A_JOB}",
        # "I'm a Llama model", "as a GPT-4-based assistant", "I am a Claude model"
        rf"{_I_AM_OR_AS}\s+(?:an?\s+)?{_ASSISTANT}(?:[- ]?(?:based|powered|class|family))?"
        rf"\s+{_SELF_NOUN}\b{_NOT_A_JOB}",
        # "I am Claude", "I'm ChatGPT", "my name is Gemini", "this is Le Chat", "call me Grok"
        rf"\b(?:I\s+am|I['’]m|I\s*,|my\s+name\s+is|this\s+is|call\s+me|know\s+me\s+as)\s+"
        rf"{_CLAIMED}",
        # "As ChatGPT, I ...", "As Claude I cannot ...", "as Gemini, my answer ..."
        rf"\bas\s+{_CLAIMED}\s*,?\s+(?:I|my|me)\b",
        # "my developers at Anthropic", "my creators, OpenAI,", "my parent company Google"
        rf"\bmy\s+(?:own\s+|original\s+)?{_ROLE_OF_MAKER}\s*(?:,\s*|\s+(?:at|from|of|is|are|"
        rf"was|were)\s+|\s+)(?:the\s+)?{VENDOR_REF}",
        # "Anthropic, my creator", "OpenAI is my developer"
        rf"\b{VENDOR_REF}\s*(?:,\s*|\s+(?:is|are|was|were)\s+)(?:also\s+)?my\s+{_ROLE_OF_MAKER}\b",
        # "Mistral AI built me", "the lab behind ChatGPT originally trained me"
        rf"\b{VENDOR_REF}\s+(?:\w+\s+)?(?:has\s+|have\s+)?{_MAKES_ME}",
        # "I'm based on GPT-4", "I'm a version of Claude", "I run on Llama", "I'm powered by Gemini"
        rf"\b{_I_AM}\s+(?:\w+\s+)?(?:based\s+on|built\s+on|built\s+upon|derived\s+from|"
        rf"fine-?tuned\s+from|a\s+fine-?tune\s+of|a\s+version\s+of|a\s+variant\s+of)\s+"
        rf"(?:the\s+)?(?:{_ASSISTANT}|{VENDOR_REF})",
        rf"\b(?:{_I_AM}|I)\s+(?:\w+\s+)?(?:powered\s+by|running\s+on|run\s+on)\s+"
        rf"(?:the\s+)?(?:{_ASSISTANT}|{VENDOR_REF})",
        # "my underlying model is GPT-4", "the model behind me is Claude"
        rf"\b(?:my\s+(?:underlying|base|foundation|core)\s+(?:language\s+)?model|the\s+model\s+"
        rf"behind\s+me)\s+(?:is|was)\s+(?:an?\s+)?(?:{_ASSISTANT}|{VENDOR_REF})",
        # "I'm part of the Claude family", "I'm one of the GPT-4 models"
        rf"\b(?:I\s+am|I['’]m)\s+(?:part\s+of|one\s+of|a\s+member\s+of)\s+the\s+"
        rf"(?:{_ASSISTANT}|{VENDOR_REF})\s+(?:family|series|line|models?|lineup)",
        # "I'm the model behind ChatGPT", "I power Copilot", "I'm better known as ChatGPT"
        rf"\b{_I_AM}\s+(?:the\s+)?(?:\w+\s+)?{_SELF_NOUN}\s+(?:behind|that\s+powers|powering|"
        rf"inside)\s+{_ASSISTANT}",
        rf"\bI\s+(?:also\s+)?power\s+{_ASSISTANT}",
        rf"\b{_I_AM}\s+(?:\w+\s+){{0,3}}?(?:known|called|referred\s+to|branded|marketed)\s+"
        rf"(?:as|by\s+the\s+name)\s+{_ASSISTANT}",
        # "I must follow OpenAI's usage policies", "Anthropic's guidelines don't allow me to"
        rf"\bI\s+(?:must\s+|have\s+to\s+|need\s+to\s+|am\s+required\s+to\s+|['’]m\s+required\s+"
        rf"to\s+)?(?:follow|adhere\s+to|comply\s+with|abide\s+by|respect)\s+(?:\w+\s+){{0,2}}?"
        rf"\b{VENDOR_REF}['’]s\s+{_POLICIES}",
        rf"\b{VENDOR_REF}['’]s\s+{_POLICIES}\s+(?:do\s+not\s+|don['’]t\s+)?(?:allow|permit|"
        rf"prevent|prohibit|forbid|restrict|stop)s?\s+me\b",
    )
)

#: Lower-case stems of every name in :data:`VENDORS` and :data:`ASSISTANTS`: a text with
#: none of them cannot match a pattern. Substring tests, so a plain answer costs a few
#: microseconds (a unit test checks that every name starts with one of these).
NAME_STEMS = (
    "openai", "anthropic", "google", "deepmind", "meta", "mistral", "alibaba", "qwen",
    "deepseek", "xai", "microsoft", "cohere", "amazon", "aws", "ai21", "moonshot", "zhipu",
    "baidu", "nvidia", "ibm", "perplexity", "together", "hugging", "inflection", "chatgpt",
    "gpt", "o1", "o3", "o4", "claude", "gemini", "bard", "gemma", "palm", "llama", "mixtral",
    "le chat", "grok", "copilot", "phi", "command", "kimi", "glm", "ernie", "nemotron",
)  # fmt: skip

#: Every vendor or assistant name, as a whole word: a sentence without one is not a leak.
MENTIONS = re.compile(rf"\b(?:{_VENDOR}|{_ASSISTANT})", re.IGNORECASE)

#: Where a sentence ends: no pattern reaches across one.
SENTENCE_BREAK = re.compile(r"(?<=[.!?\n])\s+")
