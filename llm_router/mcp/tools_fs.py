"""The file tools: find files and lines, apply one instruction to many files with a cheap model (a dry run
unless `apply`), summarise files, and undo an applied edit. The workspace root is the server's working
directory; a path outside it is an error."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from pydantic import Field

from llm_router.mcp.results import Report
from llm_router.mcp.session import McpSession, blocking, check_model

Globs = Annotated[
    list[str] | None,
    Field(description="Files by glob, relative to the workspace root: `*.py` (any depth), `src/**/*.ts`"),
]
Paths = Annotated[list[str] | None, Field(description="Files relative to the workspace root")]
Model = Annotated[str | None, Field(description="A model id (provider/name) to use instead of the chain")]


def fs_tools(s: McpSession) -> dict[str, Callable[..., Any]]:
    """The file tools, bound to one session, by name."""

    def models(model: str | None) -> list[str] | None:
        return [check_model(model, s.configured())] if model else None

    async def llm_fs_find(
        globs: Globs = None,
        pattern: Annotated[
            str | None, Field(description="Search file contents for this text (a fixed string)")
        ] = None,
        regex: Annotated[bool, Field(description="pattern is a regular expression")] = False,
        word: Annotated[bool, Field(description="pattern matches whole words only (a symbol)")] = False,
        ignore_case: bool = False,
        max_results: Annotated[int, Field(ge=1, le=2000)] = 200,
    ) -> Report:
        """Find files in the workspace by glob, or lines by content; .gitignore is respected and results
        are bounded. Answers files, or matches (path, line, text)."""
        from llm_router.fs import find

        return Report(
            report=await blocking(
                find,
                s.cwd,
                globs=globs,
                pattern=pattern,
                regex=regex,
                word=word,
                ignore_case=ignore_case,
                max_results=max_results,
            )
        )

    async def llm_fs_edit_many(
        instruction: Annotated[str, Field(description="What to change in each file")],
        paths: Paths = None,
        globs: Globs = None,
        apply: Annotated[
            bool, Field(description="Write the changes; by default a dry run that only shows the diffs")
        ] = False,
        model: Model = None,
    ) -> Report:
        """Apply one instruction to many files with a cheap model, file by file: each answer is a unified
        diff that must apply cleanly. A dry run unless apply=true; applied edits can be undone with
        llm_fs_undo. Never writes outside the workspace, to binary files, or to large files."""
        from llm_router.fs import edit_many

        forced = models(model)
        report = await blocking(
            edit_many,
            s.cwd,
            instruction,
            settings=s.settings,
            paths=paths or (),
            globs=globs or (),
            dry_run=not apply,
            host="mcp",
            models=forced,
        )
        return Report(report=report)

    async def llm_fs_analyze(
        paths: Paths = None,
        globs: Globs = None,
        focus: Annotated[str, Field(description="What the summaries should pay attention to")] = "",
        model: Model = None,
    ) -> Report:
        """Summarise files for context with a cheap model: purpose, main definitions, dependencies."""
        from llm_router.fs import analyze

        forced = models(model)
        report = await blocking(
            analyze,
            s.cwd,
            settings=s.settings,
            paths=paths or (),
            globs=globs or (),
            focus=focus,
            host="mcp",
            models=forced,
        )
        return Report(report=report)

    async def llm_fs_undo(
        edit_id: Annotated[str | None, Field(description="The undo_id an applied edit answered")] = None,
    ) -> Report:
        """Put back the files of the last edit applied in this workspace (or edit_id, which must have been
        made in this workspace), each unless it changed again since."""
        from llm_router.fs import undo

        return Report(report=await blocking(undo, s.settings.home, s.cwd, edit_id))

    return {f.__name__: f for f in (llm_fs_find, llm_fs_edit_many, llm_fs_analyze, llm_fs_undo)}
