"""Immutable records with `typing.NamedTuple`'s interface that cost next to nothing to define: the value
types of the hook path.

`class Request(Record): prompt: str; host: str = "cli"` gives a tuple subclass with a read-only property per
field, defaults, `_fields`, `_field_defaults`, `_make`, `_replace`, `_asdict`, pickling and a
`Request(prompt=..., host=...)` repr. Type checkers see `typing.NamedTuple` itself. At run time neither
`typing` (the largest import of a hook process) nor `collections.namedtuple` (which compiles code for every
class it makes) is imported: the properties are the C descriptors `namedtuple` uses.
"""

from __future__ import annotations

from _collections import _tuplegetter  # type: ignore[import-not-found]  # the C half of collections

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any
    from typing import NamedTuple as Record
else:

    class _RecordType(type):
        """Turns the annotated names of a class body into fields, before the class (with `__slots__ = ()`,
        so records have no `__dict__`) is made."""

        def __new__(mcls, name, bases, ns, **kwargs):
            ns.setdefault("__slots__", ())
            annotations = ns.get("__annotations__")
            if annotations is None or not any(isinstance(b, _RecordType) for b in bases):
                return super().__new__(mcls, name, bases, ns, **kwargs)  # Record itself, or no new fields
            fields = tuple(annotations)
            defaults = {}
            for field in fields:
                if field in ns:
                    defaults[field] = ns.pop(field)
                elif defaults:
                    raise TypeError(f"{name}: field {field!r} without a default follows fields with one")
            for index, field in enumerate(fields):
                ns[field] = _tuplegetter(index, f"Alias for field number {index}")
            ns["_fields"] = fields
            ns["_field_defaults"] = defaults
            ns["__match_args__"] = fields
            return super().__new__(mcls, name, bases, ns, **kwargs)

    def _bind(cls, args, kwargs):
        """The field values of `cls(*args, **kwargs)`, defaults filled in; TypeError as a call would raise."""
        fields = cls._fields
        if len(args) > len(fields):
            raise TypeError(f"{cls.__name__}() takes {len(fields)} arguments but {len(args)} were given")
        values = list(args)
        defaults = cls._field_defaults
        for field in fields[len(args) :]:
            if field in kwargs:
                values.append(kwargs.pop(field))
            elif field in defaults:
                values.append(defaults[field])
            else:
                raise TypeError(f"{cls.__name__}() missing required argument: {field!r}")
        if kwargs:
            field = next(iter(kwargs))
            why = (
                "got multiple values for argument"
                if field in fields
                else "got an unexpected keyword argument"
            )
            raise TypeError(f"{cls.__name__}() {why} {field!r}")
        return values

    class Record(tuple, metaclass=_RecordType):
        """Base of a record type: annotate the fields in the class body, as for `typing.NamedTuple`."""

        __slots__ = ()
        _fields: tuple[str, ...] = ()
        _field_defaults: dict[str, Any] = {}

        def __new__(cls, *args, **kwargs):
            if kwargs or len(args) != len(cls._fields):
                args = _bind(cls, args, kwargs)
            return tuple.__new__(cls, args)

        @classmethod
        def _make(cls, iterable):
            result = tuple.__new__(cls, iterable)
            if len(result) != len(cls._fields):
                raise TypeError(f"Expected {len(cls._fields)} arguments, got {len(result)}")
            return result

        def _replace(self, /, **changes):
            result = self._make(map(changes.pop, self._fields, self))
            if changes:
                raise ValueError(f"Got unexpected field names: {list(changes)!r}")
            return result

        def _asdict(self):
            return dict(zip(self._fields, self, strict=True))

        def __getnewargs__(self):
            return tuple(self)

        def __repr__(self):
            inner = ", ".join(f"{name}={value!r}" for name, value in zip(self._fields, self, strict=True))
            return f"{type(self).__name__}({inner})"


__all__ = ["Record"]
