from nurture.accounts import scoping


def staff_context(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    role = scoping.role_of(user)
    return {"staff_role": role.label if role else None,
            "can_manage_participants": scoping.can_manage_participants(user)}
