"""The `llm-router` command. Subcommands live in their own modules and are imported only when used,
so `llm-router --help` and `llm-router route` stay light."""

from __future__ import annotations

import importlib
import sys
from typing import Any

import click

from llm_router import __version__

# name -> (module, attribute, one-line help). The help is here so `--help` never imports the command.
COMMANDS: dict[str, tuple[str, str, str]] = {
    "route": ("llm_router.cli.route", "route", "Decide how a prompt would be routed, without running it."),
    "policy": ("llm_router.cli.policy", "policy", "Validate, show, explain, test and lint routing policies."),
    "query": ("llm_router.cli.execute", "query", "Decide and execute a prompt through its chain."),
    "usage": ("llm_router.cli.execute", "usage", "Show recorded calls, tokens and cost."),
    "savings": ("llm_router.cli.execute", "savings", "Show what routing saved against the baseline model."),
    "budget": ("llm_router.cli.execute", "budget", "Show each budget and how much of it is used."),
    "health": ("llm_router.cli.execute", "health", "Check each configured provider."),
    "mcp": ("llm_router.cli.mcp", "mcp", "Serve the router as MCP tools (stdio or streamable HTTP)."),
    "serve": (
        "llm_router.cli.serve",
        "serve",
        "Run the local gateway (Anthropic and OpenAI APIs, MCP at /mcp).",
    ),
    "install": ("llm_router.cli.hosts", "install", "Register the MCP server and hooks in a host tool."),
    "uninstall": ("llm_router.cli.hosts", "uninstall", "Remove exactly what install added."),
    "doctor": ("llm_router.cli.hosts", "doctor", "Check the installation end to end and say what to fix."),
    "hook": ("llm_router.cli.hosts", "hook", "Handle one host hook event (stdin JSON in, host JSON out)."),
    "eval": ("llm_router.cli.eval", "eval_cmd", "Measure routing quality and cost over a dataset."),
    "image": ("llm_router.cli.media", "image", "Generate an image through the policy's image chain."),
    "video": ("llm_router.cli.media", "video", "Generate a video (or resume one) through the video chain."),
    "audio": ("llm_router.cli.media", "audio", "Speak a text through the policy's speech chain."),
    "transcribe": ("llm_router.cli.media", "transcribe", "Transcribe an audio file through its chain."),
    "pipeline": (
        "llm_router.cli.pipeline",
        "pipeline",
        "List, show and run multi-step pipelines (research, ...).",
    ),
    "fs": (
        "llm_router.cli.fs",
        "fs",
        "Find, edit (a cheap model, undoable) and summarise files in a workspace.",
    ),
}


class LazyGroup(click.Group):
    """A group whose subcommands are imported on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        spec = COMMANDS.get(cmd_name)
        if spec is None:
            return None
        module_name, attr, _ = spec
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:  # a command whose module is not written yet
            if exc.name != module_name:
                raise
            return None
        command: click.Command = getattr(module, attr)
        return command

    def main(  # type: ignore[override]
        self,
        args: list[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        """Run a command line: every failure becomes a message and its exit code (and with `--json`, a JSON
        error object), in this one place, for the console script and for click's test runner alike."""
        from llm_router.cli.common import run_guarded, wants_json

        argv = list(sys.argv[1:] if args is None else args)

        def call() -> Any:
            return super(LazyGroup, self).main(argv, prog_name, complete_var, standalone_mode=False, **extra)

        code = run_guarded(call, wants_json(argv))
        if standalone_mode:
            sys.exit(code)
        return code

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, COMMANDS[name][2]) for name in self.list_commands(ctx)]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="llm-router")
def cli() -> None:
    """Route each prompt of your AI coding tool to the cheapest model that can still do the job.

    Exit codes: 0 ok, 1 failure, 2 usage error, 3 invalid policy, 4 policy tests failed,
    5 every provider failed, 6 budget exhausted, 7 host settings unreadable.
    """


def main(argv: list[str] | None = None) -> Any:
    """Entry point of the `llm-router` command. Without `argv` (the console script, `python -m llm_router`)
    it runs the process's own command line, and a process that imported LiteLLM then exits without the
    interpreter's teardown (`common.leave`); with `argv` (a caller running a command in its own process) it
    raises SystemExit as click does."""
    from llm_router.cli.common import run_cli

    return run_cli(cli, sys.argv[1:] if argv is None else argv, own_process=argv is None)
