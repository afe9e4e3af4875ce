"""The cues behind abstaining: a question's names and the kind of answer it asks for."""

from __future__ import annotations

import pytest

from qa_bot.answering.question_type import (
    asked_speaker,
    compared,
    defined_name,
    expected_kind,
    has_kind,
    mentions,
    missing_names,
    missing_numbers,
    names,
    question_names,
    topic_request,
)

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("question", "names"),
    [
        ("What did Kamala Harris say about Putin?", ["Kamala", "Harris", "Putin"]),
        ("What did NATO's secretary general say?", ["NATO"]),
        # A capitalised first word is not a name unless written in capitals.
        ("Once the Donbas is taken, what next?", ["Donbas"]),
        ("Apart from Ukraine, what worries the Kremlin?", ["Ukraine", "Kremlin"]),
        ("EU sanctions: what comes next?", ["EU"]),
        ("why is moscow wary of trump?", []),
        ("", []),
    ],
)
def test_question_names(question: str, names: list[str]) -> None:
    assert question_names(question) == names


def test_missing_numbers_reads_digits_thousands_and_small_numbers_in_words() -> None:
    said = ["On October 20th, 1973 the ministers met.", "Prices rose fivefold to $5.11."]
    assert missing_numbers("What happened on October 20, 1973?", said) == []
    assert missing_numbers("What happened on October 21, 1973?", said) == ["21"]
    assert missing_numbers("What happened in 1979?", said) == ["1979"]
    assert missing_numbers("Why did prices rise 5 times?", said) == []
    assert missing_numbers("Why did oil cost $5.11?", said) == []
    assert missing_numbers("Who did 1,000 people vote for?", ["1000 people voted"]) == []
    # A number is a whole number: 1973 is not in 19730, nor 20 in 1920.
    assert missing_numbers("What about 1973?", ["item 19730"]) == ["1973"]
    assert missing_numbers("Who won in 20 days?", ["in 1920"]) == ["20"]
    assert missing_numbers("Who won the open?", ["in 1920"]) == []


def test_missing_names_matches_words_plurals_and_other_names_of_a_country() -> None:
    texts = ["The UK development minister resigned.", "Russians hope for a deal with Trump."]
    assert missing_names("Which British minister resigned?", texts) == []
    assert missing_names("What do Russian officials hope?", texts) == []
    assert missing_names("What did NATO say about Trump?", texts) == ["NATO"]
    assert missing_names("What did Canadian officials say?", texts) == ["Canadian"]
    # Case does not matter, but a name inside another word does not count.
    assert missing_names("What did TRUMP say?", ["trump said"]) == []
    assert missing_names("What did Ed say?", ["Edward said"]) == []


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("How many soldiers has Ukraine lost?", "number"),
        ("How much oil does Russia export to India?", "number"),
        ("How much are the reserves worth in dollars?", "number"),
        ("What share of exports goes to China?", "number"),
        ("Which number president is Trump?", "number"),
        ("On what date is the summit?", "date"),
        ("In what year did the sanctions start?", "date"),
        ("Which day did Putin speak?", "date"),
        ("How long has he been with the Crisis Group?", "duration"),
        ("How long had the war been going on when Trump won?", "duration"),
        ("When did Putin congratulate Trump?", "time"),
        ("When exactly did he resign?", "time"),
        # a when-clause before the real question
        ("When the embargo ended, what did Japan do?", None),
        # Degree and manner, not quantities; "who" is too loose to check.
        ("How much does Moscow trust Trump?", None),
        ("How high are Russian expectations of Trump?", None),
        ("Who is the real audience for the flattery?", None),
        ("Why is Moscow wary of Trump?", None),
    ],
)
def test_expected_kind(question: str, kind: str | None) -> None:
    assert expected_kind(question) == kind


def test_has_kind_needs_something_the_question_does_not_already_say() -> None:
    question = "How many billions of dollars has Washington given Kyiv since 2022?"
    assert not has_kind("Second, Trump opposed aid to Kiev since 2022.", "number", question)
    assert has_kind("Washington has given Kyiv $61 billion since 2022.", "number", question)
    assert has_kind("It gave two packages.", "number", "How many packages?")
    assert not has_kind("It gave packages.", "number", "How many packages?")
    assert has_kind("The summit is on 12 March.", "date", "On what date is the summit?")
    assert has_kind("They met in 2017.", "date", "In what year did they meet?")
    assert has_kind("It is planned for next month.", "date", "On what date is it?")
    assert not has_kind("It is planned in Helsinki.", "date", "On what date is it?")
    long = "How long has he been with the group?"
    assert has_kind("He joined three years ago.", "duration", long)
    assert has_kind("He has worked there since the invasion.", "duration", long)
    assert has_kind("He has led it since 2019.", "duration", long)
    assert not has_kind("He is a senior analyst at the group.", "duration", long)
    when = "When did Ignatov resign?"
    assert has_kind("Putin congratulated Trump on Thursday.", "time", when)
    assert has_kind("Hervé served in the 1050s.", "time", when)
    assert has_kind("The Duchy began in 911 as a fiefdom.", "time", when)
    assert has_kind("In the 10th and 11th centuries they settled.", "time", when)
    assert has_kind("He resigned two years ago.", "time", when)
    assert has_kind("He resigned after the invasion.", "time", when)
    assert not has_kind("His resignation received wide coverage.", "time", when)
    spend = "When did it spend 100 billion?"
    assert not has_kind("It spent over 100 billion dollars.", "time", spend)


@pytest.mark.parametrize(
    ("question", "speaker"),
    [
        ("What did Kamala Harris say about the debate?", "Harris"),
        ("How does Putin really view the sanctions?", "Putin"),
        ("Why does Ignatov think talks will be hard?", "Ignatov"),
        ("What was Mark Galeotti's take on the summit?", "Galeotti"),
        ("What was RIA Novosti's verdict on the debate?", "Novosti"),
        # not a named person's words or view
        ("What do Russian officials think of Trump?", None),
        ("What did the Normans call their land?", None),
        ("What did Putin sign in 2017?", None),
        ("Why is Moscow wary of Trump?", None),
    ],
)
def test_asked_speaker(question: str, speaker: str | None) -> None:
    assert asked_speaker(question) == speaker


def test_names_matches_a_name_as_the_question_check_does() -> None:
    assert names(["Markov says the war will go on."], "Markov")
    assert names(["British ministers met."], "UK")  # another name of the country
    assert not names(["Markovic said so."], "Mark Galeotti")
    assert not names(["Sergei Markov said so."], "Ignatov")


@pytest.mark.parametrize(
    ("question", "topic"),
    [
        ("What do the articles say about China?", "China"),
        ("Tell me about the sanctions", "the sanctions"),
        ("Tell me more about Markov.", "Markov"),
        ("Anything in the articles about India?", "India"),
        ("What does the article say on the war in Ukraine?", "the war in Ukraine"),
        ("What is said about NATO?", "NATO"),
        ("What do the articles say about Trump? (Kremlin, Moscow)", "Trump"),  # a follow-up
        ("Tell me more about it", None),
        # A clause or a phrase that points back asks a question of the conversation's subject:
        ("Tell me more about what that means for staff.", None),
        ("Tell me more about how she's handling the crisis.", None),
        ("Tell me more about his finances.", None),
        ("Tell me more about that programme.", None),
        ("Tell me more about the flood defences.", "the flood defences"),
        ("What happened in the Oval Office?", "Oval Office"),
        ("what happened at the Valdai Club", "Valdai Club"),
        ("What happened to Ignatov?", None),  # an event in his life, not what is said of him
        ("What happened in 1973-1974?", None),  # a name is asked about, not a time
        ("What happened to prices when the US abandoned oil?", None),  # a question of its own
        # Questions a sentence answers, not requests for what the articles say:
        ("What did Putin say about Trump?", None),
        ("Tell me what Putin wants", None),
        ("What do Russians think about China?", None),
    ],
)
def test_topic_request(question: str, topic: str | None) -> None:
    assert topic_request(question) == topic


def test_mentions_needs_every_word_of_the_topic() -> None:
    assert mentions("It pushed the Kremlin toward China.", "China")
    assert mentions("Chinese banks were cautious.", "China")
    assert mentions("Sanction relief is hoped for.", "the sanctions")
    assert mentions("The war in Ukraine goes on.", "the war in Ukraine")
    assert not mentions("Ukraine held elections.", "the war in Ukraine")
    assert not mentions("Machinery was imported.", "China")


def test_mentions_reads_a_topic_in_either_form_of_an_abbreviation() -> None:
    assert mentions("A new era for the U.S. and its allies.", "the United States")
    assert mentions("The PM resigned on Friday.", "the prime minister")
    assert mentions("The prime minister resigned on Friday.", "the PM")
    assert not mentions("The minister resigned on Friday.", "the prime minister")


@pytest.mark.parametrize(
    ("question", "name"),
    [
        ("Who is Dmitry Suslov?", "Dmitry Suslov"),
        ("What is the Institute for Political Studies?", "Institute for Political Studies"),
        ("who was Markov", "Markov"),
        ("Who is Oleg Ignatov? (Trump)", "Oleg Ignatov"),
        ("Who is the current prime minister of the United Kingdom?", None),
        ("What is France a region of?", None),
        ("Who is the audience for the flattery?", None),
    ],
)
def test_defined_name(question: str, name: str | None) -> None:
    assert defined_name(question) == name


@pytest.mark.parametrize(
    ("question", "pair"),
    [
        ("Compare the views of Markov and Suslov", ("Markov", "Suslov", "")),
        ("How do Markov and Suslov differ on Ukraine?", ("Markov", "Suslov", "Ukraine")),
        (
            "What do Sergei Markov and Dmitry Suslov say about China?",
            ("Sergei Markov", "Dmitry Suslov", "China"),
        ),
        ("Markov vs Suslov on sanctions", ("Markov", "Suslov", "sanctions")),
        ("What did Putin and Trump say about each other?", ("Putin", "Trump", "each other")),
        ("Why is Moscow wary of Trump?", None),
        ("Compare the articles", None),
    ],
)
def test_compared(question: str, pair: tuple[str, str, str] | None) -> None:
    assert compared(question) == pair
