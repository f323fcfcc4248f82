"""The CLI's console shows our records; libraries' records and Python warnings go to the file."""

from __future__ import annotations

import logging
import warnings
from pathlib import Path

import pytest

from trendstream.cli import logs


@pytest.fixture
def restore_root():
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    for handler in root.handlers[:]:
        if handler not in handlers:
            root.removeHandler(handler)
            handler.close()
    root.setLevel(level)
    logging.captureWarnings(False)


@pytest.mark.parametrize("verbose", [0, 1])
def test_library_noise_goes_to_the_file(
    tmp_path: Path, capsys: pytest.CaptureFixture, restore_root, verbose: int
) -> None:
    log_file = tmp_path / "logs" / "cli.log"
    logs.configure(verbose, log_file)
    logs.configure(verbose, log_file)  # again, as in-process tests do: handlers replaced
    logging.getLogger("trendstream.demo").warning("our warning")
    logging.getLogger("py4j.clientserver").warning("py4j chatter")
    with warnings.catch_warnings():
        warnings.simplefilter("always")
        warnings.warn("pandas says so", FutureWarning, stacklevel=1)
    console = capsys.readouterr().err
    written = log_file.read_text()
    assert console.count("our warning") == 1
    assert ("py4j chatter" in console) is bool(verbose)
    assert ("pandas says so" in console) is bool(verbose)
    assert all(s in written for s in ("our warning", "py4j chatter", "pandas says so"))
