"""A real LiteLLM Proxy (`litellm --config`) as a subprocess on 127.0.0.1, for tests and benchmarks of the
proxy callback: offline (local price table, no telemetry), with a private HOME, and importing this same
llm_router. Needs the `litellm[proxy]` extra::

    with LiteLLMProxy(config, folder, env={"LLM_ROUTER_CONFIG": str(policy)}) as proxy:
        openai.OpenAI(base_url=proxy.url, api_key=proxy.master_key)...
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import llm_router

__all__ = ["LiteLLMProxy", "START_TIMEOUT_S"]

START_TIMEOUT_S = 180.0  # ready in ~8 s on an idle 2-core machine; much longer when it is shared
_SECRETS = ("_API_KEY", "_BASE_URL", "_API_BASE")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class LiteLLMProxy:
    """One proxy process: `config` (a proxy config as data) is written into `folder` with the log."""

    def __init__(
        self,
        config: Mapping[str, Any],
        folder: Path,
        *,
        env: Mapping[str, str] | None = None,
        master_key: str = "sk-test-master-key",
    ):
        self.folder = Path(folder)
        self.config = dict(config)
        self.extra_env = dict(env or {})
        self.master_key = master_key
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = self.folder / "proxy.log"
        self.process: subprocess.Popen[bytes] | None = None

    def environment(self) -> dict[str, str]:
        """The process's environment: no provider keys of the caller, a private HOME, nothing online."""
        home = self.folder / "home"
        home.mkdir(parents=True, exist_ok=True)
        env = {k: v for k, v in os.environ.items() if not k.endswith(_SECRETS) and not k.startswith("LLM_")}
        source = str(Path(llm_router.__file__).resolve().parent.parent)
        env.update(
            HOME=str(home),
            LLM_ROUTER_HOME=str(home / ".llm-router"),
            LITELLM_MASTER_KEY=self.master_key,
            LITELLM_LOCAL_MODEL_COST_MAP="True",
            LITELLM_OFFLINE_MODE="true",
            LITELLM_TELEMETRY="False",
            LITELLM_DONT_SHOW_FEEDBACK_BOX="true",
            PYTHONPATH=os.pathsep.join(p for p in (source, env.get("PYTHONPATH", "")) if p),
        )
        env.update(self.extra_env)
        return env

    def start(self) -> LiteLLMProxy:
        """Launch the process (returns at once; see `wait_ready`)."""
        import yaml

        self.folder.mkdir(parents=True, exist_ok=True)
        config = self.folder / "config.yaml"
        config.write_text(yaml.safe_dump(self.config, sort_keys=False))
        exe = shutil.which("litellm") or str(Path(sys.executable).with_name("litellm"))
        command = [exe, "--config", str(config), "--host", "127.0.0.1", "--port", str(self.port)]
        with self.log.open("wb") as out:
            self.process = subprocess.Popen(
                command, env=self.environment(), stdout=out, stderr=subprocess.STDOUT
            )
        return self

    def output(self) -> str:
        """What the process wrote so far (stdout and stderr)."""
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def wait_ready(self, timeout: float = START_TIMEOUT_S) -> None:
        """Wait for `GET /health/liveliness`; RuntimeError with the log's tail if it exits or is silent."""
        import httpx

        assert self.process is not None, "start() first"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"the proxy exited with {self.process.returncode}:\n{self.output()[-4000:]}"
                )
            try:
                if httpx.get(self.url + "/health/liveliness", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.25)
        raise RuntimeError(f"the proxy did not answer within {timeout:.0f} s:\n{self.output()[-4000:]}")

    def wait_exit(self, timeout: float = START_TIMEOUT_S) -> int:
        """Wait for the process to end by itself (a proxy that refuses to start); its exit code."""
        assert self.process is not None, "start() first"
        return self.process.wait(timeout=timeout)

    def stop(self) -> None:
        """End the process (this one only), politely first."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def __enter__(self) -> LiteLLMProxy:
        self.start()
        try:
            self.wait_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
