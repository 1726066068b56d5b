"""Reports render from results: HTML parses, the PDF has pages, the workbook has its sheets."""

import json
import subprocess
import sys
import textwrap
from html.parser import HTMLParser

import pytest
from openpyxl import load_workbook

from nurture.analysis.synthetic import make_bundle
from nurture.common import formatting

NURTURE = [sys.executable, "-m", "nurture.cli"]


class Collector(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags, self.text = [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)

    def handle_data(self, data):
        self.text.append(data)


@pytest.fixture(scope="module")
def analysed(tmp_path_factory):
    folder = make_bundle(tmp_path_factory.mktemp("b") / "bundle", n=26, seed=2)
    out = folder.parent / "out"
    result = subprocess.run(NURTURE + ["analyze", str(folder), "-o", str(out), "--bootstrap", "500"],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    return out


def test_analyze_writes_the_four_outputs(analysed):
    assert sorted(p.name for p in analysed.iterdir()) == ["report.html", "report.pdf", "results.json",
                                                          "tables.xlsx"]


def test_the_html_report_is_self_contained_with_inline_figures(analysed):
    html = (analysed / "report.html").read_text(encoding="utf-8")
    parser = Collector()
    parser.feed(html)
    assert parser.tags.count("svg") >= 5  # flow, attendance, forest, paired lines, reliable change
    assert "<script" not in html and "<link" not in html
    assert 'src="http' not in html and 'href="http' not in html and "<metadata>" not in html
    text = " ".join(parser.text)
    assert "not powered for hypothesis tests" in text
    assert text.index("Preliminary efficacy") > text.index("Acceptability") > text.index("Feasibility")


def test_the_pdf_is_a_complete_document_of_several_pages(analysed):
    from weasyprint import HTML

    data = (analysed / "report.pdf").read_bytes()
    assert data.startswith(b"%PDF-") and data.rstrip().endswith(b"%%EOF")
    pages = HTML(string=(analysed / "report.html").read_text(encoding="utf-8")).render().pages
    assert len(pages) >= 4


def test_the_pdf_draws_each_figure_as_vector_at_the_size_of_the_inline_figure(analysed):
    import base64

    from weasyprint import HTML

    from nurture.reports.html import as_images

    svg = (analysed / "report.html").read_text(encoding="utf-8")
    svg = svg[svg.index("<svg"):svg.index("</svg>") + len("</svg>")]  # the flow diagram
    image = as_images({"flow": svg})["flow"]
    assert base64.b64decode(image.split("base64,")[1].split('"')[0]).decode() == svg

    def figure_box(figure: str):
        page = HTML(string=f"<style>svg, figure img {{ max-width: 100%; height: auto; }}</style>"
                           f"<figure>{figure}</figure>").render().pages[0]
        boxes = [page._page_box]
        while boxes:
            box = boxes.pop()
            if type(box).__name__ in ("InlineReplacedBox", "BlockReplacedBox"):
                return box
            boxes.extend(getattr(box, "children", []))

    inline, drawn = figure_box(svg), figure_box(image)
    assert (drawn.width, drawn.height) == pytest.approx((inline.width, inline.height))
    assert type(drawn.replacement).__name__ == "SVGImage"  # vector: WeasyPrint draws the SVG, not pixels
    assert b"/Subtype /Image" not in (analysed / "report.pdf").read_bytes()  # no figure became a bitmap


def test_the_workbook_has_a_sheet_per_table_with_numeric_intervals(analysed):
    wb = load_workbook(analysed / "tables.xlsx")
    assert wb.sheetnames == ["Table 1", "Baseline", "Flow", "Feasibility", "Progression", "Acceptability", "Efficacy",
                             "Sensitivity", "Harms", "Alert response", "Planning", "Sample size"]
    results = json.loads((analysed / "results.json").read_text())
    efficacy = wb["Efficacy"]
    assert efficacy.max_row == 1 + len(results["efficacy"]["measures"])
    header = [c.value for c in efficacy[1]]
    first = dict(zip(header, [c.value for c in efficacy[2]], strict=True))
    measure = results["efficacy"]["measures"][0]
    assert first["dz"] == pytest.approx(measure["effect"]["dz"])
    assert [first["d_av_ci_lo"], first["d_av_ci_hi"]] == pytest.approx(measure["effect"]["d_av_ci95"])
    assert isinstance(first["diff_ci_lo"], float) and isinstance(first["g_av_ci_hi"], float)
    sizes = wb["Sample size"]
    assert sizes.max_row == 1 + sum(len(m["sample_sizes"]) for m in results["planning"]["measures"])
    progression = {row[0].value: row for row in wb["Progression"].iter_rows(min_row=2)}
    assert isinstance(progression["retention"][4].value, float)  # ci_lo, a number


def test_the_json_is_strict_json(analysed):
    text = (analysed / "results.json").read_text()
    assert "NaN" not in text and "Infinity" not in text
    json.loads(text)


def test_bad_input_gives_one_line_and_status_2(tmp_path):
    folder = make_bundle(tmp_path / "b", n=12, seed=1)
    text = (folder / "sessions.csv").read_text().replace(",mother,", ",mothers,", 1)
    (folder / "sessions.csv").write_text(text)
    result = subprocess.run(NURTURE + ["analyze", str(folder), "-o", str(tmp_path / "o")], capture_output=True,
                            text=True)
    assert result.returncode == 2
    assert result.stderr == ("nurture: error: sessions.csv, row 2, column component: 'mothers' is not one of "
                             "mother, infant, dyad\n")
    assert not (tmp_path / "o").exists()


def test_item_responses_without_scores_are_scored_first(tmp_path):
    folder = make_bundle(tmp_path / "b", n=12, seed=1)
    (folder / "scores.csv").unlink()
    rows = ["participant_id,timepoint,instrument,item,value"]
    for p in range(6):
        for tp, value in (("pre", 2), ("post", 1 if p % 2 else 0)):
            rows += [f"NC-{p + 1:05d},{tp},gad7,{i},{value}" for i in range(1, 8)]
    (folder / "item_responses.csv").write_text("\n".join(rows) + "\n")
    result = subprocess.run(NURTURE + ["analyze", str(folder), "-o", str(tmp_path / "o"), "--format", "json",
                                       "--bootstrap", "0"], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    measures = json.loads((tmp_path / "o" / "results.json").read_text())["efficacy"]["measures"]
    assert [(m["instrument"], m["n"], m["diff"]["mean"]) for m in measures] == [("gad7", 6, -10.5)]


def test_an_unknown_format_is_refused(tmp_path):
    result = subprocess.run(NURTURE + ["analyze", str(tmp_path), "--format", "docx"], capture_output=True,
                            text=True)
    assert (result.returncode, result.stderr.strip()) == (
        2, "nurture: error: --format: unknown format 'docx' (choose from json, html, pdf, xlsx)")


@pytest.mark.parametrize("p, text", [(0.0004, "< .001"), (0.049, ".049"), (0.5, ".500"), (1.0, "1.000"),
                                     (None, "—"), (float("nan"), "—")])
def test_p_values_are_formatted_in_apa_style(p, text):
    assert formatting.fmt_p(p) == text


def test_intervals_are_formatted_in_brackets():
    assert formatting.fmt_ci(-1.234, 0.5) == "[-1.23, 0.50]"
    assert formatting.fmt_ci(None, 1) == "—"


def report_text(analysed) -> tuple[str, list[str]]:
    collector = Collector()
    html = (analysed / "report.html").read_text(encoding="utf-8")
    collector.feed(html)
    return html, collector.text


def test_the_report_has_the_sections_a_consort_pilot_reviewer_expects(analysed):
    html, _ = report_text(analysed)
    for heading in ("1. Participant flow", "2. Baseline characteristics", "3. Feasibility", "4. Acceptability",
                    "5. Preliminary efficacy", "6. Harms and safety alerts", "7. Planning the definitive trial",
                    "8. Limitations"):
        assert f"<h2>{heading}</h2>" in html
    assert "These are planning estimates from a small uncontrolled pilot, not evidence of efficacy." in html
    assert "Retention: post-assessment among dyads due" in html


def test_the_report_shows_human_labels_and_no_internal_ids(analysed):
    html, text = report_text(analysed)
    shown = " ".join(text)
    results = json.loads((analysed / "results.json").read_text())
    ids = [pid for pid in results["feasibility"]["attendance"]["per_dyad"]]
    assert not [pid for pid in ids if pid in html]
    for code in ("no_clear_change", "time_by_", "in_person vs", "curriculum_weeks", "self_harm", "follow_up"):
        assert code not in shown
    assert "No clear change" in shown or "Improved" in shown


def test_paired_lines_show_every_measure(analysed):
    html, _ = report_text(analysed)
    results = json.loads((analysed / "results.json").read_text())
    figure = html[html.index("Individual change"):html.index("Figure 4.")]
    for m in results["efficacy"]["measures"]:
        # panel titles wrap, so every line of the label is there
        assert all(line in figure for line in textwrap.wrap(m["label"], 28)), m["label"]


@pytest.mark.parametrize("option, message", [
    (["--targets", "0.3,big"], "nurture: error: --targets: '0.3,big' is not a comma-separated list of numbers\n"),
    (["--group-size", "0"], "nurture: error: --group-size must be between 1 and 100 dyads\n"),
])
def test_bad_planning_options_give_one_line_and_status_2(tmp_path, option, message):
    result = subprocess.run(NURTURE + ["analyze", str(tmp_path), "-o", str(tmp_path / "o")] + option,
                            capture_output=True, text=True)
    assert (result.returncode, result.stderr) == (2, message)


def test_primary_measures_targets_and_group_size_reach_the_results(tmp_path):
    from nurture.reports.run import analyze_path

    folder = make_bundle(tmp_path / "b", n=20, seed=3)
    written = analyze_path(folder, tmp_path / "o", formats=("json",), n_boot=0, primary=[("pss", "total")],
                           targets=(0.25,), group_size=8)
    results = json.loads(written["json"].read_text())
    assert results["efficacy"]["primary_measures"] == ["pss:total"]
    assert results["planning"]["assumptions"]["targets"] == [0.25]
    assert results["planning"]["assumptions"]["group_size"] == 8
    assert results["planning"]["assumptions"]["group_size_source"] == "given"


def test_the_report_names_the_primary_measures_and_those_without_a_direction(analysed):
    from nurture.reports.html import render_html

    results = json.loads((analysed / "results.json").read_text())
    measures = results["efficacy"]["measures"]
    for m in measures:
        m["primary"] = m["instrument"] in ("epds", "pss") and m["scale"] == "total"
    results["efficacy"]["primary_measures"] = ["epds:total", "pss:total"]
    measures[-1]["lower_is_better"] = None
    html = render_html(results, {})
    primary = ", ".join(m["label"] for m in measures if m["primary"])
    assert f"Primary measures, declared before the analysis: <strong>{primary}</strong>; the other" in html
    assert f"measures without a direction ({measures[-1]['label']}) show change only" in html
