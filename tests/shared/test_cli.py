"""The command line refuses bad input with one line naming it, never a traceback."""

import pytest

from collegebot.cli import build_parser


@pytest.mark.parametrize(
    ("argv", "named"),
    [
        (["purge", "--older-than", "inf"], "'inf' is not a number of days"),
        (["purge", "--older-than", "1e10"], "'1e10' is not a number of days"),
        (["purge", "--older-than", "-1"], "'-1' is not a number of days"),
        (["search", "fee", "--k", "0"], "'0' is not a number of passages"),
        (["eval", "answers", "--qa", "/no/such.jsonl"], "/no/such.jsonl: no such file"),
        (["eval", "retrieval", "--qa", "{qa}", "--kb", "/no/such"], "/no/such: no such folder"),
        (["eval", "answers", "--qa", "{broken}"], "broken.jsonl:2: not a JSON object"),
    ],
)
def test_bad_arguments_are_named_in_one_line(tmp_path, capsys, argv, named) -> None:
    qa, broken = tmp_path / "qa.jsonl", tmp_path / "broken.jsonl"
    qa.write_text('{"question": "fees?", "expected_text": "Rs."}\n')
    broken.write_text('{"question": "fees?", "expected_text": "Rs."}\n{"question": "fees?",\n')
    argv = [a.format(qa=qa, broken=broken) for a in argv]
    with pytest.raises(SystemExit) as stopped:
        build_parser().parse_args(argv)
    assert stopped.value.code == 2
    error = capsys.readouterr().err.strip().splitlines()[-1]
    assert named in error and "Traceback" not in error
