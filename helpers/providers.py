"""The three providers the series teaches, and how each one is reached.

Everything provider-specific that the replay engine needs lives in this one table, so that adding a
provider is one entry here rather than a special case in every module.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Provider:
    name: str
    label: str
    key_env: str
    # Environment variable the SDK reads for its base URL; None when the SDK has none (Hugging Face).
    base_url_env: str | None
    # What the SDK's base URL looks like relative to the upstream origin ("/v1" for OpenAI).
    base_path: str
    upstream: str
    hosts: tuple[str, ...]
    key_prefixes: tuple[str, ...]
    key_help: str
    # Set as the key in replay mode: clearly labelled, never key-shaped, never accepted as a key.
    placeholder: str = "replay-mode-placeholder-not-a-real-key"


PROVIDERS: dict[str, Provider] = {
    p.name: p
    for p in (
        Provider(
            name="openai",
            label="OpenAI",
            key_env="OPENAI_API_KEY",
            base_url_env="OPENAI_BASE_URL",
            base_path="/v1",
            upstream="https://api.openai.com",
            hosts=("api.openai.com",),
            key_prefixes=("sk-",),
            key_help="https://platform.openai.com/api-keys 에서 발급합니다.",
        ),
        Provider(
            name="anthropic",
            label="Anthropic",
            key_env="ANTHROPIC_API_KEY",
            base_url_env="ANTHROPIC_BASE_URL",
            base_path="",
            upstream="https://api.anthropic.com",
            hosts=("api.anthropic.com",),
            key_prefixes=("sk-ant-",),
            key_help="https://console.anthropic.com/settings/keys 에서 발급합니다.",
        ),
        Provider(
            name="huggingface",
            label="Hugging Face",
            key_env="HF_TOKEN",
            base_url_env=None,
            base_path="",
            upstream="https://router.huggingface.co",
            hosts=("router.huggingface.co", "huggingface.co"),
            key_prefixes=("hf_",),
            key_help="https://huggingface.co/settings/tokens 에서 발급합니다.",
            # huggingface_hub routes "auto" only for tokens that start with "hf_".
            placeholder="hf_replay_mode_placeholder_not_a_real_token",
        ),
    )
}

PLACEHOLDERS = frozenset(p.placeholder for p in PROVIDERS.values())

# Requests SDKs make on their own (registries, telemetry): answered 404 quietly in replay, since
# the SDK tolerates that and no lesson depends on them.
BACKGROUND_PATHS = frozenset({("huggingface.co", "/api/agent-harnesses")})


def provider_for_host(host: str) -> Provider | None:
    host = host.split(":")[0].lower()
    for provider in PROVIDERS.values():
        if host in provider.hosts:
            return provider
    return None
