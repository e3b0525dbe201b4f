"""What the llm service says on its own, without passages or a model (the gateway's own replies
are services/gateway/commands.py's GatewayReplies)."""

from __future__ import annotations

from collegebot import emergency
from collegebot.sanitise import strip_invisible
from collegebot.settings import InstitutionSettings
from collegebot.v1.common_pb2 import Passage
from services.llm.enhancer import label

DONT_KNOW = "I don't know that from the college's documents"
CLOSEST = "The closest I have is"  # how an "I don't know" points to a section
NAMED_UP_TO = 80  # characters of a section's name quoted when pointing to it


class Replies:
    def __init__(self, institution: InstitutionSettings) -> None:
        self.institution = institution

    def dont_know(self, intent: str, nearest: Passage | None = None) -> str:
        """ "I don't know" and the office to ask; with `nearest`, the part of the documents
        closest to the question too, so a student whose wording the answerer missed still finds
        the page (the claim stays "I don't know": nothing from it is said as an answer)."""
        i = self.institution
        closest = ""
        if nearest is not None:
            # A document's heading (or its title), on one line without invisible characters.
            names = (" ".join(strip_invisible(n).split()) for n in (nearest.section, nearest.title))
            where = next((n for n in names if n), "")[:NAMED_UP_TO]
            named = f'"{where}" in {label(nearest)}' if where else label(nearest)
            closest = f" {CLOSEST} {named}; it may help."
        office = f"{i.office_for(intent)} ({i.college_office_hours})"
        return f"{DONT_KNOW}.{closest} Please contact {office}."

    def greeting(self) -> str:
        return (
            f"Hello! I'm the help desk assistant of {self.institution.college_name}. Ask me about "
            "admissions, fees, exams, attendance, hostel, library, scholarships, placements, "
            "transport or Wi-Fi."
        )

    def thanks(self) -> str:
        return "You're welcome! Ask me anything else about the college."

    def human(self) -> str:
        return self.institution.handoff()

    def emergency(self, kind: str, contacts: list[str]) -> str:
        return emergency.reply_text(kind, contacts, self.institution.college_helpdesk)
