"""Registries that domains fill when they are imported: navigation, dashboard panels, demo data."""
from dataclasses import dataclass, field
from typing import Callable


@dataclass(frozen=True)
class NavItem:
    key: str
    endpoint: str
    label: object            # a lazy_gettext string
    capability: str | None   # None: any signed-in staff user
    order: int = 100


@dataclass(frozen=True)
class DashboardPanel:
    key: str
    template: str
    capability: str | None
    context: Callable | None = None   # context(user) -> dict for the template
    order: int = 100


@dataclass(frozen=True)
class DemoLoader:
    key: str
    load: Callable           # load(rng) -> None; must be idempotent
    order: int = 100
    depends: tuple = field(default_factory=tuple)


NAV: dict[str, NavItem] = {}
PANELS: dict[str, DashboardPanel] = {}
DEMO: dict[str, DemoLoader] = {}


def register_nav(item: NavItem):
    NAV[item.key] = item


def register_panel(panel: DashboardPanel):
    PANELS[panel.key] = panel


def register_demo(loader: DemoLoader):
    DEMO[loader.key] = loader


def nav_for(user):
    return [i for i in sorted(NAV.values(), key=lambda i: i.order)
            if i.capability is None or user.can(i.capability)]


def panels_for(user):
    return [p for p in sorted(PANELS.values(), key=lambda p: p.order)
            if p.capability is None or user.can(p.capability)]
