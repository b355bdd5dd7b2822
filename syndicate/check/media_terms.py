"""Word lists the Media RSS rules judge values against (data only, kept apart from the
rules in media.py so they stay readable)."""

from __future__ import annotations

# media:credit roles in the default scheme urn:ebu: the EBU role codes as the Media RSS
# specification lists them, plus the spellings the W3C validator also accepts ("artist",
# "performer", ...). Roles are lowercase; another case is an error in any scheme.
EBU_ROLES = frozenset("""
actor|adaptor|anchor person|animal trainer|animator|announcer|armourer|art director
artist/performer|assistant camera|assistant chief lighting technician|assistant director
assistant producer|assistant visual editor|author|broadcast assistant
broadcast journalist|camera operator|carpenter|casting|causeur|chief lighting technician
choir|choreographer|clapper loader|commentary or commentator|commissioning broadcaster
composer|computer programmer|conductor|consultant|continuity checker|correspondent
costume designer|dancer|dialogue coach|director|director of photography
distribution company|draughtsman|dresser|dubber|editor/producer|editor|ensemble
executive producer|expert|fight director|floor manager|focus puller|foley artist
foley editor|foley mixer|graphic assistant|graphic designer|greensman|grip|hairdresser
illustrator|interviewed guest|interviewer|key character|key grip|key talents|leadman
librettist|lighting director|lighting technician|location manager|lyricist
make up artist|manufacturer|matte artist|music arranger|music group|musician
news reader|orchestra|participant|photographer|post|producer|production assistant
production company|production department|production manager|production secretary
programme production researcher|property manager|publishing company|puppeteer
pyrotechnician|reporter|rigger|runner|scenario|scenic operative|script supervisor
second assistant camera|second assistant director|second unit director|set designer
set dresser|sign language|singer|sound designer|sound mixer|sound recordist
special effects|stunts|subtitles|technical director|term|translation
transportation manager|treatment/programme proposal|vision mixer|visual editor
visual effects|wardrobe|witness|artist|performer|treatment|treatment proposal
programme proposal
""".replace("\n", "|").strip("|").split("|"))

# ISO 3166-1 alpha-2 country codes (media:restriction type="country"), as assigned when
# the W3C validator's list was made; later codes (RS, ME, ...) are accepted too, so only a
# value no version of the standard assigns is an error.
COUNTRIES = frozenset("""
AD AE AF AG AI AL AM AN AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO
BQ BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CS CU CV CW CX CY CZ DE DJ
DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ
GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI
KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO
MP MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK
PL PM PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS
ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE
VG VI VN VU WF WS YE YT ZA ZM ZW
""".split())  # noqa: SIM905  (a word list reads better)

# media:rating values per scheme (urn:icra has a grammar of its own, see media.py).
RATINGS = {
    "urn:simple": frozenset(("adult", "nonadult")),
    "urn:mpaa": frozenset(("g", "m", "nc-17", "pg", "pg-13", "r", "x")),
    "urn:v-chip": frozenset(("14+", "18+", "c", "c8", "g", "pg", "tv-14", "tv-g", "tv-ma",
                             "tv-pg", "tv-y", "tv-y7", "tv-y7-fv")),
}
