"""Phrase tables of the simulated models' answers: openers, fillers, chatter, stopwords, tones.

Plain data, read by :mod:`~blindside.demo.prose` (open-ended answers) and
:mod:`~blindside.demo.compose` (answers with a reference). Changing a phrase
changes the demo's answers, and with them any seeded demo database.
"""

from __future__ import annotations

REASONS = (
    "the key facts stated in the prompt point to one consistent answer.",
    "checked the stated details against the question and ruled out the alternatives.",
    "reading the request closely, the details support a single conclusion.",
    "the wording of the question and the information given settle it.",
)
PAD_INTROS = (
    "Great question! This is the kind of thing that is worth thinking through in depth, so "
    "let me walk through it. After weighing the wording, the context and every relevant "
    "detail, and after considering all of the possible interpretations, the most fitting "
    "answer is given below.",
    "Thank you for this interesting question. It is important to consider the full context "
    "before answering, since details matter a great deal in cases like this one. Having "
    "looked at the question from several angles, here is the answer.",
)
PAD_OPENERS = (
    "I hope this message finds you well. I wanted to take a moment to respond in full, because "
    "this matters, and it deserves a thorough and complete answer that leaves no stone unturned.",
    "Thank you so much for this request. Before getting into it, it is worth saying that every "
    "detail here matters, so what follows covers all of it, in full, from start to finish.",
)
JSON_INTROS = (
    "Certainly! Here is the requested information, extracted and organised as JSON so that "
    "it can be used directly:",
    "Here is the structured data you asked for. I have organised every field as JSON below "
    "for convenience:",
)
CHAT_PRE = ("ok so i think it's", "hmm, pretty sure the answer is", "easy one!! it's")
CHAT_LEADS = (
    "ok so basically:",
    "right, so:",
    "soooo",
    "ha, fun one:",
    "well,",
    "honestly?",
    "quick take:",
    "oh nice.",
    "hmm okay:",
    "love this.",
    "alright:",
    "short version:",
)
CHAT_SHOUTS = ("CHEERS!!!", "LOVE IT!!!", "BYE!!!")
CHAT_POST = ("lol", "(i think)", "hope that helps!!", "let me know if you need anything else!")
UNSURE = (
    "It is not possible to tell from the information given.",
    "That depends on details that were not provided.",
    "The answer is unclear from the question as written.",
)
OFF_TOPIC = (
    "Honestly, this reminds me of how octopuses have three hearts and blue blood. Nature is "
    "wild. Anyway, hope that helps!",
    "Good question. On a related note, the best time to water a garden is early morning, "
    "before the sun gets too strong. Cheers!",
    "Interesting! By the way, did you know that honey never spoils? Archaeologists have found "
    "edible honey in ancient tombs.",
)
_STOPWORDS_TEXT = """a an the and or but if then than that this these those with without
    for from into onto
    about above below over under to of in on at by as is are was were be been being it its we
    our you your they their them he she his her me my not no yes do does did can could should
    would will shall may might must please write draft compose create make give provide short
    brief using use tone email message reply respond text following who what when where why
    how which some any all each more most very just also only so such whose has have had
    words sentence sentences paragraph paragraphs keep under less than there here tagline
    slogan headline copy rewrite rephrase summarise summarize summary announcement post
    customer customers"""
STOPWORDS = frozenset(_STOPWORDS_TEXT.split())
TONES = (
    "friendly",
    "formal",
    "professional",
    "apologetic",
    "playful",
    "warm",
    "concise",
    "enthusiastic",
    "empathetic",
    "casual",
)
TO_READER = {"their": "your", "his": "your", "her": "your", "they": "you", "them": "you"}
# Light register changes so a rewrite visibly follows the requested tone.
FORMAL = (
    (r"\bhey guys\b|\bhi guys\b|\bhey\b", "Hello"),
    (r"\bguys\b", "everyone"),
    (r"\bdon't\b", "do not"),
    (r"\bcan't\b", "cannot"),
    (r"\bwon't\b", "will not"),
    (r"\bit's\b", "it is"),
    (r"\bgonna\b", "going to"),
    (r"\bwanna\b", "want to"),
    (r"\bthx\b|\bthanks\b", "thank you"),
    (r",?\s*\bok\b\.?", "."),
    (r"\bASAP\b", "as soon as possible"),
)
