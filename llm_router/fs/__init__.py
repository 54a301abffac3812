"""Bulk file work inside a workspace root: find files and lines (respecting .gitignore), apply one
instruction to many files through a cheap model as strictly applied unified diffs (dry run by default, an
undo journal, atomic writes that never leave the root), and summarise files for context.

Every model call goes through the one pipeline (`router.decide` / `router.run`) with event `fs_edit` or
`fs_analyze`, so the policy decides and usage is recorded per file.
"""

from llm_router.fs.analyze import analyze
from llm_router.fs.edit import edit_many
from llm_router.fs.find import find
from llm_router.fs.journal import entries as undo_entries
from llm_router.fs.journal import undo
from llm_router.fs.workspace import Workspace, WorkspaceError

__all__ = ["Workspace", "WorkspaceError", "analyze", "edit_many", "find", "undo", "undo_entries"]
