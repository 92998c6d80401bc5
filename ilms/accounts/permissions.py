"""Roles, what each may do, and where: the table every permission check reads."""
from flask_babel import lazy_gettext as _l

from ..common.enums import LabelledEnum


class Role(LabelledEnum):
    ADMIN = "admin"
    LIBRARIAN = "librarian"
    DESK = "desk"
    ROTATION = "rotation"
    INTERNET = "internet"
    EVENTS = "events"
    MANAGER = "manager"
    PLANNER = "planner"


Role.__labels__ = {
    "admin": _l("Administrator"),
    "librarian": _l("Librarian"),
    "desk": _l("Desk staff"),
    "rotation": _l("Book rotation staff"),
    "internet": _l("Internet point staff"),
    "events": _l("Museum and culture staff"),
    "manager": _l("Manager"),
    "planner": _l("Planning officer"),
}

# Capabilities. A ``*.edit`` capability is always checked against the
# institution whose data changes; ``*.view`` ones decide what a page shows.
CAPABILITIES = {
    "org.edit": _l("Edit the network of institutions"),
    "accounts.manage": _l("Manage staff accounts"),
    "audit.view": _l("Read the audit trail"),
    "catalog.edit": _l("Catalogue records and copies"),
    "acquisitions.edit": _l("Orders, donations and periodicals"),
    "patrons.view": _l("See readers' personal data"),
    "patrons.edit": _l("Register and edit readers"),
    "circulation.desk": _l("Lend, return, renew, holds and visits"),
    "circulation.rules": _l("Loan rules, closed days and fines"),
    "rotation.edit": _l("Pack, dispatch and receive book crates"),
    "internet.edit": _l("Internet sessions, stations and trainings"),
    "events.edit": _l("Exhibitions, artifacts, festivals, clubs"),
    "stats.view": _l("Indicator pages and reports"),
    "reports.freeze": _l("Freeze and sign off reports"),
    "plans.edit": _l("Load and edit plans and their targets"),
    "ops.import": _l("Import and export operational data"),
}

ROLE_CAPABILITIES = {
    Role.ADMIN: frozenset(CAPABILITIES),
    Role.LIBRARIAN: frozenset({
        "catalog.edit", "acquisitions.edit", "patrons.view", "patrons.edit",
        "circulation.desk", "circulation.rules", "rotation.edit", "internet.edit", "events.edit", "stats.view",
    }),
    Role.DESK: frozenset({"patrons.view", "patrons.edit", "circulation.desk"}),
    Role.ROTATION: frozenset({"rotation.edit"}),
    Role.INTERNET: frozenset({"internet.edit"}),
    Role.EVENTS: frozenset({"events.edit"}),
    # Managers (the department, the provincial library's director) read: indicator pages, the plan, reports
    # to print (spec/domain.md). Loading plans and signing reports off is the planning officer's work.
    Role.MANAGER: frozenset({"stats.view"}),
    Role.PLANNER: frozenset({"stats.view", "reports.freeze", "plans.edit"}),
}

#: Roles whose reach is the whole province rather than one institution.
PROVINCE_WIDE = frozenset({Role.ADMIN, Role.MANAGER, Role.PLANNER})


def role_can(role, capability) -> bool:
    return capability in ROLE_CAPABILITIES.get(role, ())
