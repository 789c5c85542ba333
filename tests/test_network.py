"""Nothing leaves this machine: `index`, `ask` and `serve` run in subprocesses under a socket guard and must not try
a single connection to anything but loopback.

The guard is a sitecustomize.py on PYTHONPATH, so it is installed before any project or library code runs. It wraps
socket.socket.connect / connect_ex / sendto, socket.create_connection and socket.getaddrinfo: a destination that is
not loopback (127.0.0.0/8, ::1, "localhost") or an AF_UNIX path is written to a log file and refused with an
exception *before* the real call, so nothing is sent. The subprocesses get none of the offline switches the test
suite sets (GRADIO_ANALYTICS_ENABLED, HF_HUB_OFFLINE, ...): the commands must be offline on their own.
"""

from __future__ import annotations

import ast
import json
import os
import shutil
import socket
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from conftest import free_port, running_server

PROJECT_ROOT = Path(__file__).resolve().parent.parent
CACHE = PROJECT_ROOT / ".policyqa" / "cache"
COMMAND_TIMEOUT_S = 240
OFFLINE_SWITCHES = ("GRADIO_ANALYTICS_ENABLED", "HF_HUB_OFFLINE", "HF_HUB_DISABLE_TELEMETRY", "TRANSFORMERS_OFFLINE")

GUARD = textwrap.dedent(
    '''
    """Test socket guard (tests/test_network.py): record and refuse every non-loopback destination."""
    import ipaddress as _ipaddress
    import json as _json
    import os as _os
    import socket as _socket
    import traceback as _traceback

    _LOG = _os.environ.get("POLICYQA_SOCKET_GUARD_LOG")
    if _LOG:  # proof that the guard is in place in this process
        with open(_LOG + ".loaded", "a", encoding="utf-8") as _loaded:
            _loaded.write(f"{_os.getpid()}\\n")
    _LOCAL_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback"}


    class OutboundConnectionRefused(PermissionError):
        pass


    def _is_local_host(host):
        if host is None:
            return True
        if isinstance(host, bytes):
            host = host.decode("ascii", "replace")
        host = str(host).split("%", 1)[0].strip("[]")
        if host.lower() in _LOCAL_NAMES:
            return True
        try:
            address = _ipaddress.ip_address(host)
        except ValueError:
            return False  # a name to resolve: that would be a DNS query
        mapped = getattr(address, "ipv4_mapped", None)
        return (mapped or address).is_loopback


    def _is_local_address(family, address):
        if family == getattr(_socket, "AF_UNIX", object()) or isinstance(address, (str, bytes)):
            return True  # an AF_UNIX path
        if isinstance(address, tuple) and address:
            return _is_local_host(address[0])
        return False


    def _refuse(function, destination):
        if _LOG:
            record = {
                "pid": _os.getpid(),
                "function": function,
                "destination": repr(destination),
                "stack": _traceback.format_stack(limit=12)[:-2],
            }
            with open(_LOG, "a", encoding="utf-8") as log:
                log.write(_json.dumps(record) + "\\n")
        raise OutboundConnectionRefused(f"socket guard: {function} to {destination!r} refused (not loopback)")


    _connect = _socket.socket.connect
    _connect_ex = _socket.socket.connect_ex
    _sendto = _socket.socket.sendto
    _create_connection = _socket.create_connection
    _getaddrinfo = _socket.getaddrinfo


    def connect(self, address):
        if not _is_local_address(self.family, address):
            _refuse("connect", address)
        return _connect(self, address)


    def connect_ex(self, address):
        if not _is_local_address(self.family, address):
            _refuse("connect_ex", address)
        return _connect_ex(self, address)


    def sendto(self, data, *args):
        address = args[-1] if args else None
        if address is not None and not _is_local_address(self.family, address):
            _refuse("sendto", address)
        return _sendto(self, data, *args)


    def create_connection(address, *args, **kwargs):
        if not _is_local_address(None, address):
            _refuse("create_connection", address)
        return _create_connection(address, *args, **kwargs)


    def getaddrinfo(host, *args, **kwargs):
        if not _is_local_host(host):
            _refuse("getaddrinfo", host)
        return _getaddrinfo(host, *args, **kwargs)


    _socket.socket.connect = connect
    _socket.socket.connect_ex = connect_ex
    _socket.socket.sendto = sendto
    _socket.create_connection = create_connection
    _socket.getaddrinfo = getaddrinfo
    '''
)

CONTROL = textwrap.dedent(
    """
    import socket, sys, time

    # Never try an outside address unless the guard is in place: without it these calls would really go out.
    if getattr(socket.socket.connect, "__module__", "") != "sitecustomize":
        sys.exit("socket guard not loaded: refusing to try outside addresses")

    outcomes = []
    def attempt(name, call):
        begin = time.monotonic()
        try:
            call()
            outcomes.append((name, "done", time.monotonic() - begin))
        except PermissionError as error:
            result = "refused" if "socket guard" in str(error) else repr(error)
            outcomes.append((name, result, time.monotonic() - begin))
        except OSError as error:
            outcomes.append((name, repr(error), time.monotonic() - begin))

    attempt("create_connection", lambda: socket.create_connection(("192.0.2.1", 9), timeout=5))
    attempt("connect", lambda: socket.socket().connect(("192.0.2.1", 9)))
    attempt("connect_ex", lambda: socket.socket().connect_ex(("192.0.2.1", 9)))
    attempt("sendto", lambda: socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b"x", ("192.0.2.1", 9)))
    attempt("getaddrinfo", lambda: socket.getaddrinfo("example.com", 80))
    port = int(sys.argv[1])
    attempt("loopback", lambda: socket.create_connection(("127.0.0.1", port), timeout=5).close())
    print(repr(outcomes))
    """
)


@pytest.fixture
def guard(tmp_path: Path):
    """(environment for a guarded subprocess, its log file)."""
    folder = tmp_path / "guard"
    folder.mkdir()
    (folder / "sitecustomize.py").write_text(GUARD, encoding="utf-8")
    log = tmp_path / "outbound.jsonl"
    env = {key: value for key, value in os.environ.items() if key not in OFFLINE_SWITCHES}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(folder), os.environ.get("PYTHONPATH")]))
    env["POLICYQA_SOCKET_GUARD_LOG"] = str(log)
    return env, log


def _attempts(log: Path) -> list[dict]:
    if not log.exists():
        return []
    return [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines() if line.strip()]


def _describe(attempts: list[dict]) -> str:
    return "\n".join(f"{a['function']} {a['destination']}\n{''.join(a['stack'][-4:])}" for a in attempts[:3])


def test_the_guard_refuses_and_records_outside_destinations_before_sending_and_lets_loopback_through(guard):
    env, log = guard
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        port = listener.getsockname()[1]
        run = subprocess.run(
            [sys.executable, "-c", CONTROL, str(port)],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert run.returncode == 0, run.stderr
    outcomes = {name: (result, seconds) for name, result, seconds in ast.literal_eval(run.stdout)}
    for name in ("create_connection", "connect", "connect_ex", "sendto", "getaddrinfo"):
        result, seconds = outcomes[name]
        assert result == "refused", (name, result)
        assert seconds < 1  # refused on the spot: a real connect to 192.0.2.1 (TEST-NET-1) would wait for its timeout
    assert outcomes["loopback"][0] == "done"
    attempts = _attempts(log)
    assert [a["function"] for a in attempts] == ["create_connection", "connect", "connect_ex", "sendto", "getaddrinfo"]
    assert all("192.0.2.1" in a["destination"] for a in attempts[:4]) and "example.com" in attempts[4]["destination"]


@pytest.fixture(scope="module")
def offline_dirs(tmp_path_factory) -> tuple[Path, Path]:
    """(a copy of the project's caches, an index directory inside the test's temp dir)."""
    root = tmp_path_factory.mktemp("offline")
    cache = root / "cache"
    shutil.copytree(CACHE, cache, ignore=shutil.ignore_patterns("gradio"))
    return cache, root / "index"


def _policyqa(arguments: list[str], env: dict[str, str], cache: Path, index: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "assistant", *arguments, "--index-dir", str(index)],
        cwd=PROJECT_ROOT,
        env=env | {"POLICYQA_CACHE_DIR": str(cache)},
        capture_output=True,
        text=True,
        timeout=COMMAND_TIMEOUT_S,
    )


@pytest.mark.slow
def test_index_ask_and_serve_attempt_no_outbound_connection(guard, offline_dirs):
    from gradio_client import Client

    env, log = guard
    cache, index = offline_dirs

    built = _policyqa(["index"], env, cache, index)
    assert built.returncode == 0, built.stderr
    assert (attempts := _attempts(log)) == [], "index:\n" + _describe(attempts)

    asked = _policyqa(["ask", "福建对盲人医疗按摩诊所有哪些扶持?", "--json"], env, cache, index)
    assert asked.returncode == 0, asked.stderr
    assert json.loads(asked.stdout)["passages"][0]["id"] == "fujian-5-3"
    assert (attempts := _attempts(log)) == [], "ask:\n" + _describe(attempts)

    with running_server(["--index-dir", str(index)], env=env | {"POLICYQA_CACHE_DIR": str(cache)}) as url:
        client = Client(url, verbose=False, analytics_enabled=False, download_files=False)
        job = client.submit("福建对盲人医疗按摩诊所有哪些扶持?", api_name="/ask")
        assert job.result(timeout=60)["passages"][0]["id"] == "fujian-5-3"
    assert (attempts := _attempts(log)) == [], "serve:\n" + _describe(attempts)
    guarded = Path(f"{log}.loaded").read_text(encoding="utf-8").split()
    assert len(set(guarded)) >= 3  # the guard was loaded in index, ask and serve


# ---- optional login for a shared deployment: POLICYQA_AUTH="user:password" ----------------------------------------

AUTH_USER, AUTH_PASSWORD = "reader", "pass:word with spaces"  # the password may contain colons


def _http_get(url: str) -> tuple[int, str]:
    import urllib.error
    import urllib.request

    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback, never through a proxy
    try:
        with opener.open(url, timeout=30) as response:
            return response.status, response.read().decode("utf-8", errors="replace")
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode("utf-8", errors="replace")


@pytest.fixture(scope="module")
def auth_server_url(real_assistant):  # real_assistant: the index exists before the server starts
    with running_server(
        ["--uploads", "off"], env=os.environ | {"POLICYQA_AUTH": f"{AUTH_USER}:{AUTH_PASSWORD}"}
    ) as url:
        yield url


@pytest.mark.slow
def test_with_auth_nothing_is_served_without_the_credentials(auth_server_url):
    from gradio_client import Client

    status, page = _http_get(auth_server_url)
    assert status == 200 and '"auth_required":true' in page.replace(" ", "")  # the login page, not the app
    assert "你的问题" not in page and "残疾人就业政策问答" not in page  # none of the app's layout or title
    assert _http_get(auth_server_url + "config")[0] == 401
    assert _http_get(auth_server_url + "gradio_api/info")[0] == 401  # the API description, what gradio_client reads
    with pytest.raises(Exception):  # noqa: B017 - gradio_client raises several kinds on a refused login
        Client(auth_server_url, verbose=False, analytics_enabled=False, download_files=False)
    with pytest.raises(Exception):  # noqa: B017
        Client(
            auth_server_url,
            auth=(AUTH_USER, "wrong"),
            verbose=False,
            analytics_enabled=False,
            download_files=False,
        )


@pytest.mark.slow
def test_with_auth_the_credentials_open_ask(auth_server_url):
    from gradio_client import Client

    client = Client(
        auth_server_url,
        auth=(AUTH_USER, AUTH_PASSWORD),
        verbose=False,
        analytics_enabled=False,
        download_files=False,
    )
    result = client.submit("福建对盲人医疗按摩诊所有哪些扶持?", api_name="/ask").result(timeout=60)
    assert result["passages"][0]["id"] == "fujian-5-3"


@pytest.mark.parametrize("value", ["reader", "reader:", ":secret", " :secret"])
def test_a_malformed_policyqa_auth_exits_2_with_one_line(value, tmp_path):
    run = subprocess.run(
        [sys.executable, "-m", "assistant", "serve", "--port", str(free_port()), "--index-dir", str(tmp_path)],
        cwd=PROJECT_ROOT,
        env=os.environ | {"POLICYQA_AUTH": value},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 2 and run.stdout == ""
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and "POLICYQA_AUTH" in lines[0]
    assert "secret" not in run.stderr  # the password is never echoed
