"""Commands a student can send instead of a question, answered before any AI is involved."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum

from collegebot.settings import InstitutionSettings
from services.gateway.twilio_io import MAX_BODY_CHARS

# How long a "delete my data" waits for its confirmation.
CONFIRM_WINDOW = timedelta(minutes=10)


class Command(StrEnum):
    help = "help"
    human = "human"
    delete_request = "delete_request"
    delete_confirm = "delete_confirm"
    stop = "stop"
    feedback = "feedback"  # the previous answer did not help


# Only a whole message is a command: "help me with the hostel fee" is a question.
_PHRASES = {
    "help": Command.help,
    "menu": Command.help,
    "human": Command.human,
    "agent": Command.human,
    "talk to a human": Command.human,
    "delete my data": Command.delete_request,
    "confirm delete": Command.delete_confirm,
    "stop": Command.stop,
    "unsubscribe": Command.stop,
    "not helpful": Command.feedback,
    "unhelpful": Command.feedback,
    "wrong": Command.feedback,
    "that s wrong": Command.feedback,
    "that is wrong": Command.feedback,
    "this is wrong": Command.feedback,
    "didn t help": Command.feedback,
    "not useful": Command.feedback,
}
# A thumbs down, in any skin tone, alone or repeated.
_THUMBS_DOWN = re.compile("^(?:\U0001f44e[\U0001f3fb-\U0001f3ff]?\ufe0f?\\s*)+$")


def parse_command(text: str) -> Command | None:
    """The command `text` is, ignoring case, punctuation and extra spaces; None for a question."""
    if _THUMBS_DOWN.match(text.strip()):
        return Command.feedback
    words = re.sub(r"[^\w\s]", " ", text.lower()).split()
    return _PHRASES.get(" ".join(words))


@dataclass(frozen=True)
class GatewayReplies:
    """What the gateway says on its own: each command's reply, and the replies to messages it
    will not or cannot pass to the AI (too long, not text, rag or llm unreachable, too busy)."""

    help: str
    human: str
    delete_request: str
    delete_confirm: str
    delete_not_requested: str
    delete_unavailable: str
    stop: str
    feedback: str
    text_only: str
    type_a_question: str
    too_long: str
    unreachable: str
    busy: str

    @classmethod
    def for_college(cls, institution: InstitutionSettings) -> GatewayReplies:
        minutes = int(CONFIRM_WINDOW.total_seconds() // 60)
        return cls(
            help=(
                f"Hi! I answer questions about {institution.college_name} from its official "
                "documents: admissions, fees, hostel, exams, library and more. Just type your "
                "question.\n\n"
                "*human*: talk to a person\n"
                "*delete my data*: erase everything I keep about you\n"
                "*👎* or *not helpful*: tell me an answer didn't help\n"
                "*stop*: end the conversation"
            ),
            human=institution.handoff(),
            delete_request=(
                "This erases every message of yours that I keep. To go ahead, reply "
                f"*confirm delete* within {minutes} minutes."
            ),
            delete_confirm="Done: every record of your messages has been erased.",
            delete_not_requested=("To erase your data, first send *delete my data*, then confirm."),
            delete_unavailable=(
                "Sorry, I can't erase your data right now. Please try again in a few minutes."
            ),
            stop=("OK, I won't send you anything more. Message me any time you need help again."),
            feedback="Thanks for telling me. I've noted that my last answer didn't help, so the "
            "student services team can improve it. Type *human* to reach a person.",
            text_only="I can only read text messages for now. Please type your question.",
            type_a_question="Please type your question.",
            too_long=f"That message is too long for me. Please ask in under {MAX_BODY_CHARS:,} "
            "characters.",
            unreachable="Sorry, I can't reach the college handbook right now. Please try again "
            f"in a few minutes or contact {institution.college_helpdesk}.",
            busy="Lots of students are asking me right now and I couldn't get to your question. "
            "Please send it again in a minute.",
        )

    def for_command(self, command: Command) -> str:
        return getattr(self, command.value)
