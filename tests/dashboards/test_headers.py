"""No raw column name on any page: every table the admin sees on every page (first tab
state, default filters) has readable headers — no snake_case like `doc_date`,
`planning_run_id` or `lost_qty`."""

from __future__ import annotations

import re

import pytest

from tests.dashboards.helpers import PAGES, problems, signed_in

SNAKE = re.compile(r"^[a-z0-9]+(_[a-z0-9]+)+$")


@pytest.mark.parametrize("page", PAGES)
def test_no_snake_case_header(env, page):
    at = signed_in("admin", page)
    assert problems(at) == []
    raw = sorted(
        {
            str(column)
            for frame in at.dataframe
            for column in getattr(frame.value, "columns", [])
            if SNAKE.match(str(column))
        }
    )
    assert raw == [], f"{page}: raw column names {raw}"
    if page != "planning":  # the planning page draws its tables once a plan has run
        assert at.dataframe, f"{page}: no table drawn, nothing was checked"
