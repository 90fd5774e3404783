"""A new practice made by the agency's lead, without the admin: its details, its brand
and its strategists. Inviting its people is practices.invitations; what is left
to do before it runs is the checklist on its page (agency.checklist)."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils.text import slugify

from core import files
from core.models import Assignment, AuditEvent, User
from practices.forms import PracticeForm
from practices.models import Practice


def free_slug(name: str, *, practice: Practice | None = None) -> str:
    """The practice's address in URLs, from its name, unique."""
    base = slugify(name)[:70] or "practice"
    if base == "new":  # practices/new/ is the page that makes one
        base = "new-practice"
    slug, n = base, 1
    taken = Practice.objects.all()
    if practice is not None:
        taken = taken.exclude(pk=practice.pk)
    while taken.filter(slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    return slug


def save_practice(
    form: PracticeForm, *, by: User, lead: bool, ip_address: str | None = None
) -> Practice:
    """Create or update the practice from a valid form: its logo and (the lead's form) its
    strategists; audited."""
    creating = form.instance.pk is None
    with files.files_removed_on_failure(), transaction.atomic():
        practice: Practice = form.save(commit=False)
        old_logo = practice.logo.name if practice.logo else ""
        logo = form.cleaned_data.get("logo_upload")
        if logo is not None:
            practice.logo.name = files.save_file(practice.logo, "logo.png", logo.read())
        elif form.cleaned_data.get("remove_logo"):
            practice.logo.name = ""
        if old_logo and old_logo != practice.logo.name:
            # The old file goes once the new row is kept, never before.
            files.delete_on_commit(practice.logo.storage, old_logo)
        _save_with_free_slug(practice, creating=creating)
        changed = [name for name in form.changed_data if name not in ("other_strategists",)]
        AuditEvent.record(
            "practice_created" if creating else "practice_changed",
            actor=by,
            practice=practice,
            obj=practice,
            detail={"fields": sorted(changed)},
            ip_address=ip_address,
        )
        if lead:
            assign(
                practice,
                primary=form.cleaned_data.get("primary_strategist"),
                others=list(form.cleaned_data.get("other_strategists") or []),
                by=by,
                ip_address=ip_address,
            )
    return practice


def _save_with_free_slug(practice: Practice, *, creating: bool) -> None:
    """Save; a new practice takes the first free address, also when another practice of
    the same name is made at the same moment (its address taken between look and save)."""
    if not creating:
        practice.save()
        return
    for _ in range(5):
        practice.slug = free_slug(practice.name)
        try:
            with transaction.atomic():
                practice.save()
            return
        except IntegrityError:
            practice.pk = None
    raise IntegrityError(f"no free address for {practice.name!r}")


def assign(
    practice: Practice,
    *,
    primary: User | None,
    others: list[User],
    by: User,
    ip_address: str | None = None,
) -> None:
    """Make these the practice's strategists (the primary one receives its alerts);
    each one added or taken off is audited."""
    wanted = {user.pk: user for user in [*others, *([primary] if primary else [])]}
    current = {a.strategist_id: a for a in Assignment.objects.filter(practice=practice)}
    for pk, assignment in current.items():
        if pk not in wanted:
            remove_strategist(assignment, by=by, ip_address=ip_address)
    for pk, user in wanted.items():
        is_primary = primary is not None and pk == primary.pk
        existing = current.get(pk)
        if existing is None:
            Assignment.objects.create(strategist=user, practice=practice, is_primary=is_primary)
            AuditEvent.record(
                "strategist_assigned",
                actor=by,
                practice=practice,
                obj=user,
                detail={"primary": is_primary},
                ip_address=ip_address,
            )
        elif existing.is_primary != is_primary:
            existing.is_primary = is_primary
            existing.save(update_fields=["is_primary"])


def remove_strategist(assignment: Assignment, *, by: User, ip_address: str | None = None) -> None:
    """Take a strategist off the practice (the lead); audited. If they received its
    alerts, the practice's longest-assigned other strategist does from now on."""
    with transaction.atomic():
        practice = assignment.practice
        AuditEvent.record(
            "strategist_removed",
            actor=by,
            practice=practice,
            obj=assignment.strategist,
            ip_address=ip_address,
        )
        assignment.delete()
        if not Assignment.objects.filter(practice=practice, is_primary=True).exists():
            successor = Assignment.objects.filter(practice=practice).order_by("created_at").first()
            if successor is not None:
                successor.is_primary = True
                successor.save(update_fields=["is_primary"])
