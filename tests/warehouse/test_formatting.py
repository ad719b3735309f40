import polars as pl

from warehouse.formatting import display_width, format_table


def test_display_width_counts_wide_and_combining_characters() -> None:
    assert display_width("abc") == 3
    assert display_width("ラーメン") == 8
    assert display_width("주말") == 4
    assert display_width("e\u0301") == 1  # e + combining acute


def test_columns_line_up_across_scripts() -> None:
    frame = pl.DataFrame({"tag": ["ラーメン料理", "lyon", "주말"], "n": [3, 10, 5]})
    lines = format_table(frame, footer=False).splitlines()
    ends = {display_width(line) for line in lines}
    assert len(ends) == 1, lines  # every line ends in the same column
