"""The home guard fires: a pytest run (in a subprocess, with the checkout's conftest.py and a stand-in for
the real home) fails when a test touches that home, however it does it, and passes when none does."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

CHECKOUT = Path(__file__).parents[1]


@pytest.fixture
def real_home(tmp_path: Path) -> Path:
    """What the inner run takes for the real home: it holds a user's policy, as a real one would."""
    folder = tmp_path / "real-home"
    (folder / ".llm-router").mkdir(parents=True)
    (folder / ".llm-router" / "routing.yaml").write_text("version: 1\n")
    return folder


def inner_run(
    tmp_path: Path, real_home: Path, test_source: str, *options: str
) -> subprocess.CompletedProcess[str]:
    """Run one test file under the guard, with HOME set to `real_home` as a user's shell would."""
    suite = tmp_path / "suite"
    suite.mkdir()
    (suite / "pytest.ini").write_text("[pytest]\n")
    (suite / "conftest.py").write_text((CHECKOUT / "conftest.py").read_text())
    (suite / "tests").mkdir()
    (suite / "tests" / "home_guard.py").write_text((CHECKOUT / "tests" / "home_guard.py").read_text())
    (suite / "test_inner.py").write_text(textwrap.dedent(test_source))
    # A fresh shell's environment: this session's own guard stays out of the inner run.
    env = {k: v for k, v in os.environ.items() if not k.startswith("LLM_ROUTER")}
    env.update(HOME=str(real_home), REAL_HOME=str(real_home), PYTHONPATH=str(CHECKOUT))
    env["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"  # the inner run needs no third-party plugin
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *options, str(suite)],
        cwd=suite,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_a_clean_run_passes(tmp_path: Path, real_home: Path) -> None:
    run = inner_run(tmp_path, real_home, "def test_nothing():\n    assert 1 + 1 == 2\n")
    assert run.returncode == 0, run.stdout


def test_a_write_under_the_real_home_fails_the_run_even_when_the_error_is_swallowed(
    tmp_path: Path, real_home: Path
) -> None:
    run = inner_run(
        tmp_path,
        real_home,
        """
        import os

        def test_writes():
            try:
                open(os.path.join(os.environ["REAL_HOME"], ".llm-router", "cache.json"), "w")
            except OSError:
                pass  # a hook lets every error through
        """,
    )
    assert run.returncode == 1
    assert "home guard" in run.stdout and "cache.json" in run.stdout
    assert not (real_home / ".llm-router" / "cache.json").exists()


def test_a_write_under_the_real_home_fails_a_run_split_over_xdist_workers(
    tmp_path: Path, real_home: Path
) -> None:
    source = """
        import os

        def test_writes():
            try:
                open(os.path.join(os.environ["REAL_HOME"], ".llm-router", "cache.json"), "w")
            except OSError:
                pass  # a hook lets every error through

        def test_nothing():
            pass
        """
    run = inner_run(tmp_path, real_home, source, "-p", "xdist", "-n", "2")
    assert run.returncode == 1
    assert "home guard" in run.stdout and "cache.json" in run.stdout
    assert not (real_home / ".llm-router" / "cache.json").exists()


def test_a_read_at_import_time_fails_the_run(tmp_path: Path, real_home: Path) -> None:
    run = inner_run(
        tmp_path,
        real_home,
        """
        import os

        POLICY = open(os.path.join(os.environ["REAL_HOME"], ".llm-router", "routing.yaml")).read()

        def test_uses_it():
            assert POLICY
        """,
    )
    assert run.returncode != 0 and "routing.yaml" in run.stdout


def test_home_points_elsewhere_for_code_that_runs_outside_the_home_fixture(
    tmp_path: Path, real_home: Path
) -> None:
    run = inner_run(
        tmp_path,
        real_home,
        """
        import os
        import pytest

        @pytest.fixture(scope="module")
        def early():
            return os.environ["HOME"]

        def test_home(early):
            assert early != os.environ["REAL_HOME"]
        """,
    )
    assert run.returncode == 0, run.stdout


def test_a_subprocess_given_the_real_home_is_refused(tmp_path: Path, real_home: Path) -> None:
    run = inner_run(
        tmp_path,
        real_home,
        """
        import os, subprocess, sys

        def test_spawns():
            env = {**os.environ, "HOME": os.environ["REAL_HOME"]}
            subprocess.run([sys.executable, "-c", "pass"], env=env, check=False)
        """,
    )
    assert run.returncode == 1 and "subprocess.Popen with its home under the real home" in run.stdout


def test_a_subprocess_without_home_is_refused(tmp_path: Path, real_home: Path) -> None:
    run = inner_run(
        tmp_path,
        real_home,
        """
        import subprocess, sys

        def test_spawns():
            subprocess.run([sys.executable, "-c", "pass"], env={"PATH": "/usr/bin"}, check=False)
        """,
    )
    assert run.returncode == 1 and "of Python with no HOME in its environment" in run.stdout


def test_a_python_subprocess_is_guarded_too(tmp_path: Path, real_home: Path) -> None:
    run = inner_run(
        tmp_path,
        real_home,
        """
        import os, subprocess, sys

        def test_spawns():
            target = os.path.join(os.environ["REAL_HOME"], ".llm-router", "routing.yaml")
            code = f"try:\\n    open({target!r}).read()\\nexcept OSError:\\n    pass"
            subprocess.run([sys.executable, "-c", code], check=True)
        """,
    )
    assert run.returncode == 1
    assert (
        "subprocess" in run.stdout and "open " + str(real_home / ".llm-router" / "routing.yaml") in run.stdout
    )


def test_a_change_no_hook_saw_is_reported(tmp_path: Path, real_home: Path) -> None:
    run = inner_run(
        tmp_path,
        real_home,
        """
        import os, subprocess

        def test_spawns():
            subprocess.run(["sh", "-c", 'echo x > "$REAL_HOME/.llm-router/routing.yaml"'], check=True)
        """,
    )
    assert "changed under the real home during the run" in run.stdout
    assert str(real_home / ".llm-router" / "routing.yaml") in run.stdout
