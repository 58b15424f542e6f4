"""Run the test suite with every clock the tests can reach moved ahead: `make test-any-day`.

`python -m tests.any_day [DAYS] [PYTEST ARGS]` (400 days unless told) re-runs pytest with
libfaketime preloaded (the PyPI package ships its own build), so the wall clock of this
process and of every process it starts (the bot, a Chroma server) reads DAYS later. Only the
wall clock moves: a faked monotonic clock makes Python's timed waits hang. A test that passes
today and fails here depends on today's date.
"""

from __future__ import annotations

import os
import sys

import libfaketime


def main(argv: list[str]) -> None:
    days = int(argv[0]) if argv and argv[0].isdigit() else 400
    pytest_args = argv[1:] if argv and argv[0].isdigit() else argv
    _, preload = libfaketime.get_reload_information()
    env = {
        **os.environ,
        **preload,
        "FAKETIME": f"+{days}d",
        "DONT_FAKE_MONOTONIC": "1",
        "FAKETIME_DONT_FAKE_MONOTONIC": "1",
    }
    command = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *pytest_args]
    os.execvpe(sys.executable, command, env)


if __name__ == "__main__":
    main(sys.argv[1:])
