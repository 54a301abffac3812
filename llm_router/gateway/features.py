"""What the gateway reads from one API request before deciding: the user's own text of the turn, the request
features offered to `when:`, whether the request starts a turn or continues one, and the conversation key.

Pure functions over the parsed JSON body; the three APIs (Anthropic Messages, OpenAI Chat Completions, OpenAI
Responses) each have one reader.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping
from typing import Any, NamedTuple

from llm_router.decision import RequestFeatures

IMAGE_TOKENS = 1_600  # what one image costs in context, roughly (Anthropic: ~1,600 for a 1,092 px square)
_REMINDER = re.compile(r"<system-reminder>.*?</system-reminder>\s*", re.DOTALL)


class Shape(NamedTuple):
    """One request as the router sees it."""

    prompt: str  # the user's own text of the current turn (host reminders removed)
    features: RequestFeatures
    continuing: bool  # the last message continues the turn: a tool result, not the user's own text
    conversation: str  # a key that stays the same for every request of one conversation
    turn: str  # a key of the current turn (its prompt), to match what turn memory kept


def _key(*parts: str) -> str:
    h = hashlib.blake2b(digest_size=12)
    for part in parts:
        h.update(part.encode("utf-8", "surrogatepass"))
        h.update(b"\0")
    return h.hexdigest()


def _last(items: list[Mapping[str, Any]], text_of: Any, is_user: Any) -> tuple[int, str]:
    """The index and text of the last user message with text of its own (-1, "" when none)."""
    for i in range(len(items) - 1, -1, -1):
        if is_user(items[i]) and (text := text_of(items[i])):
            return i, text
    return -1, ""


def _user_text(text: str) -> str:
    """Text the user typed: host reminders (Claude Code's <system-reminder> blocks) removed."""
    return _REMINDER.sub("", text).strip() if "<system-reminder>" in text else text.strip()


class _Count:
    """Images seen and the bytes of their data (not context: an image costs IMAGE_TOKENS)."""

    def __init__(self) -> None:
        self.images = 0
        self.image_bytes = 0

    def image(self, data: Any) -> None:
        self.images += 1
        if isinstance(data, str):
            self.image_bytes += len(data)

    def tokens(self, body_bytes: int) -> int:
        return max(1, (body_bytes - self.image_bytes) // 4) + self.images * IMAGE_TOKENS


# -- Anthropic Messages ----------------------------------------------------------------------------------


def _anthropic_blocks(content: Any) -> Iterable[Mapping[str, Any]]:
    if isinstance(content, str):
        yield {"type": "text", "text": content}
    elif isinstance(content, list):
        yield from (b for b in content if isinstance(b, Mapping))


def _anthropic_images(blocks: Iterable[Mapping[str, Any]], count: _Count) -> None:
    for block in blocks:
        kind = block.get("type")
        if kind == "image":
            source = block.get("source") or {}
            count.image(source.get("data") if isinstance(source, Mapping) else None)
        elif kind == "tool_result":
            _anthropic_images(_anthropic_blocks(block.get("content")), count)


def _anthropic_text(message: Mapping[str, Any]) -> str:
    return "\n".join(
        t
        for b in _anthropic_blocks(message.get("content"))
        if b.get("type") == "text" and (t := _user_text(str(b.get("text") or "")))
    )


def system_text(system: Any) -> str:
    """The system prompt of an Anthropic request as text (a string or a list of text blocks)."""
    if isinstance(system, str):
        return system
    return "\n".join(str(b.get("text") or "") for b in _anthropic_blocks(system) if b.get("type") == "text")


def anthropic_shape(body: Mapping[str, Any], body_bytes: int, background_model: Any) -> Shape:
    """Read a (validated) Messages request. `background_model(model) -> bool` says which requested models
    the host uses for background work."""
    messages = [m for m in body.get("messages") or [] if isinstance(m, Mapping)]
    count = _Count()
    for m in messages:
        _anthropic_images(_anthropic_blocks(m.get("content")), count)
    last = messages[-1] if messages else {}
    # A tool result continues the turn, unless the user wrote something of their own beside it (an
    # interrupted tool loop): that starts a new turn.
    continuing = (
        last.get("role") == "user"
        and any(b.get("type") == "tool_result" for b in _anthropic_blocks(last.get("content")))
        and not _anthropic_text(last)
    )
    at, prompt = _last(messages, _anthropic_text, lambda m: m.get("role") == "user")
    first = next((_anthropic_text(m) for m in messages if m.get("role") == "user"), "")
    model = str(body.get("model") or "")
    tools = bool(body.get("tools"))
    thinking = body.get("thinking")
    metadata = body.get("metadata") if isinstance(body.get("metadata"), Mapping) else {}
    features = RequestFeatures(
        requested_model=model,
        has_tools=tools,
        n_messages=len(messages),
        context_tokens=count.tokens(body_bytes),
        thinking=isinstance(thinking, Mapping) and thinking.get("type") in ("enabled", "adaptive"),
        has_images=count.images > 0,
        stream=bool(body.get("stream")),
        background=not tools and bool(background_model(model)),
    )
    user = str((metadata or {}).get("user_id") or "")
    conversation = _key("anthropic", user, system_text(body.get("system"))[:4000], first)
    return Shape(prompt, features, continuing, conversation, _key(str(at), prompt))


# -- OpenAI Chat Completions -----------------------------------------------------------------------------


def _chat_parts(content: Any) -> Iterable[Mapping[str, Any]]:
    if isinstance(content, str):
        yield {"type": "text", "text": content}
    elif isinstance(content, list):
        yield from (p for p in content if isinstance(p, Mapping))


def _chat_text(message: Mapping[str, Any]) -> str:
    return "\n".join(
        t
        for p in _chat_parts(message.get("content"))
        if p.get("type") in ("text", "input_text") and (t := _user_text(str(p.get("text") or "")))
    )


def _reasoning_asked(value: Any) -> bool:
    return isinstance(value, str) and value not in ("", "none", "minimal")


def chat_shape(body: Mapping[str, Any], body_bytes: int) -> Shape:
    """Read a (validated) Chat Completions request."""
    messages = [m for m in body.get("messages") or [] if isinstance(m, Mapping)]
    count = _Count()
    for m in messages:
        for p in _chat_parts(m.get("content")):
            if p.get("type") == "image_url":
                url = p.get("image_url")
                count.image(url.get("url") if isinstance(url, Mapping) else url)
    last = messages[-1] if messages else {}
    continuing = last.get("role") in ("tool", "function")
    at, prompt = _last(messages, _chat_text, lambda m: m.get("role") == "user")
    first = next((_chat_text(m) for m in messages if m.get("role") == "user"), "")
    system = next((_chat_text(m) for m in messages if m.get("role") in ("system", "developer")), "")
    features = RequestFeatures(
        requested_model=str(body.get("model") or ""),
        has_tools=bool(body.get("tools") or body.get("functions")),
        n_messages=len(messages),
        context_tokens=count.tokens(body_bytes),
        thinking=_reasoning_asked(body.get("reasoning_effort")),
        has_images=count.images > 0,
        stream=bool(body.get("stream")),
    )
    conversation = _key("chat", str(body.get("user") or ""), system[:4000], first)
    return Shape(prompt, features, continuing, conversation, _key(str(at), prompt))


# -- OpenAI Responses ------------------------------------------------------------------------------------


def _responses_items(value: Any) -> list[Mapping[str, Any]]:
    if isinstance(value, str):
        return [{"type": "message", "role": "user", "content": value}]
    return [i for i in value or [] if isinstance(i, Mapping)]


def _responses_text(item: Mapping[str, Any]) -> str:
    content = item.get("content")
    if isinstance(content, str):
        return _user_text(content)
    return "\n".join(
        t
        for p in _chat_parts(content)
        if p.get("type") in ("input_text", "text") and (t := _user_text(str(p.get("text") or "")))
    )


def _is_user_message(item: Mapping[str, Any]) -> bool:
    return item.get("role") == "user" and item.get("type", "message") == "message"


def responses_shape(body: Mapping[str, Any], body_bytes: int) -> Shape:
    """Read a (validated) Responses request."""
    items = _responses_items(body.get("input"))
    count = _Count()
    for item in items:
        content = item.get("content")
        for p in _chat_parts(content) if isinstance(content, list) else ():
            if p.get("type") == "input_image":
                count.image(p.get("image_url"))
    last = items[-1] if items else {}
    continuing = str(last.get("type") or "").endswith("_call_output")
    at, prompt = _last(items, _responses_text, _is_user_message)
    first = next((_responses_text(i) for i in items if _is_user_message(i)), "")
    reasoning = body.get("reasoning")
    features = RequestFeatures(
        requested_model=str(body.get("model") or ""),
        has_tools=bool(body.get("tools")),
        n_messages=len(items),
        context_tokens=count.tokens(body_bytes),
        thinking=isinstance(reasoning, Mapping) and _reasoning_asked(reasoning.get("effort")),
        has_images=count.images > 0,
        stream=bool(body.get("stream")),
    )
    # Codex sends its conversation id as prompt_cache_key; otherwise the opening of the conversation.
    cache_key = str(body.get("prompt_cache_key") or "")
    instructions = str(body.get("instructions") or "")[:4000]
    conversation = _key("responses", cache_key) if cache_key else _key("responses", instructions, first)
    return Shape(prompt, features, continuing, conversation, _key(str(at), prompt))
