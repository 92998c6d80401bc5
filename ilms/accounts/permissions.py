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
    DEPARTMENT = "department"
    PLANNER = "planner"


Role.__labels__ = {
    "admin": _l("Administrator"),
    "librarian": _l("Librarian"),
    "desk": _l("Desk staff"),
    "rotation": _l("Book rotation staff"),
    "internet": _l("Internet point staff"),
    "events": _l("Museum and culture staff"),
    "manager": _l("Manager"),
    "department": _l("Department of Culture staff"),
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
    "department.view": _l("See inspections, publicity, funding and school programmes"),
    "department.edit": _l("Record inspections and funding for the whole province"),
    "department.record": _l("Record publicity, school sessions, displays and exchanges"),
    "department.answer": _l("Answer the recommendations of an inspection"),
}

ROLE_CAPABILITIES = {
    Role.ADMIN: frozenset(CAPABILITIES),
    Role.LIBRARIAN: frozenset({
        "catalog.edit", "acquisitions.edit", "patrons.view", "patrons.edit",
        "circulation.desk", "circulation.rules", "rotation.edit", "internet.edit", "events.edit", "stats.view",
        "department.view", "department.record", "department.answer",
    }),
    Role.DESK: frozenset({"patrons.view", "patrons.edit", "circulation.desk"}),
    Role.ROTATION: frozenset({"rotation.edit"}),
    Role.INTERNET: frozenset({"internet.edit"}),
    Role.EVENTS: frozenset({"events.edit", "department.view", "department.record", "department.answer"}),
    # Managers (the provincial library's director, the province's leaders) read: indicator pages, the plan, reports
    # to print (spec/domain.md). Loading plans and signing reports off is the planning officer's work.
    Role.MANAGER: frozenset({"stats.view", "department.view"}),
    Role.PLANNER: frozenset({"stats.view", "reports.freeze", "plans.edit", "department.view"}),
    # The Department of Culture (Sở VHTTDL): inspects and funds the whole province, follows the plan's
    # figures; it does not answer recommendations on an institution's behalf.
    Role.DEPARTMENT: frozenset({"stats.view", "department.view", "department.edit", "department.record"}),
}

#: Roles whose reach is the whole province rather than one institution.
PROVINCE_WIDE = frozenset({Role.ADMIN, Role.MANAGER, Role.PLANNER, Role.DEPARTMENT})


def role_can(role, capability) -> bool:
    return capability in ROLE_CAPABILITIES.get(role, ())
