"""`.env.example` and the README document every setting the code reads."""

import re

from collegebot import settings
from tests.conftest import ROOT


def all_variables() -> set[str]:
    classes = [
        c
        for c in vars(settings).values()
        if isinstance(c, type) and issubclass(c, settings._Settings) and c is not settings._Settings
    ]
    assert len(classes) >= 8
    return {name.upper() for c in classes for name in c.model_fields}


def test_env_example_lists_every_setting_and_nothing_stale() -> None:
    listed = set(re.findall(r"^([A-Z][A-Z0-9_]+)=", (ROOT / ".env.example").read_text(), re.M))
    assert listed == all_variables()


def test_readme_explains_every_setting() -> None:
    readme = (ROOT / "README.md").read_text()
    missing = [v for v in sorted(all_variables()) if f"`{v}`" not in readme]
    assert not missing, missing
