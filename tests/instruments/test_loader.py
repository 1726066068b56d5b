"""The validator says precisely what is wrong: file, path in the document, problem."""

import copy
from importlib import resources

import pytest
import yaml

from nurture.instruments import DefinitionError
from nurture.instruments.loader import build_instrument, load_definition

GAD7 = yaml.safe_load((resources.files("nurture.instruments") / "library" / "gad7.yaml").read_text("utf-8"))


def broken(change):
    data = copy.deepcopy(GAD7)
    change(data)
    with pytest.raises(DefinitionError) as info:
        build_instrument(data, "gad7-edited.yaml")
    return str(info.value)


def test_every_shipped_definition_is_valid():
    folder = resources.files("nurture.instruments") / "library"
    for entry in folder.iterdir():
        if entry.name.endswith(".yaml"):
            load_definition(entry.name, entry.read_text("utf-8"))


def test_a_duplicate_item():
    assert broken(lambda d: d["items"].append(dict(d["items"][0]))) == \
        "gad7-edited.yaml: items[7].id: duplicate item '1'"


def test_a_scale_naming_an_unknown_item():
    def change(d):
        d["scales"][0]["items"] = ["1", "2", "9"]
        d["scales"][0]["range"] = [0, 9]
    assert broken(change) == "gad7-edited.yaml: scales[0].items[2]: unknown item '9'"


def test_a_band_outside_the_range():
    assert broken(lambda d: d["scales"][0]["bands"]["from"].append({"at": 25, "label": {"en": "x", "es": "x"}})) == \
        "gad7-edited.yaml: scales[0].bands.from[4].at: band at 25 is outside the range [0, 21]"


def test_bands_out_of_order():
    assert "bands must start in increasing order" in broken(
        lambda d: d["scales"][0]["bands"]["from"].__setitem__(2, {"at": 3, "label": {"en": "x", "es": "x"}}))


def test_a_declared_range_that_the_items_cannot_produce():
    assert broken(lambda d: d["scales"][0].__setitem__("range", [0, 20])) == \
        "gad7-edited.yaml: scales[0].range: [0, 20] does not match the items, which give [0, 21]"


def test_a_score_map_that_is_not_a_bijection():
    assert broken(lambda d: d["items"][0].__setitem__("score_map", {0: 0, 1: 1, 2: 1, 3: 3})) == \
        "gad7-edited.yaml: items[0].score_map: is not a bijection: two values map to the same score"


def test_a_missing_spanish_label():
    assert broken(lambda d: d["items"][3]["label"].pop("es")) == \
        "gad7-edited.yaml: items[3].label.es: missing Spanish label"


def test_a_safety_rule_on_an_unknown_item():
    assert broken(lambda d: d["safety"][0].update({"item": "12", "scale": None})) == \
        "gad7-edited.yaml: safety[0].item: unknown item '12'"


def test_an_unknown_response_set_and_a_missing_required_key():
    assert broken(lambda d: d["items"][2].__setitem__("responses", "yesno")) == \
        "gad7-edited.yaml: items[2].responses: unknown response set 'yesno'"
    assert broken(lambda d: d.pop("scoring_version")) == "gad7-edited.yaml: scoring_version: is required"


def test_malformed_yaml_names_the_line(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("id: x\nitems: [\n", encoding="utf-8")
    with pytest.raises(DefinitionError, match=r"^bad.yaml: line \d+: is not valid YAML"):
        load_definition(path)
