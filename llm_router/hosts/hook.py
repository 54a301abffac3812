"""The hook entry point: one fresh process per host event; stdin JSON in, the host's JSON out, exit 0.

`llm-router-hook HOST [EVENT] [--gateway]` (the event defaults to stdin's `hook_event_name`; `--gateway`: the
host's requests go through the local gateway). Nothing but the host's JSON, in valid UTF-8 whatever the
input held, reaches stdout; an internal error lets the prompt through with one line on stderr and a note in
`$LLM_ROUTER_HOME/hooks.log`. Imports stay minimal: the tool hook reads a small state file and nothing else.
When a warm server (`llm-router serve`) runs, the prompt hooks hand it the event (`forward`) and print its
answer; when it does not take the event in time they handle it here, running the modules that takes from one
file of code objects (`_preload`, `hosts/preload.py`) rather than importing them one by one.
"""

from __future__ import annotations

import os
import sys
import time

from llm_router import jsonio

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

# (host, event) -> (module, function). Events not listed are answered with nothing.
_PROMPT = ("llm_router.hosts.handlers", "on_prompt")
_TOOL = ("llm_router.hosts.handlers", "on_pre_tool")
_START = ("llm_router.hosts.handlers", "on_session_start")
_END = ("llm_router.hosts.handlers", "on_session_end")
HANDLERS: dict[tuple[str, str], tuple[str, str]] = {
    ("claude-code", "UserPromptSubmit"): _PROMPT,
    ("claude-code", "PreToolUse"): _TOOL,
    ("claude-code", "SessionStart"): _START,
    ("claude-code", "SessionEnd"): _END,
    ("claude-code", "Stop"): _END,
    ("codex", "UserPromptSubmit"): _PROMPT,
    ("codex", "PreToolUse"): _TOOL,
    ("codex", "SessionStart"): _START,
    ("codex", "Stop"): _END,
    ("gemini-cli", "BeforeAgent"): _PROMPT,
    ("gemini-cli", "BeforeModel"): ("llm_router.hosts.gemini_model", "on_before_model"),
    ("gemini-cli", "SessionStart"): _START,
    ("gemini-cli", "SessionEnd"): _END,
}
# A host installed with --gateway (`llm-router-hook HOST --gateway`): the gateway routes its requests, so the
# prompt hook gives no llm_query advice and no tool is held (None: answer nothing).
_VIA_GATEWAY = {
    "UserPromptSubmit": ("llm_router.hosts.handlers", "on_prompt_via_gateway"),
    "SessionStart": ("llm_router.hosts.handlers", "on_session_start_via_gateway"),
    "PreToolUse": None,
}
GATEWAY_HANDLERS: dict[tuple[str, str], tuple[str, str] | None] = {
    (host, event): spec for host in ("claude-code", "codex") for event, spec in _VIA_GATEWAY.items()
}
GATEWAY_FLAG = "--gateway"
LOG_MAX_BYTES = 1_000_000
LOG_DETAIL_MAX = 20_000  # characters of a traceback kept per entry (its end, where the error is)


def _handler(host: str, event: str, gateway: bool) -> tuple[str, str] | None:
    key = (host, event)
    return GATEWAY_HANDLERS[key] if gateway and key in GATEWAY_HANDLERS else HANDLERS.get(key)


def handle(host: str, event: str, payload: dict[str, Any], *, gateway: bool = False) -> dict[str, Any] | None:
    """The JSON object the host should read for this event, or None."""
    spec = _handler(host, event, gateway)
    if spec is None:
        return None
    from llm_router.hosts.protocol import render

    handler = getattr(__import__(spec[0], fromlist=[spec[1]]), spec[1])
    return render(host, event, handler(host, event, payload))


# The events a warm server (`llm-router serve`) handles in place of this process when it runs: the prompt
# hooks, which decide and may execute. The tool hooks read a small state file: handing them over costs more.
_FORWARDED = {_PROMPT, _VIA_GATEWAY["UserPromptSubmit"]}
_MAX_WARNINGS, _MAX_WARNING_CHARS = 20, 2000  # of a served event's warnings, printed on stderr


def forward(host: str, event: str, payload: dict[str, Any], *, gateway: bool = False) -> tuple[bool, Any]:
    """(True, the host's JSON or None) when a warm server handled the event; (False, None) when none runs
    or it did not take the event in time (nothing ran there: handle it here). warm.BrokeOff when it took
    the event and its answer broke off: it may have run there, so it is not run again."""
    if _handler(host, event, gateway) not in _FORWARDED:
        return False, None
    from llm_router import paths

    if not os.path.exists(os.path.join(paths.home_dir(), "serve.json")):  # warm.STATE_FILE: no server runs
        return False, None
    from llm_router import warm

    server = warm.find()
    if server is None:
        return False, None
    body = {"host": host, "event": event, "payload": payload, "gateway": gateway}
    body["env"] = warm.fingerprint(os.environ, server.token, server.compared)
    try:
        answer = warm.post(server, "/internal/hook", body, ack_timeout=warm.DECIDE_ACK_S)
    except warm.NotReached:
        return False, None
    reply = jsonio.loads(answer.body().decode("utf-8"))
    warnings = reply.get("warnings")
    for message in warnings[:_MAX_WARNINGS] if isinstance(warnings, list) else ():
        sys.stderr.write(f"llm-router hook: warning: {str(message)[:_MAX_WARNING_CHARS]}\n")
    if reply.get("error"):  # it failed there as it would have here: the prompt goes through
        raise warm.BrokeOff(f"the warm server's hook failed: {reply['error']}")
    return True, reply.get("output")


def answer_line(host: str, event: str, payload: dict[str, Any], *, gateway: bool = False) -> bytes:
    """What a warm server sends back for a forwarded event (`forward`): one JSON line, `{"output": ...,
    "warnings": [...]}`, or `{"output": null, "error": ..., "warnings": [...]}` after logging the error to
    hooks.log as the hook would. The warnings are those the hook would have printed on its stderr (logged
    here to hooks.log as well): the hook process prints them."""
    from llm_router.hosts.handlers import served

    warnings: list[str] = []
    served.warnings = warnings
    try:
        event = str(payload.get("hook_event_name") or event)
        output = handle(host, event, payload, gateway=gateway)
        return (jsonio.dumps({"output": output, "warnings": warnings}) + "\n").encode("ascii")
    except Exception as exc:  # noqa: BLE001 - as in main(): the hook's error lets the prompt through
        import traceback

        line = f"{type(exc).__name__}: {exc}".splitlines()[0][:300]
        log_error(host, event, line, traceback.format_exc(), payload)
        reply = {"output": None, "error": line, "warnings": warnings}
        return (jsonio.dumps(reply) + "\n").encode("ascii")
    finally:
        served.warnings = None


def _read_stdin() -> str:
    """stdin as text: bytes that are not UTF-8 become U+FFFD, whatever the locale says."""
    binary = getattr(sys.stdin, "buffer", None)
    if binary is None:
        return sys.stdin.read()
    return bytes(binary.read()).decode("utf-8", errors="replace")


def utf8_json(value: Any) -> bytes:
    """`value` as JSON in valid UTF-8 for every input: lone surrogates in its strings (from a `\\ud800` in
    the host's JSON) become U+FFFD, since strict parsers (Codex's) reject even escaped ones."""
    text = jsonio.dumps(value, ensure_ascii=False)
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:  # lone surrogates: pair what pairs, replace the rest
        return text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace").encode("utf-8")


def log_error(host: str, event: str, message: str, detail: str = "", payload: Any = None) -> None:
    """Append one entry to hooks.log (private, rotated at 1 MB); never raises. Any fragment of what the user
    wrote (the payload's text) is taken out of the message and the detail first."""
    try:
        from llm_router import fileio
        from llm_router.hosts.session import _home, locked
        from llm_router.privacy import request_texts, withhold

        folder = _home()
        fileio.private_dir(folder)
        path = os.path.join(folder, "hooks.log")
        if os.path.exists(path) and os.path.getsize(path) > LOG_MAX_BYTES:
            with locked(path + ".lock"):  # hooks run in parallel: rotate once, not once per process
                if os.path.exists(path) and os.path.getsize(path) > LOG_MAX_BYTES:
                    os.replace(path, path + ".1")
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S")
        texts = request_texts(payload)
        entry = f"{stamp} {host or '?'} {event or '?'}: {withhold(message, texts)}\n"
        if detail:
            detail = withhold(detail[-LOG_DETAIL_MAX:], texts)
            entry += "".join(f"    {line}\n" for line in detail.rstrip().splitlines())
        with fileio.append_private(path, encoding="utf-8", errors="replace") as handle:
            handle.write(entry)
    except Exception:  # noqa: BLE001 - logging must never turn into a failure of the hook
        pass


BUNDLE_FORMAT = 1  # of the prompt hook's modules file (`hosts/preload.py` writes it, `_preload` reads it)
BUNDLE_LIMIT = 8 << 20  # its size bound (it is ~0.4 MB)
# the folder holding the llm_router package this process runs
PACKAGE_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
preloaded: bool | None = None  # whether this process ran the prompt hook's modules from their bundle


def bundle_path(home: str) -> str:
    """Where the prompt hook's modules are kept (`hosts/preload.py`) for this interpreter and its -O level."""
    optimized = f".opt-{sys.flags.optimize}" if sys.flags.optimize else ""
    return os.path.join(home, "cache", f"hook-modules.{sys.implementation.cache_tag}{optimized}.bin")


def _preload(home: str) -> bool:
    """Run the prompt hook's modules from their bundle (`hosts/preload.py`) into sys.modules, as the import
    system would have: False, with nothing run, when there is no usable bundle (missing, not private, from
    another interpreter or installation, or a source changed since): the modules are then imported as
    usual. A module that fails to run is left to the import system too."""
    import marshal

    from llm_router import fileio

    try:
        import _frozen_importlib as bootstrap  # type: ignore[import-not-found]
        import _frozen_importlib_external as external  # type: ignore[import-not-found]

        raw = fileio.read_private(bundle_path(home), limit=BUNDLE_LIMIT, what="hook modules")
        fmt, magic, root, entries = marshal.loads(raw)
        if fmt != BUNDLE_FORMAT or magic != external.MAGIC_NUMBER or root != PACKAGE_ROOT:
            return False
        for _name, relative, _package, mtime_ns, size, _cached, _code in entries:
            st = os.stat(os.path.join(root, relative))
            if st.st_mtime_ns != mtime_ns or st.st_size != size:
                return False
    except (ImportError, OSError, ValueError, EOFError, TypeError):  # ImportError: another implementation
        return False
    modules = sys.modules
    pending = []
    for name, relative, package, _mtime, _size, cached, code in entries:
        if name in modules:
            continue
        origin = os.path.join(root, relative)
        loader = external.SourceFileLoader(name, origin)
        spec = bootstrap.ModuleSpec(name, loader, origin=origin, is_package=package)
        spec.has_location = True
        spec.cached = cached
        module = type(sys)(name)
        package_name = name if package else name.rpartition(".")[0]
        vars(module).update(
            __spec__=spec, __loader__=loader, __file__=origin, __cached__=cached, __package__=package_name
        )
        if package:  # in place before any module runs: a package's __init__ may run after its submodules
            module.__path__ = spec.submodule_search_locations = [os.path.dirname(origin)]
            modules[name] = module
        pending.append((name, module, code))
    for n, (name, module, code) in enumerate(pending):
        modules[name] = module
        try:
            exec(marshal.loads(code), module.__dict__)
        except Exception:  # noqa: BLE001 - the import system imports it (and raises what it raises)
            for later, unrun, _code in pending[n:]:
                if modules.get(later) is unrun:
                    del modules[later]
            return False
        parent, _, child = name.rpartition(".")
        setattr(modules[parent], child, module)
    return True


def main(argv: list[str] | None = None, *, preload: bool = False) -> int:
    """Handle one event; always returns 0 so that the host goes on. `preload`: a prompt event handled here
    runs its modules from their bundle (`_preload`), as the hook process does."""
    global preloaded
    argv = sys.argv[1:] if argv is None else argv
    gateway = GATEWAY_FLAG in argv
    argv = [a for a in argv if a != GATEWAY_FLAG]
    host = argv[0] if argv else ""
    event = argv[1] if len(argv) > 1 else ""
    stdout = sys.stdout
    sys.stdout = sys.stderr  # whatever a library prints must not corrupt the host's JSON
    payload: Any = None
    try:
        try:
            payload = jsonio.loads(_read_stdin() or "null")
        except (ValueError, UnicodeDecodeError):
            payload = None
        if not isinstance(payload, dict):
            sys.stderr.write("llm-router hook: stdin is not a JSON object; ignored\n")
            log_error(host, event, "stdin is not a JSON object")
            return 0
        event = str(payload.get("hook_event_name") or event)
        forwarded, output = forward(host, event, payload, gateway=gateway)
        if not forwarded:
            if preload and _handler(host, event, gateway) in _FORWARDED:
                from llm_router import paths

                preloaded = _preload(paths.home_dir())
            output = handle(host, event, payload, gateway=gateway)
        if output is not None:
            data = utf8_json(output) + b"\n"
            binary = getattr(stdout, "buffer", None)
            if binary is not None:
                stdout.flush()
                binary.write(data)
                binary.flush()
            else:  # a text-only stream (a test harness): the text is valid UTF-8 by construction
                stdout.write(data.decode("utf-8"))
                stdout.flush()
    except Exception as exc:  # noqa: BLE001 - the one place a hook's error becomes "let the prompt through"
        import traceback

        line = f"{type(exc).__name__}: {exc}".splitlines()[0][:300]
        sys.stderr.write(f"llm-router hook: internal error, prompt let through ({line})\n")
        log_error(host, event, line, traceback.format_exc(), payload)
    finally:
        sys.stdout = stdout
    return 0


def run() -> None:
    """Console-script entry: handle the event, flush, and leave without interpreter teardown.

    Skipping teardown saves milliseconds per event, and keeps SQLite from checkpointing its WAL on close:
    the next writer finds the WAL intact, and SQLite checkpoints on its own every 1000 pages.

    The cyclic garbage collector is off while the event is handled: the process lives for one event and its
    memory goes back at exit, and the collections that loading the policy's data would set off cost about a
    tenth of the hook's time. A model call turns it back on first (`handlers.execute`).
    """
    import gc

    gc.disable()
    code = main(preload=True)
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except OSError:  # a closed pipe: nothing left to tell the host
            continue
    if preloaded is False:  # the modules were imported one by one: keep them for the next prompt
        try:
            from llm_router import paths
            from llm_router.hosts import preload

            preload.build(paths.home_dir())
        except Exception:  # noqa: BLE001 - the answer is out; a bundle not written is only slower
            pass
    os._exit(code)


if __name__ == "__main__":
    run()
