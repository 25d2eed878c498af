"""A deterministic, seedable English→German corpus generated from a small grammar.

Every English sentence has exactly one German translation, so a model can learn the mapping
exactly. The German follows one fixed rule per phenomenon:

- "you" is always informal singular "du", "it" is always "es".
- Word order: subject, finite verb, dative object, accusative object, "nicht", prepositional
  phrase, predicate adjective.
- Negation: a negated indefinite or bare-plural object becomes kein-; otherwise "nicht" follows
  every noun-phrase object and precedes a prepositional phrase or predicate adjective
  ("Der Hund sieht den Mann nicht im Garten.", "Der Hund sieht keine Katze im Garten.").
- A definite singular dative after in, an, bei, von and zu always contracts
  (im, am, beim, vom, zum, zur).
"""

from __future__ import annotations

import bisect
import random
from dataclasses import dataclass, field
from functools import cache
from typing import TypeVar

from datasets import DatasetDict

from t5mt.data.files import pairs_to_dataset_dict

_T = TypeVar("_T")

MIN_WORDS = 4
MAX_WORDS = 14

_PERSONS = ("1sg", "2sg", "3sg", "1pl", "3pl")
_GENDER_INDEX = {"m": 0, "f": 1, "n": 2}  # index 3 is the plural column in the tables below


# ---------------------------------------------------------------------------------------------
# Lexicon entries
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Noun:
    """A noun lemma with the English and German forms the grammar needs."""

    en: str
    en_plural: str
    de: str
    gender: str  # "m", "f" or "n"
    de_plural: str
    tags: frozenset[str]
    de_weak: str = ""  # n-declension accusative/dative singular: der Junge, den/dem Jungen


@dataclass(frozen=True)
class Adjective:
    """An adjective: English form, German predicative form, German attributive stem."""

    en: str
    de: str
    attr: str  # stem that takes the endings: hoch -> hoh-e, teuer -> teur-e
    applies_to: tuple[str, ...]  # noun tags or noun keys


@dataclass(frozen=True)
class Verb:
    """A verb lemma, its German present tense and the arguments it selects."""

    en: str  # base form, possibly with a particle: "look for"
    de: str  # infinitive
    forms: tuple[str, ...]  # German present: ich, du, er/sie/es, wir, sie
    subj: tuple[str, ...]  # noun tags or keys allowed as subject
    obj: tuple[str, ...] = ()  # accusative object
    dat: tuple[str, ...] = ()  # dative object (dative verbs, ditransitives)
    preps: tuple[str, ...] = ()  # prepositions allowed in the one prepositional phrase
    pp_required: bool = False
    dat_optional: bool = False  # buy/sell: transitive or ditransitive


@dataclass(frozen=True)
class Preposition:
    """A preposition, the German case it governs and the nouns it combines with."""

    en: str
    de: str
    case: str  # "acc" or "dat"
    landmarks: tuple[str, ...]  # noun tags or keys
    contractions: tuple[tuple[str, str], ...] = ()  # (gender, form) for definite singular
    negatable: bool = True  # temporal "after" never appears in a negated clause
    plural: bool = False  # landmarks may be plural (people, animals); places stay singular


# ---------------------------------------------------------------------------------------------
# Data tables
# ---------------------------------------------------------------------------------------------

# English, German, gender, German plural, tags, irregular English plural.
_NOUN_TABLE: tuple[tuple[str, ...], ...] = (
    ("man", "Mann", "m", "Männer", "person", "men"),
    ("woman", "Frau", "f", "Frauen", "person", "women"),
    ("child", "Kind", "n", "Kinder", "person", "children"),
    ("boy", "Junge", "m", "Jungen", "person"),
    ("girl", "Mädchen", "n", "Mädchen", "person"),
    ("teacher", "Lehrer", "m", "Lehrer", "person"),
    ("doctor", "Arzt", "m", "Ärzte", "person"),
    ("student", "Student", "m", "Studenten", "person"),
    ("neighbor", "Nachbar", "m", "Nachbarn", "person"),
    ("friend", "Freund", "m", "Freunde", "person"),
    ("mother", "Mutter", "f", "Mütter", "person"),
    ("father", "Vater", "m", "Väter", "person"),
    ("brother", "Bruder", "m", "Brüder", "person"),
    ("king", "König", "m", "Könige", "person"),
    ("queen", "Königin", "f", "Königinnen", "person"),
    ("guest", "Gast", "m", "Gäste", "person"),
    ("dog", "Hund", "m", "Hunde", "animal"),
    ("cat", "Katze", "f", "Katzen", "animal"),
    ("mouse", "Maus", "f", "Mäuse", "animal", "mice"),
    ("horse", "Pferd", "n", "Pferde", "animal"),
    ("bird", "Vogel", "m", "Vögel", "animal"),
    ("cow", "Kuh", "f", "Kühe", "animal"),
    ("lion", "Löwe", "m", "Löwen", "animal"),
    ("monkey", "Affe", "m", "Affen", "animal"),
    ("bear", "Bär", "m", "Bären", "animal"),
    ("wolf", "Wolf", "m", "Wölfe", "animal", "wolves"),
    ("goose", "Gans", "f", "Gänse", "animal", "geese"),
    ("duck", "Ente", "f", "Enten", "animal"),
    ("ball", "Ball", "m", "Bälle", "small"),
    ("book", "Buch", "n", "Bücher", "small text"),
    ("letter", "Brief", "m", "Briefe", "small text"),
    ("newspaper", "Zeitung", "f", "Zeitungen", "small text"),
    ("story", "Geschichte", "f", "Geschichten", "text"),
    ("key", "Schlüssel", "m", "Schlüssel", "small"),
    ("cup", "Tasse", "f", "Tassen", "small container"),
    ("bag", "Tasche", "f", "Taschen", "small container"),
    ("bottle", "Flasche", "f", "Flaschen", "small container"),
    ("box", "Kiste", "f", "Kisten", "small container"),
    ("glass", "Glas", "n", "Gläser", "small container"),
    ("hat", "Hut", "m", "Hüte", "small"),
    ("coat", "Mantel", "m", "Mäntel", "small"),
    ("knife", "Messer", "n", "Messer", "small", "knives"),
    ("flower", "Blume", "f", "Blumen", "small"),
    ("picture", "Bild", "n", "Bilder", "small"),
    ("umbrella", "Regenschirm", "m", "Regenschirme", "small"),
    ("car", "Auto", "n", "Autos", "big"),
    ("bicycle", "Fahrrad", "n", "Fahrräder", "big"),
    ("chair", "Stuhl", "m", "Stühle", "big"),
    ("table", "Tisch", "m", "Tische", "big"),
    ("bed", "Bett", "n", "Betten", "big"),
    ("apple", "Apfel", "m", "Äpfel", "food"),
    ("cake", "Kuchen", "m", "Kuchen", "food"),
    ("egg", "Ei", "n", "Eier", "food"),
    ("banana", "Banane", "f", "Bananen", "food"),
    ("potato", "Kartoffel", "f", "Kartoffeln", "food"),
    ("tomato", "Tomate", "f", "Tomaten", "food"),
    ("sausage", "Wurst", "f", "Würste", "food"),
    ("soup", "Suppe", "f", "Suppen", "food"),
    ("garden", "Garten", "m", "Gärten", "place"),
    ("house", "Haus", "n", "Häuser", "place"),
    ("park", "Park", "m", "Parks", "place"),
    ("school", "Schule", "f", "Schulen", "place"),
    ("kitchen", "Küche", "f", "Küchen", "place"),
    ("room", "Zimmer", "n", "Zimmer", "place"),
    ("forest", "Wald", "m", "Wälder", "place"),
    ("city", "Stadt", "f", "Städte", "place"),
    ("village", "Dorf", "n", "Dörfer", "place"),
    ("church", "Kirche", "f", "Kirchen", "place"),
    ("station", "Bahnhof", "m", "Bahnhöfe", "place"),
    ("street", "Straße", "f", "Straßen", "place"),
    ("bridge", "Brücke", "f", "Brücken", "place"),
    ("river", "Fluss", "m", "Flüsse", "place"),
    ("lake", "See", "m", "Seen", "place"),
    ("tree", "Baum", "m", "Bäume", "place"),
    ("window", "Fenster", "n", "Fenster", "place"),
    ("door", "Tür", "f", "Türen", "place"),
    ("wall", "Wand", "f", "Wände", "place"),
    ("hospital", "Krankenhaus", "n", "Krankenhäuser", "place"),
    ("game", "Spiel", "n", "Spiele", "event"),
    ("party", "Feier", "f", "Feiern", "event"),
    ("concert", "Konzert", "n", "Konzerte", "event"),
)
# Masculine n-declension: accusative and dative singular take the plural form (den Löwen).
_WEAK_NOUNS = frozenset({"boy", "student", "neighbor", "lion", "monkey", "bear"})

_ANIMATE = ("person", "animal")
_THINGS = ("small", "big")

# English, German predicative, German attributive stem ("" = same), noun tags or keys.
_ADJECTIVE_TABLE: tuple[tuple[str, str, str, tuple[str, ...]], ...] = (
    ("young", "jung", "", _ANIMATE),
    ("happy", "glücklich", "", _ANIMATE),
    ("sad", "traurig", "", _ANIMATE),
    ("tired", "müde", "müd", _ANIMATE),
    ("hungry", "hungrig", "", _ANIMATE),
    ("angry", "wütend", "", _ANIMATE),
    ("friendly", "freundlich", "", _ANIMATE),
    ("clever", "klug", "", _ANIMATE),
    ("strong", "stark", "", _ANIMATE),
    ("fast", "schnell", "", (*_ANIMATE, "car", "bicycle")),
    ("sick", "krank", "", _ANIMATE),
    ("poor", "arm", "", ("person",)),
    ("quiet", "ruhig", "", (*_ANIMATE, "place")),
    ("big", "groß", "", (*_ANIMATE, *_THINGS, "food", "place")),
    ("small", "klein", "", (*_ANIMATE, *_THINGS, "food", "place")),
    ("old", "alt", "", (*_ANIMATE, *_THINGS, "place")),
    ("beautiful", "schön", "", (*_ANIMATE, *_THINGS, "text", "place", "event")),
    ("new", "neu", "", ("person", *_THINGS, "place")),
    ("red", "rot", "", (*_THINGS, "food")),
    ("blue", "blau", "", _THINGS),
    ("green", "grün", "", (*_THINGS, "food")),
    ("yellow", "gelb", "", (*_THINGS, "food")),
    ("black", "schwarz", "", ("animal", *_THINGS)),
    ("white", "weiß", "", ("animal", *_THINGS)),
    ("brown", "braun", "", ("animal", *_THINGS)),
    ("heavy", "schwer", "", _THINGS),
    ("expensive", "teuer", "teur", _THINGS),
    ("cheap", "billig", "", _THINGS),
    ("clean", "sauber", "", (*_THINGS, "place")),
    ("dirty", "schmutzig", "", ("animal", *_THINGS, "place")),
    ("empty", "leer", "", ("container", "place")),
    ("full", "voll", "", ("container",)),
    ("broken", "kaputt", "", ("big", "cup", "glass", "bottle", "box", "umbrella")),
    ("warm", "warm", "", ("food", "place", "coat")),
    ("cold", "kalt", "", ("food", "place")),
    ("long", "lang", "", ("text", "event", "street", "river", "bridge", "coat")),
    ("short", "kurz", "", ("text", "event")),
    ("fresh", "frisch", "", ("food", "flower")),
    ("sweet", "süß", "", ("food",)),
    ("sour", "sauer", "saur", ("food",)),
    ("hot", "heiß", "", ("food",)),
    ("dark", "dunkel", "dunkl", ("place",)),
    ("tall", "hoch", "hoh", ("tree", "house", "church", "wall")),
)

_LOCATIVE = ("in", "on", "under", "next to", "behind", "in front of", "at", "near")
_DIRECTIONAL = ("to", "out of", "from", "through")
_BUILDINGS = ("house", "school", "church", "station", "hospital")

_IM, _AM = (("m", "im"), ("n", "im")), (("m", "am"), ("n", "am"))
_BEIM, _VOM = (("m", "beim"), ("n", "beim")), (("m", "vom"), ("n", "vom"))
_ZUM = (("m", "zum"), ("f", "zur"), ("n", "zum"))

# fmt: off
PREPOSITIONS: dict[str, Preposition] = {p.en: p for p in (
    # Locative: two-way prepositions with the dative, plus an (contracted) and bei.
    Preposition("in", "in", "dat", (
        "garden", "house", "park", "school", "kitchen", "room", "forest", "city", "village",
        "church", "hospital", "car", "box", "bed", "lake", "river"), _IM),
    Preposition("on", "auf", "dat", ("table", "chair", "bed", "street", "bridge")),
    Preposition("under", "unter", "dat", ("table", "chair", "bed", "tree", "bridge", "car")),
    Preposition("next to", "neben", "dat", (
        *_BUILDINGS, "tree", "car", "table", "bed", "door", "window", "river", "lake")),
    Preposition("behind", "hinter", "dat", (*_BUILDINGS, "tree", "car", "door", "wall")),
    Preposition("in front of", "vor", "dat", (*_BUILDINGS, "tree", "car", "door", "window")),
    Preposition("at", "an", "dat",
                ("window", "door", "table", "wall", "river", "lake", "station"), _AM),
    Preposition("near", "bei", "dat", (
        *_BUILDINGS, "river", "lake", "forest", "village", "city", "bridge", "park"), _BEIM),
    # Company, benefit, opposition, time.
    Preposition("with", "mit", "dat", _ANIMATE, plural=True),
    Preposition("without", "ohne", "acc", _ANIMATE, plural=True),
    Preposition("for", "für", "acc", ("person",), plural=True),
    Preposition("against", "gegen", "acc", _ANIMATE, plural=True),
    Preposition("after", "nach", "dat", ("event", "school"), negatable=False),
    # Direction.
    Preposition("to", "zu", "dat", (
        "person", *_BUILDINGS, "park", "river", "lake", "bridge", "city", "village", "forest",
        "garden"), _ZUM),
    Preposition("out of", "aus", "dat", (
        *_BUILDINGS, "kitchen", "room", "forest", "car", "garden", "park", "city", "village")),
    Preposition("from", "von", "dat", (
        "person", *_BUILDINGS, "park", "river", "lake", "bridge"), _VOM),
    Preposition("through", "durch", "acc",
                ("park", "forest", "city", "village", "garden", "street", "house")),
)}
# fmt: on


def _conjugate(infinitive: str, stem: str = "") -> tuple[str, ...]:
    """Regular German present tense; `stem` is the changed du/er stem (sieh, gib, fähr)."""
    base = infinitive[:-2]
    changed = stem or base
    if changed.endswith(("s", "ß", "z", "x")):
        du, er = changed + "t", changed + "t"
    elif changed.endswith(("t", "d")) or (
        changed.endswith(("m", "n")) and changed[-2] not in "lrmnh"
    ):
        du, er = changed + "est", changed + "et"  # arbeitest, findet, öffnet
    else:
        du, er = changed + "st", changed + "t"
    return (base + "e", du, er, infinitive, infinitive)


def _verb(
    en: str,
    de: str,
    subj: tuple[str, ...],
    obj: tuple[str, ...] = (),
    dat: tuple[str, ...] = (),
    preps: tuple[str, ...] = (),
    *,
    stem: str = "",
    forms: tuple[str, ...] = (),
    required: bool = False,
    dat_optional: bool = False,
) -> Verb:
    forms = forms or _conjugate(de, stem)
    return Verb(en, de, forms, subj, obj, dat, preps, required, dat_optional)


_PERSON = ("person",)
_FINDABLE = (*_ANIMATE, "small", "food")
_SEARCH = ("in", "on", "under", "next to", "behind", "in front of", "near")

# fmt: off
_VERB_TABLE: tuple[Verb, ...] = (
    # Accusative object.
    _verb("see", "sehen", _ANIMATE, (*_FINDABLE, "big", "place"), (), _SEARCH, stem="sieh"),
    _verb("read", "lesen", _PERSON, ("text",), (), ("in", "at", "for"), stem="lies"),
    _verb("eat", "essen", _ANIMATE, ("food",), (), ("in", "at", "under"), stem="iss"),
    _verb("carry", "tragen", _ANIMATE, ("small", "food"), (), ("to", "through", "for"),
          stem="träg"),
    _verb("find", "finden", _ANIMATE, _FINDABLE, (), _SEARCH),
    _verb("look for", "suchen", _ANIMATE, _FINDABLE, (), _SEARCH),
    _verb("buy", "kaufen", _PERSON, (*_THINGS, "food"), _PERSON, ("for", "in"),
          dat_optional=True),
    _verb("sell", "verkaufen", _PERSON, ("animal", *_THINGS, "food"), _PERSON,
          dat_optional=True),
    _verb("have", "haben", _PERSON, ("animal", *_THINGS, "food"),
          forms=("habe", "hast", "hat", "haben", "haben")),
    _verb("like", "mögen", _ANIMATE, (*_FINDABLE, "big", "place", "event"),
          forms=("mag", "magst", "mag", "mögen", "mögen")),
    _verb("need", "brauchen", _PERSON, (*_THINGS, "food"), (), ("for",)),
    _verb("hold", "halten", _PERSON, ("small", "food"), (), ("in",),
          forms=("halte", "hältst", "hält", "halten", "halten")),
    _verb("take", "nehmen", _PERSON, ("small", "food"),
          forms=("nehme", "nimmst", "nimmt", "nehmen", "nehmen")),
    _verb("open", "öffnen", _PERSON, ("door", "window", "box", "bag", "bottle", "book", "letter"),
          (), ("for",)),
    _verb("wash", "waschen", _PERSON, (*_ANIMATE, "car", "bicycle", "cup", "glass"), (),
          ("in", "for"), stem="wäsch"),
    _verb("catch", "fangen", _ANIMATE, ("animal", "ball"), (), ("in",), stem="fäng"),
    _verb("hear", "hören", _ANIMATE, _ANIMATE, (), ("in", "behind", "next to")),
    _verb("visit", "besuchen", _PERSON, _PERSON, (), ("in",)),
    _verb("forget", "vergessen", _PERSON, ("small",), (), ("in", "on", "under"), stem="vergiss"),
    _verb("write", "schreiben", _PERSON, ("letter", "book", "story"), (), ("for", "at", "in")),
    _verb("meet", "treffen", _PERSON, _PERSON, (), ("in", "in front of", "at", "near"),
          stem="triff"),
    _verb("ask", "fragen", _PERSON, _PERSON, (), ("in",)),
    _verb("throw", "werfen", _PERSON, ("ball", "apple", "egg"), (), ("in",), stem="wirf"),
    # Dative object.
    _verb("help", "helfen", _ANIMATE, (), _ANIMATE, ("in",), stem="hilf"),
    _verb("thank", "danken", _PERSON, (), _PERSON),
    _verb("follow", "folgen", _ANIMATE, (), _ANIMATE, ("to", "through")),
    _verb("belong to", "gehören", ("animal", *_THINGS), (), _PERSON),
    _verb("answer", "antworten", _PERSON, (), _PERSON),
    # Ditransitive: dative and accusative object.
    _verb("give", "geben", _PERSON, ("small", "food"), _ANIMATE, stem="gib"),
    _verb("show", "zeigen", _PERSON, ("animal", *_THINGS), _PERSON),
    _verb("bring", "bringen", _PERSON, ("small", "food"), _ANIMATE),
    _verb("send", "schicken", _PERSON, ("letter", "book", "picture", "flower"), _PERSON),
    _verb("tell", "erzählen", _PERSON, ("story",), _PERSON),
    # Intransitive.
    _verb("sleep", "schlafen", _ANIMATE, (), (),
          ("in", "on", "under", "next to", "behind", "near", "after"), stem="schläf"),
    _verb("sit", "sitzen", _ANIMATE, (), (), _LOCATIVE, required=True),
    _verb("stand", "stehen", _ANIMATE, (), (), _LOCATIVE, required=True),
    _verb("live", "wohnen", _ANIMATE, (), (), ("in", "near", "next to", "behind", "at"),
          required=True),
    _verb("play", "spielen", _ANIMATE, (), (),
          ("in", "under", "behind", "in front of", "with", "without", "against", "after")),
    _verb("wait", "warten", _ANIMATE, (), (),
          ("in", "next to", "in front of", "at", "near", "with", "without", "after")),
    _verb("work", "arbeiten", _PERSON, (), (), ("in", "with", "without", "for", "after")),
    _verb("sing", "singen", (*_PERSON, "bird"), (), (), ("in", "with", "for", "after")),
    _verb("swim", "schwimmen", _ANIMATE, (), (), ("with", "without", "after")),
    # Motion: a directional prepositional phrase is required.
    _verb("go", "gehen", _ANIMATE, (), (), ("to", "out of", "through"), required=True),
    _verb("come", "kommen", _ANIMATE, (), (), _DIRECTIONAL, required=True),
    _verb("run", "laufen", _ANIMATE, (), (), _DIRECTIONAL, required=True, stem="läuf"),
    _verb("drive", "fahren", _PERSON, (), (), _DIRECTIONAL, required=True, stem="fähr"),
    # Copula: predicate adjective or locative prepositional phrase.
    _verb("be", "sein", (*_ANIMATE, *_THINGS, "food", "place", "event"), (), (), _LOCATIVE,
          forms=("bin", "bist", "ist", "sind", "sind")),
)
# fmt: on


def _english_plural(word: str) -> str:
    if word.endswith(("s", "sh", "ch", "x", "z", "o")):
        return word + "es"
    if word.endswith("y") and word[-2] not in "aeiou":
        return word[:-1] + "ies"
    return word + "s"


def _build_noun(
    en: str, de: str, gender: str, de_plural: str, tags: str, en_plural: str = ""
) -> Noun:
    weak = de_plural if en in _WEAK_NOUNS else ""
    tagset = frozenset(tags.split())
    return Noun(en, en_plural or _english_plural(en), de, gender, de_plural, tagset, weak)


NOUNS: dict[str, Noun] = {row[0]: _build_noun(*row) for row in _NOUN_TABLE}
ADJECTIVES: dict[str, Adjective] = {
    en: Adjective(en, de, attr or de, tags) for en, de, attr, tags in _ADJECTIVE_TABLE
}
VERBS: dict[str, Verb] = {v.en: v for v in _VERB_TABLE}

LEMMA_COUNT: int = len(NOUNS) + len(VERBS) + len(ADJECTIVES)

# English pronoun -> German pronoun, person.
_PRONOUNS = {
    "I": ("ich", "1sg"),
    "you": ("du", "2sg"),
    "he": ("er", "3sg"),
    "she": ("sie", "3sg"),
    "it": ("es", "3sg"),
    "we": ("wir", "1pl"),
    "they": ("sie", "3pl"),
}
_PERSON_PRONOUNS = ("I", "you", "he", "she", "we", "they")
_POSSESSIVES = {"my": "mein", "your": "dein", "his": "sein", "her": "ihr", "our": "unser"}
_SINGULAR_DETS = ("the", "a", "this", *_POSSESSIVES)
_PLURAL_DETS = ("the", "this", *_POSSESSIVES, "bare")


def _matches(noun: Noun, selector: tuple[str, ...]) -> bool:
    return noun.en in selector or not noun.tags.isdisjoint(selector)


@cache
def _select(selector: tuple[str, ...]) -> tuple[Noun, ...]:
    return tuple(n for n in NOUNS.values() if _matches(n, selector))


_ADJECTIVES_FOR: dict[str, tuple[Adjective, ...]] = {
    n.en: tuple(a for a in ADJECTIVES.values() if _matches(n, a.applies_to)) for n in NOUNS.values()
}
_PERSON_ADJECTIVES = tuple(a for a in ADJECTIVES.values() if "person" in a.applies_to)

# ---------------------------------------------------------------------------------------------
# German declension tables: columns masculine, feminine, neuter, plural
# ---------------------------------------------------------------------------------------------

_DEFINITE = {
    "nom": ("der", "die", "das", "die"),
    "acc": ("den", "die", "das", "die"),
    "dat": ("dem", "der", "dem", "den"),
}
# dieser-words; strong adjective endings are the same.
_DER_ENDINGS = {
    "nom": ("er", "e", "es", "e"),
    "acc": ("en", "e", "es", "e"),
    "dat": ("em", "er", "em", "en"),
}
_EIN_ENDINGS = {
    "nom": ("", "e", "", "e"),
    "acc": ("en", "e", "", "e"),
    "dat": ("em", "er", "em", "en"),
}
_WEAK_ADJ = {
    "nom": ("e", "e", "e", "en"),
    "acc": ("en", "e", "e", "en"),
    "dat": ("en", "en", "en", "en"),
}
_MIXED_ADJ = {
    "nom": ("er", "e", "es", "en"),
    "acc": ("en", "e", "es", "en"),
    "dat": ("en", "en", "en", "en"),
}


# ---------------------------------------------------------------------------------------------
# Clause representation and renderers
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class NounPhrase:
    """A pronoun, or determiner + optional adjective + noun.

    `det` is one of the, a, this (these), my, your, his, her, our, or bare (plural only).
    """

    noun: Noun | None
    det: str = "the"
    plural: bool = False
    adj: Adjective | None = None
    pronoun: str = ""

    def __post_init__(self) -> None:
        if self.pronoun:
            if self.pronoun not in _PRONOUNS:
                raise ValueError(f"unknown pronoun {self.pronoun!r}")
            return
        dets = _PLURAL_DETS if self.plural else _SINGULAR_DETS
        if self.noun is None or self.det not in dets:
            raise ValueError(f"invalid noun phrase: det={self.det!r} plural={self.plural}")

    @property
    def person(self) -> str:
        if self.pronoun:
            return _PRONOUNS[self.pronoun][1]
        return "3pl" if self.plural else "3sg"

    def english(self) -> str:
        if self.pronoun:
            return self.pronoun
        assert self.noun is not None
        head = self.noun.en_plural if self.plural else self.noun.en
        words = [self.adj.en, head] if self.adj else [head]
        if self.det == "a":
            words.insert(0, "an" if words[0][0] in "aeiou" else "a")
        elif self.det == "this":
            words.insert(0, "these" if self.plural else "this")
        elif self.det != "bare":
            words.insert(0, self.det)
        return " ".join(words)

    def german(self, case: str, negated: bool = False) -> str:
        """German form in `case`; `negated` turns an indefinite or bare plural into kein-."""
        if self.pronoun:
            if case != "nom":
                raise ValueError("pronouns are only used as subjects")
            return _PRONOUNS[self.pronoun][0]
        noun = self.noun
        assert noun is not None
        col = 3 if self.plural else _GENDER_INDEX[noun.gender]
        det = "kein" if negated and self.det in ("a", "bare") else self.det
        if det == "the":
            article, adj_endings = _DEFINITE[case][col], _WEAK_ADJ
        elif det == "this":
            article, adj_endings = "dies" + _DER_ENDINGS[case][col], _WEAK_ADJ
        elif det == "bare":
            article, adj_endings = "", _DER_ENDINGS
        else:
            stem = {"a": "ein", "kein": "kein"}.get(det) or _POSSESSIVES[det]
            article, adj_endings = stem + _EIN_ENDINGS[case][col], _MIXED_ADJ
        if self.plural:
            head = noun.de_plural
            if case == "dat" and not head.endswith(("n", "s")):
                head += "n"  # dative plural: den Kindern
        else:
            head = noun.de_weak if case != "nom" and noun.de_weak else noun.de
        words = [article] if article else []
        if self.adj:
            words.append(self.adj.attr + adj_endings[case][col])
        words.append(head)
        return " ".join(words)


@dataclass(frozen=True)
class PrepPhrase:
    """A preposition with its noun phrase."""

    prep: Preposition
    np: NounPhrase

    def english(self) -> str:
        return f"{self.prep.en} {self.np.english()}"

    def german(self) -> str:
        np_de = self.np.german(self.prep.case)
        if self.np.det == "the" and not self.np.plural and self.np.noun is not None:
            for gender, contracted in self.prep.contractions:
                if gender == self.np.noun.gender:
                    return contracted + np_de[np_de.index(" ") :]  # in dem Garten -> im Garten
        return f"{self.prep.de} {np_de}"


def _english_third_person(verb: str) -> str:
    if verb == "have":
        return "has"
    if verb.endswith(("s", "sh", "ch", "x", "z", "o")):
        return verb + "es"
    if verb.endswith("y") and verb[-2] not in "aeiou":
        return verb[:-1] + "ies"
    return verb + "s"


@dataclass(frozen=True)
class Clause:
    """One present-tense declarative sentence."""

    subject: NounPhrase
    verb: Verb
    obj: NounPhrase | None = None  # accusative object
    dat: NounPhrase | None = None  # dative object
    pp: PrepPhrase | None = None
    adj: Adjective | None = None  # predicate adjective of "be"
    negated: bool = False

    def english(self) -> str:
        person = self.subject.person
        if self.verb.en == "be":
            form = {"1sg": "am", "3sg": "is"}.get(person, "are")
            verb = form + " not" if self.negated else form
        elif self.negated:
            verb = ("does not " if person == "3sg" else "do not ") + self.verb.en
        elif person == "3sg":
            head, _, particle = self.verb.en.partition(" ")
            verb = " ".join(filter(None, (_english_third_person(head), particle)))
        else:
            verb = self.verb.en
        words = [self.subject.english(), verb]
        for part in (self.dat, self.obj, self.pp):
            if part is not None:
                words.append(part.english())
        if self.adj is not None:
            words.append(self.adj.en)
        sentence = " ".join(words)
        return sentence[0].upper() + sentence[1:] + "."

    def german(self) -> str:
        target = (self.obj or self.dat) if self.negated else None
        kein = target is not None and target.det in ("a", "bare")
        words = [
            self.subject.german("nom"),
            self.verb.forms[_PERSONS.index(self.subject.person)],
        ]
        if self.dat is not None:
            words.append(self.dat.german("dat", negated=kein and target is self.dat))
        if self.obj is not None:
            words.append(self.obj.german("acc", negated=kein and target is self.obj))
        if self.negated and not kein:
            words.append("nicht")
        if self.pp is not None:
            words.append(self.pp.german())
        if self.adj is not None:
            words.append(self.adj.de)
        sentence = " ".join(words)
        return sentence[0].upper() + sentence[1:] + "."


def noun_phrase(noun: str, det: str = "the", plural: bool = False, adj: str = "") -> NounPhrase:
    """Build a noun phrase from English lemmas: noun_phrase("dog", "a", adj="big")."""
    return NounPhrase(NOUNS[noun], det, plural, ADJECTIVES[adj] if adj else None)


def pronoun(word: str) -> NounPhrase:
    """A subject pronoun: I, you, he, she, it, we, they."""
    return NounPhrase(None, pronoun=word)


def prep_phrase(prep: str, np: NounPhrase) -> PrepPhrase:
    """A prepositional phrase from an English preposition: prep_phrase("in", noun_phrase(...))."""
    return PrepPhrase(PREPOSITIONS[prep], np)


def clause(
    subject: NounPhrase,
    verb: str,
    *,
    obj: NounPhrase | None = None,
    dat: NounPhrase | None = None,
    pp: PrepPhrase | None = None,
    adj: str = "",
    negated: bool = False,
) -> Clause:
    """Build a clause from an English verb lemma; `adj` is a predicate adjective for "be"."""
    return Clause(subject, VERBS[verb], obj, dat, pp, ADJECTIVES[adj] if adj else None, negated)


# ---------------------------------------------------------------------------------------------
# Sampling and counting
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Slot:
    """The noun phrases one argument position may hold."""

    nouns: tuple[Noun, ...]
    pronouns: tuple[str, ...] = ()
    definite_only: bool = False
    singular_only: bool = False
    lengths: tuple[int, ...] = field(default=(), compare=False)


def _make_slot(
    selector: tuple[str, ...],
    pronouns: tuple[str, ...] = (),
    definite_only: bool = False,
    singular_only: bool = False,
) -> _Slot:
    nouns = _select(selector)
    # lengths[k] = number of distinct phrases with k English words.
    lengths = [0] * (MAX_WORDS + 1)
    lengths[1] += len(pronouns)
    sg_dets = [d for d in _SINGULAR_DETS if not (definite_only and d == "a")]
    pl_dets = [d for d in _PLURAL_DETS if not (definite_only and d == "bare")]
    if singular_only:
        pl_dets = []
    for noun in nouns:
        n_words = len(noun.en.split())
        n_adj = len(_ADJECTIVES_FOR[noun.en])
        for det in (*sg_dets, *pl_dets):
            k = n_words + (det != "bare")
            lengths[k] += 1
            lengths[k + 1] += n_adj
    return _Slot(nouns, pronouns, definite_only, singular_only, tuple(lengths))


def _subject_pronouns(selector: tuple[str, ...]) -> tuple[str, ...]:
    pronouns = _PERSON_PRONOUNS if "person" in selector else ()
    if any(s != "person" for s in selector):
        pronouns = (*pronouns, "it") if "they" in pronouns else (*pronouns, "it", "they")
    return pronouns


@dataclass(frozen=True)
class _Frame:
    """A verb with the slots its arguments are drawn from."""

    verb: Verb
    prep: Preposition | None
    negated: bool
    subject: _Slot
    dat: _Slot | None
    obj: _Slot | None
    pp: _Slot | None
    predicate_adj: bool = False  # "be" + adjective: the adjective depends on the subject noun


@cache
def _frame(verb_en: str, ditransitive: bool, prep_en: str, negated: bool, pred_adj: bool) -> _Frame:
    verb = VERBS[verb_en]
    prep = PREPOSITIONS[prep_en] if prep_en else None
    if pred_adj:
        subject = _make_slot(verb.subj, _PERSON_PRONOUNS)
    elif verb.en == "be":
        subject = _make_slot(("person", "animal", "small", "big", "food"), tuple(_PRONOUNS))
    else:
        subject = _make_slot(verb.subj, _subject_pronouns(verb.subj))
    dat = obj = None
    if verb.obj:
        obj = _make_slot(verb.obj)
    if verb.dat and (ditransitive or not verb.obj):
        # In a negated ditransitive only the accusative object may take kein-.
        dat = _make_slot(verb.dat, definite_only=negated and verb.obj != ())
    pp = _make_slot(prep.landmarks, singular_only=not prep.plural) if prep else None
    return _Frame(verb, prep, negated, subject, dat, obj, pp, pred_adj)


def _frames() -> list[_Frame]:
    """Every frame the sampler can produce."""
    frames = []
    for verb in VERBS.values():
        ditr_options = (False, True) if verb.dat_optional else (bool(verb.obj and verb.dat),)
        for ditr in ditr_options:
            preps = [] if ditr else list(verb.preps)
            if verb.en == "be":
                options = [(p, False) for p in preps] + [("", True)]
            else:
                options = [(p, False) for p in preps]
                if not (verb.pp_required and preps):
                    options.append(("", False))
            for prep_en, pred_adj in options:
                for negated in (False, True):
                    if negated and prep_en and not PREPOSITIONS[prep_en].negatable:
                        continue
                    frames.append(_frame(verb.en, ditr, prep_en, negated, pred_adj))
    return frames


def _convolve(a: list[int], b: tuple[int, ...] | list[int]) -> list[int]:
    out = [0] * (MAX_WORDS + 1)
    for i, x in enumerate(a):
        if x:
            for j, y in enumerate(b[: MAX_WORDS + 1 - i]):
                out[i + j] += x * y
    return out


def _frame_count(frame: _Frame) -> int:
    fixed = len(frame.verb.en.split()) + (1 if frame.verb.en == "be" else 2) * frame.negated
    if frame.prep is not None:
        fixed += len(frame.prep.en.split())
    if frame.predicate_adj:
        fixed += 1
        # Split the subject slot per noun: the adjective must suit the subject noun.
        lengths = [0] * (MAX_WORDS + 1)
        lengths[1] = len(frame.subject.pronouns) * len(_PERSON_ADJECTIVES)
        for noun in frame.subject.nouns:
            single = _make_slot((noun.en,)).lengths
            n_adj = len(_ADJECTIVES_FOR[noun.en])
            lengths = [x + y * n_adj for x, y in zip(lengths, single, strict=True)]
    else:
        lengths = list(frame.subject.lengths)
    for slot in (frame.dat, frame.obj, frame.pp):
        if slot is not None:
            lengths = _convolve(lengths, slot.lengths)
    return sum(lengths[max(0, MIN_WORDS - fixed) : max(0, MAX_WORDS + 1 - fixed)])


@cache
def reachable_count() -> int:
    """Number of distinct sentence pairs the generator can produce."""
    return sum(_frame_count(f) for f in _frames())


_VERB_CLASSES: dict[str, tuple[Verb, ...]] = {
    "acc": tuple(v for v in _VERB_TABLE if v.obj and (v.dat_optional or not v.dat)),
    "ditr": tuple(v for v in _VERB_TABLE if v.obj and v.dat),
    "dat": tuple(v for v in _VERB_TABLE if v.dat and not v.obj),
    "intr": tuple(v for v in _VERB_TABLE if not (v.obj or v.dat) and v.en != "be"),
    "be": (VERBS["be"],),
}
_CLASSES = ("acc", "ditr", "dat", "intr", "be")
_CLASS_CUM_WEIGHTS = (0.34, 0.48, 0.60, 0.84, 1.0)
_PP_PROBABILITY = {"acc": 0.35, "dat": 0.35, "intr": 0.75}
_NEGATION_PROBABILITY = 0.3
_PRONOUN_PROBABILITY = 0.3
_PLURAL_PROBABILITY = 0.4
_ADJECTIVE_PROBABILITY = 0.3


def _pick(rng: random.Random, items: tuple[_T, ...]) -> _T:
    # Several times faster than rng.choice, which dominates the generation time.
    return items[int(rng.random() * len(items))]


def _sample_np(rng: random.Random, slot: _Slot) -> NounPhrase:
    if slot.pronouns and rng.random() < _PRONOUN_PROBABILITY:
        return NounPhrase(None, pronoun=_pick(rng, slot.pronouns))
    noun = _pick(rng, slot.nouns)
    plural = not slot.singular_only and rng.random() < _PLURAL_PROBABILITY
    r = rng.random()
    if r < 0.45:
        det = "the"
    elif r < 0.7:
        det = "the" if slot.definite_only else ("bare" if plural else "a")
    elif r < 0.8:
        det = "this"
    else:
        det = _pick(rng, ("my", "your", "his", "her", "our"))
    adjs = _ADJECTIVES_FOR[noun.en]
    adj = _pick(rng, adjs) if adjs and rng.random() < _ADJECTIVE_PROBABILITY else None
    return NounPhrase(noun, det, plural, adj)


def _sample_clause(rng: random.Random) -> Clause:
    kind = _CLASSES[bisect.bisect(_CLASS_CUM_WEIGHTS, rng.random())]
    verb = _pick(rng, _VERB_CLASSES[kind])
    pred_adj = kind == "be" and rng.random() < 0.5
    prep_en = ""
    if kind == "be":
        prep_en = "" if pred_adj else _pick(rng, verb.preps)
    elif (kind != "ditr" and verb.preps) and (
        verb.pp_required or rng.random() < _PP_PROBABILITY[kind]
    ):
        prep_en = _pick(rng, verb.preps)
    negated = rng.random() < _NEGATION_PROBABILITY
    if prep_en and not PREPOSITIONS[prep_en].negatable:
        negated = False
    frame = _frame(verb.en, kind == "ditr", prep_en, negated, pred_adj)
    subject = _sample_np(rng, frame.subject)
    adj = None
    if pred_adj:
        choices = _ADJECTIVES_FOR[subject.noun.en] if subject.noun else _PERSON_ADJECTIVES
        adj = _pick(rng, choices)
    dat = _sample_np(rng, frame.dat) if frame.dat else None
    obj = _sample_np(rng, frame.obj) if frame.obj else None
    pp = PrepPhrase(frame.prep, _sample_np(rng, frame.pp)) if frame.prep and frame.pp else None
    return Clause(subject, verb, obj, dat, pp, adj, negated)


# ---------------------------------------------------------------------------------------------
# Public API
# ---------------------------------------------------------------------------------------------


def generate_pairs(count: int, seed: int) -> list[tuple[str, str]]:
    """`count` distinct (English, German) pairs, deterministic for a seed.

    No English and no German sentence occurs twice. A longer list for the same seed starts with
    the shorter one.
    """
    if count < 0:
        raise ValueError(f"count must be non-negative, got {count}")
    if count > reachable_count():
        raise ValueError(
            f"asked for {count} distinct sentence pairs, "
            f"but the grammar can only produce {reachable_count()}"
        )
    rng = random.Random(seed)
    seen_en: set[str] = set()
    seen_de: set[str] = set()
    pairs: list[tuple[str, str]] = []
    while len(pairs) < count:
        c = _sample_clause(rng)
        en = c.english()
        if not MIN_WORDS <= en.count(" ") + 1 <= MAX_WORDS or en in seen_en:
            continue
        de = c.german()
        if de in seen_de:
            continue
        seen_en.add(en)
        seen_de.add(de)
        pairs.append((en, de))
    return pairs


def synthetic_splits(
    train_size: int, validation_size: int, test_size: int, seed: int = 0
) -> dict[str, list[tuple[str, str]]]:
    """Keys 'train', 'validation', 'test'; disjoint at the sentence level; deterministic.

    Test and validation are drawn first, so they do not change when only `train_size` changes.
    """
    sizes = {"train": train_size, "validation": validation_size, "test": test_size}
    for name, size in sizes.items():
        if size < 0:
            raise ValueError(f"{name}_size must be non-negative, got {size}")
    total = train_size + validation_size + test_size
    if total > reachable_count():
        raise ValueError(
            f"asked for {total} distinct sentence pairs in all splits, "
            f"but the grammar can only produce {reachable_count()}"
        )
    pairs = generate_pairs(total, seed)
    return {
        "test": pairs[:test_size],
        "validation": pairs[test_size : test_size + validation_size],
        "train": pairs[test_size + validation_size :],
    }


def synthetic_corpus(
    train_size: int = 25000, validation_size: int = 500, test_size: int = 1000, seed: int = 0
) -> DatasetDict:
    """The embedded default corpus: `synthetic_splits` as a DatasetDict in the WMT schema."""
    return pairs_to_dataset_dict(synthetic_splits(train_size, validation_size, test_size, seed))
