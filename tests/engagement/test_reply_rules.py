"""The reply rules (engagement.reply_rules): what a reply to a review must not say.

The unsafe replies below are reconstructions of the kinds of reply OCR cited in
its settlements (the published facts, not the practices' words, which OCR did
not publish), and the examples of compliance rules section 5a; docs/replies.md
lists the sources. Each case asserts the exact rules found; a safe reply
asserts that nothing is found at all.
"""

from __future__ import annotations

import dataclasses
import random

import pytest

from engagement.reply_rules import (
    CONFIRMS_VISIT,
    DATE_BESIDE_PERSON,
    DESCRIBES_CARE,
    DISCLOSES_RECORD,
    ECHOES_REVIEWER,
    MESSAGES,
    NAMES_REVIEWER,
    PROCEDURE_OR_DRUG,
    SAFE_COMMENT_STARTERS,
    SAFE_REVIEW_REPLY,
    ReplyFinding,
    check_reply,
)


@pytest.fixture(autouse=True, scope="session")
def _postgresql_only():
    """Overrides the suite-wide database check, for this module only: the rules are
    pure functions of text. (Not in a conftest: the inbox's page tests in this
    folder use the database and keep the check.)"""


def rules(reply: str, original: str = "", reviewer_name: str = "") -> list[str]:
    """The distinct rules found, sorted: what each case asserts exactly."""
    found = check_reply(reply, original=original, reviewer_name=reviewer_name)
    return sorted({finding.rule for finding in found})


def case(reply: str, expected: list[str], *, id: str, original: str = "", name: str = ""):
    return pytest.param(reply, original, name, sorted(expected), id=id)


UNSAFE = [
    # Elite Dental Associates, Dallas (OCR, Oct 2, 2019, $10,000): Yelp replies that
    # disclosed the reviewer's last name, treatment plan, insurance and cost.
    case(
        "Ms. Garcia, your treatment plan called for two implants and your insurance only "
        "covered $1,200 of it.",
        [NAMES_REVIEWER, CONFIRMS_VISIT, PROCEDURE_OR_DRUG, DESCRIBES_CARE],
        id="elite-name-plan-insurance-cost",
    ),
    case(
        "Linda, we quoted you $3,400 for the veneers before we started.",
        [NAMES_REVIEWER, DESCRIBES_CARE, PROCEDURE_OR_DRUG],
        name="Linda G.",
        id="elite-cost-and-procedure-to-named-reviewer",
    ),
    case(
        "Your Delta Dental plan does not cover whitening, as we said at your consultation.",
        [CONFIRMS_VISIT, DESCRIBES_CARE, PROCEDURE_OR_DRUG],
        id="elite-insurer-and-procedure",
    ),
    # Dr. U. Phillip Igbinadolor, D.M.D. & Associates, North Carolina (OCR civil money
    # penalty, announced Mar 28, 2022, $50,000): a reply to a pseudonymous Google
    # review with the patient's full name, their condition and the treatment that
    # was recommended but not given, ending "get a life".
    case(
        "John Doe, you came to us with an abscess and we recommended an extraction, which "
        "you refused. Get a life.",
        [NAMES_REVIEWER, CONFIRMS_VISIT, DESCRIBES_CARE, DISCLOSES_RECORD, PROCEDURE_OR_DRUG],
        name="Happy Camper",
        id="upi-real-name-condition-refused-treatment",
    ),
    case(
        "Mr. Doe's complaints are unsubstantiated: he was seen twice and declined the root "
        "canal Dr. Lee recommended.",
        [NAMES_REVIEWER, CONFIRMS_VISIT, DISCLOSES_RECORD, PROCEDURE_OR_DRUG],
        id="upi-disputes-in-third-person",
    ),
    # New Vision Dental, California (OCR, Dec 14, 2022, $23,000): Yelp replies with
    # full names where reviewers used made-up ones, and visits, treatment and
    # insurance the patients had not posted.
    case(
        "Hi Karen Smith, our records show you visited three times and your Cigna plan "
        "denied the crown.",
        [NAMES_REVIEWER, DISCLOSES_RECORD, CONFIRMS_VISIT, DESCRIBES_CARE, PROCEDURE_OR_DRUG],
        name="Yelp User K.",
        id="nvd-real-name-visits-insurance",
    ),
    case(
        "Your insurance was out of network, as our front desk told you at check-in.",
        [CONFIRMS_VISIT, DESCRIBES_CARE, DISCLOSES_RECORD],
        id="nvd-insurance-and-what-staff-said",
    ),
    # Manasa Health Center, New Jersey (OCR, Jun 5, 2023, $30,000): Google review
    # replies about four patients' mental health diagnoses and treatment.
    case(
        "We diagnosed you with bipolar disorder and adjusted your lithium; stopping on your "
        "own was your choice.",
        [DESCRIBES_CARE, PROCEDURE_OR_DRUG],
        id="manasa-diagnosis-and-drug",
    ),
    case(
        "You were treated here for anxiety and depression, and you stopped coming to your "
        "therapy sessions.",
        [CONFIRMS_VISIT, DESCRIBES_CARE, DISCLOSES_RECORD],
        id="manasa-treated-for-and-stopped-coming",
    ),
    case(
        "Your son's ADHD medication is Adderall, which Dr. Rao prescribed after his evaluation.",
        [DESCRIBES_CARE, PROCEDURE_OR_DRUG],
        id="manasa-a-childs-diagnosis-and-drug",
    ),
    # Compliance rules 5a: confirming the reviewer was seen, describing their care.
    case("Sorry about the wait at your appointment.", [CONFIRMS_VISIT], id="your-appointment"),
    case("Good luck with your IVF cycle!", [PROCEDURE_OR_DRUG], id="your-ivf-cycle"),
    case("We hope your crown feels better soon.", [CONFIRMS_VISIT], id="your-crown"),
    case("Your results are back and look normal.", [CONFIRMS_VISIT], id="your-results"),
    case("We're sorry your root canal was painful.", [PROCEDURE_OR_DRUG], id="your-root-canal"),
    case("As your dentist, I stand by the work.", [CONFIRMS_VISIT], id="as-your-dentist"),
    case("Thanks for choosing us for your care!", [CONFIRMS_VISIT], id="choosing-us"),
    case("Welcome back! It was great to see you again.", [CONFIRMS_VISIT], id="welcome-back"),
    case("We added a note to your chart.", [CONFIRMS_VISIT], id="your-chart"),
    case("Your chart shows no allergies.", [DISCLOSES_RECORD], id="your-chart-shows"),
    case("Your account is up to date.", [CONFIRMS_VISIT], id="your-account"),
    case("We hope you enjoyed your stay with us.", [CONFIRMS_VISIT], id="your-stay"),
    case("Thank you for trusting our team with your surgery.", [CONFIRMS_VISIT], id="your-surgery"),
    # Reaching out privately tells everyone the practice knows who they are.
    case("We've sent you a private message.", [CONFIRMS_VISIT], id="weve-sent-you-a-message"),
    case("We reached out to you by phone this week.", [CONFIRMS_VISIT], id="we-reached-out"),
    # Dates beside the person.
    case(
        "When you were here last week, Dr. Patel was running behind.",
        [CONFIRMS_VISIT, DATE_BESIDE_PERSON],
        id="when-you-were-here-last-week",
    ),
    case(
        "We saw you on March 3 and everything went well.",
        [CONFIRMS_VISIT, DATE_BESIDE_PERSON],
        id="we-saw-you-on-a-date",
    ),
    case(
        "Sorry you waited so long last Tuesday.",
        [CONFIRMS_VISIT, DATE_BESIDE_PERSON],
        id="you-waited-last-tuesday",
    ),
    case(
        "Your prescription for amoxicillin was sent to the pharmacy yesterday.",
        [CONFIRMS_VISIT, PROCEDURE_OR_DRUG, DATE_BESIDE_PERSON],
        id="prescription-drug-and-yesterday",
    ),
    case("We know 3/4 was hard for you.", [DATE_BESIDE_PERSON], id="numeric-date"),
    # Procedures, drugs and conditions across the specialties.
    case(
        "Congratulations on your positive pregnancy test after the embryo transfer!",
        [CONFIRMS_VISIT, PROCEDURE_OR_DRUG],
        id="fertility-pregnancy-test",
    ),
    case("Your Botox should settle in within two weeks.", [PROCEDURE_OR_DRUG], id="derm-botox"),
    case(
        "Glad your knee replacement is healing well, Tom!",
        [PROCEDURE_OR_DRUG, NAMES_REVIEWER],
        name="Tom Becker",
        id="ortho-knee-replacement-named",
    ),
    case(
        "Hi Sarah, the biopsy of your mole came back benign.",
        [NAMES_REVIEWER, PROCEDURE_OR_DRUG, DESCRIBES_CARE],
        name="Sarah K.",
        id="derm-biopsy-named",
    ),
    case(
        "You were seen in our urgent care for strep and given antibiotics.",
        [CONFIRMS_VISIT, DESCRIBES_CARE, PROCEDURE_OR_DRUG],
        id="primary-care-strep",
    ),
    case(
        "Maria, your crown is ready for pickup.",
        [NAMES_REVIEWER, CONFIRMS_VISIT],
        name="Maria Lopez",
        id="first-name-beside-crown",
    ),
    # Disputing the reviewer's account with facts from the record.
    case(
        "Our records show you rescheduled three times.",
        [DISCLOSES_RECORD],
        id="our-records-show",
    ),
    case(
        "You missed two appointments and arrived 40 minutes late to the third.",
        [DISCLOSES_RECORD],
        id="missed-appointments-arrived-late",
    ),
    case(
        "According to our records, you were never charged for the X-rays.",
        [DISCLOSES_RECORD, PROCEDURE_OR_DRUG],
        id="according-to-our-records",
    ),
    case(
        "You still owe a balance of $250.",
        [DISCLOSES_RECORD, DESCRIBES_CARE],
        id="you-still-owe",
    ),
    case("You left against medical advice.", [DISCLOSES_RECORD], id="against-medical-advice"),
    case(
        "This patient was told twice to wear the retainer.",
        [DISCLOSES_RECORD, PROCEDURE_OR_DRUG],
        id="this-patient-was-told",
    ),
]


@pytest.mark.parametrize(("reply", "original", "name", "expected"), UNSAFE)
def test_an_unsafe_reply_is_stopped_by_exactly_these_rules(reply, original, name, expected):
    assert rules(reply, original, name) == expected


ECHOES = [
    # The reviewer wrote it; saying it back still confirms they are a patient.
    case(
        "We're sorry your root canal was painful.",
        [ECHOES_REVIEWER],
        original="My root canal was painful and the dentist was rude.",
        id="root-canal-echoed",
    ),
    case(
        "We're so happy the IVF transfer worked in the end!",
        [ECHOES_REVIEWER],
        original="Two failed IVF transfers before it worked. Thank you!",
        id="ivf-transfer-echoed-without-you",
    ),
    case(
        "We're sorry about March 3.",
        [ECHOES_REVIEWER],
        original="I came in on March 3 for a cleaning and waited 2 hours.",
        id="date-echoed",
    ),
    case(
        "Botox usually lasts three to four months.",
        [ECHOES_REVIEWER],
        original="The Botox in my forehead wore off in 6 weeks.",
        id="botox-echoed-as-general-advice",
    ),
    case(
        "PCOS can be frustrating; we're glad you found answers.",
        [ECHOES_REVIEWER],
        original="I was diagnosed with PCOS here after years of guessing.",
        id="diagnosis-echoed",
    ),
    case(
        "Sorry the numbing on your lower left side hurt.",
        [ECHOES_REVIEWER],
        original="The numbing shot on my lower left side hurt for days.",
        id="three-of-their-words-in-a-row",
    ),
    case(
        "You were diagnosed with PCOS, and we're glad it is behind you.",
        [DESCRIBES_CARE, ECHOES_REVIEWER],
        original="I was diagnosed with PCOS here.",
        id="their-diagnosis-and-our-words",
    ),
    # "your crown" confirms the visit whoever wrote it; reported once, as a visit.
    case(
        "Sorry your crown fell out.",
        [CONFIRMS_VISIT],
        original="My crown fell out twice in a month.",
        id="your-crown-reported-once",
    ),
    case(
        "Sorry your appointment was cancelled; we've sent you a message.",
        [CONFIRMS_VISIT],
        original="They cancelled my appointment the night before!",
        id="appointment-echoed-is-a-visit",
    ),
]


@pytest.mark.parametrize(("reply", "original", "name", "expected"), ECHOES)
def test_echoing_the_reviewer_is_stopped(reply, original, name, expected):
    assert rules(reply, original, name) == expected


def test_an_echo_is_reported_as_the_reviewers_phrase():
    [finding] = check_reply(
        "Sorry your IVF transfer didn't work.", original="My IVF transfer failed in May."
    )
    assert finding == ReplyFinding(
        ECHOES_REVIEWER,
        "This repeats what the reviewer wrote about their care (“IVF transfer”): "
        "replying with it still confirms they are a patient.",
        "IVF transfer",
    )


SAFE = [
    case(SAFE_REVIEW_REPLY.format(phone="555-0100"), [], id="the-safe-review-reply"),
    case(
        SAFE_REVIEW_REPLY.format(phone="(312) 555-0100"),
        [],
        original="My root canal was painful, Dr. Lee rushed me and my insurance was billed twice.",
        name="Maria Lopez",
        id="the-safe-reply-to-a-review-full-of-care",
    ),
    case(
        "We're sorry to hear about your experience. We'd like to learn more — please contact "
        "our office manager directly.",
        [],
        original="Worst experience ever. The wait was two hours.",
        id="sorry-about-your-experience",
    ),
    case("Thank you for the kind words!", [], id="thanks"),
    case("We take all feedback seriously. Please call us at (312) 555-0100.", [], id="call-us"),
    case("Our office opens at 7 am on weekdays.", [], id="opening-hours"),
    case("We offer evening appointments.", [], id="appointments-in-general"),
    case("Appointments are available Monday through Friday.", [], id="appointments-available"),
    case("You can book your first appointment online or call us.", [], id="book-your-first"),
    case("If you have any questions about IVF, please call our office.", [], id="if-you-have-q"),
    case("We offer root canals, crowns and implants at all three offices.", [], id="services"),
    case("We accept most plans, including Delta Dental and Aetna.", [], id="insurers-we-accept"),
    case("Flu shots are available at our Main Street office this week.", [], id="flu-shots"),
    case("Our hygienists recommend a cleaning every six months.", [], id="general-advice"),
    case(
        "Thank you, Maria! We appreciate you taking the time to write.",
        [],
        name="Maria Lopez",
        id="naming-the-reviewer-in-thanks-alone",
    ),
    case(
        "We're sorry you feel that way. Please call our practice manager so we can listen.",
        [],
        id="sorry-you-feel-that-way",
    ),
    case(
        "We'd love to see you at our open house on Saturday, June 7.",
        [],
        id="an-event-invitation-with-a-date",
    ),
    case("Join us for our free skin check day on May 3!", [], id="a-health-fair"),
    case("Thanks so much for sharing! Reviews like yours make our day.", [], id="like-yours"),
    case(
        "Yes, we offer Invisalign. Please call us to book a consultation.",
        [],
        original="Do you offer Invisalign?",
        id="answering-a-question-about-a-service",
    ),
    case(
        "We're sorry you had a frustrating time. You may call us anytime at 555-0100.",
        [],
        original="Terrible front desk, nobody answers the phone.",
        id="front-desk-complaint",
    ),
    case("Happy holidays from all of us at Lakeside Fertility!", [], id="greetings"),
    case(
        "We're open 24/7 for dental emergencies; call us if you need us.",
        [],
        id="twenty-four-seven-is-not-a-date",
    ),
    case("Our new Botox suite opens in March.", [], id="our-service-with-a-month"),
]


@pytest.mark.parametrize(("reply", "original", "name", "expected"), SAFE)
def test_a_safe_reply_passes_with_no_finding(reply, original, name, expected):
    assert check_reply(reply, original=original, reviewer_name=name) == []


@pytest.mark.parametrize("starter", SAFE_COMMENT_STARTERS)
def test_every_safe_starter_passes(starter):
    text = starter.format(phone="555-0100")
    assert (
        check_reply(text, original="Is Dr. Lee taking new patients? My IVF cycle starts soon.")
        == []
    )


# -- findings people read -------------------------------------------------------------------


def test_each_finding_says_why_in_plain_words_with_what_was_found():
    found = check_reply(
        "According to our records, your appointment was on March 3, when we did your root "
        "canal; you were diagnosed with an abscess."
    )
    assert [(f.rule, f.excerpt, f.message) for f in found] == [
        (
            DISCLOSES_RECORD,
            "According to our records",
            "This discloses details from the reviewer's record: “According to our records”.",
        ),
        (
            CONFIRMS_VISIT,
            "your appointment",
            "This confirms the reviewer is a patient: “your appointment”.",
        ),
        (
            DATE_BESIDE_PERSON,
            "March 3",
            "This puts a date on the reviewer's care: “March 3”.",
        ),
        (PROCEDURE_OR_DRUG, "root canal", "This describes the reviewer's care: “root canal”."),
        (
            DESCRIBES_CARE,
            "you were diagnosed",
            "This describes the reviewer's health, care or payment: “you were diagnosed”.",
        ),
        (
            DESCRIBES_CARE,
            "abscess",
            "This describes the reviewer's health, care or payment: “abscess”.",
        ),
    ]


def test_every_rule_has_its_message():
    codes = {
        CONFIRMS_VISIT,
        DESCRIBES_CARE,
        PROCEDURE_OR_DRUG,
        DATE_BESIDE_PERSON,
        DISCLOSES_RECORD,
        ECHOES_REVIEWER,
        NAMES_REVIEWER,
    }
    assert set(MESSAGES) == codes
    assert all("{excerpt}" in template for template in MESSAGES.values())


def test_the_same_words_are_reported_once():
    found = check_reply("Your appointment, your appointment, YOUR APPOINTMENT.")
    assert [(f.rule, f.excerpt) for f in found] == [(CONFIRMS_VISIT, "Your appointment")]


def test_findings_are_frozen_and_stable():
    reply = "Hi Karen Smith, our records show you visited three times."
    first = check_reply(reply, reviewer_name="Karen S.")
    assert first == check_reply(reply, reviewer_name="Karen S.")
    with pytest.raises(dataclasses.FrozenInstanceError):
        first[0].rule = "other"  # type: ignore[misc]


def test_the_name_is_only_a_finding_beside_care():
    assert check_reply("Thanks, Maria!", reviewer_name="Maria Lopez") == []
    found = check_reply("Thanks, Maria! Your crown looks great.", reviewer_name="Maria Lopez")
    assert [(f.rule, f.excerpt) for f in found] == [
        (NAMES_REVIEWER, "Maria"),
        (CONFIRMS_VISIT, "Your crown"),
    ]


def test_a_reviewer_called_hope_is_not_named_by_we_hope():
    found = check_reply("We hope your crown feels better.", reviewer_name="Hope Adams")
    assert [f.rule for f in found] == [CONFIRMS_VISIT]


# -- hostile input ------------------------------------------------------------------------------

PLAIN = "We're sorry your root canal was painful. Sorry about the wait at your appointment."


def as_plain(reply: str, original: str = "") -> list[tuple[str, str]]:
    return [(f.rule, f.excerpt) for f in check_reply(reply, original=original)]


@pytest.mark.parametrize(
    "dressed",
    [
        pytest.param(
            "<p>We&#39;re sorry <b>your root canal</b> was painful.</p>"
            "<script>alert('x')</script><p>Sorry about the wait at your&nbsp;appointment.</p>",
            id="html",
        ),
        pytest.param(
            "\u202bWe're sorry your root canal was painful.\u202c "
            "\u200fSorry about the wait at your\u200e appointment.",
            id="rtl-controls",
        ),
        pytest.param(
            "We’re sorry your ro\u200bot ca\u200dnal was painful. 😢🦷 "
            "Sorry about the wait at your appoint\u00adment. 🙏",
            id="emoji-and-invisible-characters",
        ),
        pytest.param(
            "Ｗｅ'ｒｅ ｓｏｒｒｙ ｙｏｕｒ ｒｏｏｔ ｃａｎａｌ ｗａｓ ｐａｉｎｆｕｌ. "
            "Sorry about the wait at your appointment.",
            id="fullwidth-letters",
        ),
        pytest.param(
            "شكرا لكم. We're sorry your root canal was painful. "
            "Sorry about the wait at your appointment. תודה רבה",
            id="arabic-and-hebrew-around-it",
        ),
        pytest.param(
            ("We take all feedback seriously. " * 160)[:4900] + PLAIN,
            id="five-thousand-characters",
        ),
    ],
)
def test_dressed_up_text_is_judged_as_plain_text(dressed):
    assert (
        as_plain(dressed)
        == as_plain(PLAIN)
        == [
            (PROCEDURE_OR_DRUG, "root canal"),
            (CONFIRMS_VISIT, "your appointment"),
        ]
    )


def test_an_echo_in_html_is_still_an_echo():
    original = "<div>My <i>root canal</i> was painful &amp; slow</div>"
    assert as_plain("<p>Sorry your root canal was painful</p>", original) == [
        (ECHOES_REVIEWER, "root canal was painful")
    ]


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("", id="empty"),
        pytest.param("   \n\t ", id="blank"),
        pytest.param("🙏❤️😊" * 1500, id="only-emoji"),
        pytest.param("<" * 5000, id="unclosed-markup"),
        pytest.param("<script>" * 600, id="unclosed-scripts"),
        pytest.param("you your " * 600, id="only-second-person"),
        pytest.param("إلى اللقاء " * 450, id="arabic"),
    ],
)
def test_hostile_safe_text_finds_nothing(text):
    review = "My root canal was painful and nobody called me back."
    assert check_reply(text, original=review, reviewer_name="Maria Lopez") == []
    assert check_reply(SAFE_REVIEW_REPLY, original=text, reviewer_name=text[:40]) == []


def test_random_text_never_crashes():
    alphabet = "abc xyz ABC 0123 .,;!?'\"<>/&#$%\n\u202e\u200b\u05d0\u0627😀é-:" + "your crown "
    generator = random.Random(20260501)
    for _ in range(25):
        text = "".join(generator.choice(alphabet) for _ in range(5000))
        found = check_reply(text, original=text[::-1], reviewer_name=text[:30])
        assert all(isinstance(f, ReplyFinding) and f.rule in MESSAGES for f in found)
