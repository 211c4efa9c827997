"""``cloudping ... | head -1``: when the reader goes, the run stops quietly (no traceback)."""

from __future__ import annotations

import os
import subprocess

from upprocess import cloudping_argv

STOP_BOUND_S = 15.0  # the whole ping would take 30 s (150 probes at 0.2 s): it must stop sooner


def test_a_closed_pipe_stops_the_run_without_a_traceback() -> None:
    argv = cloudping_argv("ping", "-c", "150", "-i", "0.2", "127.0.0.1", "--json")
    with subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE) as proc:
        try:
            assert proc.stdout is not None
            assert proc.stdout.readline().startswith(b'{"type":"measurement"')
            proc.stdout.close()  # as `head -1` does after its line
            _, err = proc.communicate(timeout=STOP_BOUND_S)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait(timeout=10)
    assert err.decode() == ""
    assert proc.returncode in (0, 1)


def test_help_into_a_closed_pipe_ends_without_a_traceback() -> None:
    # The reader is gone before help is printed: the first write meets a closed pipe.
    read, write = os.pipe()
    os.close(read)
    with os.fdopen(write, "wb") as closed:
        done = subprocess.run(
            cloudping_argv("help"), stdout=closed, stderr=subprocess.PIPE, timeout=60, check=False
        )
    assert done.stderr.decode() == ""
    assert done.returncode == 0
