"""The words of reported speech: reporting verbs and their forms, roles, titles, stop words.

Data for ``assistant.attribution``; kept apart so the rules there read as rules.
"""

from __future__ import annotations

import re

VERB_STEMS = (
    "say|tell|add|argue|note|suggest|indicate|explain|emphasize|emphasise|underscore|stress|"
    "warn|claim|insist|announce|state|write|tweet|post|ask|frame|demand|require|urge|"
    "call for|believe|contend|maintain|acknowledge|admit|confirm|deny|predict|report|"
    "point to|point out|observe|counter|respond|reply|declare|vow|promise|propose|offer|"
    "signal|express|describe|characterize|testify|recall|recount|continue|joke|quip|boast|"
    "complain|lament|charge|accuse|criticize|criticise|blast|slam|attack|praise|tout|"
    "defend|dismiss|reject|think|feel|fear|hope|expect|want|know|question|muse|remark|"
    "estimate|reveal|disclose|allege|pledge|threaten|hint|agree|disagree|endorse|cite|"
    "conclude|concede|interject|resist|bemoan|snipe|see|consider|dispute|reiterate|repeat|shout|yell|mock|brag|assert|affirm|assure|"
    "caution|concur|explain|insinuate|mention|notify|opine|plead|reason|rebut|reckon|"
    "retort|scoff|snap|speculate|sneer|stipulate|theorize|whisper|wonder|acknowledge|"
    "advise|announce|applaud|blame|call|condemn|decry|denounce|doubt|forecast|guarantee|"
    "imply|inform|instruct|object|predict|proclaim|protest|recommend|remind|suspect|"
    "tease|volunteer|worry|find|show|conclude"
)
IRREGULAR = {
    "say": ("said", "says", "saying"),
    "tell": ("told", "tells", "telling"),
    "write": ("wrote", "writes", "writing", "written"),
    "think": ("thought", "thinks", "thinking"),
    "feel": ("felt", "feels", "feeling"),
    "know": ("knew", "knows", "known"),
    "see": ("saw", "sees", "seen", "seeing"),
    "find": ("found", "finds"),
    "show": ("showed", "shows", "shown"),
    "forecast": ("forecast", "forecasts"),
}


def inflect(stem: str) -> list[str]:
    if " " in stem:
        head, rest = stem.split(" ", 1)
        return [f"{f} {rest}" for f in inflect(head)]
    if stem in IRREGULAR:
        return [stem, *IRREGULAR[stem]]
    if stem.endswith("e"):
        return [stem, stem + "s", stem + "d", stem[:-1] + "ing"]
    if stem.endswith("y") and stem[-2] not in "aeiou":
        return [stem, stem[:-1] + "ies", stem[:-1] + "ied", stem + "ing"]
    if stem.endswith(("sh", "ch", "ss", "x")):
        return [stem, stem + "es", stem + "ed", stem + "ing"]
    if stem in ("quip", "snap", "plan", "stop"):
        return [stem, stem + "s", stem + stem[-1] + "ed", stem + stem[-1] + "ing"]
    if stem in ("refer", "concur", "prefer"):
        return [stem, stem + "s", stem + "red", stem + "ring"]
    return [stem, stem + "s", stem + "ed", stem + "ing"]


FORMS = sorted({f for s in VERB_STEMS.split("|") for f in inflect(s)}, key=len, reverse=True)
FORM_SET = frozenset(FORMS)
VERB_RE = re.compile(r"\b(?:" + "|".join(re.escape(f) for f in FORMS) + r")\b")
# verbs that only report speech when a person or body is their subject and nothing else fits
WEAK = frozenset(
    "find finds found show shows showed shown know knows knew known call calls called "
    "continue continues continued offer offers offered report reports reported ask asks "
    "asked want wants wanted hope hopes hoped expect expects expected feel feels felt "
    "post posts posted claim claims charge charges question questions promise promises "
    "pledge pledges tweet tweets estimate estimates attack attacks praise praises demand "
    "demands fear fears doubt doubts worry worries forecast forecasts object objects "
    "protest protests reason reasons state states point points answer answers cite cites "
    "remark remarks blame blames guarantee guarantees frame frames express expresses "
    "mention mentions counter counters show note notes shares add adds see sees saw seen "
    "seeing consider considers suspect suspects volunteer volunteers maintained maintain "
    "maintains believe responded respond responds".split()
)
AUX = frozenset(
    "has have had will would could can may might must shall should also again repeatedly "
    "previously publicly recently later further then is was were are be been being just "
    "already still even never not often first flatly bluntly quickly simply only "
    "privately openly angrily reportedly initially subsequently separately herself himself "
    "themselves itself personally did does do long both each all now".split()
)
DETS = frozenset(
    "the a an his her their its our one another two three four some many several most other "
    "both all few top senior this that these those each every".split()
)
PRONOUNS = frozenset("he she they i we it".split())
NAMED_PRONOUNS = frozenset("he she they i we".split())
ROLE_WORDS = frozenset(
    """spokesman spokeswoman spokesperson spokespeople official officials aide aides adviser
    advisers advisor advisors strategist strategists campaign campaigns candidate candidates
    nominee front-runner frontrunner senator senators governor president presidents lawmaker
    lawmakers congressman congresswoman congressmen leader leaders chairman chairwoman chair
    director secretary minister ministers ambassador diplomat diplomats analyst analysts expert
    experts economist economists pollster pollsters poll polls survey surveys study studies
    report reports statement newspaper paper network outlet magazine website site group groups
    organization organizations committee agency department administration government court judge justice
    justices prosecutor prosecutors attorney attorneys lawyer lawyers source sources people
    voters voter supporters supporter critics critic opponents opponent activists activist
    residents resident officers officer police authorities investigators researchers
    scientists historians scholars professor author writer columnist reporter reporters host
    anchor commentator pundit pundits operative operatives consultant consultants donor donors
    businessman businesswoman billionaire mogul executive executives founder member members
    delegate delegates representative representatives party camp team staff staffer staffers
    office insiders insider observers observer allies ally friend friends advocates advocate
    residents republicans democrats conservatives liberals progressives evangelicals
    manager chief editor editors board council commission ministry kremlin pentagon side
    leadership officials democrat republican agent agents economy firm company companies
    union unions coalition federation institute center centre foundation bank banks
    spokesmen transcript email emails memo letter document documents filing filings
    ruling opinion data figures numbers doctor doctors nurse nurses teacher teachers
    workers employees man woman men women person child children students student
    surrogate surrogates backers backer rival rivals challenger incumbent mayor
    chancellor king queen prince pope premier envoy general generals commander colonel
    sheriff detective witnesses witness victim victims mother father son daughter wife
    husband family relatives suit lawsuit lawsuits complaint indictment narrator announcer
    ad ads employee veteran veterans owner owners blogger bloggers salesman""".split()
)
PREPS = frozenset("from of for at with in on to".split())
LEADING_JUNK = frozenset(
    """but and or so yet still also then now meanwhile however instead indeed later earlier
    last this that on in at after before when while as if though although since because
    moreover furthermore speaking asked today yesterday tonight monday tuesday wednesday
    thursday friday saturday sunday here there even only just recently finally again
    ultimately separately privately publicly""".split()
)
BLOCKERS = frozenset(
    "if unless whether because when while until although though as since once before after "
    "that which what how why where whom whose lest than".split()
)
PREDICATE = re.compile(
    r"^\s*(?:that\b|,|:|—|–|-|\"|“|''|to\b|in\b|on\b|at\b|about\b|of\b|for\b|with\b|"
    r"reporters\b|him\b|her\b|them\b|us\b|me\b|the\b|a\b|an\b|his\b|their\b|its\b|our\b|"
    r"this\b|these\b|those\b|it\b|[A-Z]|$|[.!?]|\w+)",
)
TOKEN = re.compile(r"[A-Za-z0-9][\w’'.&\-]*|[,:;()\"“”—–]")
CAP = re.compile(r"^(?:[A-Z][\w’'.&\-]*|[A-Z]\.)$")
ACCORDING = re.compile(r"\baccording to\s+", re.I)
STATEMENT = re.compile(
    r"\b(?:in|during) (?:a|an|his|her|their|its) (?:statement|interview|speech|letter|"
    r"tweet|post|op-ed|email|memo|press release|remarks|testimony|appearance|address|"
    r"news conference|press conference|video|message|report|filing|book|column)\b",
    re.I,
)
POSSESSIVE_VIEW = re.compile(
    r"^\W*(?:in|by|to) (?:his|her|their) (?:view|account|words|telling|mind|estimation)\b", re.I
)
DEFINITE_ROLE = re.compile(
    r"^the (?:[a-z\-]+ )?(?:spokes(?:person|man|woman)|official|minister|president|secretary|"
    r"senator|governor|mayor|coordinator|ambassador|envoy|lawmaker|diplomat|candidate|"
    r"nominee|front-runner|frontrunner|businessman|billionaire|mogul|congressman|"
    r"congresswoman|chairman|chairwoman|speaker|leader|host|aide|adviser|advisor|"
    r"strategist|lawyer|attorney|judge|chancellor|premier|envoy)$",
    re.IGNORECASE,
)


# lowercase words inside a name ("Ursula von der Leyen")
NAME_PARTICLES = frozenset("von van der den de del della da di du la le al el bin ibn ter".split())

MODIFIERS = frozenset(
    """former current then-former then longtime long-time veteran top senior chief deputy
    assistant associate acting executive national state local federal presidential
    vice-presidential republican democratic conservative liberal progressive independent
    political press communications campaign white house foreign defense defence
    international public private new young old retired prominent leading key influential
    fellow rival outgoing incoming interim general special legal economic senior-level
    unnamed anonymous unidentified few many several some other longtime-serving
    high-ranking high-level administration government military intelligence security
    health police city county party gop tea u.s. us american russian chinese british
    european israeli iranian ukrainian french german mexican saudi syrian prime policy
    finance trade justice energy interior environment education transport transportation
    agriculture labor labour commerce emergency climate""".split()
)

NOT_SPEAKERS = frozenset(
    "note update watch photo photos video editor related correction read source sources "
    "transcript q a question answer why what how who when where here this that it breaking "
    "exclusive live analysis opinion poll report watch listen contributing revealed "
    "reporting clarification advertisement subscribe sponsored updated developing bombshell "
    "wow boom whoa busted shocking must-see confirmed".split()
)

MONTHS = frozenset(
    "January February March April May June July August September October November December "
    "The A An In On At For From By With After Before When While If As".split()
)

# Common given names, for agreeing "he" and "she" with the person they stand for. A name in
# neither list (or a surname alone) agrees with both.
MALE_NAMES = frozenset(
    """aaron adam adrian alan albert alex alexander andrew andrey andy anthony antonin arnold
    barack ben benjamin bernard bernie bill billy bob bobby brad bradley brandon brendan brett
    brian bruce bryan carl carlos charles charlie chris christopher chuck cory craig dan daniel
    darrell dave david dennis dick dmitry don donald doug douglas dwight ed eddie edward eric
    evan frank fred gary george gerald glenn gordon greg gregory harold harry henry ian igor
    jack jacob jake james jared jason jay jeb jeff jeffrey jeremy jerry jesse jim jimmy joe
    joel john johnny jon jonathan jorge jose joseph josh joshua juan justin keith ken kenneth
    kevin kirk larry lindsey louis luis marco marcus mark martin matt matthew michael mike
    mitch mitt nathan neil newt nick nicholas norman oliver omar patrick paul pete peter phil
    philip rand randy ray raymond reince richard rick rob robert roger ron ronald roy rudy
    rush russell ryan sam samuel scott sean sergei sergey stephen steve steven stuart ted
    terry thomas tim timothy todd tom tony trey tyler vladimir walter wayne william willie
    xi yuri zach""".split()
)
FEMALE_NAMES = frozenset(
    """abigail alexandra alice alicia alison amanda amy andrea angela angie ann anna anne
    barbara betsy betty beverly brenda carla carly carol caroline catherine cathy cecilia
    chelsea cheryl christina christine cindy claire claudia cynthia dana debbie deborah debra
    denise diana diane donna doris dorothy elaine elena elizabeth ellen emily emma erin
    evelyn felicia frances gabrielle gina gloria grace hannah heather helen hillary hope huma
    ivanka jackie jane janet janice jean jennifer jessica jill joan joanne joni joyce judith
    judy julia julie karen kate katherine kathleen kathy katie kayleigh kelly kellyanne kim
    kimberly kirsten kristen laura lauren linda lisa loretta lori lynn madeleine maria marie
    marilyn martha mary megan melania melissa michele michelle monica nancy natalie nicole
    nikki olivia pam pamela patricia patty paula peggy rachel rebecca rose ruth sally samantha
    sandra sara sarah sharon shirley stephanie sue susan susana tammy teresa theresa tiffany
    tulsi valerie victoria virginia wendy""".split()
)
