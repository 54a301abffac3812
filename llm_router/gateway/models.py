"""`GET /v1/models`: what a client may ask for by name: `auto` (the policy decides), each tier and each chain
of the policy. Any concrete model (`provider/name`) may be asked for too; it is not listed."""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.requests import Request as HttpRequest
from starlette.responses import JSONResponse, Response

if TYPE_CHECKING:
    from llm_router.gateway.service import Gateway


async def models(gw: Gateway, http: HttpRequest) -> Response:
    """GET /v1/models, in the OpenAI list shape."""
    cp = gw.policy()
    names = ["auto", *dict.fromkeys([*cp.tiers, *cp.chains])]
    data = [{"id": name, "object": "model", "created": 0, "owned_by": "llm-router"} for name in names]
    return JSONResponse({"object": "list", "data": data})
