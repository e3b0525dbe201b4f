"""`collegebot search` shows what the bot itself would retrieve."""

import json

from tests.conftest import base_env, run_cli


def passages(state, *args: str, **settings: str) -> list[dict]:
    env = {**base_env(state), **settings}
    done = run_cli("search", "hostel fee per semester", "--json", *args, env=env)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)["passages"]


def test_search_retrieves_as_many_passages_as_the_bot_unless_told(indexed_state) -> None:
    assert len(passages(indexed_state, RETRIEVE_K="2")) == 2
    assert len(passages(indexed_state, "--k", "4", RETRIEVE_K="2")) == 4
