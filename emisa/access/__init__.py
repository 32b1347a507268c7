"""Access control: the policy core and its rule modules (importing them registers the rules)."""

from emisa.access import discussions as _discussion_rules  # noqa: F401
from emisa.access import documents as _document_rules  # noqa: F401
from emisa.access import groups as _group_rules  # noqa: F401
from emisa.access import meetings as _meeting_rules  # noqa: F401
from emisa.access import people as _people_rules  # noqa: F401
from emisa.access.decision import Decision, allow, deny
from emisa.access.policy import AccessDenied, can, could, filter_allowed, require

__all__ = ["AccessDenied", "Decision", "allow", "can", "could", "deny", "filter_allowed", "require"]
