"""JSON on the hook path: `json`'s own C accelerator (`_json`) driven directly, since importing `json` also
imports `re` and `enum`, several times the cost of everything else a tool hook does.

`loads` and `dumps` give what `json.loads` and `json.dumps` give with the same arguments (the same text, the
same JSONDecodeError, a ValueError), and fall back to `json` itself where `_json` is missing.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

try:
    import _json
except ImportError:  # an interpreter without the accelerator: the pure-Python json does the same
    _json = None  # type: ignore[assignment]

_SPACE = " \t\n\r"


class _Settings:
    """What json.JSONDecoder() hands its C scanner: the default settings."""

    strict = True
    object_hook = None
    object_pairs_hook = None
    parse_float = float
    parse_int = int
    parse_constant = {"-Infinity": float("-inf"), "Infinity": float("inf"), "NaN": float("nan")}.__getitem__


_scan: Any = _json.make_scanner(_Settings()) if _json is not None else None  # type: ignore[arg-type]


def _error(message: str, text: str, at: int) -> ValueError:
    from json import JSONDecodeError  # only when there is an error to report

    return JSONDecodeError(message, text, at)


def loads(text: str | bytes) -> Any:
    """The value of the JSON document `text` (bytes are UTF-8), as `json.loads(text)` gives it; a document
    nested deeper than the parser goes is a ValueError too (json raises RecursionError), so that a caller
    reading untrusted JSON catches ValueError alone."""
    if isinstance(text, bytes):
        text = text.decode("utf-8")  # UnicodeDecodeError is a ValueError
    if _scan is None:
        import json

        try:
            return json.loads(text)
        except RecursionError:
            raise _error("Too deeply nested for the parser", text, 0) from None
    at, end = 0, len(text)
    while at < end and text[at] in _SPACE:
        at += 1
    try:
        value, at = _scan(text, at)
    except StopIteration as stop:
        raise _error("Expecting value", text, stop.value) from None
    except RecursionError:
        raise _error("Too deeply nested for the parser", text, at) from None
    while at < end and text[at] in _SPACE:
        at += 1
    if at != end:
        raise _error("Extra data", text, at)
    return value


def scanner() -> Callable[[str, int], tuple[Any, int]]:
    """json's C scanner with json.loads's settings: `scan(text, at)` gives the JSON value starting at `at`
    and where it ends, raising StopIteration where no value starts (what json.loads turns into its errors)."""
    if _scan is None:
        import json

        return json.JSONDecoder().scan_once  # type: ignore[attr-defined,no-any-return]
    return _scan  # type: ignore[no-any-return]


def _not_serializable(value: Any) -> Any:
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def encoder(
    *,
    ensure_ascii: bool = True,
    separators: tuple[str, str] = (", ", ": "),
    default: Callable[[Any], Any] | None = None,
    sort_keys: bool = False,
    check_circular: bool = True,
) -> Callable[[Any], str]:
    """A function from a value to its JSON text, as `json.JSONEncoder(...).encode`; make it once, call it
    often (without `check_circular`, for values known to be trees, it is built once rather than per call)."""
    if _json is None:
        import json

        return json.JSONEncoder(
            ensure_ascii=ensure_ascii,
            separators=separators,
            default=default,
            sort_keys=sort_keys,
            check_circular=check_circular,
        ).encode
    string = _json.encode_basestring_ascii if ensure_ascii else _json.encode_basestring
    item, key = separators
    fallback = default or _not_serializable
    shared = (
        None
        if check_circular
        else _json.make_encoder(None, fallback, string, None, key, item, sort_keys, False, True)
    )

    def encode(value: Any) -> str:
        if isinstance(value, str):
            return str(string(value))
        made = shared or _json.make_encoder({}, fallback, string, None, key, item, sort_keys, False, True)
        return "".join(made(value, 0))

    return encode


def dumps(
    value: Any,
    *,
    ensure_ascii: bool = True,
    separators: tuple[str, str] = (", ", ": "),
    default: Callable[[Any], Any] | None = None,
    sort_keys: bool = False,
) -> str:
    """`value` as JSON text, as `json.dumps` writes it with the same arguments."""
    return encoder(ensure_ascii=ensure_ascii, separators=separators, default=default, sort_keys=sort_keys)(
        value
    )


def quote(text: str) -> str:
    """A string as a JSON string literal, non-ASCII characters as they are (`ensure_ascii=False`)."""
    if _json is None:
        import json

        return json.dumps(text, ensure_ascii=False)
    return str(_json.encode_basestring(text))


if _json is not None:  # the C function itself, for writers that call it for every value
    quote = _json.encode_basestring  # type: ignore[assignment]  # noqa: F811


__all__ = ["dumps", "encoder", "loads", "quote"]
