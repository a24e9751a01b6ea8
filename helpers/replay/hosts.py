"""Which upstream hosts record mode may forward to, checked strictly.

Record mode forwards the learner's request, with all of its headers (the API key, cookies), to the
real API. The host comes from the request path (`/hf/<host>/...`), so it is checked against one
allow-list per provider before a single byte leaves the machine.

The allow-list is the `hosts` of each provider in `helpers.providers` (the hosts its SDK really
talks to: `api.openai.com`; `api.anthropic.com`; `router.huggingface.co` for inference and
`huggingface.co` for the model lookups `huggingface_hub` makes first). A host must match an entry
exactly: no user information (`user@host`), no port unless the entry carries one, no IP
literal, no percent-encoding, no trailing dot, nothing but letters, digits, dots and hyphens.
"""

from __future__ import annotations

import ipaddress
import re

from ..providers import PROVIDERS

ALLOWED_HOSTS: dict[str, frozenset[str]] = {
    name: frozenset(host.lower() for host in provider.hosts) for name, provider in PROVIDERS.items()
}
_HOSTNAME = re.compile(r"[a-z0-9](?:[a-z0-9.-]*[a-z0-9])?")
_NUMERIC_LABEL = re.compile(r"(?:0x[0-9a-f]*|[0-9]+)")


class RefusedHost(ValueError):
    """A host record mode does not forward to; the message is Korean and names the host."""

    def __init__(self, provider: str, host: str, reason: str) -> None:
        self.provider, self.host, self.reason = provider, host, reason
        allowed = ", ".join(sorted(ALLOWED_HOSTS.get(provider, ()))) or "(없음)"
        super().__init__(
            f"녹화 모드: '{host}'(으)로는 요청을 전달하지 않습니다. {reason} "
            f"{provider}의 허용 호스트: {allowed}. 요청 헤더(API 키 포함)는 보내지 않았습니다."
        )


def refusal_reason(provider: str, host: str) -> str | None:
    """None when `host` is on `provider`'s allow-list, else why it is refused (Korean)."""
    allowed = ALLOWED_HOSTS.get(provider, frozenset())
    if host in allowed and _HOSTNAME.fullmatch(host.split(":", 1)[0]):
        return None
    return _why_refused(host, allowed)


def check_host(provider: str, host: str) -> str:
    """`host` itself when record mode may forward to it; raises `RefusedHost` otherwise."""
    reason = refusal_reason(provider, host)
    if reason is not None:
        raise RefusedHost(provider, host, reason)
    return host


def _why_refused(host: str, allowed: frozenset[str]) -> str:
    lowered = host.lower()
    if not host:
        return "호스트 이름이 비어 있습니다."
    if "@" in host or "%40" in lowered:
        return "사용자 정보(userinfo, `@`)가 들어 있는 주소는 다른 호스트로 향할 수 있습니다."
    if "%" in host or "\\" in host:
        return "인코딩된 문자(`%`, `\\`)가 들어 있는 호스트 이름은 받지 않습니다."
    if _is_ip_literal(host):
        return "IP 주소로는 보내지 않습니다. 호스트 이름만 허용합니다."
    if ":" in host:
        return "포트가 붙어 있습니다. 허용 목록에 그 포트가 없습니다."
    if lowered in allowed:
        return "호스트 이름은 소문자로 정확히 써야 합니다."
    if not _HOSTNAME.fullmatch(lowered):
        return "호스트 이름에 쓸 수 없는 문자나 형식(끝의 점 등)이 있습니다."
    return "허용 목록에 없는 호스트입니다."


def _is_ip_literal(host: str) -> bool:
    """IPv4/IPv6 in any spelling, including `[::1]`, `2130706433` and `0x7f.1`."""
    bare = host.split("%", 1)[0]
    if bare.startswith("["):
        return True
    try:
        ipaddress.ip_address(bare)
        return True
    except ValueError:
        pass
    name = bare.rsplit(":", 1)[0] if bare.count(":") == 1 else bare
    labels = name.lower().rstrip(".").split(".")
    return bool(name) and all(_NUMERIC_LABEL.fullmatch(label) for label in labels)
