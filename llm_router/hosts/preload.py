"""The prompt hook's modules kept as one file of code objects, so a hook process runs them in one step instead
of importing them one by one.

Python's import system costs about 0.1 ms per module on a small machine before a module's own code runs
(the finders, the import lock, a stat and an open per file): over the ~30 modules a prompt hook imports, a
tenth of the hook's time. `<home>/cache/hook-modules.<interpreter tag>.bin` holds, for each module of
`MODULES` (in an order where a module comes after those its top level imports), its code as the compiled
bytecode file (`__pycache__`) holds it, with the size and mtime of the source it was compiled from.

`hook.run` reads it (`hook.bundle_path`) before the prompt is handled (`hook._preload`) and runs each
module into `sys.modules` as the import system would (same `__spec__`, `__file__`, `__path__`, parent
attribute). It is used only when it was written by this interpreter for this installation and every source
still has the size and mtime recorded; otherwise the modules are imported as usual and the file is written
again after the event (`build`). The file is private and read with `fileio.read_private`, like the
compiled-policy cache: its content runs as code.
"""

from __future__ import annotations

import marshal
import os
import sys

from llm_router import fileio
from llm_router.hosts.hook import BUNDLE_FORMAT, BUNDLE_LIMIT, PACKAGE_ROOT
from llm_router.hosts.hook import bundle_path as path

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

# What a prompt hook imports after hook.py's own imports, when it decides from the compiled-policy cache, in
# an order where each module follows the modules its top level imports (a package's own `__init__` may come
# after its submodules: packages are in place, empty, before any module runs). tests/test_hook_preload.py
# checks that a prompt hook running them imports no module of the list through the import system.
MODULES = (
    "llm_router.paths",
    "llm_router.hosts.protocol",
    "llm_router.fileio",
    "llm_router.hosts.session",
    "llm_router.hosts.handlers",
    "llm_router.records",
    "llm_router.decision",
    "llm_router.router",
    "llm_router.policy",
    "llm_router.policy.compiled_cache",
    "llm_router.policy.sources",
    "llm_router.classify._records",
    "llm_router.classify._classifier",
    "llm_router.classify",
    "llm_router.policy.meter",
    "llm_router.policy.compiled",
    "llm_router.classify._runtime",
    "llm_router.providers",
    "llm_router.providers.table",
    "llm_router.providers.catalogue",
    "llm_router.store",
    "llm_router.store.breaker_mark",
    "llm_router.policy.namespace",
    "llm_router.policy.evaluate",
    "llm_router.store.decision_files",
    "llm_router.privacy",
    "llm_router.store.decisions",
)


def build(home: str) -> bool:
    """Write the bundle for the modules of `MODULES` as this process found them; False (and nothing
    written) when one cannot be found or read as source, or the home cannot be written."""
    import importlib.util

    root = PACKAGE_ROOT
    entries: list[tuple[Any, ...]] = []
    try:
        folder = fileio.private_dir(os.path.join(home, "cache"))
        if not os.access(folder, os.W_OK):  # a read-only home: no work done in every hook for nothing
            return False
        for name in MODULES:
            module = sys.modules.get(name)
            spec = module.__spec__ if module is not None else importlib.util.find_spec(name)
            origin = getattr(spec, "origin", None)
            if spec is None or not isinstance(origin, str) or not origin.endswith(".py"):
                return False
            relative = os.path.relpath(origin, root)
            if relative.startswith(os.pardir):  # imported from somewhere else than this installation
                return False
            st = os.stat(origin)
            get_code = getattr(spec.loader, "get_code", None)
            if get_code is None:
                return False
            code = marshal.dumps(get_code(name))  # its __pycache__ file's, checked as imports check it
            is_package = spec.submodule_search_locations is not None
            entries.append((name, relative, is_package, st.st_mtime_ns, st.st_size, spec.cached, code))
        data = marshal.dumps((BUNDLE_FORMAT, importlib.util.MAGIC_NUMBER, root, tuple(entries)))
        if len(data) > BUNDLE_LIMIT:  # it would be refused when read
            return False
        fileio.write_private(path(home), data)
    except (ImportError, OSError, SyntaxError, ValueError):
        return False
    return True
