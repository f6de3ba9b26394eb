"""Spike detection on a cell's counts per period (months here), by two named, published methods.

**EARS C1, C2, C3** (CDC's Early Aberration Reporting System; Hutwagner et al., "The
bioterrorism preparedness and response Early Aberration Reporting System", J Urban Health 2003):
  C1: z = (x_t - mean) / sd over the 7 periods just before t; alarm when z > 3.
  C2: the same over the 7 periods before t-2 (a guard band of 2, so a rising outbreak does not
      raise its own baseline); alarm when z > 3.
  C3: the sum of max(0, C2_z - 1) over t, t-1 and t-2; alarm when it exceeds 2.
  sd has a floor (SD_FLOOR) so a flat baseline does not turn every +1 into an alarm.

**Poisson CUSUM** (Lucas, "Counted data CUSUM's", Technometrics 1985): an in-control mean mu0
(the mean of the BASELINE periods before the series being watched) and an out-of-control mean
to detect, mu1 = mu0 + SHIFT_SD * sqrt(mu0) (a shift of 1.5 in-control sd).
S_t = max(0, S_{t-1} + x_t - kref) with kref = (mu1 - mu0) / (ln mu1 - ln mu0); alarm when
S_t > h = H * sqrt(mu0) (3 in-control sd), then S restarts from 0. Published
comparisons (e.g. Fricker et al., Stat Med 2008) found CUSUM at least as good as EARS.

Every function takes the counts as a list, oldest first, and returns the indexes that alarm. The
false-alarm rates on seeded in-control series are measured by tests/unit/test_insights_detection.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass

EARS_BASELINE = 7
EARS_GUARD = 2
EARS_THRESHOLD = 3.0
C3_THRESHOLD = 2.0
SD_FLOOR = 0.5
CUSUM_BASELINE = 12
CUSUM_SHIFT_SD = 1.5
CUSUM_H = 3.0
METHODS = ("cusum", "c1", "c2", "c3")


@dataclass(frozen=True)
class Alarm:
    index: int
    value: int
    expected: float  # the baseline mean the value is compared with
    score: float  # the method's statistic (z, the C3 sum, or S_t)


def _ears_z(series: Sequence[int], t: int, guard: int) -> tuple[float, float] | None:
    start = t - guard - EARS_BASELINE
    if start < 0:
        return None
    baseline = series[start : t - guard]
    mean = statistics.fmean(baseline)
    sd = max(statistics.stdev(baseline) if len(baseline) > 1 else 0.0, SD_FLOOR)
    return (series[t] - mean) / sd, mean


def ears(series: Sequence[int], method: str = "c2") -> list[Alarm]:
    guard = 0 if method == "c1" else EARS_GUARD
    scores: dict[int, tuple[float, float]] = {}
    for t in range(len(series)):
        found = _ears_z(series, t, guard)
        if found is not None:
            scores[t] = found
    alarms = []
    for t, (z, mean) in scores.items():
        if method == "c3":
            window = [scores[i][0] for i in (t, t - 1, t - 2) if i in scores]
            c3 = sum(max(0.0, value - 1.0) for value in window)
            if c3 > C3_THRESHOLD:
                alarms.append(Alarm(t, series[t], round(mean, 2), round(c3, 2)))
        elif z > EARS_THRESHOLD:
            alarms.append(Alarm(t, series[t], round(mean, 2), round(z, 2)))
    return alarms


def cusum(series: Sequence[int], baseline: int = CUSUM_BASELINE) -> list[Alarm]:
    """Poisson CUSUM over series[baseline:], with mu0 the mean of series[:baseline]."""
    if len(series) <= baseline:
        return []
    mu0 = max(statistics.fmean(series[:baseline]), SD_FLOOR)
    mu1 = mu0 + CUSUM_SHIFT_SD * math.sqrt(mu0)
    kref = (mu1 - mu0) / (math.log(mu1) - math.log(mu0))
    # h is in units of the in-control sd, so one threshold serves small and large counts.
    h = CUSUM_H * math.sqrt(mu0)
    s, alarms = 0.0, []
    for t in range(baseline, len(series)):
        s = max(0.0, s + series[t] - kref)
        if s > h:
            alarms.append(Alarm(t, series[t], round(mu0, 2), round(s, 2)))
            s = 0.0
    return alarms


def detect(series: Sequence[int], method: str) -> list[Alarm]:
    if method == "cusum":
        return cusum(series)
    if method in ("c1", "c2", "c3"):
        return ears(series, method)
    raise ValueError(f"unknown method {method!r}; one of {', '.join(METHODS)}")


def baseline_length(method: str) -> int:
    """How many periods before the first one watched the method needs."""
    return CUSUM_BASELINE if method == "cusum" else EARS_BASELINE + EARS_GUARD
