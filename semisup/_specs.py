"""`NAME[param=value, ...]` specs: how a strategy variant or an encoder with other parameters is
written in a list, a config file or on the command line (e.g. `wide_resnet[widen_factor=4]`)."""

from __future__ import annotations

import json


def parse_value(text: str):
    """A parameter value from text: JSON where it parses (numbers, true, null, lists), else the
    string itself."""
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def split_specs(text: str) -> list[str]:
    """Split a comma-separated list, keeping the commas inside `[...]` (a spec's parameters)."""
    items, depth, current = [], 0, ""
    for character in text:
        depth += {"[": 1, "]": -1}.get(character, 0)
        if character == "," and depth == 0:
            items.append(current.strip())
            current = ""
        else:
            current += character
    items.append(current.strip())
    return [item for item in items if item]


def parse_spec(
    spec: str, kind: str = "spec", example: str = "name[param=value]"
) -> tuple[str, dict]:
    """`"NAME[a=1, b=text]"` -> `("NAME", {"a": 1, "b": "text"})`; a plain name has no parameters.

    Args:
        spec: the text.
        kind: what it names, for the error message (e.g. "Strategy", "Encoder").
        example: a valid spec of that kind, for the error message.

    Raises:
        ValueError: the text is empty, its brackets do not close at its end, or an item in them
            is not `param=value`.
    """
    if not isinstance(spec, str) or not spec:
        raise ValueError(f"{kind} must be a non-empty string, got {spec!r}.")
    if "[" not in spec:
        return spec, {}
    base, _, rest = spec.partition("[")
    if not rest.endswith("]") or not base.strip():
        raise ValueError(
            f"{kind} {spec!r} must look like NAME or NAME[param=value, ...], e.g. {example!r}."
        )
    params = {}
    for item in split_specs(rest[:-1]):
        key, separator, value = item.partition("=")
        if not separator or not key.strip():
            raise ValueError(f"{kind} {spec!r}: {item!r} is not param=value.")
        params[key.strip()] = parse_value(value.strip())
    return base.strip(), params
