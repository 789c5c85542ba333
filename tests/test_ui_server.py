"""The real Gradio server, started as `policyqa serve`, answering through gradio_client's `/ask`."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow
PROJECT_ROOT = Path(__file__).resolve().parent.parent
START_TIMEOUT_S = 90


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def server_url(real_assistant):  # real_assistant: the index exists before the server starts
    port = _free_port()
    env = os.environ | {"GRADIO_ANALYTICS_ENABLED": "False", "HF_HUB_OFFLINE": "1", "HF_HUB_DISABLE_TELEMETRY": "1"}
    process = subprocess.Popen(
        [sys.executable, "-m", "assistant", "serve", "--port", str(port)],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + START_TIMEOUT_S
    try:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                pytest.fail(f"server exited early: {process.stderr.read().decode(errors='replace')}")
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.5)
        else:
            pytest.fail("server did not start in time")
        yield f"http://127.0.0.1:{port}/"
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()


def test_ask_endpoint_returns_the_ask_json_object(server_url):
    from gradio_client import Client

    client = Client(server_url, verbose=False)
    result = client.predict("福建对盲人医疗按摩诊所有哪些扶持?", api_name="/ask")
    assert set(result) >= {"question", "rewritten", "regions", "in_scope", "message", "answer", "passages"}
    assert result["passages"][0]["id"] == "fujian-5-3"
    assert result["regions"] == ["福建"]


def test_ask_endpoint_takes_region_k_and_history(server_url):
    from gradio_client import Client

    client = Client(server_url, verbose=False)
    result = client.predict("那吉林呢?", None, 3, ["福建对盲人医疗按摩诊所有哪些扶持?"], api_name="/ask")
    assert result["rewritten"] == "吉林对盲人医疗按摩诊所有哪些扶持?"
    assert len(result["passages"]) == 3 and result["passages"][0]["id"] == "jilin-2-3-7"


def test_serve_binds_loopback_unless_told_otherwise():
    from assistant.cli import build_parser

    arguments = build_parser().parse_args(["serve"])
    assert (arguments.host, arguments.port) == ("127.0.0.1", 7860)
