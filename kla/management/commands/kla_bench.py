"""Benchmark of the main pages and of scoring, at 1x and 10x data. Run by `make bench`.

Needs an empty, migrated database of its own (scripts/bench.sh makes one): it flushes it.
"""

import statistics
import time

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from indicators.models import Period
from kla.bench import generate_district

PAGES = [
    # (label, url name, persona)
    ("trivial logged-in page", "password_change_done", "opd"),
    ("OPD workspace", "opd:workspace", "opd"),
    ("review queue", "opd:review-queue", "secretariat"),
    ("secretariat dashboard", "secretariat-home", "secretariat"),
    ("Bupati dashboard", "executive-home", "executive"),
]


class Command(BaseCommand):
    help = "Generate a large district and time the main pages and scoring (flushes the DB)."

    def add_arguments(self, parser):
        parser.add_argument("--scales", default="1,10")
        parser.add_argument("--runs", type=int, default=15)
        parser.add_argument("--yes", action="store_true", help="Confirm flushing this database.")

    def handle(self, *args, scales, runs, yes, **options):
        if not yes:
            raise CommandError(
                "kla_bench flushes the database: pass --yes (scripts/bench.sh does)."
            )
        results = {}
        for scale in [int(s) for s in scales.split(",")]:
            call_command("flush", "--no-input", verbosity=0)
            started = time.perf_counter()
            world = generate_district(scale=scale)
            self.stdout.write(
                f"scale {scale}x: {world['units']} units, {world['questions']} questions, "
                f"{world['answers']} answers, {world['revisions']} evidence revisions "
                f"(generated in {time.perf_counter() - started:.1f} s)"
            )
            results[scale] = self._measure(world["users"], runs)
            results[scale]["scoring"] = self._score(runs)
        self._report(results)

    def _measure(self, users, runs) -> dict:
        out = {}
        for label, name, persona in PAGES:
            client = Client()
            client.force_login(users[persona])
            url = reverse(name)
            for _ in range(2):  # warm caches, templates, connections
                response = client.get(url)
                if response.status_code != 200:
                    raise CommandError(f"{label}: HTTP {response.status_code}")
            with CaptureQueriesContext(connection) as queries:
                client.get(url)
            n_queries = len(queries)  # read now: the next request clears the log
            times = []
            for _ in range(runs):
                t0 = time.perf_counter()
                client.get(url)
                times.append((time.perf_counter() - t0) * 1000)
            out[label] = {"median_ms": statistics.median(times), "queries": n_queries}
        return out

    def _score(self, runs):
        try:
            from opd.scoring import score_period
        except ImportError:
            return None
        period = Period.objects.order_by("-year").first()
        score_period(period=period)
        times = []
        for _ in range(runs):
            t0 = time.perf_counter()
            score_period(period=period)
            times.append((time.perf_counter() - t0) * 1000)
        return statistics.median(times)

    def _report(self, results):
        scales = sorted(results)
        w = self.stdout.write
        w("")
        header = f"{'page':<24}" + "".join(
            f"{f'{s}x median ms':>16}{f'{s}x x trivial':>14}{f'{s}x queries':>12}" for s in scales
        )
        w(header)
        misses = []
        for label, _name, _persona in PAGES:
            row = f"{label:<24}"
            for s in scales:
                r = results[s][label]
                ratio = r["median_ms"] / results[s]["trivial logged-in page"]["median_ms"]
                row += f"{r['median_ms']:>16.1f}{ratio:>14.1f}{r['queries']:>12}"
                if label != "trivial logged-in page" and ratio > 3:
                    misses.append(f"{label} at {s}x is {ratio:.1f}x the trivial page (target 3x)")
            counts = {results[s][label]["queries"] for s in scales}
            if len(counts) > 1:
                misses.append(f"{label}: query count changes with data size {sorted(counts)}")
            w(row)
        for s in scales:
            scoring = results[s]["scoring"]
            if scoring is None:
                w(f"scoring one period at {s}x: opd.scoring is not available")
                misses.append("scoring not available")
            else:
                w(f"scoring one period at {s}x: {scoring:.1f} ms median (target < 50 ms at 1x)")
                if s == 1 and scoring >= 50:
                    misses.append(f"scoring takes {scoring:.1f} ms at 1x (target < 50 ms)")
        w("")
        if misses:
            for miss in misses:
                w(self.style.WARNING(f"MISS: {miss}"))
        else:
            w(self.style.SUCCESS("All targets met."))
