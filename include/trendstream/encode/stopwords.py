"""Stopwords for keyword tokens: English plus the languages most common on X after it.

Kept as plain data so :mod:`trendstream.encode.text` stays readable.
Design: docs/encoding.md#stopwords
"""

from __future__ import annotations

ENGLISH = """
a about above after again against all am an and any are aren't as at be because been before
being below between both but by can can't cannot could couldn't did didn't do does doesn't doing
don't down during each few for from further had hadn't has hasn't have haven't having he he'd
he'll he's her here here's hers herself him himself his how how's i i'd i'll i'm i've if in into
is isn't it it's its itself just let's me more most mustn't my myself no nor not now of off on
once only or other ought our ours ourselves out over own same shan't she she'd she'll she's
should shouldn't so some such than that that's the their theirs them themselves then there
there's these they they'd they'll they're they've this those through to too under until up very
was wasn't we we'd we'll we're we've were weren't what what's when when's where where's which
while who who's whom why why's will with won't would wouldn't you you'd you'll you're you've your
yours yourself yourselves also get got gonna wanna im ive dont cant wont didnt doesnt isnt
thats theres its u ur ya yeah yes oh ok okay lol
"""

SPANISH = """
a al algo algunos ante antes como con contra cual cuando de del desde donde durante e el ella
ellas ellos en entre era es esa ese eso esta estaba estan este esto estos fue ha hay la las le
les lo los mas me mi mis muy nada ni no nos nosotros o os otra otro para pero poco por porque
que quien se sea ser si sin sobre son su sus también te tiene todo todos tu tus un una uno unos
y ya yo él está están qué más
"""

PORTUGUESE = """
a ao aos as até com como da das de dela dele do dos e ela ele eles em entre era essa esse esta
este eu foi há isso isto já lhe mais mas me meu minha muito na nas nem no nos nós num numa o
os ou para pela pelo por porque quando que quem se sem ser seu sua são também te tem tu um uma
você vocês à é não
"""

FRENCH = """
a au aux avec ce ces cette dans de des du elle en est et eux il ils je la le les leur lui ma
mais me mes moi mon ne nos notre nous on ou par pas pour qu que qui sa se ses son sur ta te tes
toi ton tu un une vos votre vous y à été être c'est j'ai
"""

GERMAN = """
aber alle als also am an auch auf aus bei bin bis bist da dann das dass dem den der des die
doch du durch ein eine einem einen einer eines er es für hat hatte ich ihr im in ist ja kein
mich mir mit nach nicht noch nur ob oder schon sein sich sie sind so um und uns von vor war
was wie wir wird zu zum zur über
"""

ITALIAN = """
a ad al alla alle ai agli anche che chi ci come con da dal dalla dei del della delle di e ed
gli ha hanno i il in io la le lei lo loro lui ma mi mia mio ne nel nella noi non o per perché
più se si sono su sua suo tu un una uno voi è
"""

SOCIAL = """
rt amp via http https www com co t.co gt lt nbsp
"""

BY_LANGUAGE: dict[str, frozenset[str]] = {
    lang: frozenset(block.split())
    for lang, block in {
        "en": ENGLISH,
        "es": SPANISH,
        "pt": PORTUGUESE,
        "fr": FRENCH,
        "de": GERMAN,
        "it": ITALIAN,
    }.items()
}
ALWAYS = BY_LANGUAGE["en"] | frozenset(SOCIAL.split())  # English phrases appear in every language
STOPWORDS: frozenset[str] = ALWAYS.union(*BY_LANGUAGE.values())


def stopwords_for(lang: str | None) -> frozenset[str]:
    """English + platform noise + the post's language; every list when the language is unknown.

    Knowing the language avoids dropping a topical word that is a function word elsewhere
    (``ESA`` the agency vs Spanish ``esa``).
    """
    if lang and lang in BY_LANGUAGE:
        return ALWAYS | BY_LANGUAGE[lang]
    if lang and lang not in ("und", "qme", "zxx", "qht", "qam"):
        return ALWAYS  # a known language we have no list for
    return STOPWORDS
