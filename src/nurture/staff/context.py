from nurture.accounts import redaction, scoping


def staff_context(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    role = scoping.role_of(user)
    from nurture.accounts.enums import Role

    # ``staff_role`` is the role's code (templates compare it); ``staff_role_label`` is shown.
    return {"staff_role": role.value if role else None, "staff_role_label": role.label if role else None,
            "can_manage_participants": scoping.can_manage_participants(user),
            "handles_alerts": role is not None and role not in (Role.RESEARCHER, Role.CODER),
            "redaction_policy": redaction.policy_for(user)}


def alert_context(request):
    """Open alerts for the dyads this user is responsible for: shown at the top of every staff page."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or request.path.startswith("/s/"):
        return {}
    from nurture.safety.domain import visible_alerts

    from .alert_views import with_delivery

    # Always the same two queries, however many alerts are open (tests/staff/test_query_counts.py).
    open_alerts = list(with_delivery(visible_alerts(user).open().select_related("dyad"))
                       .order_by("-severity", "created_at")[:5])
    count = visible_alerts(user).open().count()
    if not open_alerts:
        return {}
    return {"open_alerts": open_alerts, "open_alert_count": count}
