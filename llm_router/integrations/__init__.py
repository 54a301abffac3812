"""The same policy inside other engines: `litellm_proxy` puts it in LiteLLM Proxy as a pre-call callback."""
