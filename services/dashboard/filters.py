"""The filter bar every page shares (dates, topic, auto-refresh) and what it selects."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import dash_bootstrap_components as dbc
from dash import Input, dcc, html

from collegebot.store.staff_queries import Window

DAYS_SHOWN = 14  # the range a page opens with: two weeks, ending today
REFRESH_S = 60  # auto-refresh: a minute is fresh enough for an office, light for the store
# The topics a student's message is classified into (services/llm/classify.py's INTENTS).
INTENTS = (
    "admissions", "fees", "calendar", "exams", "attendance", "hostel", "library", "scholarships",
    "placements", "it_services", "transport", "welfare", "conduct", "contacts", "greeting",
    "thanks", "complaint", "human_request", "other",
)  # fmt: skip

# The inputs a page's data callback takes, in this order: pass them as `*FILTERS`.
FILTERS = (
    Input("filter-dates", "start_date"),
    Input("filter-dates", "end_date"),
    Input("filter-intent", "value"),
    Input("refresh", "n_intervals"),
)


def bar(college: str, tz: ZoneInfo) -> dbc.Row:
    today = datetime.now(tz).date()
    return dbc.Row(
        [
            dbc.Col(
                dcc.DatePickerRange(
                    id="filter-dates",
                    start_date=(today - timedelta(days=DAYS_SHOWN - 1)).isoformat(),
                    end_date=today.isoformat(),
                    max_date_allowed=today.isoformat(),
                    display_format="D MMM YYYY",
                    first_day_of_week=1,
                    minimum_nights=0,
                    persistence=True,
                    persistence_type="session",
                ),
                xs=12,
                md="auto",
            ),
            dbc.Col(
                dcc.Dropdown(
                    id="filter-intent",
                    options=[{"label": i.replace("_", " "), "value": i} for i in INTENTS],
                    placeholder="All topics",
                    clearable=True,
                    persistence=True,
                    persistence_type="session",
                ),
                xs=12,
                md=3,
            ),
            dbc.Col(
                dbc.Switch(id="refresh-on", label=f"Refresh every {REFRESH_S} s", value=True),
                xs="auto",
                className="pt-2",
            ),
            dbc.Col(
                html.Small(f"{college} · times in {tz.key}", className="text-muted"),
                xs="auto",
                className="pt-2 ms-md-auto",
            ),
            dcc.Interval(id="refresh", interval=REFRESH_S * 1000),
        ],
        className="g-2 my-2 align-items-center",
        id="filter-bar",
    )


def window(start: str | None, end: str | None, intent: str | None, tz: ZoneInfo) -> Window:
    """The filter bar's dates (whole local days, both included) as a UTC window."""
    today = datetime.now(tz).date()
    first = _day(start) or today - timedelta(days=DAYS_SHOWN - 1)
    last = _day(end) or today
    if last < first:
        first, last = last, first
    begin = datetime.combine(first, time(), tz)
    finish = datetime.combine(last + timedelta(days=1), time(), tz)
    return Window(begin, finish, intent or None)


def _day(value: str | None) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        return None
