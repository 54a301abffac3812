"""Media generation through the one pipeline: images, video, speech and transcription.

A media request is decided by `router.decide` like any prompt (its `event` names the kind, so the policy's
rules see `kind`), and carried out by `router.run_media`, which walks the policy's media chain with the
same breakers, budgets, retries and one usage row per attempt as a text query. Providers are called through
LiteLLM where it serves them (OpenAI, Gemini) and through their own HTTP APIs elsewhere (fal's queue,
Stability, ElevenLabs, Runway, Replicate). Each result is saved with a JSON sidecar.
"""

from llm_router.media.job import KINDS, MediaJob, MediaReply, MediaResult

__all__ = ["KINDS", "MediaJob", "MediaReply", "MediaResult"]
