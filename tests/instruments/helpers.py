from nurture.instruments import library


def inst(instrument_id):
    return library().get(instrument_id)


def all_values(definition, value):
    """Every rated item answered with the same coded value."""
    return {i.id: value for i in definition.rated_items}


def from_keyed(definition, keyed: dict[str, int]) -> dict[str, int]:
    """Coded values that produce the given keyed scores (inverse of reverse-keying)."""
    out = {}
    for item_id, k in keyed.items():
        item = definition.item(item_id)
        out[item_id] = (item.min_value + item.max_value - k) if item.reverse else k
    return out


def keyed_all(definition, k: int) -> dict[str, int]:
    return from_keyed(definition, {i.id: k for i in definition.rated_items})


def with_total(definition, total: int, low: int, high: int) -> dict[str, int]:
    """Keyed scores adding up to ``total`` (filling items with ``high`` then ``low``)."""
    keyed, remaining = {}, total
    for item in definition.rated_items:
        step = min(high, max(low, remaining))
        keyed[item.id] = step
        remaining -= step
    assert remaining == 0
    return from_keyed(definition, keyed)
