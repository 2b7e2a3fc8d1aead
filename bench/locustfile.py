"""The daily mix for bench/bench_load.py: one simulated user of the portal, or of the bare pages.

Not run alone: bench_load.py writes the plan (BENCH_LOAD_PLAN, a JSON file: the session cookie,
and for each task the portal's URL, the bare page's URL and the images a browser would fetch
with it) and starts locust with BENCH_LOAD_SIDE=portal or bare. Both sides run the same tasks
with the same weights and think time; each task fetches one page (and its thumbnails) by the
same name on both sides, so the two runs' statistics compare request by request.
"""

from __future__ import annotations

import json
import os
import random
from typing import Any

from locust import HttpUser, between, task

PLAN: dict[str, Any] = json.loads(open(os.environ["BENCH_LOAD_PLAN"], encoding="utf-8").read())  # noqa: SIM115
SIDE = os.environ["BENCH_LOAD_SIDE"]  # "portal" or "bare"
# The portal runs behind a TLS-terminating proxy in production (SECURE_PROXY_SSL_HEADER).
HEADERS = {
    "X-Forwarded-Proto": "https",
    "Accept-Language": "zh-hans",
    "Cookie": f"sessionid={PLAN['session']}",
}


class DailyUser(HttpUser):
    wait_time = between(1, 3)

    def page(self, name: str) -> None:
        """One of the plan's pages of this kind (picked at random), then its images."""
        choice = random.choice(PLAN["tasks"][name])
        self.client.get(choice[SIDE], name=name, headers=HEADERS)
        for image in choice.get("images", []):
            self.client.get(image, name=f"{name} image", headers=HEADERS)

    @task(4)
    def filing_list(self) -> None:
        self.page("filing list")

    @task(2)
    def submission_list(self) -> None:
        self.page("submission list")

    @task(2)
    def audit_list(self) -> None:
        self.page("audit list")

    @task(1)
    def number_list(self) -> None:
        self.page("number list")

    @task(3)
    def desk(self) -> None:
        self.page("desk")

    @task(3)
    def review_page(self) -> None:
        self.page("review page")

    @task(2)
    def documents_page(self) -> None:
        self.page("documents page")

    @task(3)
    def search(self) -> None:
        self.page("search")

    @task(1)
    def export(self) -> None:
        self.page("export")
