"""The compliance panel: one function, used by the editor, by approval and at publishing.

`review(post)` lists what stands between a post and the public, in the words
a strategist can act on (compliance rules, sections 1, 3 and 5):

- every patient use (photo, story, name, testimonial) on every target
  platform is covered by an active authorization until the scheduled time;
  a photo that came with a patient's authorization relies on it, whichever
  post it is in now;
- identifiers in the caption and the per-platform overrides (45 CFR
  164.514(b)(2)): dates tied to a person, phone and fax numbers and e-mail
  addresses other than the practice's own, record, account, health-plan and
  social-security-like numbers, street addresses other than the practice's,
  and names from an authorization that does not allow "name";
- a testimonial gets the disclosure reminder (FTC 16 CFR 255).

An authorization finding always blocks. An identifier finding blocks until
the text is edited, or until a strategist records why it is fine
(`accept_identifiers`): the reason and the findings it covers are kept on the
post, written to the audit log and shown to the doctor; a new finding blocks
again. The reminder never blocks.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from core.models import AuditEvent, User
from posts.models import Post, PostMedia
from practices.models import PatientConsent, Practice


@dataclass(frozen=True)
class Finding:
    kind: str  # authorization, identifier, reminder
    message: str  # a plain sentence, for the strategist and the doctor
    where: str = ""  # "caption" or a platform's label, for identifiers
    excerpt: str = ""  # the text found (shown on the page, never logged)

    @property
    def key(self) -> str:
        """What an accepted finding is remembered by: its kind of identifier and text."""
        return f"{self.message.split(':')[0]}|{self.excerpt.casefold()}"

    @property
    def blocks(self) -> bool:
        return self.kind != REMINDER


AUTHORIZATION = "authorization"
IDENTIFIER = "identifier"
REMINDER = "reminder"

# -- identifiers in text ------------------------------------------------------------

_MONTHS = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
)
_DATE = (
    r"(?:\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}"
    r"|\d{4}-\d{2}-\d{2}"
    rf"|{_MONTHS}\s+\d{{1,2}}(?:st|nd|rd|th)?(?:,?\s+\d{{4}})?"
    rf"|\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?{_MONTHS}(?:,?\s+\d{{4}})?)"
)
# A date is tied to a person when a word like these comes just before it.
_PERSONAL_DATE = re.compile(
    r"\b(?:born|birth(?:day)?|d\.?o\.?b\.?|admitted|admission|discharged?|delivered"
    r"|passed away|died|death|surgery|operated|diagnosed|treated|seen)\b"
    rf"[^.\n]{{0,24}}?\b({_DATE})",
    re.IGNORECASE,
)
_PHONE = re.compile(
    r"(?<![\w+])(?:\+?1[\s.-]?)?\(?\b(\d{3})\)?[\s.-]?(\d{3})[\s.-]?(\d{4})\b(?![\w-])"
)
_EMAIL = re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b")
_SSN = re.compile(r"\b\d{3}-\d{2}-\d{4}\b")
_LABELLED_NUMBER = re.compile(
    r"\b(?:mrn|medical record|record|chart|account|acct|member|policy|plan|subscriber"
    r"|insurance|patient)\s*(?:id|no\.?|number|#)?\s*[:#]?\s*([A-Z0-9][A-Z0-9-]{4,})\b",
    re.IGNORECASE,
)
_STREET = re.compile(
    r"\b\d{1,6}\s+(?:[A-Z0-9][\w'.-]*\s+){1,4}"
    r"(?:street|st|avenue|ave|road|rd|boulevard|blvd|lane|ln|drive|dr|court|ct|way"
    r"|place|pl|parkway|pkwy|terrace|ter|circle|cir|highway|hwy)\b\.?",
    re.IGNORECASE,
)


def _digits(text: str) -> str:
    return re.sub(r"\D", "", text)[-10:]


def _squash(text: str) -> str:
    return re.sub(r"[\W_]+", "", text.casefold())


def identifiers_in(text: str, *, practice: Practice, names: dict[str, bool]) -> list[Finding]:
    """Identifiers found in one text, each once, in the order they appear.

    `names`: patient names from the practice's authorizations, mapped to
    whether that authorization allows using the name.
    """
    found: list[tuple[int, str, str]] = []  # (position, what, excerpt)
    own_phones = {_digits(n) for n in (practice.phone, practice.fax) if _digits(n)}
    own_email = practice.email.casefold()
    own_domain = own_email.partition("@")[2]
    own_address = _squash(practice.street_address)
    numbers_seen: set[str] = set()

    for match in _PERSONAL_DATE.finditer(text):
        found.append((match.start(1), "A date tied to a person", match.group(1)))
    for match in _SSN.finditer(text):
        numbers_seen.add(_digits(match.group()))
        found.append((match.start(), "A social-security-like number", match.group()))
    for match in _PHONE.finditer(text):
        number = "".join(match.groups())
        if number in own_phones or _digits(match.group()) in numbers_seen:
            continue
        numbers_seen.add(number)
        found.append(
            (match.start(), "A phone or fax number that is not the practice's", match.group())
        )
    for match in _EMAIL.finditer(text):
        address = match.group().casefold()
        if address == own_email or (own_domain and address.endswith("@" + own_domain)):
            continue
        found.append((match.start(), "An e-mail address that is not the practice's", match.group()))
    for match in _LABELLED_NUMBER.finditer(text):
        value = match.group(1)
        if not any(ch.isdigit() for ch in value) or _digits(value) in numbers_seen:
            continue
        found.append(
            (match.start(), "A record, account or health-plan number", match.group().strip())
        )
    for match in _STREET.finditer(text):
        if own_address and _squash(match.group()) in own_address:
            continue
        found.append((match.start(), "A street address that is not the practice's", match.group()))
    for name, may_name in names.items():
        if may_name or len(name) < 3:
            continue
        pattern = re.compile(rf"(?<!\w){re.escape(name)}(?!\w)", re.IGNORECASE)
        name_match = pattern.search(text)
        if name_match:
            found.append(
                (
                    name_match.start(),
                    "A patient's name their authorization does not allow using",
                    name_match.group(),
                )
            )
    findings = []
    seen: set[tuple[str, str]] = set()
    for _, what, excerpt in sorted(found):
        if (what, excerpt.casefold()) in seen:
            continue
        seen.add((what, excerpt.casefold()))
        findings.append(Finding(IDENTIFIER, f"{what}: “{excerpt}”", excerpt=excerpt))
    return findings


def patient_names(practice: Practice) -> dict[str, bool]:
    """Names from the practice's authorizations: may each be used in a post?

    All of the practice's authorizations, not only the post's: a patient's
    name in a post that relies on nobody's authorization is the worst case.
    The same name in two authorizations may be used if either allows it.
    """
    names: dict[str, bool] = {}
    rows = PatientConsent.objects.filter(practice=practice).values_list(
        "patient_label", "signer_name", "uses", "revoked_at", "expires_at"
    )
    now = timezone.now()
    for label, signer, uses, revoked_at, expires_at in rows:
        allowed = PatientConsent.Use.NAME in uses and revoked_at is None and expires_at > now
        for name in {label.strip(), signer.strip()}:
            for part in _name_forms(name):
                names[part] = names.get(part, False) or allowed
    return names


def _name_forms(name: str) -> list[str]:
    """The name as written, and without a trailing initial ("Maria G." -> "Maria")."""
    name = name.strip()
    if not name:
        return []
    forms = [name]
    short = re.sub(r"\s+[A-Z]\.?$", "", name)
    if short != name:
        forms.append(short)
    return forms


# -- the whole review -----------------------------------------------------------------


def review(
    post: Post,
    *,
    at: datetime | None = None,
    consents: list[PatientConsent] | None = None,
    attachments: list[PostMedia] | None = None,
    platforms: list[str] | None = None,
    names: dict[str, bool] | None = None,
) -> list[Finding]:
    """Everything the compliance panel shows for this post.

    `at`: the moment the authorizations must still hold; the scheduled time
    (or now, if that is later). The other arguments save queries for callers
    that have just read them (`names`: patient_names of the post's practice),
    and let the editor review a post it has not saved yet (its previews).
    """
    now = timezone.now()
    at = at or max(post.scheduled_at or now, now)
    if platforms is None:
        platforms = sorted(set(post.targets.values_list("platform", flat=True)))
    findings = [
        Finding(AUTHORIZATION, problem)
        for problem in authorization_problems(
            post, platforms=platforms, at=at, consents=consents, attachments=attachments
        )
    ]
    findings += _identifier_findings(post, names)
    if post.is_testimonial:
        findings.append(
            Finding(
                REMINDER,
                "Testimonial: if the result is not typical, say what patients can generally "
                "expect, and disclose any discount, gift or other connection (FTC 16 CFR 255).",
            )
        )
    return findings


def authorization_problems(
    post: Post,
    *,
    platforms: list[str],
    at: datetime,
    consents: list[PatientConsent] | None = None,
    attachments: list[PostMedia] | None = None,
) -> list[str]:
    """Why the patient authorizations do not cover this post, as sentences; [] if they do.

    The rule the editor, approval and the publisher share, as sentences: the
    post's own uses under the authorizations it relies on
    (Post.consent_problems) and its photos' own authorizations
    (Post.photo_consent_problems).
    """
    if consents is None:
        consents = list(post.relied_consents())
    problems = post.consent_problems(platforms, at=at, consents=consents)
    problems += post.photo_consent_problems(
        platforms, at=at, consents=consents, attachments=attachments
    )
    return [problem[0].upper() + problem[1:] + "." for problem in problems]


def _identifier_findings(post: Post, names: dict[str, bool] | None = None) -> list[Finding]:
    if names is None:
        names = patient_names(post.practice)
    texts = [("caption", post.caption)] + [
        (platform, text) for platform, text in sorted(post.overrides.items()) if text
    ]
    findings: list[Finding] = []
    seen: set[str] = set()
    accepted = set(post.identifier_review_findings)
    for where, text in texts:
        for finding in identifiers_in(text, practice=post.practice, names=names):
            if finding.key in seen:
                continue
            seen.add(finding.key)
            kind = REMINDER if finding.key in accepted else IDENTIFIER
            label = "Caption" if where == "caption" else f"{_platform_label(where)} text"
            message = finding.message
            if kind == REMINDER:
                message += f" (accepted: {post.identifier_review_note})"
            findings.append(Finding(kind, message, where=label, excerpt=finding.excerpt))
    return findings


def _platform_label(platform: str) -> str:
    from practices.models import Platform

    try:
        return str(Platform(platform).label)
    except ValueError:
        return platform


def blocking(findings: list[Finding]) -> list[Finding]:
    return [finding for finding in findings if finding.blocks]


# -- a strategist accepts the identifiers found ------------------------------------------


def accept_identifiers(*, post: Post, reason: str, by: User) -> list[Finding]:
    """Record why the identifiers found now are fine; returns those accepted.

    Only identifier findings can be accepted: an authorization problem is
    fixed, never waved through. The reason is kept on the post (the doctor
    sees it beside the post) and in the audit log; the text found is not
    recorded there.
    """
    reason = reason.strip()
    if not reason:
        raise ValueError("say why the identifiers found are fine to publish")
    found = [f for f in _identifier_findings(post) if f.kind == IDENTIFIER]
    with transaction.atomic():
        post.identifier_review_note = reason[:2000]
        post.identifier_review_findings = sorted(
            {*post.identifier_review_findings, *(f.key for f in found)}
        )
        post.save(update_fields=["identifier_review_note", "identifier_review_findings"])
        AuditEvent.record(
            "identifiers_accepted",
            actor=by,
            practice=post.practice,
            obj=post,
            # The reason, as the doctor sees it; not the text found.
            detail={"post": post.pk, "findings": len(found), "reason": post.identifier_review_note},
        )
    return found
