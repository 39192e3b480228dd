#!/usr/bin/env python3
"""Builds Tollgate's price catalog (data/catalog.json) from LiteLLM's public price map.

Usage, from the repository root:
    python3 crates/tollgate-pricing/scripts/build_catalog.py [SOURCE_JSON] [--check]

SOURCE_JSON defaults to ../shared/data/model_prices.json relative to the repository root.
--check rebuilds in memory and fails if the committed catalog differs (for CI).

Only the standard library is used. Numbers are parsed as decimal.Decimal, never float, so a
price written "3.75e-06" in the source becomes the exact string "0.00000375" in the catalog.
"""

import decimal
import hashlib
import json
import pathlib
import sys

CRATE_DIR = pathlib.Path(__file__).resolve().parent.parent
REPO_ROOT = CRATE_DIR.parent.parent
DEFAULT_SOURCE = REPO_ROOT / ".." / "shared" / "data" / "model_prices.json"
CATALOG_PATH = CRATE_DIR / "data" / "catalog.json"

# Modes Tollgate serves; image, audio, rerank and the rest are priced in other units.
KEPT_MODES = {"chat", "completion", "responses", "embedding"}

# catalog field -> LiteLLM field, for the base (short-context) rates.
BASE_RATES = [
    ("input", "input_cost_per_token"),
    ("output", "output_cost_per_token"),
    ("cache_read", "cache_read_input_token_cost"),
    ("cache_write", "cache_creation_input_token_cost"),
    ("cache_write_1h", "cache_creation_input_token_cost_above_1hr"),
    ("reasoning", "output_cost_per_reasoning_token"),
]

# catalog field -> LiteLLM field without its "_above_{N}k_tokens" suffix, for the long-context tier.
TIER_RATES = [
    ("input", "input_cost_per_token"),
    ("output", "output_cost_per_token"),
    ("cache_read", "cache_read_input_token_cost"),
    ("cache_write", "cache_creation_input_token_cost"),
]
TIER_THRESHOLDS_K = [128, 200]

# Written under "supports" only when true, to keep the file small.
CAPABILITIES = [
    "function_calling",
    "vision",
    "response_schema",
    "reasoning",
    "prompt_caching",
]


class CatalogError(Exception):
    pass


def exact_decimal_text(value, where):
    """The exact plain-decimal text of a JSON number (no exponent, no trailing zeros)."""
    if isinstance(value, bool):
        raise CatalogError(f"{where}: expected a number, got {value!r}")
    if isinstance(value, (int, decimal.Decimal)):
        number = decimal.Decimal(value)
    elif isinstance(value, str):
        try:
            number = decimal.Decimal(value.strip())
        except decimal.InvalidOperation as err:
            raise CatalogError(f"{where}: not a number: {value!r}") from err
    else:
        raise CatalogError(f"{where}: expected a number, got {value!r}")
    if not number.is_finite() or number < 0:
        raise CatalogError(f"{where}: price must be a finite non-negative number, got {value!r}")
    text = format(number, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text


def token_count(value, where):
    """A context limit as an integer, or None when unknown.

    The source sometimes writes 2000000.0, and 0 where it means "not given".
    """
    if value is None:
        return None
    number = decimal.Decimal(value) if isinstance(value, (int, decimal.Decimal)) else None
    if isinstance(value, bool) or number is None or number != number.to_integral_value() or number < 0:
        raise CatalogError(f"{where}: expected a whole number of tokens, got {value!r}")
    return int(number) or None


def has_number(model, field):
    value = model.get(field)
    return value is not None and not isinstance(value, (bool, dict, list))


def long_context_tier(key, model):
    tiers = [k for k in TIER_THRESHOLDS_K if has_number(model, f"input_cost_per_token_above_{k}k_tokens")]
    if not tiers:
        return None
    if len(tiers) > 1:
        # The Rust side models one tier; a second one needs a code change, not a silent choice.
        raise CatalogError(f"{key}: several long-context tiers {tiers}; extend the catalog format")
    threshold_k = tiers[0]
    tier = {"above_input_tokens": threshold_k * 1000}
    for name, field in TIER_RATES:
        tier_field = f"{field}_above_{threshold_k}k_tokens"
        if has_number(model, tier_field):
            tier[name] = exact_decimal_text(model[tier_field], f"{key}.{tier_field}")
    return tier


def catalog_entry(key, model):
    """The catalog entry for one price-map entry, or None when Tollgate cannot price it per token."""
    mode = model.get("mode")
    if mode not in KEPT_MODES or not has_number(model, "input_cost_per_token"):
        return None
    if mode != "embedding" and not has_number(model, "output_cost_per_token"):
        return None
    entry = {"key": key, "provider": model.get("litellm_provider") or "", "mode": mode}
    for field in ("max_input_tokens", "max_output_tokens"):
        limit = token_count(model.get(field), f"{key}.{field}")
        if limit is not None:
            entry[field] = limit
    for name, field in BASE_RATES:
        if has_number(model, field):
            entry[name] = exact_decimal_text(model[field], f"{key}.{field}")
    entry.setdefault("output", "0")  # embeddings without an output price produce no output
    tier = long_context_tier(key, model)
    if tier is not None:
        entry["long_context"] = tier
    supports = {c: True for c in CAPABILITIES if model.get(f"supports_{c}") is True}
    if supports:
        entry["supports"] = supports
    return entry


def build_catalog_text(source_bytes):
    price_map = json.loads(source_bytes, parse_float=decimal.Decimal)
    entries = []
    for key in sorted(price_map):
        model = price_map[key]
        if key == "sample_spec" or not isinstance(model, dict):
            continue
        entry = catalog_entry(key, model)
        if entry is not None:
            entries.append(entry)
    compact = {"separators": (",", ":"), "ensure_ascii": False}
    lines = [json.dumps(entry, **compact) for entry in entries]
    sha256 = hashlib.sha256(source_bytes).hexdigest()
    return (
        "{" + f'"source_sha256":"{sha256}",\n"entries":[\n' + ",\n".join(lines) + "\n]}\n",
        len(entries),
    )


def main(argv):
    check = "--check" in argv
    paths = [a for a in argv if a != "--check"]
    if len(paths) > 1:
        print(__doc__, file=sys.stderr)
        return 2
    source = pathlib.Path(paths[0]) if paths else DEFAULT_SOURCE
    try:
        text, count = build_catalog_text(source.read_bytes())
    except (OSError, ValueError, CatalogError) as err:
        print(f"build_catalog: {err}", file=sys.stderr)
        return 1
    if check:
        current = CATALOG_PATH.read_text(encoding="utf-8") if CATALOG_PATH.exists() else ""
        if current != text:
            print(f"build_catalog: {CATALOG_PATH} is out of date; rerun without --check", file=sys.stderr)
            return 1
        print(f"build_catalog: {CATALOG_PATH} is up to date ({count} entries)")
        return 0
    CATALOG_PATH.write_text(text, encoding="utf-8")
    print(f"build_catalog: wrote {count} entries, {len(text.encode())} bytes to {CATALOG_PATH}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
