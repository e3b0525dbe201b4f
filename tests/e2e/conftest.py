"""The `collegebot up` stack every end-to-end module shares: one per module, so each counts
its own requests. Each starts from the session's index of data/ (tests/conftest.py); a module
overrides `stack_settings` to add to the stack's environment."""

import pytest

from tests.servers import CollegebotUp

TOKEN = "e2e-token-0123456789abcdef"


@pytest.fixture(scope="module")
def stack_settings() -> dict[str, str]:
    return {}


@pytest.fixture(scope="module")
def stack(tmp_path_factory, stack_settings, indexed_state):
    state = tmp_path_factory.mktemp("e2e-state")
    up = CollegebotUp(state, TOKEN, stack_settings, seed=indexed_state)
    yield up
    up.close()
