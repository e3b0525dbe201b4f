"""Write collegebot/english_near_sign_words.txt: the English words of six letters or more that
are one or two edits from one of the emergency rules' sign words (collegebot/emergency.py,
`sign_word_near`), which the rules must not respell ("talking" stays, "unconcious" becomes
"unconscious"). Run after changing SIGN_WORDS; tests/shared/test_emergency_reading.py checks
the file is current.

    .venv/bin/python scripts/sign_word_neighbours.py
"""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from spellchecker import SpellChecker  # noqa: E402

from collegebot.emergency import sign_word_near  # noqa: E402

TARGET = ROOT / "collegebot" / "english_near_sign_words.txt"


def neighbours() -> list[str]:
    """pyspellchecker's English words that `sign_word_near` would respell, sorted."""
    english = SpellChecker(distance=1).word_frequency.dictionary
    return sorted(w for w in english if len(w) >= 6 and w.isalpha() and sign_word_near(w))


def main() -> None:
    words = neighbours()
    TARGET.write_text("\n".join(words) + "\n")
    print(f"wrote {len(words)} words to {TARGET.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
