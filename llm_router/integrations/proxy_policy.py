"""The routing policy of a long-running process (a LiteLLM Proxy worker): `LLM_ROUTER_CONFIG`, a file or a
team policy folder, layered on the built-in policy as `--config` is; compiled once, and again when one of its
files changes. Files are looked at no more than once a second and the reload runs in a thread, so requests
keep the policy they have until the new one is ready; a policy that no longer loads is reported and the
last good one stays in force."""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path

from llm_router import router
from llm_router.errors import RouterError
from llm_router.policy.compiled import CompiledPolicy

__all__ = ["CONFIG_VAR", "PolicySource"]

CONFIG_VAR = "LLM_ROUTER_CONFIG"
log = logging.getLogger("llm_router.integrations")

Stamp = tuple[int, int, int] | None  # (mtime_ns, size, inode) of a file, None when it does not exist


def _stamp(path: str) -> Stamp:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_mtime_ns, st.st_size, st.st_ino)


class PolicySource:
    """The compiled policy for one process, kept current with its files."""

    def __init__(
        self,
        env: Mapping[str, str] | None = None,
        cwd: Path | None = None,
        *,
        interval_s: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ):
        env = dict(os.environ) if env is None else dict(env)
        config = env.get(CONFIG_VAR) or None
        self.settings = router.Settings(env=env, cwd=cwd, config=Path(config) if config else None)
        self.interval_s = interval_s
        self.on_reload: Callable[[CompiledPolicy], None] | None = None
        # What a changed policy must also pass before it is put in force: its problems, or an empty list.
        self.check: Callable[[CompiledPolicy], list[str]] | None = None
        self.reloads = 0  # how many times a changed policy was compiled and put in force
        self.last_error: RouterError | None = None  # why the last reload failed, until one succeeds
        self._clock = clock
        self._lock = threading.Lock()
        self._reloading: threading.Thread | None = None
        self._cp, self._stamps = self._load({})  # raises PolicyError: a proxy must not start without it
        self._checked = clock()

    @property
    def policy(self) -> CompiledPolicy:
        """The policy in force; at most once a second, looks whether its files changed and if so starts
        compiling them again in the background."""
        now = self._clock()
        if now - self._checked >= self.interval_s:
            self._checked = now
            if self._reloading is None and self._changed():
                self._reloading = threading.Thread(target=self._reload, name="llm-router-policy", daemon=True)
                self._reloading.start()
        return self._cp

    def wait(self, timeout: float | None = None) -> None:
        """Wait for a reload in progress (tests and scripts that want the new policy now)."""
        thread = self._reloading
        if thread is not None:
            thread.join(timeout)

    def _changed(self) -> bool:
        return any(_stamp(path) != stamp for path, stamp in self._stamps.items())

    def _load(self, before: Mapping[str, Stamp]) -> tuple[CompiledPolicy, dict[str, Stamp]]:
        """Compile the policy; stamp its files (as seen before reading them, so an edit made while this runs
        is found on the next look)."""
        from llm_router.policy.load import load_policy

        s = self.settings
        cp = router.load(s)
        files = load_policy(env=s.env, cwd=s.cwd, config=s.config, home=s.home).files
        stamps = {path: before[path] if path in before else _stamp(path) for path, _ in files}
        return cp, stamps

    def _reload(self) -> None:
        before = {path: _stamp(path) for path in self._stamps}
        try:
            cp, stamps = self._load(before)
            problems = self.check(cp) if self.check is not None else []
            if problems:
                raise RouterError("; ".join(problems))
        except RouterError as exc:  # PolicyError included
            self.last_error = exc
            self._stamps = before  # try again when a file changes again, not every second
            log.error(
                "llm-router: the changed policy does not load; the previous one stays in force:\n%s", exc
            )
        else:
            with self._lock:
                self._cp, self._stamps = cp, stamps
                self.last_error = None
                self.reloads += 1
            log.warning("llm-router: policy reloaded (revision %s)", cp.revision)
            if self.on_reload is not None:
                self.on_reload(cp)
        finally:
            self._reloading = None
