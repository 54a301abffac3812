"""The files of a workspace that .gitignore does not exclude: from `git ls-files` when the root is inside a
git work tree, else from a walk that applies the .gitignore files it meets (and `.git/info/exclude`).

The matcher follows gitignore(5): `#` comments, `!` negation, a trailing `/` for folders only, patterns with
a `/` anchored to their .gitignore's folder, `*`, `?`, `[...]` and `**`; the last matching pattern wins, and
nothing inside an excluded folder is listed. `.git` itself is never listed.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import NamedTuple

from llm_router import fileio

MAX_FILES = 50_000  # files listed from one root
IGNORE_FILE_LIMIT = 1 << 20
GIT_TIMEOUT_S = 10.0


class Rule(NamedTuple):
    base: str  # the folder of the .gitignore, relative to the root ("" for the root), POSIX
    regex: re.Pattern[str]
    negate: bool
    dir_only: bool


def parse(text: str, base: str = "") -> list[Rule]:
    """The rules of one .gitignore whose folder is `base` (relative to the root)."""
    rules = []
    for raw in text.splitlines():
        line = raw.rstrip("\r")
        if not line or line.startswith("#"):
            continue
        line = re.sub(r"(?<!\\)\s+$", "", line)  # trailing spaces, unless escaped
        negate = line.startswith("!")
        if negate:
            line = line[1:]
        if line.startswith(("\\#", "\\!")):
            line = line[1:]
        dir_only = line.endswith("/")
        line = line.rstrip("/")
        if not line:
            continue
        anchored = "/" in line
        line = line.lstrip("/")
        body = translate(line)
        prefix = "" if anchored else "(?:.*/)?"
        rules.append(Rule(base, re.compile(f"^{prefix}{body}$", re.DOTALL), negate, dir_only))
    return rules


def translate(pattern: str) -> str:
    """A glob with `*`, `?`, `[...]` and `**` as a regex body over POSIX paths (`*` stops at `/`)."""
    out, i, n = [], 0, len(pattern)
    while i < n:
        c = pattern[i]
        if pattern.startswith("**/", i) and (i == 0 or pattern[i - 1] == "/"):
            out.append("(?:.*/)?")
            i += 3
        elif pattern.startswith("/**", i) and i + 3 == n:
            out.append("/.*")
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif c == "*":
            out.append("[^/]*")
            i += 1
        elif c == "?":
            out.append("[^/]")
            i += 1
        elif c == "[":
            end = pattern.find("]", i + 2)
            if end < 0:
                out.append(re.escape(c))
                i += 1
                continue
            inner = pattern[i + 1 : end]
            if inner.startswith("!"):
                inner = "^" + inner[1:]
            out.append("[" + inner.replace("\\", "\\\\") + "]")
            i = end + 1
        elif c == "\\" and i + 1 < n:
            out.append(re.escape(pattern[i + 1]))
            i += 2
        else:
            out.append(re.escape(c))
            i += 1
    return "".join(out)


def ignored(rules: list[Rule], path: str, is_dir: bool) -> bool:
    """Whether `path` (relative to the root, POSIX) is excluded by `rules` (in file order, root first)."""
    verdict = False
    for rule in rules:
        if rule.dir_only and not is_dir:
            continue
        if rule.base:
            if not path.startswith(rule.base + "/"):
                continue
            local = path[len(rule.base) + 1 :]
        else:
            local = path
        if rule.regex.match(local):
            verdict = not rule.negate
    return verdict


def _read_rules(folder: Path, base: str, name: str = ".gitignore") -> list[Rule]:
    try:
        text = fileio.read_bounded(folder / name, limit=IGNORE_FILE_LIMIT, what=".gitignore")
    except OSError:
        return []
    return parse(text.decode("utf-8", "replace"), base)


def walk(root: Path, limit: int = MAX_FILES) -> Iterator[str]:
    """Files under `root` (relative, POSIX) that its .gitignore files do not exclude; links are not
    followed into folders, and at most `limit` are listed."""
    rules = _read_rules(root / ".git" / "info", "", "exclude") + _read_rules(root, "")
    count = 0
    stack: list[tuple[Path, str, list[Rule]]] = [(root, "", rules)]
    while stack:
        folder, rel, active = stack.pop()
        if rel:
            active = active + _read_rules(folder, rel)
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError:
            continue
        subfolders = []
        for entry in entries:
            path = f"{rel}/{entry.name}" if rel else entry.name
            if entry.name == ".git":
                continue
            try:
                is_dir = entry.is_dir(follow_symlinks=False)
            except OSError:
                continue
            if ignored(active, path, is_dir):
                continue
            if is_dir:
                subfolders.append((Path(entry.path), path, active))
            else:
                yield path
                count += 1
                if count >= limit:
                    return
        stack.extend(reversed(subfolders))


# A repository's own .git/config can name commands git runs while listing (core.fsmonitor), and the caller's
# environment can point git elsewhere (GIT_DIR, GIT_CONFIG_*): listing a checked-out repository must not run
# its code, so those are turned off and git gets a clean environment.
GIT_SAFETY = (
    "-c",
    "core.fsmonitor=false",
    "-c",
    "core.untrackedCache=false",
    "-c",
    "core.hooksPath=/dev/null",
)


def git_env(env: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment the file tools run git in: the caller's without any GIT_* variable, with no system
    config, no pager, no prompt and no optional locks (a listing never writes the index)."""
    base = os.environ if env is None else env
    clean = {k: v for k, v in base.items() if not k.startswith("GIT_")}
    return clean | {
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_OPTIONAL_LOCKS": "0",
        "GIT_TERMINAL_PROMPT": "0",
        "GIT_PAGER": "cat",
        "PAGER": "cat",
        "LC_ALL": "C",
    }


def _git(git: str, root: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [git, *GIT_SAFETY, "-C", str(root), *args],
        capture_output=True,
        stdin=subprocess.DEVNULL,
        env=git_env(),
        timeout=GIT_TIMEOUT_S,
    )


def git_files(root: Path, limit: int = MAX_FILES) -> list[str] | None:
    """The files git lists under `root` (tracked, and untracked but not ignored), or None when `root` is
    not inside a git work tree or git cannot tell (in GIT_TIMEOUT_S). Git runs without the repository's
    commands (GIT_SAFETY) in a clean environment (`git_env`)."""
    git = shutil.which("git")
    if git is None:
        return None
    try:
        inside = _git(git, root, "rev-parse", "--is-inside-work-tree")
        if inside.returncode != 0 or inside.stdout.strip() != b"true":
            return None
        listed = _git(git, root, "ls-files", "-z", "--cached", "--others", "--exclude-standard")
    except (OSError, subprocess.SubprocessError):
        return None
    if listed.returncode != 0:
        return None
    names = [os.fsdecode(n) for n in listed.stdout.split(b"\0") if n]
    unique = list(dict.fromkeys(names))  # a conflicted file is listed once per stage
    return [n for n in unique if os.path.lexists(root / n)][:limit]


def files(root: Path, limit: int = MAX_FILES) -> tuple[list[str], str]:
    """The workspace's files not excluded by .gitignore, and how they were listed (`git` or `walk`)."""
    listed = git_files(root, limit)
    if listed is not None:
        return listed, "git"
    return list(walk(root, limit)), "walk"
