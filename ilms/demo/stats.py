"""Demo: the national scheme 208/QĐ-TTg beside plan 1133/KH-UBND, and programme 1520/QĐ-TTg (2023-2030)."""
from pathlib import Path

from ..common.registry import DemoLoader, register_demo


def load_scheme(rng):
    from ..stats.services import load_plan
    path = Path(__file__).resolve().parent.parent / "stats" / "data" / "qd-208-2014.yaml"
    plan = load_plan(path.read_text(encoding="utf-8"))
    return f"plan {plan.code}, {len(plan.targets)} targets"


def load_programme_1520(rng):
    """The national programme in force today (targets to 2030), so the current year has targets."""
    from ..stats.services import load_plan
    path = Path(__file__).resolve().parent.parent / "stats" / "data" / "qd-1520-2022.yaml"
    plan = load_plan(path.read_text(encoding="utf-8"))
    return f"plan {plan.code}, {len(plan.targets)} targets"


register_demo(DemoLoader("plan-208", load_scheme, order=12))
register_demo(DemoLoader("plan-1520", load_programme_1520, order=13))
