"""Every query the staff dashboard runs; its pages, CSV export and bench/dashboard.py share them.

Reads go through the dashboard's database role (on PostgreSQL, row-level security lets it read
what the pages show and make only the few writes staff make: claiming, replying to and closing
cases, answering knowledge gaps).
"""

from __future__ import annotations

# ── What the pages show ──────────────────────────────────────────────────────────────────────


# ── The writes staff make: accounts, hand-off, feedback, knowledge gaps ─────────────────────
