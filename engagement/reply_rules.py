"""What a practice must not say when it answers a review, a comment or a mention.

Who a practice treats is itself protected health information (45 CFR
164.502(a)); a reply that confirms the reviewer is a patient, or says anything
about their care, discloses it without the authorization 164.508 asks for,
even when the reviewer wrote the same details first. OCR has settled with
practices for exactly this (compliance rules, section 5a; docs/replies.md
lists the cases and the sources).

`check_reply(reply, original=..., reviewer_name=...)` returns the findings,
each with a stable rule code, the sentence a person reads and the words that
triggered it:

- confirms_visit: words addressed to the reviewer that say they were seen
  ("your appointment", "when you were here", "we saw you", "welcome back",
  "we've sent you a message");
- describes_care: their health, care or payment ("anxiety", "you were
  diagnosed", "$1,200", "Delta Dental" beside them);
- procedure_or_drug: a procedure or medicine beside them ("your root canal");
- date_beside_person: a date beside them ("last Tuesday", "on March 3");
- discloses_record: facts from their record, typically to dispute their
  account ("according to our records", "you missed two appointments");
- echoes_reviewer: a care detail the reviewer wrote, said back to them;
- names_reviewer: their name beside any of the above.

The rules target the reviewer: second person ("you", "your"), their name, or
"this patient". A sentence about the practice itself ("We offer evening
appointments", "We accept Delta Dental") passes. Phone numbers, e-mail
addresses and other identifiers are the identifier check's business
(posts.rules.compliance); the Django side runs both.

Plain regular expressions and word lists, on purpose: a compliance officer
must be able to read why a reply was stopped, and a strategist must be able
to predict it. No Django here: the rules are the rules' own reasons, like
posts/rules/compliance.py.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

__all__ = [
    "CONFIRMS_VISIT",
    "DATE_BESIDE_PERSON",
    "DESCRIBES_CARE",
    "DISCLOSES_RECORD",
    "ECHOES_REVIEWER",
    "MESSAGES",
    "NAMES_REVIEWER",
    "PROCEDURE_OR_DRUG",
    "SAFE_COMMENT_STARTERS",
    "SAFE_REVIEW_REPLY",
    "ReplyFinding",
    "check_reply",
]

# -- what a finding says ---------------------------------------------------------------

CONFIRMS_VISIT = "confirms_visit"
DESCRIBES_CARE = "describes_care"
PROCEDURE_OR_DRUG = "procedure_or_drug"
DATE_BESIDE_PERSON = "date_beside_person"
DISCLOSES_RECORD = "discloses_record"
ECHOES_REVIEWER = "echoes_reviewer"
NAMES_REVIEWER = "names_reviewer"

# The reasons people read, one per rule; {excerpt} is the text found.
MESSAGES: dict[str, str] = {
    CONFIRMS_VISIT: "This confirms the reviewer is a patient: “{excerpt}”.",
    DESCRIBES_CARE: "This describes the reviewer's health, care or payment: “{excerpt}”.",
    PROCEDURE_OR_DRUG: "This describes the reviewer's care: “{excerpt}”.",
    DATE_BESIDE_PERSON: "This puts a date on the reviewer's care: “{excerpt}”.",
    DISCLOSES_RECORD: "This discloses details from the reviewer's record: “{excerpt}”.",
    ECHOES_REVIEWER: (
        "This repeats what the reviewer wrote about their care (“{excerpt}”): "
        "replying with it still confirms they are a patient."
    ),
    NAMES_REVIEWER: "This names the reviewer beside details of their care: “{excerpt}”.",
}

# When two findings cover the same words, the one people most need to read wins:
# a record disclosed is worse than a visit confirmed, which says more than the
# name of a procedure inside it ("your crown" is reported once, as a visit).
_PRIORITY = (
    DISCLOSES_RECORD,
    CONFIRMS_VISIT,
    DESCRIBES_CARE,
    PROCEDURE_OR_DRUG,
    DATE_BESIDE_PERSON,
    ECHOES_REVIEWER,
    NAMES_REVIEWER,
)


@dataclass(frozen=True)
class ReplyFinding:
    rule: str  # one of the codes above; stable, stored with an overridden reply
    message: str  # a plain sentence, for the strategist, the lead and the doctor
    excerpt: str  # the words of the reply that triggered it


# -- what a practice can say instead -----------------------------------------------------

# The one reply that is always safe on a review, good or bad: it thanks, invites a
# call and says why the practice says no more. It confirms nothing, so it is the
# same for a patient and for someone who never came in.
SAFE_REVIEW_REPLY = (
    "Thank you for your feedback. Privacy rules keep us from discussing anyone's care "
    "here; please call our practice manager at {phone}."
)

# Starters for comments and mentions. Each thanks or invites a call and adds no
# detail. Deliberately missing: "We've sent you a message" (or "we called you"):
# it tells everyone that the practice knows who this person is and how to reach
# them, which in practice means it looked them up in its records; it confirms
# the relationship (confirms_visit flags it). Ask them to call instead.
SAFE_COMMENT_STARTERS: tuple[str, ...] = (
    "Thank you for the kind words!",
    "Thank you for your comment! Please call our office at {phone} with any questions.",
    "We'd love to help. Please call our office at {phone} and our team will take it from there.",
    "Thank you for sharing this with our community!",
    "We take all feedback seriously. Please call our practice manager at {phone}.",
)

# -- vocabularies --------------------------------------------------------------------------

# The lists stay as written, several words to a line, grouped by specialty: one
# word per line would hide the groups.
# fmt: off

# Procedures and medicines as patients write them in reviews, across the
# specialties the agency serves: fertility, dental, orthopedics, dermatology and
# plastic surgery, primary care and pediatrics, psychiatry. Common names and the
# brand names people actually use; not a formulary. A word that is also an
# everyday word ("filling", "cleaning", "bridge", "shot", "cast") is left out, or
# kept only in a phrase ("deep cleaning", "flu shot"); "your filling" is still
# caught as a visit. Plurals are matched too.
PROCEDURES_AND_DRUGS: tuple[str, ...] = (
    # fertility
    "IVF", "in vitro", "IUI", "ICSI", "egg retrieval", "egg freezing", "frozen eggs",
    "embryo transfer", "frozen embryo transfer", "FET", "embryo", "embryo freezing",
    "PGT", "PGT-A", "genetic testing", "egg donor", "donor eggs", "sperm donor",
    "surrogacy", "gestational carrier", "semen analysis", "HSG", "hysteroscopy",
    "laparoscopy", "ovarian stimulation", "trigger shot", "beta test", "D&C",
    "Clomid", "clomiphene", "letrozole", "Femara", "Gonal-f", "Follistim", "Menopur",
    "Ovidrel", "Lupron", "Cetrotide", "hCG", "progesterone", "estradiol",
    # dental
    "root canal", "crown lengthening", "extraction", "tooth extraction", "wisdom teeth",
    "wisdom tooth", "implant", "dental implant", "veneer", "braces", "Invisalign",
    "aligner", "retainer", "denture", "partial denture", "deep cleaning",
    "scaling and root planing", "gum graft", "teeth whitening", "whitening",
    "dental bonding", "night guard", "sealant", "fluoride treatment", "oral surgery",
    "sedation", "nitrous", "laughing gas", "Novocaine", "lidocaine", "anesthesia",
    "dental bridge", "X-ray", "panoramic X-ray", "crown",
    # orthopedics and physical therapy
    "ACL repair", "ACL reconstruction", "ACL surgery", "knee replacement",
    "hip replacement", "joint replacement", "shoulder replacement", "arthroscopy",
    "arthroscopic surgery", "rotator cuff repair", "meniscus repair", "spinal fusion",
    "carpal tunnel release", "cortisone shot", "cortisone injection", "steroid injection",
    "PRP", "physical therapy", "MRI", "CT scan", "bone scan", "splint",
    # dermatology and plastic surgery
    "Botox", "Dysport", "filler", "lip filler", "Juvederm", "Restylane", "Sculptra",
    "Kybella", "CoolSculpting", "laser hair removal", "laser treatment", "chemical peel",
    "microneedling", "Mohs", "Mohs surgery", "mole removal", "biopsy", "skin check",
    "isotretinoin", "Accutane", "tretinoin", "Retin-A", "spironolactone",
    "liposuction", "lipo", "tummy tuck", "breast augmentation", "breast implant",
    "breast reduction", "breast lift", "rhinoplasty", "nose job", "facelift",
    "BBL", "blepharoplasty", "eyelid surgery", "mommy makeover",
    # primary care, pediatrics, women's health
    "vaccine", "vaccination", "flu shot", "booster", "allergy shot", "B12 shot",
    "blood test", "bloodwork", "blood work", "lab work", "Pap smear", "mammogram",
    "colonoscopy", "EKG", "ECG", "ultrasound", "stitches", "sutures", "strep test",
    "COVID test", "surgery", "IUD", "birth control", "vasectomy",
    "antibiotic", "amoxicillin", "Augmentin", "azithromycin", "Z-pak", "Z-pack",
    "prednisone", "steroids", "ibuprofen", "Tylenol", "metformin", "insulin",
    "Ozempic", "Wegovy", "Mounjaro", "Zepbound", "semaglutide", "tirzepatide",
    "lisinopril", "statin", "Lipitor", "opioid", "oxycodone", "Percocet", "hydrocodone",
    "Vicodin", "tramadol", "gabapentin", "Suboxone", "medication", "painkiller",
    # psychiatry and therapy
    "Adderall", "Ritalin", "Vyvanse", "Xanax", "Ativan", "Klonopin", "Zoloft",
    "sertraline", "Lexapro", "escitalopram", "Prozac", "fluoxetine", "Wellbutrin",
    "bupropion", "lithium", "Lamictal", "Seroquel", "Abilify", "antidepressant",
    "ketamine", "TMS", "therapy session", "counseling", "psychotherapy",
)

# Conditions, diagnoses and findings as people write them. The same scope as
# above; a bare symptom ("pain") is left out: "we're sorry you were in pain" is
# what most safe replies say, and the procedure beside it is what discloses.
CONDITIONS: tuple[str, ...] = (
    # mental health
    "anxiety", "depression", "PTSD", "bipolar", "bipolar disorder", "ADHD", "OCD",
    "schizophrenia", "eating disorder", "anorexia", "bulimia", "panic attack",
    "panic disorder", "insomnia", "addiction", "substance use", "alcoholism",
    # fertility and pregnancy
    "infertility", "PCOS", "endometriosis", "miscarriage", "ectopic pregnancy",
    "low AMH", "low sperm count", "pregnant",
    # dental
    "cavity", "tooth decay", "gum disease", "gingivitis", "periodontitis",
    "periodontal disease", "abscess", "abscessed", "dry socket", "TMJ", "bruxism",
    # orthopedic
    "fracture", "fractured", "broken bone", "torn ACL", "torn meniscus", "tendonitis",
    "tendinitis", "sprain", "sprained", "arthritis", "osteoarthritis", "sciatica",
    "herniated disc", "scoliosis", "concussion",
    # skin
    "acne", "eczema", "psoriasis", "rosacea", "melasma", "melanoma", "basal cell",
    "skin cancer", "mole", "wart",
    # primary care
    "infection", "infected", "cancer", "diabetes", "diabetic", "prediabetes",
    "high blood pressure", "hypertension", "high cholesterol", "asthma", "COPD",
    "hypothyroidism", "thyroid", "obesity", "STD", "STI", "HIV", "herpes", "HPV",
    "chlamydia", "UTI", "strep", "strep throat", "flu", "influenza", "COVID",
    "pneumonia", "bronchitis", "ear infection", "sinus infection", "sleep apnea",
    "migraine", "seizure", "epilepsy", "autism", "dementia", "heart disease",
)

# Paying for care is part of the record (Elite Dental disclosed insurance and
# cost): insurers and payment words beside the reviewer describe them.
PAYMENT_WORDS: tuple[str, ...] = (
    "Delta Dental", "Aetna", "Cigna", "Blue Cross", "Blue Shield", "BCBS", "Anthem",
    "UnitedHealthcare", "United Healthcare", "UHC", "Humana", "MetLife", "Guardian Dental",
    "Medicaid", "Medicare", "Medi-Cal", "Tricare", "Kaiser", "Ambetter", "Molina",
    "Progyny", "Carrot Fertility", "CareCredit", "out of network", "in network",
    "out of pocket", "payment plan", "financing", "copay", "deductible",
)

# What "your ..." says was had at the practice: a visit, a person who treated
# them, their record or bill, their care: the examples of compliance rules 5a
# ("your IVF cycle", "your crown", "your results") and what reviews show.
VISIT_NOUNS: tuple[str, ...] = (
    "appointment", "appt", "visit", "consultation", "consult", "exam", "examination",
    "check-up", "physical", "cleaning", "follow-up", "procedure", "treatment",
    "treatment plan", "surgery", "operation", "care", "stay", "admission", "discharge",
    "recovery", "session", "therapy", "doctor", "dentist", "hygienist", "provider",
    "physician", "surgeon", "nurse", "therapist", "dermatologist", "orthodontist",
    "periodontist", "endodontist", "oral surgeon", "pediatrician", "psychiatrist",
    "counselor", "midwife", "OB", "OB-GYN", "chart", "record", "medical record",
    "file", "results", "test", "test results", "lab", "lab work", "bloodwork",
    "blood work", "X-ray", "scan", "ultrasound", "diagnosis", "prescription",
    "medication", "meds", "refill", "cycle", "transfer", "retrieval", "crown",
    "filling", "implant", "insurance", "insurance plan", "insurance claim", "insurer",
    "coverage", "bill", "billing", "balance", "copay", "co-pay", "deductible", "invoice",
    "payment plan", "referral", "case", "condition", "progress", "pregnancy", "baby",
    "delivery", "teeth", "tooth", "wait", "wait time", "chair time",
)
# "your account" is a visit ("your account shows…") but not "your account of events".
_ACCOUNT = r"account(?!\s+of\b)"

# The visit nouns that are care in themselves: said back to a reviewer who wrote
# them, they are an echo. Not "appointment" or "doctor": someone who could not get
# an appointment, or met a doctor at a health fair, is not thereby a patient.
ECHO_VISIT_NOUNS: tuple[str, ...] = (
    "exam", "cleaning", "procedure", "treatment", "treatment plan", "surgery",
    "prescription", "diagnosis", "test results", "X-ray", "scan", "ultrasound", "cycle",
    "transfer", "retrieval", "crown", "filling", "implant", "bloodwork", "lab work",
)

# fmt: on


def _words(text: str) -> frozenset[str]:
    """A set of words written as one string: easier to read and extend than a list."""
    return frozenset(text.split())


# Words that say nothing about anyone's care: leaving them out of the echo
# comparison lets "thank you for your feedback" answer any review.
STOP_WORDS = _words(
    """a an the and or but nor of to in on at for with from by about as into onto over
    under after before during until while than then so too very just also again still
    even ever only own same such both each every few more most much many other some any
    all no not is are was were be been being am do does did done have has had having
    get got go went come came can could will would shall should may might must i me my
    mine we us our ours you your yours yourself he him his she her hers it its they them
    their theirs this that these those there here what which who whom whose when where
    why how if up down out off i'm i've i'd i'll we're we've we'd we'll you're you've
    you'd you'll it's that's there's don't didn't doesn't isn't wasn't weren't can't
    won't couldn't wouldn't shouldn't haven't hasn't hadn't really dr mr mrs ms"""
)
SAFE_WORDS = _words(
    """thank thanks thankful sorry apologize apology apologies hear heard hearing
    feedback review reviews comment comments call calling contact reach reaching please
    practice office team staff manager managers privacy private rule rules keep keeping
    discuss discussing anyone anyone's care experience experiences appreciate
    appreciated kind word words great good happy glad welcome love loved wonderful
    amazing best hope hoping help helping concern concerns message phone number
    directly learn talk speak share sharing value valued important seriously serious
    take like want know let see time day days everyone patient patients service
    services always working work improve better look forward"""
)

# -- text as the rules read it -------------------------------------------------------------

_SCRIPT = re.compile(r"<(script|style)\b[^>]*>.*?</\1\s*>", re.IGNORECASE | re.DOTALL)
_TAG = re.compile(r"<[^<>]*>")
# Invisible characters change nothing a reader sees but split words for a regex:
# zero-width spaces and joiners, bidirectional controls (RTL overrides), soft
# hyphens. Typographic apostrophes become the plain one the patterns use.
_INVISIBLE = dict.fromkeys(
    [
        *(0x00AD, 0x061C, 0x180E, 0x200B, 0x200C, 0x200D, 0x200E, 0x200F, 0x2060, 0xFEFF),
        *range(0x202A, 0x202F),
        *range(0x2066, 0x206A),
    ]
)
_QUOTES = {0x2018: "'", 0x2019: "'", 0x02BC: "'", 0x2032: "'", 0xFF07: "'"}
_SPACES = re.compile(r"[^\S\n]+")


def _plain(text: str) -> str:
    """The words a reader sees: no markup, no invisible characters, one kind of apostrophe."""
    text = _SCRIPT.sub(" ", text)
    text = _TAG.sub(" ", text)
    text = html.unescape(text)
    text = unicodedata.normalize("NFKC", text)
    text = text.translate(_INVISIBLE).translate(_QUOTES)
    return _SPACES.sub(" ", text).strip()


# Clauses end at sentence punctuation, semicolons and new lines; not at the dot of
# "Dr." or "Mr." (so "Dr. Lee recommended" stays one clause) nor inside "3.5".
_BOUNDARY = re.compile(
    r"(?<!\bdr)(?<!\bmr)(?<!\bms)(?<!\bmrs)(?<!\bst)\.(?!\d)|[!?;\n]", re.IGNORECASE
)


def _clauses(text: str) -> list[tuple[int, int]]:
    spans = []
    start = 0
    for match in _BOUNDARY.finditer(text):
        if match.start() > start:
            spans.append((start, match.start()))
        start = match.end()
    if start < len(text):
        spans.append((start, len(text)))
    return spans


def _alternation(terms: Iterable[str]) -> str:
    """One regex alternative per term: any spacing or hyphen between its words, plurals."""
    parts = []
    for term in sorted(set(terms), key=len, reverse=True):
        words = re.split(r"[\s-]+", term)
        last = words[-1]
        if len(last) > 3 and last.endswith("y") and last[-2] not in "aeiou":
            tail = re.escape(last[:-1]) + "(?:y|ies)"
        elif last.endswith(("s", "x", "sh", "ch")):
            tail = re.escape(last) + "(?:es)?"
        else:
            tail = re.escape(last) + "s?"
        parts.append(r"[\s-]*".join([re.escape(word) for word in words[:-1]] + [tail]))
    return "|".join(parts)


def _term_regex(terms: Iterable[str]) -> re.Pattern[str]:
    return re.compile(rf"(?<!\w)(?:{_alternation(terms)})(?!\w)", re.IGNORECASE)


_PROCEDURE_OR_DRUG = _term_regex(PROCEDURES_AND_DRUGS)
_CONDITION = _term_regex(CONDITIONS)
_PAYMENT = re.compile(
    rf"(?<!\w)(?:{_alternation(PAYMENT_WORDS)})(?!\w)|\$\s?\d[\d,]*(?:\.\d{{1,2}})?",
    re.IGNORECASE,
)
_ECHO_VISIT = _term_regex(ECHO_VISIT_NOUNS)

# -- dates -----------------------------------------------------------------------------------

_WEEKDAY = r"(?:mon|tues?|wed(?:nes)?|thu(?:rs?)?|fri|sat(?:ur)?|sun)day"
# "May" only with its capital: "you may call us" is not a date.
_MONTH = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|(?-i:May)|june?|july?"
    r"|aug(?:ust)?|sept?(?:ember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
)
_DATE = re.compile(
    rf"\b{_MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?\b(?:,?\s+\d{{4}}\b)?"
    rf"|\b\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?{_MONTH}(?!\w)"
    # month/day as Americans write it; "24/7" is not a date
    r"|\b(?:0?[1-9]|1[0-2])/(?:0?[1-9]|[12]\d|3[01])(?:/(?:\d{4}|\d{2}))?\b"
    r"|\b\d{4}-\d{2}-\d{2}\b"
    r"|\b(?:yesterday|the other day|this (?:morning|afternoon|evening)"
    r"|this past (?:week(?:end)?|month)|earlier (?:today|this week|this month))\b"
    rf"|\blast (?:night|week(?:end)?|month|year|{_WEEKDAY}|{_MONTH})(?!\w)"
    # a single weekday, not a habit: "on Monday", not "on Mondays"
    rf"|\b(?:on|this past|next) {_WEEKDAY}\b(?!s)"
    r"|\b(?:\d+|an?|one|two|three|four|five|six|seven|eight|nine|ten|a few|several"
    r"|a couple of) (?:days?|weeks?|months?|years?) ago\b"
    rf"|\bin (?:early |late |mid-?)?{_MONTH}(?!\w)",
    re.IGNORECASE,
)

# -- who the words are about -----------------------------------------------------------------

_SECOND_PERSON = re.compile(r"\b(?:you|your|yours|yourself|y'all)\b", re.IGNORECASE)
# Second person that invites or thanks, and says nothing about the reviewer's care:
# blanked out before asking whether a clause is about them. "If you have any
# questions about IVF, please call" is about IVF, not about the reader.
_NOT_ABOUT_THEM = re.compile(
    r"\bthank(?:s| you)(?: (?:so|very) much)?\b"
    r"|\byou(?:'re| are) (?:very |so |most )?welcome\b"
    r"|\bif you(?:'d| would)? (?:like|want|wish|prefer|need)\b"
    r"|\bif you (?:have|had) (?:any )?(?:other |more |further )?"
    r"(?:questions?|concerns?|feedback|comments?|thoughts)\b"
    r"|\byou (?:can|may|could) (?:always )?(?:call|reach|contact|e-?mail|message|text|find"
    r"|visit|book|schedule|learn|read|request|ask|stop by)\b"
    r"|\b(?:love|like|be happy|be glad|want) to (?:see|hear from|meet|welcome|help|talk with"
    r"|speak with|talk to|speak to|assist) you\b"
    r"|\blook(?:ing)? forward to (?:seeing|hearing from|meeting|speaking with|talking with"
    r"|welcoming|helping) you\b"
    r"|\b(?:get|reach|speak|talk) (?:back )?(?:to|with) you\b"
    r"|\bsee you soon\b|\bwish(?:ing)? you\b|\bwe hear you\b",
    re.IGNORECASE,
)
_PATIENT_REFERENCE = re.compile(
    r"\b(?:this|that) patient\b|\bpatient of ours\b"
    r"|\byour (?:son|daughter|child|kid|baby|husband|wife|partner|mom|mother|dad|father)'s\b",
    re.IGNORECASE,
)
# "Mr. Doe", "Ms. Garcia": a person named in the reply (never a doctor: "Dr." is staff).
_NAME_WORD = r"[A-Z][\w-]*(?:'[A-Z][\w-]*)?"  # "Doe", "O'Brien"; not the "'s" of "Doe's"
_HONORIFIC_NAME = re.compile(rf"\b(?:Mr|Mrs|Ms|Miss|Mx)\.?\s+{_NAME_WORD}(?:\s+{_NAME_WORD})?")
# A reply that opens on a name addresses that person: "Hi Karen Smith," "John Doe,".
# New Vision Dental and the 2022 North Carolina practice used the reviewer's real
# name where the review carried a made-up one.
_GREETING_NAME = re.compile(
    r"^\s*(?i:hi|hello|hey|dear|good (?:morning|afternoon|evening))\s+"
    r"([A-Z][\w'-]+(?:\s+[A-Z][\w'-]+){0,2})"
)
_OPENING_NAME = re.compile(r"^\s*([A-Z][a-z'-]+(?:\s+[A-Z][a-z'-]+){1,2})\s*,")
_NOT_NAMES = _words(
    """there everyone all team friend friends folks neighbor neighbors thank thanks you
    happy good great dear hello hi hey we our sorry congratulations congrats many merry
    dr the oh wow yes no well again patients family families"""
)

# -- the rules ---------------------------------------------------------------------------------

_VISIT_MODIFIER = (
    r"(?:last|recent|most|next|first|second|third|previous|prior|upcoming|initial|new"
    r"|annual|routine|scheduled|latest|morning|afternoon|evening|weekly|monthly|positive"
    r"|negative|regular|dental|medical|lab|blood|pregnancy|test|follow-up|today's"
    rf"|{_WEEKDAY}|\d{{1,2}}(?::\d\d)?\s?(?:am|pm|a\.m\.|p\.m\.)?)"
)
_YOUR_VISIT = re.compile(
    rf"\byour\s+(?:{_VISIT_MODIFIER}\s+){{0,2}}(?:{_alternation(VISIT_NOUNS)}|{_ACCOUNT})(?!\w)",
    re.IGNORECASE,
)
# Booking is not a visit: "book your first appointment" answers someone who has
# not come in yet. "Schedule your next appointment" still implies a last one.
_BOOKING = re.compile(
    r"\b(?:book|schedule|make|request|booking|scheduling|making|requesting)\s+your\s+"
    r"(?:(?:first|initial|free|complimentary)\s+)?(?:appointment|appt|visit|consultation"
    r"|consult)s?\b",
    re.IGNORECASE,
)
_STAFF = (
    r"(?:we|i|the doctor|our (?:doctors?|dentists?|team|staff|providers?|surgeons?|nurses?"
    r"|hygienists?|front desk|office)|dr\.? [A-Z][\w'-]+)"
)
_CONFIRMS = re.compile(
    "|".join(
        [
            r"\bwhen you (?:were (?:here|in|with us|seen|treated|last in)|came (?:in|by|here"
            r"|to see us|to us)|visited|stopped (?:in|by)|checked in)\b",
            rf"\b{_STAFF} (?:saw|treated|examined|met with|cared for|took care of) you\b",
            r"\bwe(?:'ve| have) (?:seen|treated|cared for|taken care of) you\b",
            r"\b(?:you|he|she) (?:were|was|have been|'ve been|has been) (?:seen|treated"
            r"|examined|admitted|discharged|here|in our (?:office|clinic|chair))\b",
            r"\byou came (?:in|by|here|to us|to see us|to our)\b",
            r"\byou visited\b",
            r"\byou (?:had to wait|waited|were waiting|were kept waiting)\b",
            r"\bwelcome back\b",
            r"\b(?:see|seeing) you (?:again|back|next time|at your)\b",
            r"\bnext time you(?:'re| are)? (?:in|here|come in|visit)\b",
            r"\bfor (?:choosing|trusting) (?:us|our)\b",
            r"\bfor (?:visiting|coming (?:in|to see)) (?:us|our (?:office|practice|clinic))\b",
            r"\b(?:great|nice|wonderful|a pleasure|lovely|good) (?:to see|seeing|to meet"
            r"|meeting|treating|to treat|caring for|to care for|having) you\b",
            r"\bwe (?:enjoyed|loved|love) (?:seeing|having|meeting|treating|caring for"
            r"|taking care of) you\b",
            r"\b(?:you are|you're|you were|you've been) (?:a|an|our|one of our)"
            r"(?: \w+){0,2}? patients?\b",
            r"\bas our (?:\w+ )?patient\b",
            r"\bour patient\b(?!s|\s+(?:care|portal|coordinators?|experience|advocates?"
            r"|services?|education|safety|satisfaction|forms?|resources?|relations)\b)",
            r"\b(?:this|that) patient\b(?!\s+(?:care|portal|experience|education)\b)",
            r"\bpatient of ours\b",
            # Reaching them privately says the practice knows who they are and how to
            # reach them: out of its records.
            r"\bwe(?:'ve| have)? (?:just )?(?:sent|messaged|e-?mailed|called|texted|contacted"
            r"|phoned|left) you\b",
            r"\bwe(?:'ve| have)? (?:just )?(?:reached out|tried to reach|tried to call"
            r"|tried to contact|been trying to reach)(?: to)? you\b",
        ]
    ),
    re.IGNORECASE,
)
_DESCRIBES = re.compile(
    "|".join(
        [
            r"\byou (?:were|are|'re|have been|'ve been|got) (?:diagnosed|prescribed|given"
            r"|put on|started on|tested|sedated|referred|pregnant)\b",
            rf"\b{_STAFF} (?:diagnosed|prescribed)\b",
            rf"\b{_STAFF} (?:treated|performed|placed|extracted|examined|sedated|referred"
            r"|operated on|injected|removed) (?:you|him|her|them|the|this|that|his|their|your)\b",
        ]
    ),
    re.IGNORECASE,
)
_RECORD = re.compile(
    "|".join(
        [
            r"\baccording to (?:our|the|your) (?:records?|charts?|notes|files?|system"
            r"|documentation)\b",
            r"\b(?:our|the|your) (?:records?|charts?|notes|files?|system|documentation)"
            r" (?:show|indicate|reflect|state|say|confirm)s?\b",
            r"\b(?:we have|there is|there's) no record of (?:you|your|this|that|him|her)\b",
            r"\b(?:you|he|she|they|this patient) (?:missed|skipped|cancell?ed|rescheduled"
            r"|no-?showed)(?:\s+(?:\w+\s+){0,3}?(?:appointments?|appts?|visits?|sessions?"
            r"|consultations?|consults?|follow-ups?))?\b",
            r"\b(?:arrived|showed up|came in|checked in) (?:\w+ ){0,3}?late\b",
            r"\byou were (?:\w+ ){0,2}?late\b",
            r"\b(?:you|he|she|they) (?:never|didn't|did not|failed to|refused to|declined to"
            r"|chose not to|stopped|neglected to|forgot to) (?:show|pay|follow|com(?:e|ing)"
            r"|return|complete|take|schedule|book|wear|use|attend|keep|finish|fill)\w*\b",
            r"\b(?:you|he|she|they) (?:declined|refused|disregarded|ignored)\b",
            r"\b(?:declined|refused) (?:the |our |his |her |all |any |further )?(?:recommended )?"
            r"(?:treatment|care|procedure|plan|surgery|x-rays?|medication|referral|advice)s?\b",
            r"\b(?:you|he|she|they) (?:still )?owes?\b",
            r"\b(?:outstanding|unpaid|past[- ]due|overdue|remaining) (?:balance|bill|invoice"
            r"|amount)\b",
            r"\b(?:sent|referred|turned over) to collections\b",
            r"\b(?:against|contrary to) (?:medical|our|the doctor's|your doctor's"
            r"|dr\.? [A-Z][\w'-]+'s) advice\b",
            rf"\b{_STAFF} (?:recommended|advised|warned|told|informed|reminded|instructed)\b",
            r"\b(?:told|advised|warned|informed|reminded|instructed) you\b",
            r"\b(?:you were|he was|she was|they were|this patient was) (?:\w+ )?(?:told|advised"
            r"|informed|warned|reminded|instructed)\b",
        ]
    ),
    re.IGNORECASE,
)

# -- putting it together -----------------------------------------------------------------------


@dataclass(frozen=True)
class _Hit:
    start: int
    end: int
    rule: str


def check_reply(reply: str, *, original: str = "", reviewer_name: str = "") -> list[ReplyFinding]:
    """What in this reply discloses the reviewer's health information; [] if nothing.

    `original`: the review, comment or mention being answered, for the echo rule.
    `reviewer_name`: the name the platform shows for its author.
    Findings come in the order they appear, each (rule, words) once.
    """
    text = _plain(reply)
    if not text:
        return []
    said = _SelfDisclosed(_plain(original))
    names = _name_spans(text, _plain(reviewer_name))

    hits: list[_Hit] = []
    seeds: list[tuple[int, int]] = []  # care words the reviewer wrote themselves
    about_them: list[tuple[int, int]] = []
    for start, end in _clauses(text):
        clause = text[start:end]
        person = _is_about_them(clause) or any(start <= n_start < end for n_start, _ in names)
        if person:
            about_them.append((start, end))
        booking = [m.span() for m in _BOOKING.finditer(clause)]
        for match in _YOUR_VISIT.finditer(clause):
            if not any(b_start <= match.start() < b_end for b_start, b_end in booking):
                hits.append(_Hit(start + match.start(), start + match.end(), CONFIRMS_VISIT))
        for pattern, rule in ((_CONFIRMS, CONFIRMS_VISIT), (_RECORD, DISCLOSES_RECORD)):
            hits += [
                _Hit(start + m.start(), start + m.end(), rule) for m in pattern.finditer(clause)
            ]
        if person:
            hits += [
                _Hit(start + m.start(), start + m.end(), DESCRIBES_CARE)
                for m in _DESCRIBES.finditer(clause)
            ]
        # Care words: said back to a reviewer who wrote them, an echo; beside the
        # reviewer, a disclosure; in a sentence about the practice, nothing.
        for pattern, rule in (
            (_CONDITION, DESCRIBES_CARE),
            (_PAYMENT, DESCRIBES_CARE),
            (_PROCEDURE_OR_DRUG, PROCEDURE_OR_DRUG),
            (_DATE, DATE_BESIDE_PERSON),
            (_ECHO_VISIT, ""),
        ):
            for m in pattern.finditer(clause):
                if _is_ours(clause, m.start()):
                    continue
                if said.contains(m.group()):
                    seeds.append((start + m.start(), start + m.end()))
                elif person and rule:
                    hits.append(_Hit(start + m.start(), start + m.end(), rule))

    kept = _without_overlaps(hits)
    kept += _echoes(text, said, kept, seeds, about_them)
    if kept:
        kept += [_Hit(n_start, n_end, NAMES_REVIEWER) for n_start, n_end in names]
    kept = _without_overlaps(kept)

    findings: list[ReplyFinding] = []
    seen: set[tuple[str, str]] = set()
    for hit in sorted(kept, key=lambda h: (h.start, _PRIORITY.index(h.rule))):
        excerpt = text[hit.start : hit.end].strip(" ,:-")
        if (hit.rule, excerpt.casefold()) in seen:
            continue
        seen.add((hit.rule, excerpt.casefold()))
        findings.append(ReplyFinding(hit.rule, MESSAGES[hit.rule].format(excerpt=excerpt), excerpt))
    return findings


def _is_about_them(clause: str) -> bool:
    blanked = _NOT_ABOUT_THEM.sub(lambda m: " " * len(m.group()), clause)
    return bool(
        _SECOND_PERSON.search(blanked)
        or _PATIENT_REFERENCE.search(clause)
        or _HONORIFIC_NAME.search(clause)
    )


def _is_ours(clause: str, at: int) -> bool:
    """Whether the words at `at` follow "our" ("our implant center", "our new Botox
    suite"): the practice's own service, not the reviewer's care."""
    return bool(re.search(r"\bour\s+(?:\w+\s+)?$", clause[:at], re.IGNORECASE))


def _name_spans(text: str, reviewer_name: str) -> list[tuple[int, int]]:
    """Where the reply names someone: the reviewer's name or its parts, an honorific
    and a surname, or a name it opens on."""
    spans = [m.span() for m in _HONORIFIC_NAME.finditer(text)]
    for pattern in (_GREETING_NAME, _OPENING_NAME):
        match = pattern.match(text)
        if match and not any(w.casefold() in _NOT_NAMES for w in match.group(1).split()):
            spans.append(match.span(1))
    if reviewer_name:
        full = re.compile(rf"(?<!\w){re.escape(reviewer_name)}(?!\w)", re.IGNORECASE)
        spans += [m.span() for m in full.finditer(text)]
        for part in re.split(r"[\s.,]+", reviewer_name):
            if len(part) < 2 or part.casefold() in STOP_WORDS:
                continue
            # Case-sensitive: a reviewer called Hope is not named by "we hope".
            capital = part[0].upper() + part[1:]
            pattern = re.compile(
                rf"(?<!\w)(?:{re.escape(capital)}|{re.escape(part.upper())})(?!\w)"
            )
            spans += [m.span() for m in pattern.finditer(text)]
    return sorted(set(spans))


_WORD = re.compile(r"[^\W_]+(?:'[^\W_]+)*")


def _stem(word: str) -> str:
    """Enough folding to see "crowns" in "crown" and "Botox's" in "botox"."""
    word = word.casefold().removesuffix("'s")
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        word = word[:-1]
    return word


class _SelfDisclosed:
    """What the reviewer wrote about themselves, as words to compare with the reply.

    A question that does not speak of the writer ("Do you offer Invisalign?") asks
    about the practice: answering "we offer Invisalign" repeats nothing of theirs.
    """

    _SENTENCE = re.compile(r"[^.!?\n]+[.!?]*")
    _FIRST_PERSON = re.compile(r"\b(?:my|mine|me|i'm|i've|i was|i had|i got)\b", re.IGNORECASE)

    def __init__(self, original: str) -> None:
        kept = []
        for match in self._SENTENCE.finditer(original):
            sentence = match.group()
            if sentence.rstrip().endswith("?") and not self._FIRST_PERSON.search(sentence):
                continue
            kept.append(sentence)
        self.words = [_stem(m.group()) for m in _WORD.finditer(" ".join(kept))]
        self.joined = f" {' '.join(self.words)} "
        meaningful = [w for w in self.words if w not in STOP_WORDS and w not in SAFE_WORDS]
        self.meaningful = frozenset(meaningful)
        self.trigrams = frozenset(zip(meaningful, meaningful[1:], meaningful[2:], strict=False))

    def contains(self, phrase: str) -> bool:
        words = [_stem(m.group()) for m in _WORD.finditer(phrase)]
        return bool(words) and f" {' '.join(words)} " in self.joined


def _echoes(
    text: str,
    said: _SelfDisclosed,
    kept: list[_Hit],
    seeds: list[tuple[int, int]],
    about_them: list[tuple[int, int]],
) -> list[_Hit]:
    """The reviewer's own care words said back to them, as whole phrases.

    A care word the reviewer wrote (a seed) is an echo, widened to the run of the
    reviewer's words around it ("root canal was painful"). Three or more of the
    reviewer's meaningful words in a row, in a sentence addressed to them, are an
    echo even without a care word the lists know ("your lower left side hurt").
    Words another finding already reports are not reported again.
    """
    if not said.words:
        return []
    covered = [(h.start, h.end) for h in kept]

    def is_covered(start: int, end: int) -> bool:
        return any(start < c_end and c_start < end for c_start, c_end in covered)

    runs: list[tuple[int, int, list[str]]] = []
    for c_start, c_end in _clauses(text):
        run: list[re.Match[str]] = []
        for match in _WORD.finditer(text, c_start, c_end):
            word = _stem(match.group())
            if word in STOP_WORDS and not is_covered(*match.span()):
                if run:
                    run.append(match)
                continue
            if word in said.meaningful and word not in SAFE_WORDS and not is_covered(*match.span()):
                run.append(match)
                continue
            runs += _closed(run)
            run = []
        runs += _closed(run)

    spans: list[tuple[int, int]] = []
    for s_start, s_end in seeds:
        if is_covered(s_start, s_end):
            continue
        for r_start, r_end, _ in runs:
            if r_start < s_end and s_start < r_end:
                s_start, s_end = min(s_start, r_start), max(s_end, r_end)
        spans.append((s_start, s_end))
    for r_start, r_end, words in runs:
        addressed = any(a_start <= r_start < a_end for a_start, a_end in about_them)
        trigrams = zip(words, words[1:], words[2:], strict=False)
        if addressed and any(t in said.trigrams for t in trigrams):
            spans.append((r_start, r_end))

    merged: list[list[int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return [_Hit(start, end, ECHOES_REVIEWER) for start, end in merged]


def _closed(run: list[re.Match[str]]) -> list[tuple[int, int, list[str]]]:
    """A finished run, without the stop words it ended on; [] if nothing is left."""
    while run and _stem(run[-1].group()) in STOP_WORDS:
        run = run[:-1]
    if not run:
        return []
    words = [_stem(m.group()) for m in run if _stem(m.group()) not in STOP_WORDS]
    return [(run[0].start(), run[-1].end(), words)]


def _without_overlaps(hits: list[_Hit]) -> list[_Hit]:
    """Each stretch of words reported once, by the rule that says most about it."""
    kept: list[_Hit] = []
    for hit in sorted(hits, key=lambda h: (_PRIORITY.index(h.rule), h.start, -h.end)):
        if not any(hit.start < k.end and k.start < hit.end for k in kept):
            kept.append(hit)
    return kept
