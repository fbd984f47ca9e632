"""Who said it: each rule of the sieve on real-style news sentences, the seed article, evidence
spans that slice to the mention, and the PolNeAR evaluation command."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from assistant.attribution import (
    attribute,
    find_quotations,
    find_speaker,
    short_name,
    sides_of,
    speakers,
)
from assistant.eval_attribution import predict, write_predictions
from assistant.sources import read_text
from assistant.text import split_sentences
from tests.conftest import BENCH, ROOT, SEED


def attributed(text: str) -> list[tuple[str, str | None]]:
    spans = split_sentences(text)
    return [
        (text[s.start : s.end], a.speaker)
        for s, a in zip(spans, attribute(text, spans), strict=False)
    ]


@pytest.mark.parametrize(
    ("sentence", "speaker"),
    [
        # the cue after the quote, the speaker before or after the verb
        ('"We are done," said John Smith, the mayor.', "John Smith"),
        ('"We are done," Smith said.', "Smith"),
        ('"We will not yield," said Maria Lopez, the mayor of Springfield.', "Maria Lopez"),
        # according to, before and after the reported words
        ("According to the Pentagon, troops left the base.", "the Pentagon"),
        ("according to the ministry, the talks failed.", "the ministry"),
        # subjects behind adverbials, asides and relative clauses
        ("Last month, the FBI warned that the network was under attack.", "the FBI"),
        ("Clinton now says she regrets the decision.", "Clinton"),
        ("The minister, who spoke on Monday, said it was over.", "The minister"),
        ("The ministry, in a statement, denied the report.", "The ministry"),
        (
            "Brendan Buck, a spokesman for Ryan, told POLITICO that the speaker agreed.",
            "Brendan Buck",
        ),
        # the range of reporting verbs and nouns; organisations speak too
        ("Top Russian officials said the deal was off.", "Top Russian officials"),
        ("The senator tweeted that the vote was rigged.", "The senator"),
        ("In a statement, the ministry said the talks had failed.", "the ministry"),
        ("Johnson told reporters the bill would pass.", "Johnson"),
        ("The Pentagon said two soldiers were hurt.", "The Pentagon"),
        ('Trump called the plan "a disaster."', "Trump"),
        ('Kasich resisted: "Ohio governors do not have that power."', "Kasich"),
        ("DEA News reported that Kirby emphasized the US position.", "Kirby"),
        # a role keeps whose it is and its modifiers (was "minister", "chief", "board")
        ("Britain's prime minister said the deal was done.", "Britain's prime minister"),
        (
            "The EU's foreign policy chief said the union stands ready.",
            "The EU's foreign policy chief",
        ),
        ("The bank's board announced that rates would rise.", "The bank's board"),
        (
            "The company's chief executive told reporters that sales fell.",
            "The company's chief executive",
        ),
        # "think" in "think tank" is no reporting verb (was "the London")
        (
            "The wait is four years, according to the London think tank, UK in a Changing Europe.",
            "the London think tank",
        ),
        # an adverb between commas is no apposition (was "Politico", the one told)
        (
            "Hunter, meanwhile, told Politico on Wednesday that he is in favor of Trump.",
            "Hunter",
        ),
        ("Smith, for his part, said the bill was dead.", "Smith"),
        # documents and narrators speak; a second predicate keeps the main subject
        ('"The plaintiff was the only one reprimanded," the suit says.', "the suit"),
        ('"We need leaders to stand up," the narrator says.', "the narrator"),
        (
            "On ABC, Carson admitted that the course name was wrong, but said his campaign"
            " had found the article.",
            "Carson",
        ),
        ("Hillary Clinton needs to sell herself and tell more jokes.", None),
        ("“She didn’t like that,” said a 2008 Clinton veteran.", "a 2008 Clinton veteran"),
        # narration stays unattributed, however close to a cue it looks
        ("Until such signals emerge, negotiations are unlikely to move.", None),
        ("The implication was that Washington would consider dialogue if Russia signals it.", None),
        ("The weather was mild on Tuesday.", None),
        ("North Carolina is a key battleground in the United States.", None),
        ("Washington Post Assembles a Sizable Army of Reporters.", None),
        ("The questions began after an interview with Fox News.", None),
        ("Watch the full video of Beck's remarks below.", None),
    ],
)
def test_find_speaker(sentence: str, speaker: str | None) -> None:
    assert find_speaker(sentence) == speaker


def test_words_inside_quotation_marks_are_never_cues() -> None:
    text = '"I think we will win, I said so before," Trump said.'
    assert attributed(text) == [(text, "Trump")]


def test_a_quotation_carries_its_speaker_across_sentences_and_paragraphs() -> None:
    text = (
        'Lopez said: "The first part of it. Another sentence of hers.\n\n'
        '"And the second part."\n\nThe council met later.'
    )
    assert attributed(text) == [
        ('Lopez said: "The first part of it.', "Lopez"),
        ("Another sentence of hers.", "Lopez"),
        ('"And the second part."', "Lopez"),
        ("The council met later.", None),
    ]
    quotes = find_quotations(text)
    assert [text[q.start : q.end] for q in quotes][1] == '"And the second part."'
    assert len({q.chain for q in quotes}) == 1  # the open quote continues


def test_cue_after_a_multi_sentence_quote_and_pronoun_resolution() -> None:
    text = (
        'Maria Lopez, the mayor, spoke on Monday. "We are done. We will leave now," she said.'
        "\n\nThe city council met later."
    )
    got = attributed(text)
    assert got == [
        ("Maria Lopez, the mayor, spoke on Monday.", None),
        ('"We are done.', "Maria Lopez"),
        ('We will leave now," she said.', "Maria Lopez"),
        ("The city council met later.", None),
    ]


def test_a_cue_only_sentence_is_not_the_reported_words() -> None:
    text = '"The deal is dead." Trump said on Twitter. The markets rose.'
    got = dict(attributed(text))
    assert got['"The deal is dead."'] == "Trump"
    assert got["Trump said on Twitter."] is None  # the words are in the sentence before
    assert got["The markets rose."] is None


def test_seed_speakers_with_pronouns_and_roles_resolved() -> None:
    a = read_text(SEED.read_text(), str(SEED))
    spans = split_sentences(a.text)
    who = dict(
        zip([a.text[s.start : s.end][:30] for s in spans], speakers(a.text, spans), strict=True)
    )
    kirby = "White House Strategic Communications Coordinator John Kirby"
    assert who["At a recent briefing, White Ho"] == kirby
    assert who["Kirby indicated that for any c"] == kirby  # short mention -> full name
    assert who["In his view, the door to negot"] == kirby  # "his" resolved
    assert who["The spokesperson underscored t"] == kirby  # role resolved
    assert who["In a separate public message d"] == "the Kremlin leadership"
    assert who["Officials from the Russian sid"] == "Officials from the Russian side"
    assert who["Klimov suggested that Washingt"] == "Andrey Klimov"  # the fullest mention
    assert who["He argued that the current Ame"] == "Andrey Klimov"
    assert who["They stress that for genuine t"] == "Analysts"
    # the reporter's narration stays unattributed
    assert who["The updates were shared as par"] is None
    assert who["The current stance reflects a "] is None
    assert who["This framing highlights a mutu"] is None


def test_speaker_evidence_slices_to_the_mention_cue_and_antecedent() -> None:
    a = read_text(SEED.read_text(), str(SEED))
    spans = split_sentences(a.text)
    atts = attribute(a.text, spans)
    by_start = {a.text[s.start : s.end][:20]: at for s, at in zip(spans, atts, strict=True)}
    he = by_start["He argued that the c"].evidence()
    assert he is not None and he.mention and he.cue and he.antecedent
    assert a.text[he.mention.start : he.mention.end] == "He"
    assert a.text[he.cue.start : he.cue.end] == "argued"
    assert a.text[he.antecedent.start : he.antecedent.end] == "Andrey Klimov"
    kremlin = by_start["In a separate public"].evidence()
    assert kremlin is not None and kremlin.mention and kremlin.cue
    assert a.text[kremlin.mention.start : kremlin.mention.end] == "the Kremlin leadership"
    assert a.text[kremlin.cue.start : kremlin.cue.end] == "suggested"
    assert kremlin.antecedent is None
    assert by_start["The updates were sha"].evidence() is None


@pytest.mark.parametrize(
    ("phrase", "sides"),
    [
        ("the Kremlin leadership", {"russia"}),
        ("White House Strategic Communications Coordinator John Kirby", {"united states"}),
        ("Ukrainian President Volodymyr Zelensky", {"ukraine"}),
        ("Analysts", set()),
    ],
)
def test_sides(phrase: str, sides: set[str]) -> None:
    assert sides_of(phrase) == sides


FIXTURE = [
    {
        "id": "a1",
        "publisher": "fixture",
        "text": '"We are done," said John Smith. The weather was mild.',
        "attributions": [{"content": [[0, 14]], "source": "John Smith", "source_span": [20, 30]}],
    },
    {
        "id": "a2",
        "publisher": "fixture",
        "text": "Officials said the talks failed. He left.",
        "attributions": [{"content": [[15, 31]], "source": "Officials", "source_span": [0, 9]}],
    },
]


def test_predictions_cover_the_article_with_offsets_and_evidence(tmp_path: Path) -> None:
    data = tmp_path / "fixture.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in FIXTURE))
    out = tmp_path / "pred.jsonl"
    assert write_predictions(data, out) == 2
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r["id"] for r in rows] == ["a1", "a2"]
    first = rows[0]["sentences"]
    text = FIXTURE[0]["text"]
    assert isinstance(text, str)
    assert [text[s["start"] : s["end"]] for s in first] == [
        '"We are done," said John Smith.',
        "The weather was mild.",
    ]
    assert [s["speaker"] for s in first] == ["John Smith", None]
    ev = first[0]["speaker_evidence"]
    assert text[ev["mention"][0] : ev["mention"][1]] == "John Smith"
    assert text[ev["cue"][0] : ev["cue"][1]] == "said"
    assert predict("The weather was mild.")[0]["speaker_evidence"] is None


def eval_attribution(
    tmp_path: Path, rows: list[dict[str, object]], *extra: str
) -> subprocess.CompletedProcess[str]:
    """`assistant eval attribution` on ``rows`` written as a PolNeAR-format file."""
    data = tmp_path / "fixture.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in rows))
    args = ["eval", "attribution", "--data", str(data), "--predictions", str(tmp_path / "p.jsonl")]
    return subprocess.run(
        [sys.executable, "-m", "assistant.cli", *args, *extra],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def test_eval_attribution_command_runs_the_reference_scorer(tmp_path: Path) -> None:
    scorer = BENCH / "polnear" / "score.py"
    if not scorer.exists():
        pytest.skip("../shared/bench/polnear/score.py is not here (the benchmark data)")
    proc = eval_attribution(tmp_path, FIXTURE, "--scorer", str(scorer), "--json")
    assert proc.returncode == 0, proc.stderr
    m = json.loads(proc.stdout)
    assert m["articles"] == 2 and m["attributed_sentences"] == 2
    assert m["accuracy"] == 1.0 and m["false_attribution"] == 0.0


def test_eval_attribution_without_a_scorer_says_where_to_find_one(tmp_path: Path) -> None:
    proc = eval_attribution(tmp_path, FIXTURE[:1])
    assert proc.returncode != 0
    assert "no scorer at" in proc.stderr and "--scorer" in proc.stderr
    assert (tmp_path / "p.jsonl").exists()  # the predictions are written all the same


def _train_article(article_id: str) -> tuple[str, dict[str, str | None]]:
    path = BENCH / "polnear" / "train.jsonl"
    if not path.exists():
        pytest.skip("../shared/bench/polnear/train.jsonl is not here (the benchmark data)")
    for line in path.open(encoding="utf-8"):
        if article_id in line[:200]:
            row = json.loads(line)
            text = row["text"]
            return text, {s[:40]: who for s, who in attributed(text)}
    pytest.fail(f"{article_id} is not in train.jsonl")


def test_real_article_quote_spanning_sentences_and_pronoun() -> None:
    """A PolNeAR train article (read from the benchmark, not copied here)."""
    _, who = _train_article("breitbart_2015-11-19_hillary-clinton-calls-on-u-s-to-")
    clinton = "Hillary Clinton"
    opening = next(k for k in who if k.startswith("“This is a worldwide fight"))
    assert who[opening] == clinton  # '"...," Clinton said' with the full name
    for k in ("“One, defeat ISIS", "Two, disrupt and dismantle", "Three, harden our"):
        assert who[next(s for s in who if s.startswith(k))] == clinton  # inside the quote
    assert who[next(s for s in who if s.startswith("She also called for"))] == clinton
    trump = who[next(s for s in who if s.startswith("GOP frontrunner Donald Trump"))]
    assert trump is not None and trump.endswith("Donald Trump")
    narration = next(s for s in who if s.startswith("The United States began conducting"))
    assert who[narration] is None


# ---------------------------------------------------------------- the user review's errors
def test_a_role_then_a_name_between_commas_is_the_named_speaker() -> None:
    text = (
        'The mayor, Maria Gonzalez, said on Friday that the new bridge "will open in June." '
        "Critics disagreed."
    )
    assert attributed(text) == [
        (
            'The mayor, Maria Gonzalez, said on Friday that the new bridge "will open in June."',
            "Maria Gonzalez",
        ),
        ("Critics disagreed.", None),  # not hers, and not the cue of her quote either
    ]
    other = text.replace("Critics disagreed.", "The council met later.")
    assert [w for _, w in attributed(other)] == ["Maria Gonzalez", None]
    assert find_speaker("Her lawyer, Tom Reyes, previously told CNN the hearing was closed.") == (
        "Tom Reyes"
    )


def test_a_quote_starting_mid_sentence_takes_no_cue_from_the_next_sentence() -> None:
    text = 'Officials said the vote "was fair. It was clean." Others objected.'
    assert [w for _, w in attributed(text)] == ["Officials", "Officials", None]
    # a quote that opens its sentence still takes a short cue sentence after it
    text = '"The deal is dead." Trump said on Twitter.'
    assert attributed(text)[0][1] == "Trump"


@pytest.mark.parametrize(
    ("sentence", "speaker"),
    [
        # a noun/verb homograph before a relative "that" is a noun, not a report
        ("Member states that might be considered for membership will wait.", None),
        ("Reports that were published last week drew criticism.", None),
        # a participle after a document reports the document's writers, never its addressees
        (
            "More than 40 groups – including the NAACP and GLAAD – signed a letter to President"
            " Smith and Vice President Jane Doe calling for action.",
            "More than 40 groups",
        ),
        ("The union sent a letter to the governor urging a veto.", "The union"),
        # a cue set off by commas reports the clause before it, not the verb inside it
        (
            "Singer Jane Doe will testify at her trial on Monday, her lawyers said, as the defense"
            " argued the oil was medicinal.",
            "her lawyers",
        ),
        # particles are part of a name
        (
            "Commission President Ursula von der Leyen said the talks would go on.",
            "Commission President Ursula von der Leyen",
        ),
    ],
)
def test_review_rules_on_single_sentences(sentence: str, speaker: str | None) -> None:
    assert find_speaker(sentence) == speaker


def test_a_title_cut_at_of_is_not_part_of_the_full_name() -> None:
    text = (
        "Secretary of State Antony Blinken visited Kyiv. "
        '"We will not relent," Blinken said. "It is a priority," said von der Leyen, '
        "after Ursula von der Leyen arrived."
    )
    who = [w for _, w in attributed(text)]
    assert who[1] == "Antony Blinken"
    assert who[2] == "von der Leyen"


def test_a_quote_without_a_cue_continues_the_speaker_of_its_own_paragraph() -> None:
    text = (
        '"The path is long," Macron added.\n\n'
        "Prime Minister Denys Shmyhal expressed his gratitude. "
        '"Grateful for this decision!" he said via Twitter. '
        '"It will accelerate the process."'
    )
    who = dict(attributed(text))
    assert who['"It will accelerate the process."'] == "Prime Minister Denys Shmyhal"


def _rtqa_article(article_id: str) -> str:
    path = BENCH / "rtqa" / "corpus.jsonl.gz"
    if not path.exists():
        pytest.skip("../shared/bench/rtqa/corpus.jsonl.gz is not here (the benchmark data)")
    import gzip

    with gzip.open(path, "rt", encoding="utf-8") as f:
        for line in f:
            if article_id in line[:40]:
                return str(json.loads(line)["text"])
    pytest.fail(f"{article_id} is not in the RTQA corpus")


@pytest.mark.parametrize(
    ("article_id", "sentence_start", "speaker"),
    [
        # 2. "states" is not the verb of "Member states that might be considered"
        ("4b53832d06d5ba3e", "Member states that might", None),
        # 3. the signers wrote the letter; its addressees never speak
        ("c019fb9e4af93d78", "More than 40 organizations", "More than 40 organizations"),
        # 4. "..., her lawyers said, as ...": the lawyers, not Griner
        ("4bbe36132107df10", "(CNN) WNBA star Brittney Griner will testify", "her lawyers"),
        # 5. "Her lawyer, Alexander Boykov, previously told CNN ..."
        ("c019fb9e4af93d78", "Her lawyer, Alexander Boykov", "Alexander Boykov"),
        # 6. names not cut short
        ("3c70a22bd6feceb0", "“We will not relent", "Antony Blinken"),
        (
            "6108b20ec0058395",
            "Speaking in Brussels",
            "the European Commission's President Ursula von der Leyen",
        ),
        # 7. Shmyhal's tweet continues his own paragraph, not Macron's two paragraphs before
        ("6108b20ec0058395", '"It will accelerate', "Ukrainian Prime Minister Denys Shmyhal"),
    ],
)
def test_review_errors_on_the_real_articles(
    article_id: str, sentence_start: str, speaker: str | None
) -> None:
    """Real articles of the RTQA corpus (read from the benchmark, not copied here)."""
    text = _rtqa_article(article_id)
    got = [w for s, w in attributed(text) if s.startswith(sentence_start)]
    assert got == [speaker]


@pytest.mark.parametrize(
    ("speaker", "short"),
    [
        ("the European Commission's President Ursula von der Leyen", "Ursula von der Leyen"),
        ("White House National Security Council Coordinator John Kirby", "John Kirby"),
        ("Mayor Bill de Blasio", "Bill de Blasio"),
        ("the Kremlin", "the Kremlin"),
        ("Britain's prime minister", "Britain's prime minister"),
        ("The EU's foreign policy chief", "The EU's foreign policy chief"),
    ],
)
def test_short_name_keeps_the_whole_name_or_the_phrase(speaker: str, short: str) -> None:
    """A briefing's heading for a speaker: the name at the end with its particles (was
    "Ursula Leyen"), or the article's phrase when it ends in a role (was "The EU's")."""
    assert short_name(speaker) == short


@pytest.mark.parametrize(
    ("between", "pronoun", "speaker"),
    [
        # the name after a title ("Former Pennsylvania" was taken for the name)
        (
            "Former Pennsylvania governor Ed Rendell, one of Clinton's most vocal supporters,"
            " was even more resolute.",
            "he",
            "Ed Rendell",
        ),
        # a subject before an aside and a two-letter verb ("is") is named for "she"
        (
            "Dottie Deans, the chairwoman of the Vermont Democratic Party, is supporting"
            " Sanders as a superdelegate.",
            "she",
            "Dottie Deans",
        ),
    ],
)
def test_a_pronoun_takes_the_person_just_named(between: str, pronoun: str, speaker: str) -> None:
    text = (
        '"I just cannot get over that," said Jackson, the superdelegate from Maine.\n\n'
        f'{between}\n\n"Absolutely not, we will stay the course," {pronoun} said.'
    )
    spans = split_sentences(text)
    got = speakers(text, spans)
    assert got[0] == "Jackson" and got[1] is None and got[-1] == speaker


@pytest.mark.parametrize(
    ("sentence", "speaker"),
    [
        # a person's words quoted in a sentence about what the person does
        (
            'Bernie Sanders credited her victory to "a closed primary, something I am not all'
            ' that enthusiastic about."',
            "Bernie Sanders",
        ),
        (
            "Huma Abedin, vice chairwoman for the campaign, emailed supporters on Monday,"
            " telling them, “I am a proud Muslim and a proud American.”",
            "Huma Abedin",
        ),
        # a title or scare quotes are nobody's words
        ("Norbert Leo Butz stars in “Girls, Girls, Girls” at 54 Below from Aug. 5.", None),
        ("Hillary Clinton defeated Bernie Sanders in so-called “closed” primaries.", None),
        ('Keir Starmer scrapped the "two-child benefit cap" on Wednesday.', None),
        ('Rodrigo Duterte launched his so-called "war on drugs" in 2016.', None),
        # the words are another party's, named between the subject and the quote (review)
        (
            "Kamala Harris visited the border town, where a local sheriff warned that"
            ' "the situation is getting worse every day."',
            None,
        ),
        (
            "Rishi Sunak unveiled the plan in London, days after unions branded it"
            ' "an attack on working people everywhere."',
            None,
        ),
        (
            'Senator Jane Smith voted against the bill, which critics called "a giveaway to'
            ' the rich and powerful."',
            None,
        ),
        (
            'Donald Trump faces protesters who chanted "not my president, not ever" at the rally.',
            None,
        ),
        # a second predicate is its own clause's subject's (review: was "Putin")
        (
            "Putin invaded Ukraine in 2022, and the West responded with sanctions and warned"
            " of more.",
            "the West",
        ),
        # a paired dash aside is no clause break (review: was lost)
        (
            "The senator — who was in Ohio on Monday — toured the plant and said"
            ' "these jobs are coming back to America."',
            "The senator",
        ),
        # words another party wrote, read or asked (review)
        ('Maria Lopez received a letter that said "your permit has been revoked for good."', None),
        ('Mark Rutte laughed as reporters asked "will you run for the top job?"', None),
        ('Chuck Schumer branded the proposal "a nonstarter for Democrats."', "Chuck Schumer"),
        # a verb that is not finite ("took") does not make its subject the speaker
        (
            'Mehmet Oz took Trump through "a cursory review of his systems and his health" on air.',
            None,
        ),
    ],
)
def test_a_quote_in_a_sentence_about_a_person_is_the_persons(
    sentence: str, speaker: str | None
) -> None:
    assert speakers(sentence, split_sentences(sentence)) == [speaker]


@pytest.mark.parametrize(
    ("first", "between", "pronoun", "speaker"),
    [
        # an age between commas before the aside ("Lance Beebe, 49, a Navy veteran ..., said")
        (
            '"Bill Clinton reinforces the negatives," spokesman Jeff Bechdel said.',
            "Lance Beebe, 49, a Navy veteran who now works for the Air Force, said Hillary"
            " Clinton should be ready.",
            "he",
            "Lance Beebe",
        ),
        # a party and state in parentheses after the name
        (
            '"There is a high probability of an accident," manager Bonnie Baha said.',
            "Rep. Brad Sherman (D-Calif.) last month joked to Janet Yellen that God did not"
            " want her to boost rates.",
            "he",
            "Rep. Brad Sherman",
        ),
        # several asides between commas
        (
            '"I am a voter," declares Stephanie Acs, 27, a Navy veteran.',
            "Dewayne Smithy, 33, of Baldwin, Miss., dismisses the idea that a ballot makes a"
            " difference.",
            "he",
            "Dewayne Smithy",
        ),
    ],
)
def test_a_pronoun_after_a_quote_is_the_person_of_the_sentence_before(
    first: str, between: str, pronoun: str, speaker: str
) -> None:
    text = f'{first}\n\n{between}\n\n"I cannot find a candidate that I like," {pronoun} said.'
    assert speakers(text, split_sentences(text))[-1] == speaker
