"""The one access core: ``can(user, action, resource) -> Decision``.

Rules are registered per (resource type, action) by the rule modules of this
package; a pair nobody registered is denied. Before any rule runs, the actor
itself is checked: signed in, two-factor passed, account active and not expired.
Views, the API and Socket.IO handlers call ``can`` or ``require``; none of them
decides a right on its own.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from contextvars import ContextVar
from typing import Any

from emisa.access.decision import Decision, allow, deny
from emisa.i18n import N_

Rule = Callable[[Any, Any], Decision]
_RULES: dict[tuple[str, str], Rule] = {}
PLATFORM = "platform"
# Accounts ``could`` judges as if they had signed in (object ids, for the call's duration).
_SUPPOSED: ContextVar[frozenset[int]] = ContextVar("emisa_supposed_signed_in", default=frozenset())


class AccessDenied(Exception):
    """Raised by ``require``; the web and API layers turn it into 401/403/404."""

    def __init__(self, decision: Decision):
        super().__init__(decision.reason)
        self.decision = decision


def rule(resource_type: str, *actions: str) -> Callable[[Rule], Rule]:
    """Register ``fn(user, resource) -> Decision`` for each action on ``resource_type``."""

    def register(fn: Rule) -> Rule:
        for action in actions:
            key = (resource_type, action)
            if key in _RULES:
                raise RuntimeError(f"two rules registered for {key}")
            _RULES[key] = fn
        return fn

    return register


def resource_type_of(resource: Any) -> str | None:
    if resource is None:
        return PLATFORM
    return getattr(type(resource), "__policy_type__", None)


# Why an account that exists may not act, by its state (whole sentences, to translate).
_UNUSABLE = {
    "invited": N_("This account is not yet active."),
    "suspended": N_("This account is suspended."),
    "expired": N_("This account has expired."),
}


def actor_decision(user: Any) -> Decision:
    """Is this actor allowed to do anything beyond signing in, enrolling or signing out?"""
    if user is None or not getattr(user, "is_authenticated", False):
        return deny("Sign in first.", status=401)
    if id(user) not in _SUPPOSED.get() and not user.is_fully_authenticated:
        return deny("Complete the two-factor sign-in first.", status=401)
    if not user.is_usable:
        return deny(
            _UNUSABLE.get(user.effective_state, N_("This account cannot be used.")), status=401
        )
    return allow("active account")


def _unproxied(user: Any) -> Any:
    """``current_user`` is a LocalProxy; resolve it once instead of on every attribute."""
    resolve = getattr(user, "_get_current_object", None)
    return resolve() if resolve is not None else user


def _rule_for(action: str, resource: Any) -> Rule | None:
    return _RULES.get((resource_type_of(resource) or "", action))


def registered_rule(resource_type: str, action: str) -> Rule:
    """The rule itself, without the actor check ``can`` adds: for a rule that builds on
    another type's rule once its own caller has been checked."""
    return _RULES[(resource_type, action)]


def can(user: Any, action: str, resource: Any = None) -> Decision:
    user = _unproxied(user)
    actor = actor_decision(user)
    if not actor:
        return actor
    check = _rule_for(action, resource)
    if check is None:
        kind = resource_type_of(resource) or type(resource).__name__
        # A programming error, not a person's: named for the log, never translated.
        reason = f"No rule allows '{action}' on {kind}."
        return deny(reason)
    return check(user, resource)


def filter_allowed(user: Any, action: str, resources: Iterable[Any]) -> list[Any]:
    """The resources on which ``action`` is allowed: ``can`` for each, the actor checked once."""
    user = _unproxied(user)
    if not actor_decision(user):
        return []
    allowed = []
    checks: dict[type, Rule | None] = {}  # lists are long and mostly of one type
    for resource in resources:
        kind = type(resource)
        if kind not in checks:
            checks[kind] = _rule_for(action, resource)
        check = checks[kind]
        if check is not None and check(user, resource):
            allowed.append(resource)
    return allowed


def could(user: Any, action: str, resource: Any = None) -> Decision:
    """Would ``user`` (another account, not the caller) be allowed once signed in?

    For choosing whom to notify or mail: the account must be usable and the same rule
    must allow it; that account's sign-in state does not matter.
    """
    user = _unproxied(user)
    if user is None or not user.is_usable:
        return deny("This account cannot sign in.")
    token = _SUPPOSED.set(_SUPPOSED.get() | {id(user)})
    try:
        return can(user, action, resource)
    finally:
        _SUPPOSED.reset(token)


def require(user: Any, action: str, resource: Any = None) -> Decision:
    """Return the allowing decision or raise AccessDenied; every denial is audited."""
    decision = can(user, action, resource)
    if not decision:
        from emisa.audit import record_denial

        record_denial(user, action, resource, decision)
        raise AccessDenied(decision)
    return decision
