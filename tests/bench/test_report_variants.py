"""Tests of the report's "Variants compared" section: a strategy against its `name[k=v]` variants.

The rows are synthetic (`make_row` of test_report.py) with accuracies chosen so the paired
differences, their means and sample standard deviations can be worked out by hand.
"""

from test_report import make_row, write_rows

from semisup.bench.report import _variant_lines, write_report

VARIANT = "self_training[weighting=calibrated]"
GROUP = ("fer2013", "seed", "conv4", "PrivateTest")


def variant_row(strategy, seed, accuracy, filter_name="none", budget="seed", **changes):
    """A self-training row named `strategy` (a variant spec or not), with `changes` applied."""
    row = make_row("self_training", filter_name, seed, budget, accuracy)
    row["strategy"] = strategy
    row["cell_id"] = f"fer2013|{strategy}|{filter_name}|{budget}|{seed}|conv4"
    row["metrics"].update(changes.pop("metrics", {}))
    row.update(changes)
    return row


def pair_rows(base_accuracies, variant_accuracies, filter_name="none", **variant_changes):
    """Base and variant rows of seeds 0, 1, ... with the given accuracies."""
    rows = [
        variant_row("self_training", seed, accuracy, filter_name)
        for seed, accuracy in enumerate(base_accuracies)
    ]
    rows += [
        variant_row(VARIANT, seed, accuracy, filter_name, **variant_changes)
        for seed, accuracy in enumerate(variant_accuracies)
    ]
    return rows


def section_of(text):
    """The text of the "Variants compared" section, up to the next section."""
    start = text.index("### Variants compared")
    return text[start : text.index("Calibration: skipped", start)]


def test_variant_better_on_every_seed_table_and_sentence(tmp_path):
    # Paired over seeds 0, 1, 2 (sample std = sqrt(sum of squared deviations / 2)):
    #   base accuracy 0.45, 0.46, 0.47         -> 0.4600 +- 0.0100
    #   variant accuracy 0.46, 0.48, 0.50      -> 0.4800 +- 0.0200
    #   differences .01, .02, .03              -> +0.0200 +- 0.0100, better on 3 of 3
    #   macro-F1 is accuracy - 0.05            -> same differences
    #   ECE 0.20 -> 0.18, 0.17, 0.16           -> -.02, -.03, -.04 -> -0.0300 +- 0.0100
    #   precision base 0.46, 0.47, 0.48, variant 0.50, 0.52, 0.54
    #                                          -> .04, .05, .06 -> +0.0500 +- 0.0100
    rows = pair_rows((0.45, 0.46, 0.47), (0.46, 0.48, 0.50))
    for seed, row in enumerate(rows[3:]):
        row["metrics"]["ece"] = 0.18 - 0.01 * seed
        row["pseudo_label_precision"] = 0.50 + 0.02 * seed
    rows += [make_row("supervised", seed=seed, accuracy=0.40) for seed in (0, 1, 2)]
    # a second table without variants gets no section
    rows += [make_row("supervised", seed=seed, budget="k:25", accuracy=0.30) for seed in (0, 1)]
    write_rows(tmp_path, rows)
    text = write_report(tmp_path).read_text()

    assert text.count("### Variants compared") == 1
    section = section_of(text)
    # after this table's summary and plots, before its calibration section and the next table
    assert text.index("## fer2013, budget `seed`") < text.index("![accuracy, fer2013, budget seed")
    assert text.index("![accuracy, fer2013, budget seed") < text.index("### Variants compared")
    assert text.index("### Variants compared") < text.index("## fer2013, budget `k:25`")
    header = (
        "| variant | base | filter | seeds (n) | accuracy base | accuracy variant | Δ accuracy "
        "| variant better on | Δ macro-F1 | Δ ECE | Δ pseudo-label precision |"
    )
    assert header in section
    assert (
        "| self_training[weighting=calibrated] | self_training | none | 0, 1, 2 (3) "
        "| 0.4600 +- 0.0100 | 0.4800 +- 0.0200 | +0.0200 +- 0.0100 | 3 of 3 "
        "| +0.0200 +- 0.0100 | -0.0300 +- 0.0100 | +0.0500 +- 0.0100 |"
    ) in section
    assert (
        "On fer2013 (PrivateTest), self_training[weighting=calibrated] beats self_training by "
        "+0.0200 +- 0.0100 accuracy (paired over 3 seeds; better on 3 of 3)."
    ) in section
    assert "supervised" not in section.split("\n\n", 2)[2]  # only the pair is compared


def test_difference_within_the_spread_declares_no_winner(tmp_path):
    # differences +.02, -.01, +.02 -> mean +0.0100, deviations .01, -.02, .01
    # -> std sqrt(.0006 / 2) = 0.0173 > 0.0100: within the spread; variant better on 2 of 3
    write_rows(tmp_path, pair_rows((0.45, 0.46, 0.47), (0.47, 0.45, 0.49)))
    section = section_of(write_report(tmp_path).read_text())

    assert "| 0, 1, 2 (3) | 0.4600 +- 0.0100 | 0.4700 +- 0.0200 | +0.0100 +- 0.0173 | 2 of 3 |" in (
        section
    )
    assert (
        "On fer2013 (PrivateTest), self_training[weighting=calibrated] vs self_training: "
        "+0.0100 +- 0.0173 accuracy (paired over 3 seeds; variant better on 2 of 3), within the "
        "seed-to-seed spread; neither is declared better."
    ) in section
    assert "beats" not in section


def test_base_better_with_a_filter_names_the_base():
    # with filter deep_svdd:0.1: differences -.03, -.02, -.01 -> -0.0200 +- 0.0100
    rows = pair_rows((0.46, 0.47, 0.48), (0.43, 0.45, 0.47), filter_name="deep_svdd:0.1")
    text = "\n".join(_variant_lines(GROUP, rows))
    assert "| deep_svdd:0.1 | 0, 1, 2 (3) |" in text and "| -0.0200 +- 0.0100 | 0 of 3 |" in text
    assert (
        "On fer2013 (PrivateTest) with filter deep_svdd:0.1, self_training beats "
        "self_training[weighting=calibrated] by +0.0200 +- 0.0100 accuracy (paired over 3 seeds; "
        "better on 3 of 3)."
    ) in text


def test_only_shared_seeds_are_paired_and_one_seed_is_within_the_spread():
    # the variant ran seed 0 only: one paired difference, shown alone, no winner
    rows = pair_rows((0.45, 0.46, 0.47), (0.50,))
    text = "\n".join(_variant_lines(GROUP, rows))
    assert "| 0 (1) | 0.4500 | 0.5000 | +0.0500 | 1 of 1 |" in text
    assert (
        "On fer2013 (PrivateTest), self_training[weighting=calibrated] vs self_training: +0.0500 "
        "accuracy on a single seed (0), too few to tell it from the seed-to-seed spread; neither "
        "is declared better."
    ) in text
    assert "beats" not in text


def test_no_shared_seed_is_noted_without_a_table():
    rows = pair_rows((0.45,), ())
    rows.append(variant_row(VARIANT, 5, 0.50))
    lines = _variant_lines(GROUP, rows)
    assert not any(line.startswith("|") for line in lines)
    assert (
        "- self_training[weighting=calibrated] and self_training (filter none) share no seed with "
        "an accuracy: not compared."
    ) in lines


def test_no_pair_no_section(tmp_path):
    rows = [make_row("supervised", seed=seed) for seed in (0, 1)]
    rows += [variant_row("self_training", seed, 0.45) for seed in (0, 1)]
    # a variant whose base ran only with another filter, and one whose base never ran
    rows += [variant_row(VARIANT, seed, 0.46, "deep_svdd:0.1") for seed in (0, 1)]
    rows += [variant_row("contrastive[temperature=0.5]", seed, 0.47) for seed in (0, 1)]
    assert _variant_lines(GROUP, rows) == []
    write_rows(tmp_path, rows)
    assert "Variants compared" not in write_report(tmp_path).read_text()


def test_every_metric_is_paired_over_the_seeds_with_an_accuracy():
    # base seed 2 has no accuracy: seeds 0, 1 only, for macro-F1 (measured on seed 2) as well
    #   differences .01, .02 -> +0.0150 +- 0.0071 for accuracy and macro-F1
    rows = pair_rows((0.45, 0.46, 0.47), (0.46, 0.48, 0.50))
    rows[2]["metrics"]["accuracy"] = float("nan")
    text = "\n".join(_variant_lines(GROUP, rows))
    assert (
        "| 0, 1 (2) | 0.4550 +- 0.0071 | 0.4700 +- 0.0141 | +0.0150 +- 0.0071 | 2 of 2 "
        "| +0.0150 +- 0.0071 |"
    ) in text
