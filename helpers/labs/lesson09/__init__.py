"""Lab checkers for lesson 09 (calling at scale: batches, rate limits, prompt caching).

Labs (the contract is /tmp/briefs/lab09_contract.md):

- ``"09-batch-jsonl"`` — ``build_batch_lines(questions, model)``: the OpenAI Batch API input file.
  Every line's ``body`` goes through the real ``OpenAI`` client on an ``httpx2.MockTransport``.
- ``"09-batch-match"`` — ``match_results(custom_ids, output_text, error_text)``: answers matched
  back by ``custom_id`` from output and error files written as the Batch API writes them.
- ``"09-limits"`` — ``choose_settings(rpm, tpm, prompt_tokens, max_tokens, latency_s, share)``:
  a simulated job through ``helpers.pacing.RateLimiter`` on a fake clock must see no 429 and
  reach 80% of the best throughput.
- ``"09-cache"`` — ``add_cache_control(request)``: Anthropic ``cache_control`` breakpoints placed
  so the next turn of a support chat reads the prefix the previous one wrote.

Each lab lives in its own module; importing this package registers all four.
"""

from __future__ import annotations

from .batch import SAMPLE_QUESTIONS, sample_batch_files
from .cache import SUPPORT_MANUAL, SUPPORT_TOOLS, show_cache_plan, support_request
from .limits import LIMITS_EXAMPLE, simulate_settings

__all__ = [
    "LIMITS_EXAMPLE",
    "SAMPLE_QUESTIONS",
    "SUPPORT_MANUAL",
    "SUPPORT_TOOLS",
    "sample_batch_files",
    "show_cache_plan",
    "simulate_settings",
    "support_request",
]
