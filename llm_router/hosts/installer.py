"""Install and uninstall: plan every file change first, then back up and write each file atomically.

A manifest (`$LLM_ROUTER_HOME/installed.json`) remembers, per file, what it held before llm-router first
touched it, so that uninstall can give back the user's exact bytes when nothing else changed since; and, per
host and place, the options it was installed with (`--gateway URL`), so that uninstall, doctor and a later
install know what is there.
"""

from __future__ import annotations

import importlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from llm_router import fileio
from llm_router.errors import HostConfigError
from llm_router.hosts import gateway_link
from llm_router.hosts.base import FileEdit, InstallOptions, Target
from llm_router.hosts.files import atomic_write, backup, read_text, unified_diff

HOSTS: dict[str, str] = {
    "claude-code": "llm_router.hosts.claude_code",
    "codex": "llm_router.hosts.codex",
    "gemini-cli": "llm_router.hosts.gemini_cli",
    "vscode": "llm_router.hosts.vscode",
    "cursor": "llm_router.hosts.cursor",
}
GATEWAY_HOSTS = ("claude-code", "codex")  # hosts whose requests can go through the local gateway
# What install can put in place besides hosts: the login service that runs the gateway.
UNITS: dict[str, str] = {**HOSTS, "autostart": "llm_router.hosts.autostart"}
ABSENT = "absent"


@dataclass
class FileChange:
    """What install or uninstall does to one file."""

    path: Path
    what: list[str]
    before: str | None
    after: str | None  # None: the file is (or stays) absent
    record: str | None = None  # the manifest's note of the original, when this change makes one
    edits: list[FileEdit] = field(default_factory=list, repr=False)

    @property
    def changed(self) -> bool:
        return self.before != self.after

    @property
    def status(self) -> str:
        if not self.changed:
            return "unchanged"
        if self.before is None:
            return "created"
        return "removed" if self.after is None else "updated"

    def diff(self) -> str:
        return unified_diff(self.path, self.before, self.after)

    def to_dict(self) -> dict[str, Any]:
        return {"path": str(self.path), "what": self.what, "status": self.status}


def host_edits(host: str, target: Target, options: InstallOptions | None = None) -> list[FileEdit]:
    """The edits that install `host` (or the `autostart` service) with `options`."""
    if host not in UNITS:
        raise HostConfigError(f"unknown host {host!r}; choose one of {', '.join(HOSTS)}")
    module = importlib.import_module(UNITS[host])
    edits: list[FileEdit] = module.edits(target, options or InstallOptions())
    return edits


def _grouped(edits: list[FileEdit]) -> dict[Path, list[FileEdit]]:
    groups: dict[Path, list[FileEdit]] = {}
    for edit in edits:
        groups.setdefault(edit.path, []).append(edit)
    return groups


def _chain(edits: list[FileEdit], text: str | None, op: str) -> str | None:
    for edit in edits:
        text = getattr(edit, op)(text)
    return text


class Manifest:
    """`installed.json`: path -> how to find the file's content from before llm-router's first install."""

    def __init__(self, state_dir: Path):
        self.path = state_dir / "installed.json"
        self.backups = state_dir / "backups"
        text = read_text(self.path)
        try:
            loaded = json.loads(text) if text else {}
        except ValueError:
            loaded = {}
        files = loaded.get("files") if isinstance(loaded, dict) else None
        self.files: dict[str, dict[str, Any]] = files if isinstance(files, dict) else {}
        installs = loaded.get("installs") if isinstance(loaded, dict) else None
        self.installs: dict[str, dict[str, Any]] = installs if isinstance(installs, dict) else {}

    @staticmethod
    def key(host: str, target: Target) -> str:
        return f"{host} {target.root}"

    def options(self, host: str, target: Target) -> InstallOptions | None:
        """The options `host` was installed with at `target`, or None when the manifest does not know."""
        record = self.installs.get(self.key(host, target))
        return InstallOptions.from_dict(record) if record is not None else None

    def gateway_units(self) -> list[str]:
        """The install records made with --gateway."""
        return [key for key, rec in self.installs.items() if isinstance(rec, dict) and rec.get("gateway")]

    def original(self, path: Path) -> tuple[bool, str | None]:
        """(known, text): the file's content before the first install; text None means it did not exist."""
        rec = self.files.get(str(path), {}).get("original")
        if not isinstance(rec, str):
            return False, None
        if rec == ABSENT:
            return True, None
        text = read_text(Path(rec))
        return (text is not None), text

    def created_dirs(self, path: Path) -> list[str]:
        """The folders the first install created for `path`, deepest first."""
        dirs = self.files.get(str(path), {}).get("created_dirs", [])
        return [d for d in dirs if isinstance(d, str)]

    def save(self) -> None:
        fileio.private_dir(self.path.parent)
        document = {"files": self.files, "installs": self.installs}
        fileio.write_private(self.path, json.dumps(document, indent=2, sort_keys=True) + "\n")


def plan_install(
    host: str, target: Target, options: InstallOptions | None = None, previous: InstallOptions | None = None
) -> list[FileChange]:
    """The changes installing `host` makes (after taking out what an install with other options added);
    raises HostConfigError before anything is written."""
    options = options or InstallOptions()
    new = host_edits(host, target, options)
    old = host_edits(host, target, previous) if previous is not None and previous != options else []
    changes = []
    for path in dict.fromkeys([e.path for e in new] + [e.path for e in old]):
        adds, removes = [e for e in new if e.path == path], [e for e in old if e.path == path]
        before = read_text(path)
        after = _chain(adds, _chain(removes, before, "remove"), "add")
        fresh = _chain(adds + removes, before, "remove") == before  # nothing of ours there yet
        change = FileChange(path, [e.what for e in adds or removes], before, after, edits=adds or removes)
        change.record = "new" if fresh else None
        changes.append(change)
    return changes


def removal_options(host: str, target: Target, manifest: Manifest) -> InstallOptions:
    """What to remove: the options of the recorded install, else the default gateway's (removing what is not
    there changes nothing)."""
    return manifest.options(host, target) or InstallOptions(gateway=gateway_link.DEFAULT_URL)


def plan_uninstall(host: str, target: Target, manifest: Manifest) -> list[FileChange]:
    """The changes uninstalling `host` makes: ours removed, and the original bytes back where possible."""
    changes = []
    for path, edits in _grouped(host_edits(host, target, removal_options(host, target, manifest))).items():
        before = read_text(path)
        after = _chain(edits, before, "remove")
        if after != before and after is not None:
            known, original = manifest.original(path)
            if known and original is None and edits[0].empty(after):
                after = None
            elif known and original is not None:
                try:
                    unchanged_since = edits[0].same(_chain(edits, original, "remove") or "", after)
                except HostConfigError:
                    unchanged_since = False
                if unchanged_since:
                    after = original
        changes.append(FileChange(path, [e.what for e in edits], before, after, record="drop"))
    return changes


def apply(
    changes: list[FileChange],
    manifest: Manifest,
    install: tuple[str, Target, InstallOptions | None] | None = None,
) -> None:
    """Back up and write each changed file, then update the manifest (recording, for `install`, the host and
    options installed; None options: uninstalled)."""
    for change in changes:
        key = str(change.path)
        if change.changed:
            saved = backup(change.path, manifest.backups)
            if change.record == "new":
                missing = [p for p in change.path.parents if not p.exists()]
                manifest.files[key] = {
                    "original": str(saved) if saved is not None else ABSENT,
                    "created_dirs": [str(p) for p in missing],
                }
            if change.after is None:
                change.path.unlink()
                for folder in manifest.created_dirs(change.path):
                    try:
                        Path(folder).rmdir()  # only while empty
                    except OSError:
                        break
            else:
                atomic_write(change.path, change.after)
        if change.record == "drop":
            manifest.files.pop(key, None)
    if install is not None:
        host, target, options = install
        if options is None:
            manifest.installs.pop(Manifest.key(host, target), None)
        else:
            manifest.installs[Manifest.key(host, target)] = options.to_dict()
    manifest.save()


def install(
    host: str,
    target: Target,
    state_dir: Path,
    *,
    options: InstallOptions | None = None,
    dry_run: bool = False,
) -> list[FileChange]:
    """Install `host` with `options` (or only plan it with `dry_run`)."""
    options = options or InstallOptions()
    manifest = Manifest(state_dir)
    changes = plan_install(host, target, options, manifest.options(host, target))
    if not dry_run:
        apply(changes, manifest, (host, target, options))
    return changes


def uninstall(host: str, target: Target, state_dir: Path, *, dry_run: bool = False) -> list[FileChange]:
    """Remove what install added to `host`'s files (or only plan it with `dry_run`)."""
    manifest = Manifest(state_dir)
    changes = plan_uninstall(host, target, manifest)
    if not dry_run:
        apply(changes, manifest, (host, target, None))
    return changes
