"""The command line: bad flags and unusable places end with one readable line and a non-zero exit."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import pytest

from server.__main__ import main
from server.settings import REPO_ROOT


def run_cli(*args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "server", *args], cwd=REPO_ROOT, capture_output=True, text=True, timeout=timeout
    )


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--port", "abc"], "invalid port 'abc'"),
        (["--port", "70000"], "must be 0-65535"),
        (["--bogus"], "unrecognized arguments: --bogus"),
        (["--smtp-url", "http://mail.example"], "invalid --smtp-url 'http://mail.example'"),
        (["--smtp-url", "smtp://mail.example:99999"], "bad port"),
    ],
)
def test_bad_flags_give_one_line_and_exit_2(args: list[str], says: str, capsys: pytest.CaptureFixture) -> None:
    with pytest.raises(SystemExit) as exited:
        main(args)
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert says in err
    assert err.count("\n") == 1


def test_unusable_data_dir_gives_one_line_and_nonzero_exit(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    assert main(["--data-dir", str(blocker / "data")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("casework: error: data dir")
    assert err.count("\n") == 1


def test_busy_port_gives_one_line_and_nonzero_exit(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run_cli("--port", str(port), "--data-dir", str(tmp_path / "data"))
    assert result.returncode == 1
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr
    assert result.stderr.count("\n") == 1
    assert "Traceback" not in result.stderr


def test_help_lists_the_flags() -> None:
    result = run_cli("--help")
    assert result.returncode == 0
    for flag in ("--host", "--port", "--data-dir"):
        assert flag in result.stdout
