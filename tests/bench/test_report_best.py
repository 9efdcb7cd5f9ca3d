"""Tests of the report's "Best strategy" section: the entry with the highest mean accuracy
against each of the others, paired over the seeds both ran. Synthetic rows (`make_row` of
test_report.py) with accuracies chosen so the differences can be worked out by hand."""

import pytest
from test_report import make_row, write_rows

from semisup.bench.report import _best_lines, summary_table, write_report

HEADING = "### Best strategy"


def rows_of(accuracies: dict) -> list[dict]:
    """`{(strategy, filter): [accuracy of seed 0, 1, ...]}` -> rows (None: that seed not run)."""
    return [
        make_row(strategy, filter_name, seed, accuracy=accuracy)
        for (strategy, filter_name), values in accuracies.items()
        for seed, accuracy in enumerate(values)
        if accuracy is not None
    ]


def section(rows) -> list[str]:
    return _best_lines(summary_table(rows), rows)


def table_row(lines, strategy, filter_name="none") -> list[str]:
    (line,) = [line for line in lines if line.startswith(f"| {strategy} | {filter_name} |")]
    return [cell.strip() for cell in line.strip("|").split("|")]


def test_the_best_is_ahead_within_the_spread_or_behind_by_paired_differences():
    rows = rows_of(
        {
            # best by mean: 0.60, 0.62, 0.64
            ("fixmatch", "none"): [0.60, 0.62, 0.64],
            # differences 0.10, 0.12, 0.14: mean 0.12, std 0.02 -> ahead
            ("supervised", "none"): [0.50, 0.50, 0.50],
            # differences +0.03, -0.02, +0.02: mean 0.01, std ~0.026 -> within the spread
            ("mean_teacher", "none"): [0.57, 0.64, 0.62],
            # one shared seed only (seed 2: 0.64 - 0.60)
            ("pi_model", "none"): [None, None, 0.60],
        }
    )
    lines = section(rows)
    assert lines[0] == HEADING
    assert "Highest mean accuracy: **fixmatch / none**, 0.6200 +- 0.0200 over 3 seeds" in lines[2]
    assert table_row(lines, "supervised") == [
        "supervised",
        "none",
        "0, 1, 2 (3)",
        "0.5000 +- 0.0000",
        "+0.1200 +- 0.0200",
        "3 of 3",
        "ahead",
    ]
    mean_teacher = table_row(lines, "mean_teacher")
    assert mean_teacher[4] == "+0.0100 +- 0.0265" and mean_teacher[5] == "2 of 3"
    assert mean_teacher[6] == "within the spread"
    pi_model = table_row(lines, "pi_model")
    assert pi_model[2] == "2 (1)" and pi_model[4] == "+0.0400"
    assert pi_model[6] == "one seed: not separable"
    assert lines[-2] == (
        "- fixmatch / none is ahead of supervised / none; not separated from mean_teacher / none, "
        "pi_model / none by these seeds."
    )


def test_ahead_of_all_across_filters_and_behind_on_shared_seeds():
    ahead = section(
        rows_of(
            {
                ("self_training", "none"): [0.70, 0.72],
                ("self_training", "deep_svdd:0.1"): [0.60, 0.61],
            }
        )
    )
    assert table_row(ahead, "self_training", "deep_svdd:0.1")[6] == "ahead"
    assert ahead[-2] == (
        "- self_training / none is ahead of every other entry beyond the seed-to-seed spread."
    )
    # best by the mean over its own seeds (0.7067 against 0.665), but behind on the seeds both ran
    behind = section(
        rows_of({("fixmatch", "none"): [0.60, 0.62, 0.90], ("supervised", "none"): [0.65, 0.68]})
    )
    assert table_row(behind, "supervised")[6] == "behind on these seeds"
    assert "fixmatch / none is behind supervised / none on the seeds both ran." in behind[-2]


def test_no_section_for_one_entry_and_disjoint_seeds_are_not_compared():
    assert section(rows_of({("supervised", "none"): [0.5, 0.6]})) == []
    lines = section(
        rows_of({("fixmatch", "none"): [0.7, None], ("supervised", "none"): [None, 0.5]})
    )
    assert table_row(lines, "supervised")[2] == "none shared"
    assert lines[-2] == "- fixmatch / none shares no seed with the others: not compared."


def test_the_report_shows_the_section_after_the_summary_table(tmp_path):
    write_rows(
        tmp_path, rows_of({("fixmatch", "none"): [0.6, 0.7], ("supervised", "none"): [0.5, 0.5]})
    )
    text = write_report(tmp_path).read_text()
    assert text.index("| strategy | filter | seeds |") < text.index(HEADING)
    assert text.index(HEADING) < text.index("**Accuracy per strategy and filter**")
    (only,) = [line for line in text.splitlines() if line.startswith("- fixmatch / none")]
    # differences 0.1 and 0.2: mean 0.15 > std 0.0707
    assert only == "- fixmatch / none is ahead of every other entry beyond the seed-to-seed spread."


@pytest.mark.parametrize("accuracies", [[0.5, 0.5], [0.25, 0.75]])
def test_a_tie_in_the_mean_picks_the_first_entry_listed(accuracies):
    rows = rows_of({("supervised", "none"): [0.5, 0.5], ("fixmatch", "none"): accuracies})
    entries = summary_table(rows)
    first = entries[0]["strategy"]
    assert f"**{first} / none**" in section(rows)[2]


def test_a_best_mean_over_fewer_seeds_is_followed_by_the_best_over_the_most_seeds():
    rows = rows_of(
        {
            # best by mean, on one seed only
            ("fixmatch", "none"): [0.66, None, None],
            # the best of the three-seed entries: differences to supervised 0.05, 0.06, 0.07
            ("freematch", "none"): [0.65, 0.64, 0.66],
            ("supervised", "none"): [0.60, 0.58, 0.59],
        }
    )
    lines = section(rows)
    assert "Highest mean accuracy: **fixmatch / none**, 0.6600 over 1 seed" in lines[2]
    [second] = [line for line in lines if "others 3" in line]
    assert second.startswith(
        "fixmatch / none ran 1 seed, others 3. Highest mean accuracy among the entries with 3 "
        "seeds: **freematch / none**, 0.6500 +- 0.0100 over 3 seeds."
    )
    tables = [index for index, line in enumerate(lines) if line.startswith("| against |")]
    assert len(tables) == 2
    after = lines[tables[1] :]
    assert table_row(after, "supervised")[3:7] == [
        "0.5900 +- 0.0100",
        "+0.0600 +- 0.0100",
        "3 of 3",
        "ahead",
    ]
    assert table_row(after, "fixmatch")[2] == "0 (1)"
    assert (
        "- freematch / none is ahead of supervised / none; not separated from fixmatch / none "
        "by these seeds." in after
    )


def test_no_second_comparison_when_the_best_ran_the_most_seeds():
    rows = rows_of({("fixmatch", "none"): [0.66, 0.65], ("supervised", "none"): [0.60, None]})
    lines = section(rows)
    assert sum(line.startswith("| against |") for line in lines) == 1
    assert not any("others" in line for line in lines)
