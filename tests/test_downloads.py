"""The downloads' file names and cells (dashboard/downloads.py) and the charts' axis
conventions (dashboard/charts.py), on small tables; the pages that use them are tested in
test_dashboard.py, test_dashboard_pages.py and test_audit_surfaces.py."""

from __future__ import annotations

import csv
import datetime as dt
import doctest
import io

import pandas as pd
import plotly.express as px

from dashboard import charts, downloads


def test_the_examples_in_the_module_hold():
    assert doctest.testmod(downloads).failed == 0


def test_a_file_name_holds_only_safe_characters_whatever_the_filter():
    name = downloads.file_name("findings", [("district", "Сарыарқа / «Есіл»"), ("type", ""), ("month", "2017-04"),
                                            ("q", 'a"b\\c:d*?')], "kk", "2017-06-30")
    assert name == "findings_district-saryarqa-esil_month-2017-04_q-a-b-c-d_kk_2017-06-30.csv"
    long = downloads.file_name("kindergartens", [("q", "ә" * 400)], "ru", "2017-06-30")
    assert len(downloads.spreadsheet_name(long)) <= downloads.LONGEST_NAME


def test_a_column_mixing_numbers_and_words_is_written_as_text():
    """A ruleset's values: a number of days here, a word there; Arrow wants one type a column."""
    table = pd.DataFrame({"parameter": ["choice_window", "unit"], "value": [5, "working_day"]})
    text = downloads.csv_bytes(downloads.for_people(table, "en")).decode("utf-8")
    assert list(csv.reader(io.StringIO(text))) == [["Parameter", "Value"], ["choice_window", "5"], ["unit", "working_day"]]


def test_a_short_count_axis_has_a_tick_per_whole_number_and_a_long_one_plotlys_own():
    few = charts.count_axis(px.bar(x=["a", "b"], y=[1, 4]), [1, 4])
    assert (few.layout.yaxis.dtick, few.layout.yaxis.tick0, few.layout.yaxis.tickformat) == (1, 0, ",d")
    many = charts.count_axis(px.bar(x=["a", "b"], y=[10, 2400]), [10, 2400])
    assert many.layout.yaxis.dtick is None and many.layout.yaxis.tickformat == ",d"
    moved = charts.count_axis(px.line(x=[1, 2], y=[1500, 1497]), [1500, 1497], from_zero=False)
    assert moved.layout.yaxis.dtick == 1  # 1 497 … 1 500, not 1 497, 1 497.5 …


def test_a_few_dates_get_a_tick_each_and_many_plotlys_own():
    days = [dt.date(2018, 6, 1), dt.date(2018, 8, 1), dt.date(2018, 8, 1)]  # the last one twice
    fig = charts.date_axis(px.line(x=days, y=[3, 2, 2]), days, "ru")
    assert fig.layout.xaxis.ticktext == ("01.06.2018", "01.08.2018")
    weeks = [dt.date(2018, 1, 1) + dt.timedelta(weeks=i) for i in range(30)]
    fig = charts.date_axis(px.line(x=weeks, y=range(30)), weeks, "ru")
    assert fig.layout.xaxis.tickvals is None and fig.layout.xaxis.tickformat
