"""Demo: the national scheme 208/QĐ-TTg as a second plan beside 1133/KH-UBND."""
from pathlib import Path

from ..common.registry import DemoLoader, register_demo


def load_scheme(rng):
    from ..stats.services import load_plan
    path = Path(__file__).resolve().parent.parent / "stats" / "data" / "qd-208-2014.yaml"
    plan = load_plan(path.read_text(encoding="utf-8"))
    return f"plan {plan.code}, {len(plan.targets)} targets"


register_demo(DemoLoader("plan-208", load_scheme, order=12))
