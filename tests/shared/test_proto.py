"""The committed stubs must be exactly what `make proto` generates from proto/."""

import filecmp
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT


def test_committed_stubs_match_the_proto_files(tmp_path: Path) -> None:
    protos = sorted(str(p.relative_to(ROOT / "proto")) for p in (ROOT / "proto").rglob("*.proto"))
    subprocess.run(
        [
            sys.executable,
            "-m",
            "grpc_tools.protoc",
            f"-I{ROOT / 'proto'}",
            f"--python_out={tmp_path}",
            f"--pyi_out={tmp_path}",
            f"--grpc_python_out={tmp_path}",
            *protos,
        ],
        check=True,
        cwd=ROOT / "proto",
    )
    generated = tmp_path / "collegebot" / "v1"
    committed = ROOT / "collegebot" / "v1"
    names = sorted(p.name for p in generated.iterdir())
    assert names, "protoc generated nothing"
    match, mismatch, missing = filecmp.cmpfiles(generated, committed, names, shallow=False)
    assert not mismatch and not missing, f"stale stubs, run `make proto`: {mismatch + missing}"
