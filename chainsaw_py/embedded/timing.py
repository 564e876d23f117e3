"""Timing knobs of the simulation. Defaults are fast so suites run quickly; raise them to mimic a real
cluster's pace (e.g. ``Timing(pod_start_delay=2.0, job_run_duration=5.0)``)."""

from __future__ import annotations

from dataclasses import dataclass, fields, replace


@dataclass(frozen=True)
class Timing:
    pod_schedule_delay: float = 0.0
    """Seconds from pod creation until the scheduler binds it to the node."""
    pod_start_delay: float = 0.3
    """Seconds from binding until the pod is Running and Ready. Like a real kubelet, it leaves a moment in
    which a freshly created pod is scheduled but not started (tests that patch a new pod's status rely on it)."""
    job_run_duration: float = 0.2
    """Seconds a Job's pod runs before it Succeeds (pods outside Jobs run until deleted)."""
    termination_grace_cap: float = 0.05
    """Graceful pod deletion finishes after min(the pod's grace period, this many seconds)."""
    restart_backoff: float = 10.0
    """A crashed container of a pod that runs as local processes restarts at once, then after this long,
    doubling up to 5 minutes (the kubelet's CrashLoopBackOff)."""
    unschedulable_retry: float = 1.0
    """How often the scheduler tries again a pod that does not fit the node (a taint, affinity, resources)."""
    reconcile_period: float = 30.0
    """Every controller re-examines all its objects this often (besides reacting to changes)."""
    bookmark_interval: float = 1.0
    """How often watches with allowWatchBookmarks=true receive a BOOKMARK while idle."""

    def scaled(self, factor: float) -> Timing:
        """All delays multiplied by ``factor`` (the reconcile period, bookmark interval and scheduling retry
        stay)."""
        keep = {"reconcile_period", "bookmark_interval", "unschedulable_retry"}
        return replace(self, **{f.name: getattr(self, f.name) * factor for f in fields(self) if f.name not in keep})
