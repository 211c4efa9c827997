"""``--ca FILE``: the CLI reads the certificates and the command carries them as ``ca_pem``,
to a local run and through a hub alike; no command names a file on the hub or an agent."""

from __future__ import annotations

import http.server
import json
import os
import ssl
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import trustme
from upprocess import UpProcess, cloudping_argv, start_up, stop

from cloudping.channels.cli.cafile import read_ca, with_ca
from cloudping.channels.cli.options import CliOptions, split_options
from cloudping.commands import DnsCommand, parse_args
from cloudping.commands.pem import MAX_PEM_CHARS
from cloudping.errors import UsageError
from cloudping.policy import DEFAULT_LIMITS

RUN_TIMEOUT_S = 60.0


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def ca_file(ca: trustme.CA, tmp_path: Path) -> Path:
    path = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(path))
    return path


def test_ca_is_a_process_option_read_by_the_cli(ca_file: Path) -> None:
    pem = ca_file.read_text()
    options, words = split_options(["dns", "--ca", str(ca_file), "x.test"])
    assert (options.ca, words) == (str(ca_file), ["dns", "x.test"])
    assert split_options(["dns", f"--ca={ca_file}", "x.test"])[0].ca == str(ca_file)
    assert split_options(["dns", "--", "--ca", "x"]) == (CliOptions(), ["dns", "--", "--ca", "x"])
    assert read_ca(str(ca_file)) == pem


@pytest.mark.parametrize("words", [["dns", "--ca"], ["dns", "--ca", "--", "x"], ["dns", "--ca="]])
def test_ca_without_a_file_is_a_usage_error(words: list[str]) -> None:
    with pytest.raises(UsageError, match="--ca needs a file name"):
        split_options(words)


def test_read_ca_refuses_a_missing_file_one_too_big_or_not_text(tmp_path: Path) -> None:
    big, binary = tmp_path / "big.pem", tmp_path / "bin.pem"
    big.write_bytes(b"A" * (MAX_PEM_CHARS + 1))
    binary.write_bytes(b"\xff\xfe")
    with pytest.raises(UsageError, match="No such file"):
        read_ca("/nonexistent/ca.pem")
    with pytest.raises(UsageError, match="larger than 64 KiB"):
        read_ca(str(big))
    with pytest.raises(UsageError, match="not PEM text"):
        read_ca(str(binary))


def test_with_ca_puts_the_certificates_in_the_command(ca: trustme.CA) -> None:
    pem = ca.cert_pem.bytes().decode()
    cmd = with_ca(parse_args(["dns", "-t", "AAAA", "x.test"]), pem, DEFAULT_LIMITS)
    assert cmd == DnsCommand(names=("x.test",), type="AAAA", ca_pem=pem)
    assert with_ca(cmd, None, DEFAULT_LIMITS) is cmd


def test_with_ca_refuses_commands_without_certificates_and_text_without_one() -> None:
    with pytest.raises(UsageError, match="only dns and http verify certificates"):
        with_ca(parse_args(["ping", "x.test"]), "pem", DEFAULT_LIMITS)
    with pytest.raises(UsageError, match="no readable PEM certificate"):
        with_ca(parse_args(["dns", "x.test"]), "hello\n", DEFAULT_LIMITS)


@pytest.fixture(scope="module")
def up(tmp_path_factory: pytest.TempPathFactory) -> Iterator[UpProcess]:
    """One ``cloudping up --serve 127.0.0.0/8`` for this module's tests."""
    running = start_up(tmp_path_factory.mktemp("up") / "data", "--serve", "127.0.0.0/8")
    try:
        yield running
    finally:
        stop(running)


class _Hello(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Length", "5")
        self.end_headers()
        self.wfile.write(b"hello")

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: the test reads the CLI's output, not the server's log."""


@pytest.fixture
def tls_site(ca: trustme.CA) -> Iterator[str]:
    """An HTTPS server on 127.0.0.1 with a certificate of ``ca``; its URL."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(context)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Hello)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"https://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def _http_json(*words: str) -> tuple[int, dict[str, object]]:
    clean = {key: value for key, value in os.environ.items() if not key.startswith("CLOUDPING_")}
    done = subprocess.run(
        cloudping_argv("--json", "http", *words),
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT_S,
        env=clean,
        check=False,
    )
    events = [json.loads(line) for line in done.stdout.splitlines()]
    [event] = [event for event in events if event["type"] == "http"] or [{"stderr": done.stderr}]
    return done.returncode, event


def test_the_ca_file_is_trusted_on_a_local_run(tls_site: str, ca_file: Path) -> None:
    status, event = _http_json("--ca", str(ca_file), tls_site)
    assert (status, event.get("status")) == (0, 200), event


def test_the_ca_file_travels_through_the_hub_as_ca_pem(
    up: UpProcess, tls_site: str, ca_file: Path
) -> None:
    hub = ("--hub", up.url, "--token", up.token)
    status, event = _http_json(*hub, "--ca", str(ca_file), tls_site)
    assert (status, event.get("status")) == (0, 200), event
    _, untrusted = _http_json(*hub, tls_site)
    assert "certificate not trusted" in str(untrusted.get("error")), untrusted
