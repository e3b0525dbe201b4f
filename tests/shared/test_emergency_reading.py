"""How collegebot.emergency reads a message: hyperbole stays calm, a real sign still counts, a
third party's emergency is caught, and meaning weighs several neighbours, not one."""

import pytest

from collegebot import emergency
from collegebot.emergency import closeness, screen, semantic_kind

THINGS = ("this assignment", "the lab viva", "this semester", "my back")
SCORES = ("my grades", "my cgpa", "my results")
DEVICES = ("my laptop", "my phone", "the charger")


def between_the_bars() -> tuple[float, float]:
    """(closeness to a kind, to calm) that clears the plain bar but not a question's: a question
    needs more similarity (ASKING_NEEDS), a wider margin over calm (ASKING_MARGIN), or both."""
    assert (emergency.ASKING_NEEDS, emergency.ASKING_MARGIN) > (
        emergency.SIMILAR_AT_LEAST,
        emergency.CLOSER_THAN_CALM_BY,
    ) and emergency.ASKING_NEEDS >= emergency.SIMILAR_AT_LEAST
    if emergency.ASKING_NEEDS > emergency.SIMILAR_AT_LEAST:
        return (emergency.SIMILAR_AT_LEAST + emergency.ASKING_NEEDS) / 2, 0.0
    near = emergency.ASKING_NEEDS + 0.05
    return near, near - (emergency.CLOSER_THAN_CALM_BY + emergency.ASKING_MARGIN) / 2


@pytest.mark.parametrize("score", SCORES)
def test_scores_on_fire_are_good_news(score: str) -> None:
    assert screen(f"{score} are on fire this sem") == ""


@pytest.mark.parametrize("device", DEVICES)
def test_a_thing_on_fire_is_a_fire_not_an_idiom(device: str) -> None:
    assert screen(f"{device} is on fire") == "safety"


@pytest.mark.parametrize("thing", THINGS)
def test_a_bad_day_beside_a_weak_word_stays_calm_only_when_it_is_the_idiom(thing: str) -> None:
    # "hurt" alone is a cry; the idiom around it is blanked, not the rest of the message
    assert screen(f"{thing} is killing me") == ""
    assert screen(f"{thing} is killing me and i am hurt") == "medical"


@pytest.mark.parametrize("thing", THINGS)
def test_a_real_sign_beside_an_idiom_still_counts(thing: str) -> None:
    assert screen(f"{thing} is killing me but my roommate is not breathing") == "medical"


@pytest.mark.parametrize("who", ("my roommate", "a guy in my wing", "the girl next door"))
def test_a_third_partys_signs_are_caught(who: str) -> None:
    assert screen(f"{who} passed out in the corridor") == "medical"
    assert screen(f"{who} has a cut and the bleeding won't stop") == "medical"
    assert screen(f"a stranger is banging on the door, {who} is alone inside") == "safety"


@pytest.mark.parametrize("favour", ("spend the weekend with him", "meet him alone"))
def test_a_favour_for_a_signature_is_harassment(favour: str) -> None:
    assert screen(f"my guide won't sign my form unless i {favour}") == "harassment"


def test_a_joke_emoji_makes_a_medical_word_hyperbole_but_never_self_harm() -> None:
    assert screen("the viva was brutal, still bleeding 💀") == ""
    assert screen("i want to kill myself 💀") == "self_harm"


def test_meaning_takes_no_past_event_or_joke_for_an_emergency_now_except_self_harm() -> None:
    strong = {"safety": 0.9, "self_harm": 0.1}
    assert semantic_kind(strong, 0.1, "smoke near the canteen")[0] == "safety"
    assert semantic_kind(strong, 0.1, "smoke near the canteen last monsoon")[0] == ""
    assert semantic_kind(strong, 0.1, "smoke near the canteen lol")[0] == ""
    assert semantic_kind({"self_harm": 0.9}, 0.1, "i wont be here tomorrow lol")[0] == "self_harm"


def test_a_question_about_a_procedure_must_be_closer_to_read_as_an_emergency() -> None:
    between, calm = between_the_bars()
    assert semantic_kind({"safety": between}, calm, "smoke in the lab")[0] == "safety"
    assert semantic_kind({"safety": between}, calm, "what is the procedure for smoke")[0] == ""


def test_a_message_of_a_few_words_must_be_as_close_as_a_question_is() -> None:
    # A place and a thing ("canteen menu") is near an emergency at that place; an event is not.
    between, calm = between_the_bars()
    assert semantic_kind({"safety": between}, calm, "smoke in the lab")[0] == "safety"
    assert semantic_kind({"safety": between}, calm, "canteen menu")[0] == ""
    close = emergency.ASKING_NEEDS + emergency.ASKING_MARGIN + 0.05
    assert semantic_kind({"medical": close}, 0.0, "hes not breathing")[0] == "medical"


def test_nearer_to_calm_than_to_any_emergency_is_calm() -> None:
    assert semantic_kind({"medical": 0.8}, 0.8, "my friend is not well")[0] == ""


def test_one_lucky_neighbour_weighs_less_than_several_close_ones() -> None:
    if emergency.NEAREST < 2:
        pytest.skip("meaning reads one neighbour only")
    near, _ = closeness([0.9, 0.1, 0.1, 0.6, 0.6, 0.6], ["a", "a", "a", "b", "b", "b"], [0.2, 0.1])
    assert near["b"] > near["a"]
    assert max(near.values()) < 0.9


def test_a_cry_in_one_sentence_is_not_drowned_by_a_question_in_another() -> None:
    message = (
        "when is the next counselling slot? i keep standing at the edge of the terrace at night"
    )
    assert emergency.readings(message)[1:] == [
        "when is the next counselling slot?",
        "i keep standing at the edge of the terrace at night",
    ]
    assert screen(message) == "self_harm"
    assert emergency.readings("my friend is not breathing") == ["my friend is not breathing"]


def test_one_sentence_of_several_must_be_as_close_as_a_question_is() -> None:
    between, calm = between_the_bars()
    whole = "the poster near the stairs got torn"
    assert semantic_kind({"safety": between}, calm, whole, whole)[0] == "safety"
    context = f"is the gym open today? {whole}"
    assert semantic_kind({"safety": between}, calm, whole, context)[0] == ""


@pytest.mark.parametrize("topic", ("suicide", "ragging", "fire accidents"))
def test_a_topic_studied_or_staged_is_not_an_emergency_unless_a_risk_to_oneself_is_named(
    topic: str,
) -> None:
    assert screen(f"for my psychology assignment i need data on {topic} in colleges") == ""
    assert screen(f"can we book the auditorium for a street play on {topic}") == ""
    assert screen(f"i need data on {topic} for my project but honestly i want to kill myself") == (
        "self_harm"
    )


def test_a_question_about_a_case_is_not_one_but_a_threats_condition_is() -> None:
    assert screen("which number do we call if there's a fire in the hostel?") == ""
    assert screen("there's a fire in the hostel") == "safety"
    assert screen("he said he'll fail me if i complain to anyone") == "harassment"


def test_an_event_over_or_never_serious_is_calm_but_the_rules_never_take_past_self_harm_so() -> (
    None
):
    assert screen("my friend fainted in the lab but she's fine now, can she get attendance?") == ""
    assert screen("small cut while cooking, already stopped, where is a bandaid?") == ""
    assert screen("i cut myself last week and i want to do it again") == "self_harm"
    # by meaning, a past or resolved event is not an emergency now, whatever kind it resembles
    assert (
        semantic_kind({"self_harm": 0.9}, 0.1, "cut my finger, small cut, already stopped")[0] == ""
    )


@pytest.mark.parametrize(
    "message",
    (
        "after passing out can i get my degree certificate by post",
        "how do i kill a process on linux",
        # games, sports and films; a surprise; a plan that fell through; hyperbole; a study topic
        "we died three times on the same level last night",
        "our opener was on fire, 80 runs off 40 balls",
        "that series has so much gore, not for the faint hearted",
        "got such a shock when i saw my sgpa",
        "our trip plans collapsed because of the rain",
        "i'm so dead if the warden sees my room",
        "i will die if i miss the concert on friday",
        "which elective fits me best for data science",
        "revising for tomorrow's toxicology exam, what is the lethal dose of aspirin",
        "mosquitoes attacked us all night in block c, can the fogging be done",
        "reading a novel where the hero gets kidnapped, is the sequel in the library?",
        "my avatar died again in the raid",
        "we learned about overdose in pharmacology, is the quiz graded?",
        "lost my id card, basically missing since tuesday",
    ),
)
def test_campus_english_that_uses_an_emergencys_words_is_calm(message: str) -> None:
    assert screen(message) == ""


@pytest.mark.parametrize(
    ("message", "kind"),
    (
        ("my roommate is having fits and is not answering", "medical"),
        ("fits aa rahe hai usko, jaldi koi aao", "medical"),
        ("got a shock when i touched the cooler, my hand is numb", "safety"),
        ("a live wire is hanging over the cycle stand", "safety"),
        ("the switchboard in our room is sparking", "safety"),
        ("senior roz mera peecha karta hai library se hostel tak", "harassment"),
        ("if a student dies does the family get the insurance, so that my parents get something",
         "self_harm"),
        ("our batting collapsed but the umpire collapsed too, he is not moving", "medical"),
        ("on the terrace of block c, i can't take this anymore", "self_harm"),
        ("main chhat se kood jaunga aaj", "self_harm"),
        ("he knows my room number and my timetable and waits outside", "harassment"),
        # a topic's frame never hides a risk to someone the student names
        ("someone in my class is talking about killing himself", "self_harm"),
    ),
)  # fmt: skip
def test_the_same_words_in_a_real_emergency_still_count(message: str, kind: str) -> None:
    assert screen(message) == kind


def test_signs_and_threats_beyond_the_words_that_name_an_emergency() -> None:
    assert screen("the kitchen in our pg caught fire") == "safety"
    assert screen("koi ladka mera peecha kar raha hai") == "harassment"
    assert screen("a senior is threatening to send my photos to my family") == "harassment"
    assert screen("my roommate passed out in the corridor") == "medical"


SHORT_CALM = (
    "canteen menu?",
    "mess timings?",
    "exam schedule?",
    "bus pass renewal?",
    "library fine kitna hai",
    "hostel wifi password?",
    "sports day date?",
    "shukriya",
)


def test_short_campus_questions_do_not_read_as_emergencies_by_meaning(sense_kb) -> None:
    # MiniLM finds a short question near anything: "canteen menu?" once read as a fire
    readings = sense_kb.emergencies(list(SHORT_CALM))
    assert [kind for kind, _ in readings] == [""] * len(SHORT_CALM), readings


def test_signs_and_a_cry_after_a_question_read_as_emergencies_by_meaning(sense_kb) -> None:
    messages = [
        "my roommate won't wake up and his lips look blue",
        "thick smoke is pouring out of the chemistry lab",
        "is the library open late today? i have decided tonight is my last night",
    ]
    kinds = [kind for kind, _ in sense_kb.emergencies(messages)]
    assert kinds == ["medical", "safety", "self_harm"]


def test_texting_short_forms_and_a_typo_of_a_sign_word_are_read_as_meant() -> None:
    assert emergency.normalise("pls sumone come, my frnd is unconcious") == (
        " please someone come my friend is unconscious "
    )
    assert screen("pls sumone come, my frnd is unconcious") == "medical"
    assert screen("sombody is folowing me frm the hostel gate") == "safety"
    # an English word one edit from a sign word is left as it is
    assert emergency.normalise("stop talking me into it") == " stop talking me into it "
    assert screen("the car keeps stalling me out on the hill") == ""


def test_the_english_words_kept_from_respelling_are_those_of_the_current_sign_words() -> None:
    """collegebot/english_near_sign_words.txt, written by scripts/sign_word_neighbours.py from
    the whole English list: a sign word added without re-running it would respell real words."""
    from scripts.sign_word_neighbours import TARGET, neighbours

    assert TARGET.read_text().split() == neighbours()


@pytest.mark.parametrize(
    "cry", ("bachao", "bachaooo", "help help", "someone please help", "help pls", "please help")
)
def test_a_cry_for_help_in_a_word_or_two_is_an_emergency(cry: str) -> None:
    assert screen(cry) == "safety"


@pytest.mark.parametrize("command", ("help", "Help", "HELP!", " help "))
def test_help_alone_is_the_menu_not_a_cry(command: str) -> None:
    assert screen(command) == ""


@pytest.mark.parametrize(
    "question", ("someone help me with the fee form", "help me find the library")
)
def test_asking_for_help_with_a_task_is_not_a_cry(question: str) -> None:
    assert screen(question) == ""


# (message, the kind the rules read in it): each pair of a sign and the calm message nearest it
RULES_READ = (
    # the body or a track as the means
    ("been scratching my arms with a blade every night", "self_harm"),
    ("i am lying near the railway line, waiting", "self_harm"),
    ("where is the railway station from the college", ""),
    # Hinglish farewells, feeling a burden, pills named in Hinglish
    ("ghar wale mere bina khush rahenge", "self_harm"),
    ("agar main na rahu toh kisi ko kya", "self_harm"),
    ("meri neend ki goli khatam ho gayi, nayi kahan milegi", "self_harm"),
    ("mujhe mat dhundhna", "self_harm"),
    # filming girls; a threat if the student complains, in either order
    ("the lab attendant records girls in the changing room", "harassment"),
    ("the photography club films the students at the annual fest", ""),
    ("my guide says he will ruin my career if i ever report him", "harassment"),
    # lost and unreachable; blood that spurts or soaks through
    ("my cousin is lost in the forest near the campus and is not replying", "safety"),
    ("deep wound on his leg, blood soaking through the towel", "medical"),
    # slang fire, a fire
    ("the dj set was fire", ""),
    ("her new song is so fire", ""),
    ("there is fire in the lab", "safety"),
    ("the canteen is on fire", "safety"),
    # teased, a battery, the heat; a poison eaten is never an idiom
    ("the seniors roasted my outfit", ""),
    ("my laptop battery is bleeding out, is there a charging point", ""),
    ("garmi se mar jaunga yaar", ""),
    ("zeher kha ke mar jaunga", "self_harm"),
    # a permission or what-happens question is about a rule
    ("are we allowed to keep a knife for cooking in the hostel", ""),
    ("what happens if someone sets off the fire alarm by accident", ""),
    ("a guy with a knife is in the hostel", "safety"),
    # an event long past and seen to, in English and Hinglish
    ("the lift got stuck once in first year, did maintenance fix it?", ""),
    ("freshers me senior ne mazaak kiya tha, ab hum dost hai", ""),
)


# A risk to someone else said as the student would say it of themselves, and the wish not to wake
# up: self-harm. Idiom families that use an emergency's words: calm.
THIRD_PERSON_AND_IDIOMS = (
    ("my roommate keeps saying she will kill herself tonight", "self_harm"),
    ("he texted that he is going to hang himself", "self_harm"),
    ("my cousin tried to end his life yesterday and is threatening again", "self_harm"),
    ("they said they would take their own life", "self_harm"),
    ("i pray i never wake up again", "self_harm"),
    ("wish i could sleep and not wake up", "self_harm"),
    ("my alarm is broken, hope i don't oversleep and miss the viva", ""),
    ("can you fire up the projector before the talk", ""),
    ("i'll fire off a mail to the hod about the timetable", ""),
    ("the hostel dal is literally poison", ""),
    ("canteen coffee is pure poison", ""),
    ("my friend drank something poisonous and is vomiting", "medical"),
    # signs the rules did not know: a seizure by its shaking, pain and vomiting that go on, a
    # stranger at the lock, a building giving way, being followed
    ("a guy in my class is shaking on the floor", "medical"),
    ("my roommate is twitching uncontrollably", "medical"),
    ("unbearable pain in my stomach and i cant stop vomiting", "medical"),
    ("the baby in the lab video kept shaking the rattle", ""),
    ("somebody is rattling our door handle at 3am", "safety"),
    ("the roof of the old lab is sagging and bits are falling", "safety"),
    ("im being followed by a car since the metro", "safety"),
    ("i am being followed on instagram by my seniors", ""),
    ("thers a fyre in the mess", "safety"),
)


@pytest.mark.parametrize(("message", "kind"), RULES_READ + THIRD_PERSON_AND_IDIOMS)
def test_signs_means_and_idioms_read_by_the_rules(message: str, kind: str) -> None:
    assert screen(message) == kind


def test_a_mostly_hinglish_message_needs_a_margin_over_calm() -> None:
    assert emergency.hinglish_share("library ki kitab kho gayi aaj") > emergency.HINGLISH_SHARE
    assert emergency.hinglish_share("the library is closed") == 0.0
    if emergency.HINGLISH_MARGIN <= emergency.CLOSER_THAN_CALM_BY:
        pytest.skip("every message needs the Hinglish margin over calm already")
    near = emergency.SIMILAR_AT_LEAST + 0.1
    little = (emergency.CLOSER_THAN_CALM_BY + emergency.HINGLISH_MARGIN) / 2
    assert semantic_kind({"medical": near}, near - little, "the library is closed today")[0] == (
        "medical"
    )
    assert semantic_kind({"medical": near}, near - little, "library ki kitab kho gayi aaj")[0] == ""
    more = emergency.HINGLISH_MARGIN * 2
    assert semantic_kind({"medical": near}, near - more, "library ki kitab kho gayi aaj")[0] == (
        "medical"
    )


def test_meaning_reads_a_message_with_its_idioms_blanked() -> None:
    assert emergency.without_idioms("bro that presentation was FIRE") == "bro that presentation"
    assert emergency.without_idioms("the canteen is on fire") == "the canteen is on fire"
    # nothing but an idiom: read as written
    assert emergency.without_idioms("killing it") == "killing it"


def test_what_is_left_of_an_idiom_is_a_few_words_and_needs_a_questions_bar() -> None:
    between, calm = between_the_bars()
    assert semantic_kind({"self_harm": between}, calm, "the mess food will kill me one day")[0] == (
        "self_harm"
    )
    assert semantic_kind({"self_harm": between}, calm, "garmi se mar jaunga ek din yaar")[0] == ""


def test_slang_and_hinglish_campus_questions_do_not_read_as_emergencies_by_meaning(
    sense_kb,
) -> None:
    calm = ["bro the new cafe menu is fire", "exam form kab tak bharna hai"]
    assert [kind for kind, _ in sense_kb.emergencies(calm)] == ["", ""]


@pytest.mark.parametrize(
    "message",
    (
        "im gonna murder this exam tomorrow",
        "we're going to kill it at the fest",
        "i would kill for a samosa right now",
        "i could die for that biryani",
        "this chem assignment is murdering me",
        "these lab records are destroying me",
    ),
)
def test_an_idiom_is_blanked_with_its_auxiliary_for_meaning(message: str) -> None:
    # what is left is not "im gonna tomorrow" or "i would right now", which meaning reads as a
    # plan
    left = set(emergency.without_idioms(message).split())
    assert not {"gonna", "going", "would", "could", "kill", "die", "murdering", "destroying"} & left


# Someone going under in water, a threat to kill someone else said as a plan, a farewell sent
# through someone else; and a fright, being buried in work, playing well: calm.
DROWNING_THREATS_FAREWELLS = (
    ("a boy is drowning in the lake behind the hostel", "safety"),
    ("ek ladka nadi me doob gaya", "safety"),
    ("im drowning in backlogs this sem", ""),
    ("i will stab that warden tonight", "safety"),
    ("gonna shoot him, i already got the gun", "safety"),
    ("main usko khatam kar dunga", "safety"),
    ("my parents are going to kill me for this grade", ""),
    ("please tell my dad i love him", "self_harm"),
    ("maa ko bolna main sorry hu", "self_harm"),
    ("tell my mom the hostel fee receipt is in my bag", ""),
    ("you almost gave me a heart attack with that prank", ""),
    ("she was on fire in the debate final", ""),
    ("the bowler was on fire during the nets", ""),
    ("the store room is on fire", "safety"),
    ("my friend is having a heart attack", "medical"),
)


@pytest.mark.parametrize(("message", "kind"), DROWNING_THREATS_FAREWELLS)
def test_drowning_threats_to_others_and_farewells_read_by_the_rules(
    message: str, kind: str
) -> None:
    assert screen(message) == kind


def test_a_kind_read_by_meaning_is_one_the_replies_answer():
    # The held-out sets label emergencies finely ("overdose", "gas"); the helplines a reply
    # lists are chosen for the four KINDS, so an overdose read by meaning must get the
    # mental-health numbers, not campus security's.
    kind, _ = emergency.semantic_kind({"overdose": 0.9, "gas": 0.2}, 0.1, "took all my pills")
    assert kind == "self_harm"
    assert emergency.semantic_kind({"gas": 0.9}, 0.1, "strong smell in the corridor")[0] == "safety"
    assert {emergency.reply_kind(k) for k in emergency.examples()[1]} == set(emergency.KINDS)


@pytest.mark.parametrize(
    "message",
    [
        "maine sabko bye bol diya hai, ab bas",
        "koi meri fikar nahi karega ab, sab theek ho jayega",
        "nobody will have to worry about me after this week",
        "he gave me his guitar and books and said he won't need them anymore",
        "papa mujhe roz peet te hai, aaj bhi ghar jaana hai",
        "usne mera gala dabane ki koshish ki",
        "sir bole agar shikayat ki toh internals me fail kar dunga",
        "guard raat ko bina knock kiye kamre me aata hai",
        # crises told as questions or asides
        "how do i stop it bleeding, cut too deep on my arm tonight",
        "i swallowed all the tablets in the strip, when does the clinic open",
        "ab main kisi par bojh nahi banungi",
        "i won't be a burden to my family much longer",
        "landlord ne mujhe dhakka diya aur gate band kar diya",
        "sir ne bola attendance kaat dunga agar unki baat nahi maani",
        "he said he'd make sure i fail the viva if i report him",
        "someone keeps calling me from different numbers at 2am",
    ],
)
def test_farewells_violence_threats_and_asides_are_read_by_the_rules(message: str) -> None:
    assert screen(message), message


@pytest.mark.parametrize(
    "message",
    [
        "sabko bye bol ke ghar ja rahi hoon, hostel ki chabi kahan jama karu",
        "agar complaint ki toh kitne din me action hoga?",
        "the film club is showing a movie with a long fight scene, is it free?",
        "canteen ki chai jaise zeher hai, koi aur option?",
        "we have to make a poster on fire safety for the nss camp",
        "my friend pushed me to join the coding club",
        "result dekh ke mujhe dhakka laga yaar",
        "i went too deep into the topic in my ppt, is 20 slides ok",
        "raat ko ghar call karti hu, hostel wifi kab theek hoga",
        "my roommate had a fever last week but she's totally fine now",
    ],
)
def test_their_calm_neighbours_are_not(message: str) -> None:
    assert not screen(message), message
