"""Whether a message depends on the student's previous turn ("and for the hostel?", "what about
it?") or stands on its own ("what's the capital of France"). rag, llm and the gateway's answer
cache all ask this one question, so an unrelated question is never read with the last one.

The rule reads the message alone (the gateway asks before it fetches any history). A message
leans on the last turn when it opens like a continuation, points back (a pronoun with nothing in
the message to point at), offers a choice about an unnamed thing ("originals or photocopies?"),
or names no topic of its own: it asks only for a property ("timings?", "documents kya kya
lagenge") or is one bare word ("mtech?"). A message with a topic of its own (three content words
or more) stands alone even when it says "it" ("is kvc connect down? it's not loading").
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TypeVar

# A message that opens like a continuation ("and for the hostel?", "for how many days?", "what if
# I lost it"), in English or Hinglish.
_CONTINUES = re.compile(
    r"^\s*(and|or|also|but|what about|how about|same for|then|so|toh|aur|or phir|for|what if"
    r"|in that case|only|even)\b",
    re.I,
)


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Words that point back: English pronouns and Hinglish ones ("uski fees", "usme"); "one" and
# "ones" only where they stand for a noun ("do i need to book one?", "medical ones included?").
_POINTERS = _words(
    """it its that this those these there them they he she him his her same wahi woh wo vo uska
    uski uske usme usko unka unki unke iska iski iske isme isko one ones"""
)
_POINTS_BACK = re.compile(
    r"\b(" + "|".join(sorted(_POINTERS - {"one", "ones"})) + r")\b|\bones\b|\bone\s*\W*$", re.I
)
# Words that look like pointers but point at nothing: "is it true that…", "is it allowed to…",
# "is there a…", "I heard it is", "this week", "that new course" (a determiner with a noun of
# its own). "Is it compulsory?" with nothing after it does point back.
_POINTS_NOWHERE = re.compile(
    r"\b(is|was|isn't|will)\s+(it|that)\s+(true|possible|mandatory|compulsory|allowed|necessary"
    r"|required|ok|okay|safe|free|permitted|fine)\s+(that|to|the|a|an|if|we|i|you|students|our|my)\b"
    r"|\b(is|are|was|were|isn't|aren't|any)\s+there\b|\bthere\s+(is|are|was|were)\b"
    r"|\bit\s+(is|isn't|was)\s*[?.!]*\s*$"
    r"|\b(this|that|these|those)\s+(new|week|month|semester|sem|year|time|term|weekend|morning"
    r"|evening|friday|monday|saturday|sunday)\b",
    re.I,
)
# "X or Y?" in at most four words: a choice about something the message does not name.
_CHOICE = re.compile(r"^\W*(\w+\s+){0,2}(or|ya)\s+\w+(\s+\w+)?\W*$", re.I)
# A Hinglish conditional ellipsis: "medical ho toh?" (and if it is medical?).
_IF_SO = re.compile(r"\b(ho|hai|hua)\s+(toh|to)\W*$", re.I)
# A fragment of at most four words that qualifies the last question: "on weekends?", "at night",
# "raat ko?", "which routes?".
_FRAGMENT = re.compile(
    r"^\W*((on|at|in|during|after|before|from|with|without|by|per|via|till|until|which|kaunsa"
    r"|kaunsi)\b\W*(\w+\W*){0,3}|(\w+\W+){0,2}\w+\s+(ko|mein|me|pe|tak)\W*)$",
    re.I,
)
# An acknowledgement before the message proper ("ok and do i pay it separately?").
_ACKNOWLEDGED = re.compile(
    r"^\W*(ok|okay|k|thanks|thank you|thx|hmm+|achha|acha|theek hai)\W+", re.I
)
# A message that opens with thanks, a greeting or an acknowledgement and asks nothing; or that is
# nothing else ("hello? is anyone there").
_SOCIAL = re.compile(
    r"^\W*(ok|okay|k|thanks|thank you|thanku|thankyou|thx|ty|dhanyavaad|dhanyawad|shukriya"
    r"|got it|hi|hello|hey|namaste|good morning|good afternoon|good evening|good night|bye|cool"
    r"|great|nice|fine|hmm+|is anyone there|anyone there)\b",
    re.I,
)
_ONLY_SOCIAL = re.compile(
    r"^(\W*(ok|okay|k|thanks|thank you|thx|ty|hi|hello|hey|namaste|good morning|good evening"
    r"|good night|bye|is anyone there|anyone there)\W*)+$",
    re.I,
)
# What turns an acknowledgement into a question: "ok and for pg", "thanks, what about mtech".
_ASKS = re.compile(
    r"\W*(and|but|so|what|how|when|where|who|which|why|can|is|are|do|does|aur|kya|kab|kahan"
    r"|kaise|kitna|kitni)\b",
    re.I,
)
# A Hinglish ellipsis: "pg ke liye kitna?", "kitne din me milega" (how much/long, of what?).
_ELLIPSIS = re.compile(r"^\s*(\w+\s+)?(ke liye|kitne din|kitna|kitni|kab tak)\b", re.I)

# Words that carry no topic: English and Hinglish grammar, question words, and common verbs.
_FUNCTION_WORDS = _words(
    """a an the is are was were be been being am do does did doing done i me my mine we us our
    you your he she they them their it its this that these those what whats when where who whom
    whose which why how can could should would will shall may might must to of in on at for from
    by with about as or and but if so not no yes any some all also too very just please tell
    know want get got give take make let there here now right then than till until up down out
    off over under again ever still s t m ll re ve d don doesn didn isn aren wasn won can't
    kya kab kahan kaha kaise kaisa kaun kon kitna kitni kitne hai hain ho hoga hogi hua ka ki ke
    ko se me mein pe par aur ya bhi kar karna kare karu karen karein karte milega milegi milta
    milti mil jayega jayegi jaye chahiye lagenge lagega lagegi lagta lagti sakta sakte sakti
    wapas abhi kuch koi pehle baad padta padega padti bata batao batado do de dena hota hoti
    hote tha thi the raha rahi rahe
    mujhe mera meri mere hum hamara apna apni liye wala wali wale"""
)
# What a student asks about a thing, in any college: a message of only these names no topic.
_PROPERTIES = _words(
    """time times timing timings date dates deadline deadlines last fee fees cost costs price
    charge charges amount fine fines number phone contact email mail address documents document
    papers eligible eligibility criteria process procedure steps rule rules policy apply
    application form forms location open opens close closes closed long often much many days
    day hours hour weeks week month required needed need compulsory mandatory allowed schedule
    list details status refund included include includes available possible start starts end
    ends limit din samay tarikh"""
)

T = TypeVar("T")


def _topic_words(words: list[str]) -> list[str]:
    """The message's own content words: not grammar, not a property asked about, not a number."""
    return [
        w
        for w in words
        if w not in _FUNCTION_WORDS
        and w not in _PROPERTIES
        and w not in _POINTERS
        and not w.isdigit()
        and len(w) > 1
    ]


def depends_on_previous(question: str, previous: str = "") -> bool:
    """True when the message cannot be read without the turn before it.

    `previous` is accepted so that callers may pass the earlier turn; the rule reads the message
    alone (a message that stands on its own does so whatever came before)."""
    words = re.findall(r"[a-z0-9]+", question.lower())
    if not words:
        return False
    social = _SOCIAL.match(question)
    if _ONLY_SOCIAL.match(question) or (
        social
        and "?" not in question
        and len(words) <= 6
        and not _ASKS.match(question[social.end() :])
    ):
        return False
    question = _ACKNOWLEDGED.sub("", question)
    if any(p.search(question) for p in (_CONTINUES, _CHOICE, _IF_SO, _FRAGMENT)):
        return True
    topic = _topic_words(words)
    if _POINTS_BACK.search(_POINTS_NOWHERE.sub(" ", question)):
        return len(topic) < 3
    if _ELLIPSIS.search(question) and len(topic) <= 1:
        return True
    # Only properties ("timings?"), or one bare topic word ("mtech?", "calculator?").
    return not topic or (len(topic) == 1 and len(words) == 1)


def relevant_history(question: str, history: Sequence[T], previous: str = "") -> list[T]:
    """`history` when the message leans on it, else nothing: one place that every reader of the
    earlier turns (rag's retriever, the offline answerer, the model's prompt) goes through."""
    return list(history) if history and depends_on_previous(question, previous) else []
