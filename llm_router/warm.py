"""The client side of the warm server (`llm-router serve`): a cold process (a prompt hook, `llm-router query`)
hands its work to the server over loopback, with the token from serve.json, and learns plainly whether the
server took the work (its answer is then the answer) or never got it (the caller then does the work itself).

The server has taken a request once its response headers arrive: an internal endpoint sends them before it
acts (`/internal/hook`) or once it has only decided (`/internal/query`), and acts only while the caller is
still connected. So `NotReached` (nothing answered within `ack_timeout`, or an HTTP error) means nothing ran
there: run it here. `BrokeOff` (the answer stopped after the headers) means it may have run: it is not run
again, so that an answer is never paid for twice.

Only C modules of the standard library are imported (`_socket`, not `socket`, which imports enum; no
http.client, which imports email): a hook imports this on every prompt.
"""

from __future__ import annotations

import _socket
import os
import time
from _blake2 import blake2b

from llm_router import fileio, jsonio, paths

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping
    from typing import Any

STATE_FILE = "serve.json"
STATE_LIMIT = 64 << 10
HEAD_LIMIT = 64 << 10  # a response's status line and headers
DECIDE_ACK_S = 0.3  # connect, send, and the headers of a hook's answer (the server sends them at once)
QUERY_ACK_S = 2.0  # ... and of /internal/query's, sent once the server has decided
ANSWER_IDLE_S = 600.0  # once the server has the work: the longest wait for the next bytes of its answer
_LOOPBACK = {
    "127.0.0.1": "127.0.0.1",
    "localhost": "127.0.0.1",
    "0.0.0.0": "127.0.0.1",
    "::1": "::1",
    "::": "::1",
}
# What a decision or an execution reads from the environment besides files: the server serves a caller only
# when these are the same in both (`fingerprint`), so that a handed-off call is the call this process would
# have made. The provider variables are added from the providers table.
_KNOB_PREFIX = "LLM_ROUTER_"
_NOT_COMPARED = {"LLM_ROUTER_GATEWAY_TOKEN"}


class NotReached(Exception):
    """The server did not take the work (absent, not answering in time, refusing): nothing ran there."""


class BrokeOff(Exception):
    """The server took the work, then its answer stopped: it may have run there, so it is not run again."""


class Server:
    """Where a live warm server listens, and its token."""

    __slots__ = ("address", "compared", "family", "port", "token")

    def __init__(
        self,
        address: str,
        port: int,
        token: str,
        compared: tuple[tuple[str, ...], tuple[str, ...]] | None = None,
    ):
        self.address = address
        self.port = port
        self.token = token
        self.family = _socket.AF_INET6 if ":" in address else _socket.AF_INET
        self.compared = compared  # the server's `compared_names()`, from serve.json (None: not there)


def read_state(home: str | os.PathLike[str]) -> dict[str, Any] | None:
    """serve.json in `home` (the llm-router folder) as written by `llm-router serve`, when it is this user's
    private file and a JSON object; None otherwise. The one reader of that file: its token is sent to the
    address it names, so a file another user could write is never believed."""
    try:
        state = jsonio.loads(
            fileio.read_private(os.path.join(home, STATE_FILE), limit=STATE_LIMIT, what=STATE_FILE)
        )
    except (OSError, ValueError):
        return None
    return state if isinstance(state, dict) else None


def find(env: Mapping[str, str] | None = None) -> Server | None:
    """The warm server serve.json names, when it is this user's private file, its process is alive and it
    listens on loopback (or on every interface, which includes loopback); None otherwise."""
    state = read_state(paths.home_dir(env))
    if state is None:
        return None
    try:
        pid, port, token = state["pid"], state["port"], state["token"]
        address = _LOOPBACK.get(str(state.get("host", "127.0.0.1")))
    except KeyError:
        return None
    if address is None or not (type(pid) is int and type(port) is int and isinstance(token, str) and token):
        return None
    try:
        os.kill(pid, 0)
    except OSError:  # gone, or another user's process that took its pid: a stale file
        return None
    return Server(address, port, token, _compared(state.get("compared")))


def _compared(value: Any) -> tuple[tuple[str, ...], tuple[str, ...]] | None:
    """serve.json's `compared` ([names, commands], lists of strings), or None when it is not that."""
    if not (isinstance(value, list) and len(value) == 2 and all(isinstance(v, list) for v in value)):
        return None
    names, commands = value
    if not all(isinstance(x, str) for x in (*names, *commands)):
        return None
    return tuple(names), tuple(commands)


def compared_names() -> tuple[tuple[str, ...], tuple[str, ...]]:
    """What `fingerprint` compares besides the llm-router knobs: the providers' key and endpoint variables,
    and the commands that configure a provider. The server writes them into serve.json (`compared`), so
    that a hook computes its fingerprint without importing the providers' table."""
    from llm_router.providers.catalogue import COMMAND_PROVIDERS
    from llm_router.providers.table import PROVIDERS

    names = {n for p in PROVIDERS.values() for n in (*p.env, *p.base_env)}
    return tuple(sorted(names)), tuple(COMMAND_PROVIDERS)


def fingerprint(
    env: Mapping[str, str], token: str, compared: tuple[tuple[str, ...], tuple[str, ...]] | None = None
) -> str:
    """What of `env` a decision or an execution depends on (the llm-router knobs, the providers' keys and
    endpoints, and where `PATH` finds the commands that configure a provider: `codex`), as a digest keyed by
    the server's token (the values themselves never leave the process). `PATH` itself is not compared: two
    shells' differ in ways that change no decision. `compared`: `compared_names()` as the server gave them
    (`Server.compared`), else this process's own."""
    names_of, commands = compared_names() if compared is None else compared
    names = set(names_of)
    names.update(n for n in env if n.startswith(_KNOB_PREFIX) and n not in _NOT_COMPARED)
    pairs = [(n, env[n]) for n in names if env.get(n)]
    pairs += [(f"which {c}", paths.which(c, path=env.get("PATH")) or "") for c in commands]
    text = repr(sorted(pairs))
    return blake2b(text.encode("utf-8", "surrogatepass"), key=token.encode()[:64], digest_size=16).hexdigest()


class Answer:
    """A response the server has started: its status, headers and body (read as it arrives)."""

    def __init__(self, sock: Any, status: int, headers: dict[str, str], rest: bytes):
        self.status = status
        self.headers = headers
        self._sock = sock
        self._buf = bytearray(rest)

    def _more(self) -> None:
        try:
            data = self._sock.recv(65536)
        except OSError as exc:
            raise BrokeOff(f"the warm server stopped answering ({exc})") from None
        if not data:
            raise BrokeOff("the warm server closed the connection mid-answer")
        self._buf += data

    def _line(self) -> bytes:
        while (end := self._buf.find(b"\r\n")) < 0:
            if len(self._buf) > HEAD_LIMIT:
                raise BrokeOff("the warm server's answer is malformed")
            self._more()
        line = bytes(self._buf[:end])
        del self._buf[: end + 2]
        return line

    def _exactly(self, n: int) -> bytes:
        while len(self._buf) < n:
            self._more()
        data = bytes(self._buf[:n])
        del self._buf[:n]
        return data

    def chunks(self) -> Iterator[bytes]:
        """The body as it arrives (chunked or of a stated length)."""
        try:
            if self.headers.get("transfer-encoding", "").lower() == "chunked":
                while True:
                    try:
                        size = int(self._line().split(b";", 1)[0], 16)
                    except ValueError:
                        raise BrokeOff("the warm server's answer is malformed") from None
                    if size == 0:
                        return
                    yield self._exactly(size)
                    self._exactly(2)
            length = self.headers.get("content-length")
            if length is not None:
                yield self._exactly(int(length))
                return
            while True:  # delimited by the connection's end (Connection: close)
                if self._buf:
                    yield bytes(self._buf)
                    self._buf.clear()
                try:
                    data = self._sock.recv(65536)
                except OSError as exc:
                    raise BrokeOff(f"the warm server stopped answering ({exc})") from None
                if not data:
                    return
                self._buf += data
        finally:
            self.close()

    def lines(self) -> Iterator[bytes]:
        """The body's lines (JSON lines), each as soon as it is complete."""
        pending = b""
        for chunk in self.chunks():
            pending += chunk
            *complete, pending = pending.split(b"\n")
            yield from (line for line in complete if line.strip())
        if pending.strip():
            yield pending

    def body(self) -> bytes:
        return b"".join(self.chunks())

    def close(self) -> None:
        try:  # noqa: SIM105 - contextlib is not imported on the hook path
            self._sock.close()
        except OSError:
            pass


def post(
    server: Server,
    path: str,
    body: Mapping[str, Any],
    *,
    ack_timeout: float,
    idle_timeout: float = ANSWER_IDLE_S,
) -> Answer:
    """POST `body` as JSON to `path`: the response once its headers are in (within `ack_timeout` of the
    start, else NotReached); a status other than 200 is NotReached too (the server did not act)."""
    data = jsonio.dumps(body, ensure_ascii=False).encode("utf-8", "surrogatepass")
    host = f"[{server.address}]" if server.family == _socket.AF_INET6 else server.address
    head = (
        f"POST {path} HTTP/1.1\r\nHost: {host}:{server.port}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(data)}\r\nx-llm-router-token: {server.token}\r\nConnection: close\r\n\r\n"
    )
    deadline = time.monotonic() + ack_timeout
    sock = _socket.socket(server.family, _socket.SOCK_STREAM)
    try:
        sock.settimeout(ack_timeout)
        sock.connect((server.address, server.port))
        sock.sendall(head.encode("latin-1") + data)
        buf = bytearray()
        while (end := buf.find(b"\r\n\r\n")) < 0:
            if len(buf) > HEAD_LIMIT:
                raise NotReached("the warm server's answer is malformed")
            sock.settimeout(max(deadline - time.monotonic(), 0.001))
            more = sock.recv(65536)
            if not more:
                raise NotReached("the warm server closed the connection")
            buf += more
    except OSError as exc:  # refused, unreachable, or past the deadline (TimeoutError is an OSError)
        sock.close()
        raise NotReached(f"the warm server did not answer ({exc})") from None
    except NotReached:
        sock.close()
        raise
    status_line, *header_lines = bytes(buf[:end]).decode("latin-1").split("\r\n")
    try:
        status = int(status_line.split(" ", 2)[1])
    except (IndexError, ValueError):
        sock.close()
        raise NotReached("the warm server's answer is malformed") from None
    headers = {}
    for line in header_lines:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    answer = Answer(sock, status, headers, bytes(buf[end + 4 :]))
    if status != 200:
        try:
            detail = answer.body()[:300].decode("utf-8", "replace")
        except BrokeOff:
            detail = ""
        raise NotReached(f"the warm server refused the call (HTTP {status}) {detail}".rstrip())
    sock.settimeout(idle_timeout)
    return answer
