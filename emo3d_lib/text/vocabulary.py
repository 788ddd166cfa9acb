"""Word stock of the offline description generator (the embedded stand-in for GPT-3.5).

The paper's descriptions come from GPT-3.5 and are lexically rich (Table 3: 958-2,220 unique
words per class). A template generator only matches that breadth if its vocabulary is broad, so
this module holds, per emotion and intensity level, adjectives and nouns for the feeling, facial
cues (what a face shows: "furrowed brow", "eyes wide"), situations that cause it, plus subjects
with age/gender/wording variety ("This elderly female", "The thirty-something woman") and
settings. Everything is plain data (subjects and gestures written as text lists, read by
:func:`_word_lists`); :mod:`emo3d_lib.text.generator` combines it.
"""

from __future__ import annotations

from typing import Any

LEVELS: tuple[str, ...] = ("low", "medium", "high")


def _word_lists(text: str, key_words: int = 1) -> dict[Any, tuple[str, ...]]:
    """Lists written as text, for long parallel lists (tuples of them would repeat one shape):
    each entry is ``key: phrase; phrase; ...``, continued on indented lines. A key of several
    words (``key_words``) becomes a tuple of them."""
    entries: list[str] = []
    for line in text.strip().splitlines():
        if line.startswith(" "):
            entries[-1] += " " + line.strip()
        else:
            entries.append(line)
    out: dict[Any, tuple[str, ...]] = {}
    for entry in entries:
        key, _, words = entry.partition(": ")
        parts = tuple(key.split())
        if len(parts) != key_words or not words:
            raise ValueError(f"word list entry {entry[:40]!r}: want {key_words} key word(s), ': '")
        out[key if key_words == 1 else parts] = tuple(words.split("; "))
    return out


#: Adjectives for a person feeling the emotion, by intensity level ("looks {adj}").
ADJECTIVES: dict[str, dict[str, tuple[str, ...]]] = {
    "neutral": {
        "low": ("unbothered", "unfazed", "relaxed", "at ease", "settled", "unhurried", "mellow",
                "easygoing", "undisturbed", "collected"),
        "medium": ("calm", "composed", "neutral", "even-tempered", "matter-of-fact", "reserved",
                   "pensive", "thoughtful", "contemplative", "attentive", "focused", "steady",
                   "quiet", "poised", "restrained", "placid"),
        "high": ("expressionless", "impassive", "stoic", "blank", "deadpan", "stone-faced",
                 "unreadable", "inscrutable", "emotionless", "detached", "poker-faced", "vacant",
                 "unmoved", "flat"),
    },
    "happiness": {
        "low": ("pleased", "content", "amused", "cheerful", "satisfied", "upbeat", "pleasant",
                "glad", "lighthearted", "bemused", "good-humored", "warm"),
        "medium": ("happy", "joyful", "delighted", "merry", "jolly", "gleeful", "cheery",
                   "sunny", "buoyant", "lively", "bright-eyed", "playful", "grateful", "proud"),
        "high": ("elated", "ecstatic", "overjoyed", "euphoric", "jubilant", "exuberant",
                 "thrilled", "rapturous", "blissful", "radiant", "exultant", "triumphant",
                 "giddy", "beaming"),
    },
    "surprise": {
        "low": ("curious", "intrigued", "puzzled", "caught off guard", "taken aback", "quizzical",
                "perplexed", "bewildered", "unsure", "confused", "inquisitive"),
        "medium": ("surprised", "startled", "amazed", "astonished", "stunned", "baffled",
                   "wide-eyed", "incredulous", "disbelieving", "dumbfounded", "speechless"),
        "high": ("astounded", "flabbergasted", "thunderstruck", "awestruck", "shocked",
                 "staggered", "floored", "agape", "dazed", "stupefied", "electrified",
                 "bowled over"),
    },
    "sadness": {
        "low": ("wistful", "melancholy", "pensive", "downcast", "blue", "subdued", "glum",
                "disappointed", "low-spirited", "forlorn", "nostalgic", "weary"),
        "medium": ("sad", "sorrowful", "unhappy", "mournful", "dejected", "gloomy", "tearful",
                   "disheartened", "crestfallen", "despondent", "somber", "lonely", "hurt"),
        "high": ("heartbroken", "devastated", "grief-stricken", "inconsolable", "anguished",
                 "desolate", "miserable", "despairing", "shattered", "crushed", "bereft",
                 "woeful", "wretched", "tormented"),
    },
    "anger": {
        "low": ("annoyed", "irritated", "displeased", "grumpy", "cross", "testy", "peeved",
                "impatient", "frustrated", "touchy", "sullen", "irked"),
        "medium": ("angry", "mad", "indignant", "resentful", "exasperated", "heated",
                   "aggravated", "hostile", "bitter", "fuming", "agitated", "defiant"),
        "high": ("furious", "enraged", "livid", "irate", "incensed", "seething", "wrathful",
                 "outraged", "infuriated", "apoplectic", "explosive", "raging", "vengeful"),
    },
    "disgust": {
        "low": ("uneasy", "put off", "distasteful", "squeamish", "uncomfortable", "averse",
                "unimpressed", "queasy", "turned off", "wary"),
        "medium": ("disgusted", "grossed out", "repelled", "offended", "nauseated", "sickened",
                   "appalled", "disturbed", "revolted", "displeased", "disapproving"),
        "high": ("repulsed", "revulsed", "horrified", "nauseous", "abhorrent", "loathing",
                 "disgusted beyond words", "gagging", "aghast", "sick to the stomach", "retching"),
    },
    "fear": {
        "low": ("nervous", "uneasy", "anxious", "jittery", "apprehensive", "tense", "worried",
                "hesitant", "timid", "skittish", "restless", "cautious"),
        "medium": ("afraid", "scared", "frightened", "fearful", "alarmed", "shaken", "spooked",
                   "rattled", "distressed", "panicky", "edgy", "insecure"),
        "high": ("terrified", "petrified", "horror-struck", "panic-stricken", "frantic",
                 "paralyzed", "hysterical", "trembling", "dread-filled", "terror-stricken",
                 "aghast", "horrified"),
    },
    "contempt": {
        "low": ("skeptical", "dismissive", "unimpressed", "smug", "cynical", "aloof", "wry",
                "sardonic", "doubtful", "jaded", "ironic", "sly"),
        "medium": ("contemptuous", "condescending", "disdainful", "scornful", "sneering",
                   "haughty", "snide", "patronizing", "superior", "mocking", "derisive",
                   "snobbish", "supercilious"),
        "high": ("scathing", "withering", "disparaging", "arrogant", "insolent", "spiteful",
                 "belittling", "lordly", "pompous", "imperious", "vindictive",
                 "hateful"),
    },
}

#: Nouns for the feeling itself, by intensity level ("showing {noun} in her face").
NOUNS: dict[str, dict[str, tuple[str, ...]]] = {
    "neutral": {
        "low": ("ease", "indifference", "interest", "idleness", "boredom", "restfulness"),
        "medium": ("calm", "composure", "neutrality", "calmness", "serenity", "concentration",
                   "contemplation", "attentiveness", "equanimity", "patience", "reserve"),
        "high": ("stillness", "detachment", "impassivity", "blankness", "stoicism",
                 "emotional flatness", "vacancy", "apathy", "coolness"),
    },
    "happiness": {
        "low": ("contentment", "amusement", "satisfaction", "pleasure", "cheer", "warmth",
                "fondness", "good humor", "relief", "mirth"),
        "medium": ("happiness", "joy", "delight", "glee", "gladness", "merriment", "gratitude",
                   "pride", "enjoyment", "cheerfulness", "playfulness", "optimism"),
        "high": ("elation", "ecstasy", "euphoria", "bliss", "jubilation", "exhilaration",
                 "rapture", "exuberance", "triumph", "unbridled joy"),
    },
    "surprise": {
        "low": ("curiosity", "puzzlement", "confusion", "intrigue", "perplexity", "wonder",
                "uncertainty", "bemusement"),
        "medium": ("surprise", "amazement", "astonishment", "disbelief", "bewilderment",
                   "incredulity", "startlement", "awe"),
        "high": ("shock", "stupefaction",
                 "stupefied wonder", "bafflement", "consternation"),
    },
    "sadness": {
        "low": ("melancholy", "wistfulness", "disappointment", "gloom", "nostalgia", "longing",
                "weariness", "regret", "pensiveness"),
        "medium": ("sadness", "sorrow", "unhappiness", "dejection", "grief", "loneliness",
                   "hurt", "heartache", "mourning", "discouragement", "hopelessness"),
        "high": ("despair", "anguish", "devastation", "heartbreak", "misery", "desolation",
                 "desperation", "agony", "woe", "inconsolable grief", "bereavement"),
    },
    "anger": {
        "low": ("annoyance", "irritation", "displeasure", "impatience", "frustration",
                "grumpiness", "vexation", "exasperation"),
        "medium": ("anger", "indignation", "resentment", "hostility", "bitterness", "ire",
                   "aggravation", "agitation", "defiance", "animosity"),
        "high": ("rage", "fury", "wrath", "outrage", "seething anger",
                 "blind fury", "vengefulness", "hatred", "violent anger"),
    },
    "disgust": {
        "low": ("distaste", "aversion", "unease", "discomfort", "squeamishness", "dislike",
                "reluctance", "disapproval"),
        "medium": ("disgust", "repugnance", "revulsion", "nausea", "offense", "repulsion",
                   "disfavor", "antipathy"),
        "high": ("loathing", "abhorrence", "horror", "sickening disgust",
                 "abomination", "odium", "visceral repugnance"),
    },
    "fear": {
        "low": ("nervousness", "unease", "anxiety", "apprehension", "worry", "tension",
                "hesitation", "timidity", "jitters", "concern"),
        "medium": ("fear", "fright", "alarm", "dread", "distress", "panic", "trepidation",
                   "insecurity", "foreboding", "disquiet"),
        "high": ("terror", "horror", "paralyzing fear", "hysteria",
                 "mortal dread", "blind panic", "consternation", "petrification"),
    },
    "contempt": {
        "low": ("skepticism", "dismissiveness", "smugness", "cynicism", "doubt", "irony",
                "aloofness", "indifference", "superciliousness"),
        "medium": ("contempt", "disdain", "scorn", "condescension", "derision", "mockery",
                   "haughtiness", "superiority", "disrespect", "snobbery"),
        "high": ("withering scorn", "disparagement", "arrogance", "insolence",
                 "spite", "open derision", "icy disdain", "open disrespect"),
    },
}

#: Intensifying adverbs per level ("looks {adv} {adj}"); empty string = no adverb.
INTENSIFIERS: dict[str, tuple[str, ...]] = {
    "low": ("slightly", "a little", "mildly", "faintly", "somewhat", "a bit", "vaguely",
            "subtly", "barely", "quietly", "", ""),
    "medium": ("quite", "noticeably", "fairly", "clearly", "visibly", "rather", "genuinely",
               "openly", "plainly", "", ""),
    "high": ("intensely", "deeply", "utterly", "overwhelmingly", "extremely", "completely",
             "thoroughly", "profoundly", "absolutely", "unmistakably", "incredibly", "wildly"),
}

#: "intense despair", "a hint of sorrow": how a noun's strength is phrased.
NOUN_QUANTIFIERS: dict[str, tuple[str, ...]] = {
    "low": ("a hint of", "a trace of", "a touch of", "a flicker of", "a glimmer of",
            "a shadow of", "subtle", "faint", "mild", "quiet"),
    "medium": ("clear", "evident", "obvious", "unmistakable", "plain", "visible", "open",
               "genuine", "real", "noticeable"),
    "high": ("intense", "overwhelming", "profound", "raw", "sheer", "deep", "utter",
             "extreme", "palpable", "striking", "powerful", "consuming"),
}

#: Facial cues per emotion (noun phrases after "with"); ``{pos}`` = her/his/their.
FACIAL_CUES: dict[str, tuple[str, ...]] = {
    "neutral": (
        "a relaxed brow", "{pos} lips gently closed", "a steady gaze", "soft, unfocused eyes",
        "a straight mouth", "{pos} eyebrows level", "a still face", "{pos} jaw relaxed",
        "eyes looking straight ahead", "a calm, even stare", "no trace of a smile",
        "{pos} features at rest", "a faintly furrowed brow", "a level gaze",
        "{pos} head held still",
        "lips neither smiling nor frowning", "an unblinking look", "eyes half-lidded",
        "a slightly tilted head", "an ordinary resting face", "a composed mouth",
        "{pos} eyes fixed on a distant point",
    ),
    "happiness": (
        "a broad smile", "crinkled eyes", "{pos} cheeks raised", "a beaming grin",
        "dimples showing", "eyes sparkling", "a wide, toothy grin", "laugh lines around {pos} eyes",
        "the corners of {pos} mouth turned up", "a warm smile", "glowing cheeks",
        "a radiant face", "a soft, gentle smile", "eyes squinting with laughter",
        "an open-mouthed laugh", "a lopsided smile", "a bright, cheerful face", "rosy cheeks",
        "a grin from ear to ear", "eyes shining", "{pos} head thrown back in laughter",
        "a playful smirk", "crow's feet deepening", "a contented little smile",
    ),
    "surprise": (
        "eyes wide open", "raised eyebrows", "{pos} mouth agape", "a dropped jaw",
        "an open mouth", "eyebrows shooting up", "a gasp on {pos} lips", "wide, round eyes",
        "{pos} forehead wrinkled upward", "a slack jaw", "lips parted in an O",
        "eyes popping", "a sharp intake of breath", "{pos} brows arched high",
        "a startled blink", "{pos} hand over {pos} mouth", "the whites of {pos} eyes showing",
        "a frozen, wide-eyed stare", "eyebrows lifted in disbelief", "a quizzical look",
        "a tilted head and a puzzled frown", "{pos} mouth hanging open",
    ),
    "sadness": (
        "downturned lips", "teary eyes", "drooping eyelids", "a trembling chin",
        "the inner corners of {pos} brows raised", "a quivering lip", "red-rimmed eyes",
        "tears streaming down {pos} cheeks", "a downcast gaze", "a frown", "a hollow stare",
        "slumped shoulders", "{pos} eyes glistening", "a heavy, downturned mouth",
        "a pinched brow", "puffy eyes", "a faraway look", "{pos} head bowed",
        "a sorrowful pout", "lips pressed to hold back tears", "a furrowed, sorrowful brow",
        "dull, lifeless eyes", "a tear rolling down {pos} face",
    ),
    "anger": (
        "a furrowed brow", "narrowed eyes", "clenched teeth", "flared nostrils",
        "lips pressed tightly together", "a tight jaw", "a fierce glare", "{pos} brows drawn down",
        "a red face", "a snarl", "bared teeth", "a piercing stare", "a deep scowl",
        "a clenched jaw", "veins standing out on {pos} forehead", "tense, thin lips",
        "a hard, cold stare", "{pos} eyebrows knitted together", "a flushed face",
        "a bulging vein at {pos} temple", "{pos} lower lip pushed up", "a glowering look",
    ),
    "disgust": (
        "a wrinkled nose", "a curled upper lip", "a grimace", "{pos} nose scrunched up",
        "the corners of {pos} mouth pulled down", "a sour expression", "narrowed, squinting eyes",
        "{pos} tongue slightly out", "a raised upper lip", "lips twisted in distaste",
        "{pos} head turned away", "a gagging mouth", "a sickened grimace",
        "{pos} cheeks pushed up", "a pinched face", "a recoiling posture",
        "a look of revulsion", "lowered brows", "a puckered mouth", "a queasy frown",
        "a lip curled in revulsion",
    ),
    "fear": (
        "wide, frightened eyes", "raised and drawn-together brows", "a pale face",
        "lips stretched back", "a trembling mouth", "eyes darting around", "a tense forehead",
        "a frozen stare", "{pos} mouth stretched horizontally", "a quivering jaw",
        "beads of sweat on {pos} brow", "dilated pupils", "an open, trembling mouth",
        "{pos} shoulders hunched", "a shaky breath", "the whites of {pos} eyes visible",
        "{pos} lips parted and tense", "a ghostly pallor", "clammy skin",
        "a frantic look", "eyes fixed on the threat", "a gasping mouth",
    ),
    "contempt": (
        "a one-sided smirk", "the left corner of {pos} mouth raised",
        "the right corner of {pos} lip pulled up", "a raised eyebrow", "a sneer",
        "rolled eyes", "a half-smile", "{pos} chin lifted", "a cold, sidelong glance",
        "narrowed, judging eyes", "a slight curl of {pos} lip", "a mocking grin",
        "a dimple on one cheek", "{pos} nose in the air", "a sideways look",
        "an asymmetric smile", "a tilted head and a smirk", "{pos} lips pursed",
        "a dismissive snort", "heavy-lidded eyes", "a condescending look down {pos} nose",
        "a lopsided sneer",
    ),
}

#: Situations that cause each emotion ("after ..." / "as ..." / "when ...").
CONTEXTS: dict[str, tuple[str, ...]] = {
    "neutral": (
        "while waiting for the bus", "while reading the morning newspaper",
        "during a routine meeting", "while listening to the lecture", "as the train rolls on",
        "while standing in line at the bank", "while filling out a form",
        "as the radio plays in the background", "while sorting the mail",
        "during a long commute", "while watching the rain", "as the clock ticks",
        "while stirring a cup of tea", "while scrolling through the phone",
        "as the elevator climbs", "while considering the question",
    ),
    "happiness": (
        "after receiving good news", "at a birthday party", "while hugging an old friend",
        "after winning the game", "while playing with a puppy", "on graduation day",
        "as the fireworks burst overhead", "after a long-awaited reunion",
        "when the baby laughs", "after getting the promotion", "at the wedding reception",
        "while watching a comedy", "on the first day of vacation", "after passing the exam",
        "when the gift is unwrapped", "while dancing at the festival",
    ),
    "surprise": (
        "when the lights suddenly go out", "at the unexpected knock on the door",
        "after hearing the surprising news", "as the magician reveals the card",
        "when the friends jump out shouting", "at the sight of the huge package",
        "when the phone rings at midnight", "as the balloon pops", "after reading the letter",
        "at the plot twist", "when the long-lost cousin walks in",
        "at the size of the bill", "as the curtain rises", "when the results are announced",
        "at the strange noise in the attic", "when the test score comes back",
    ),
    "sadness": (
        "after losing a loved one", "at the funeral", "while reading an old letter",
        "after the breakup", "as the rain taps on the window", "when the pet does not come home",
        "after saying goodbye at the airport", "while looking at faded photographs",
        "after the team loses the final", "when the dream falls apart",
        "on an empty holiday evening", "after hearing the diagnosis",
        "while packing up the childhood home", "when nobody remembers the birthday",
        "after the job rejection", "as the friends drive away",
    ),
    "anger": (
        "after being cut off in traffic", "when the promise is broken",
        "after being lied to", "during a heated argument",
        "when the neighbor's dog barks all night",
        "after the unfair decision", "when the order arrives wrong again",
        "after being insulted in public", "as the referee makes a bad call",
        "when the computer crashes before saving", "after the betrayal",
        "when someone cuts in line", "after the rude phone call", "as the delay drags on",
        "when the car is scratched", "after the meeting is cancelled without notice",
    ),
    "disgust": (
        "at the smell of spoiled milk", "after finding a hair in the soup",
        "at the sight of the overflowing garbage", "when the moldy bread is opened",
        "after stepping in something sticky", "at the rotten fish in the market",
        "while cleaning the filthy bathroom", "at the sight of maggots",
        "after tasting the sour food", "when the stranger spits on the sidewalk",
        "at the greasy kitchen", "after hearing the vile joke",
        "at the cockroach on the counter", "while smelling the sewer",
        "at the slimy texture", "after witnessing the cruel act",
    ),
    "fear": (
        "in the dark alley", "at the sound of footsteps behind", "during the thunderstorm",
        "as the plane shakes with turbulence", "at the sight of the snake",
        "when the floor creaks at night", "while walking through the haunted house",
        "as the dog growls", "at the edge of the cliff", "when the smoke alarm goes off",
        "as the stranger approaches", "during the earthquake", "at the shadow in the window",
        "while waiting for the test results", "as the car skids on ice",
        "when the spider crawls closer",
    ),
    "contempt": (
        "while listening to the boastful colleague", "at the rival's clumsy excuse",
        "when the critic reads the review", "at the cheap imitation",
        "while watching the amateur performance", "at the politician's empty promise",
        "when the snob brags about wealth", "at the feeble apology",
        "while judging the sloppy work", "at the pretentious speech",
        "when the rival stumbles", "at the naive suggestion", "while eyeing the gaudy outfit",
        "at the clumsy attempt to flatter", "when the know-it-all interrupts",
        "at the hypocrite's lecture",
    ),
}

#: Where the scene takes place (shared by all emotions; adds situational breadth).
SETTINGS: tuple[str, ...] = (
    "in the kitchen", "at the office", "on a crowded subway", "in the park", "at the beach",
    "in a dim hallway", "at the dinner table", "in the classroom", "on the porch",
    "in a busy café", "at the train station", "in the hospital waiting room", "in the garden",
    "on a city sidewalk", "in the living room", "at the supermarket", "in a quiet library",
    "at the airport gate", "on a mountain trail", "in the backyard", "at a family gathering",
    "in the parking lot", "on the balcony", "in a courtroom", "at the concert hall",
    "in front of the mirror", "at the bus stop", "in the laboratory", "on the football field",
    "in a small apartment", "at the farmers market", "in the museum", "on a rainy street",
    "at the doctor's office", "in the elevator", "on the school playground",
)

#: Subject referents: (age group, gender) -> noun phrases without a determiner.
SUBJECTS: dict[tuple[str, str], tuple[str, ...]] = _word_lists("""
child female: little girl; young girl; girl of about six; small girl; schoolgirl; toddler girl;
    girl with pigtails; girl in a yellow dress
child male: little boy; young boy; boy of about seven; small boy; schoolboy; toddler boy;
    boy with freckles; boy in a striped shirt
child neutral: child; kid; youngster; toddler; little one; grade-schooler
teen female: teenage girl; adolescent girl; girl in her teens; high-school girl;
    young lady of sixteen; teen girl
teen male: teenage boy; adolescent boy; boy in his teens; high-school boy;
    young man of seventeen; teen boy
teen neutral: teenager; adolescent; teen; high-school student; youth
young female: young woman; woman in her twenties; twenty-something woman; college girl;
    young lady; female student; bride
young male: young man; man in his twenties; twenty-something man; college guy; young fellow;
    male student; groom
young neutral: young adult; student; young person; twenty-something; university student; intern
thirties female: thirty-something woman; woman in her thirties; young mother;
    female office worker; businesswoman; woman; lady
thirties male: thirty-something man; man in his thirties; young father; male office worker;
    businessman; man; guy
thirties neutral: adult; person; individual; office worker; parent; professional
middle female: middle-aged woman; woman in her forties; woman in her fifties; mother;
    matronly woman; female teacher; housewife
middle male: middle-aged man; man in his forties; man in his fifties; father; balding man;
    male teacher; gentleman
middle neutral: middle-aged person; middle-aged adult; teacher; manager; neighbor; shopkeeper
elderly female: elderly female; elderly woman; old lady; grandmother; woman in her old age;
    senior woman; white-haired woman; woman in her seventies; older woman; granny
elderly male: elderly male; elderly man; old man; grandfather; man in his old age;
    senior gentleman; gray-bearded man; man in his eighties; older man; grandpa
elderly neutral: elderly person; senior citizen; retiree; pensioner; old-timer; older adult
""", key_words=2)

#: Age groups and their sampling weights (adults dominate, as in the paper's DALL-E faces).
AGE_WEIGHTS: dict[str, float] = {
    "child": 0.08, "teen": 0.10, "young": 0.22, "thirties": 0.22, "middle": 0.20, "elderly": 0.18,
}
GENDER_WEIGHTS: dict[str, float] = {"female": 0.45, "male": 0.45, "neutral": 0.10}

#: Pronouns: (subject, possessive, "is", "looks", "has", "seems").
PRONOUNS: dict[str, tuple[str, str, str, str, str, str]] = {
    "female": ("she", "her", "is", "looks", "has", "seems"),
    "male": ("he", "his", "is", "looks", "has", "seems"),
    "neutral": ("they", "their", "are", "look", "have", "seem"),
}

#: First names for named subjects ("Maria, a woman in her thirties, ...").
NAMES: dict[str, tuple[str, ...]] = {
    "female": (
        "Maria", "Aisha", "Emma", "Sofia", "Yuki", "Fatima", "Olivia", "Priya", "Chloe", "Elena",
        "Hannah", "Mei", "Amara", "Lucia", "Ingrid", "Zara", "Nadia", "Grace", "Leila", "Ana",
        "Clara", "Rosa", "Ruth", "Esther", "Keiko", "Ayana", "Nora", "Sara", "Mila", "Ines",
        "Beatriz", "Helga", "Imani", "Jasmine", "Kateryna", "Laila", "Maya", "Noor", "Paula",
        "Rachel",
    ),
    "male": (
        "James", "Ahmed", "Luca", "Hiroshi", "Omar", "Daniel", "Raj", "Mateo", "Ivan", "Kwame",
        "Pierre", "Chen", "Samuel", "Diego", "Tomas", "Reza", "Arjun", "Felix", "Hassan", "Jonas",
        "Kenji", "Leon", "Marco", "Nikolai", "Oscar", "Pablo", "Rafael", "Sven", "Tariq", "Victor",
        "Walter", "Yusuf", "Ali", "Bruno", "Carlos", "David", "Emil", "Farid", "George", "Henry",
    ),
    "neutral": ("Alex", "Sam", "Robin", "Jordan", "Taylor", "Kim", "Charlie", "Jamie", "Riley",
                "Morgan", "Avery", "Quinn"),
}

#: Face/region nouns used by templates ("in her {feature}").
FEATURES: tuple[str, ...] = (
    "face", "eyes", "expression", "features", "gaze", "look", "countenance", "whole face",
    "demeanor", "eyes and mouth",
)

#: Verbs of showing ("{subject} {shows} {noun}").
SHOW_VERBS: tuple[str, ...] = (
    "is showing", "is displaying", "shows", "displays", "radiates", "betrays", "reveals",
    "conveys", "wears", "exudes", "expresses", "projects",
)

#: Verbs of appearing ("{subject} {appears} {adj}").
APPEAR_VERBS: tuple[str, ...] = (
    "looks", "appears", "seems", "is", "comes across as", "appears to be", "looks to be",
    "is looking", "is feeling", "grows",
)

# ---------------------------------------------------------------------------------------------
# Sentence templates. Fields: {S}/{s} subject (sentence-initial / inside a sentence), {pro},
# {pos}, {pro_is}, {pro_has} pronoun forms; {adj}/{noun} the dominant feeling with its strength
# ("deeply heartbroken", "intense despair"), {bare_noun} without strength; {adj2}/{noun2}/
# {bare_noun2}/{cue3} a secondary emotion; {cue}/{cue2} facial cues; {ctx}/{Ctx} a situation;
# {setting}/{Setting} a place; {show}/{appear} verbs; {feature} a face region; {emotion} the
# dominant emotion's own name and {quant} a strength word ("intense").
# Each prompt type is one way of asking for a description (as the paper's prompt1, prompt2...);
# a sample's three paraphrases use three different templates of its prompt type.
# ---------------------------------------------------------------------------------------------
TEMPLATES: dict[str, dict[str, tuple[str, ...]]] = {
    # prompt1: a person and how they look (the paper's example row is of this kind).
    "prompt1": {
        "single": (
            "{S} {show} {noun} in {pos} {feature}.",
            "{S} {appear} {adj}.",
            "{S} {appear} {adj} {ctx}.",
            "{S} {appear} {adj}, with {cue}.",
            "{S} {setting} {appear} {adj}.",
            "There is {noun} in the {feature} of {s}.",
            "{S} has an expression of {bare_noun} on {pos} face.",
            "{S} {appear} {adj}; {pro} {pro_has} {cue}.",
            "The emotion on the face of {s} is {noun}.",
            "{S}'s expression conveys {noun}.",
            "{S} {show} {noun}, {pos} {feature} full of {bare_noun}.",
            "{S} {appear} {adj} {setting}.",
            "{S} {appear} {adj}, {gesture}.",
            "{S} {setting} {appear} {adj}, {gesture}, with {cue}.",
            "The expression of {s} is one of {noun}.",
            "{S}'s eyes show {noun}.",
            "{S} is expressing {noun}, with {cue}.",
            "The emotion in the eyes of {s} is {bare_noun}.",
            "{S} shows {quant} {emotion}, with {cue}.",
        ),
        "mixed": (
            "{S} {appear} {adj}, with {noun2} underneath.",
            "{S} {show} {noun}, mixed with {noun2}.",
            "{S} {appear} {adj} but also {adj2} {ctx}.",
            "{S} {show} {noun} and {noun2} in {pos} {feature}.",
            "{S} {appear} {adj}, yet {pos} face {show} {noun2}.",
            "The face of {s} shows {noun}, along with {noun2}.",
            "The expression of {s} mixes {emotion} with {noun2}.",
        ),
    },
    # prompt2: the facial cues first, the feeling named last.
    "prompt2": {
        "single": (
            "With {cue} and {cue2}, {s} {appear} {adj}.",
            "{Cue} and {cue2}: {s} is clearly overcome by {bare_noun}.",
            "{S}'s face shows {cue} and {cue2}, a picture of {bare_noun}.",
            "{Cue}, {cue2}; the face of {s} {setting} speaks of {bare_noun}.",
            "{S} has {cue} and {cue2}, signs of {noun}.",
            "A close-up of {s}: {cue}, {cue2}, and an air of {bare_noun}.",
            "The {bare_noun} of {s} is given away by {cue}.",
            "Look at {s}: {cue}, {cue2}, {adj}.",
            "{S} stares with {cue}, {pos} face showing {noun}.",
            "{Cue}, {cue2}, and a look of {bare_noun} mark the face of {s}.",
            "{Cue}, {gesture}: {s} {appear} {adj}.",
            "{Cue} and {cue2}: the expression of {s} is pure {bare_noun}.",
            "{Cue}, {cue2}: the emotion on the face of {s} is {emotion}.",
        ),
        "mixed": (
            "With {cue} and {cue3}, {s} {appear} {adj} yet {adj2}.",
            "{S} has {cue}, and {cue3}: a sign of {bare_noun2}.",
            "{Cue}: {pos} {bare_noun} is plain to see, with {cue3} adding {noun2}.",
            "{S}'s face: {cue}, {cue2}, {noun} with {noun2}.",
            "{Cue} and {cue3}; {s} {appear} {adj} and {adj2}.",
            "{Cue}, {gesture}: {s} {appear} {adj} and {adj2}.",
        ),
    },
    # prompt3: a situation, then the reaction on the face.
    "prompt3": {
        "single": (
            "{Ctx}, {s} {appear} {adj}.",
            "{Ctx}, {s} {setting} {show} {noun}.",
            "{Setting}, {s} {show} {noun} {ctx}.",
            "{S} reacts {ctx} with {noun} and {cue}.",
            "Feeling {adj} {ctx}, {s} {setting} has {cue}.",
            "{Ctx}, the face of {s} shows {cue}.",
            "{Setting}, {s} looks up with {cue}, {adj}.",
            "{S} {appear} {adj} {ctx}, showing {cue}.",
            "{Ctx}, {s} {appear} {adj}, {gesture}.",
            "{Ctx}, the expression of {s} turns to {noun}.",
            "{Ctx}, {emotion} shows in the eyes of {s}: {cue}.",
        ),
        "mixed": (
            "{Ctx}, {s} feels {adj} and also {adj2}.",
            "{Ctx}, {s} {show} {noun} tinged with {bare_noun2}.",
            "{Setting}, {s} {appear} {adj} {ctx}, with {noun2} too.",
            "{S} reacts {ctx} with {noun}, then {noun2}.",
            "{Ctx}, {s} has {cue}, {adj} but also {adj2}.",
            "{Ctx}, {s} {appear} {adj}, {gesture}, with {noun2} too.",
        ),
    },
}
#: The emotion's own name ("{emotion}" slot): GPT-3.5 named the emotion it was asked about often
#: (it is the most frequent word of most classes in the paper's Table 4).
EMOTION_NAMES: dict[str, str] = {
    "neutral": "neutrality", "happiness": "happiness", "surprise": "surprise",
    "sadness": "sadness", "anger": "anger", "disgust": "disgust", "fear": "fear",
    "contempt": "contempt",
}
PROMPT_TYPE_WEIGHTS: dict[str, float] = {"prompt1": 0.5, "prompt2": 0.25, "prompt3": 0.25}

# ---------------------------------------------------------------------------------------------
# Extra breadth: occupations for adult subjects, more names and settings, body language.
# ---------------------------------------------------------------------------------------------
#: Occupations an adult subject may be described by ("the female nurse", "a firefighter").
ROLES: tuple[str, ...] = (
    "nurse", "firefighter", "chef", "mechanic", "lawyer", "farmer", "pilot", "waiter",
    "librarian", "soldier", "painter", "scientist", "taxi driver", "cashier", "carpenter",
    "surgeon", "journalist", "baker", "plumber", "architect", "dancer", "fisherman",
    "electrician", "pharmacist", "police officer", "accountant", "gardener", "musician",
    "photographer", "professor", "bus driver", "cleaner", "engineer", "sailor", "tailor",
    "veterinarian", "shop assistant", "programmer", "hairdresser", "tour guide",
)
ADULT_AGES: frozenset[str] = frozenset({"young", "thirties", "middle"})
GENDER_ADJECTIVES: dict[str, tuple[str, ...]] = {
    "female": ("female", "woman"), "male": ("male", "man"), "neutral": ("",),
}
MORE_NAMES: dict[str, tuple[str, ...]] = {
    "female": (
        "Alice", "Bianca", "Camila", "Dalia", "Eva", "Freya", "Gabriela", "Hana", "Irene", "Julia",
        "Kira", "Lena", "Marta", "Nina", "Olga", "Petra", "Rita", "Selin", "Tara", "Uma",
        "Vera", "Wanda", "Ximena", "Yara", "Zoe", "Adaeze", "Bao", "Chiara", "Dilnoza", "Efua",
    ),
    "male": (
        "Aaron", "Boris", "Cyrus", "Dmitri", "Elias", "Fabio", "Gustav", "Hugo", "Idris", "Jamal",
        "Karl", "Lars", "Milan", "Nils", "Orhan", "Pavel", "Quentin", "Rashid", "Stefan", "Tobias",
        "Umar", "Vikram", "Wei", "Xavier", "Yosef", "Zane", "Anil", "Bjorn", "Chidi", "Dario",
    ),
    "neutral": ("Casey", "Drew", "Emerson", "Finley", "Harper", "Kai", "Logan", "Parker",
                "Reese", "Sage"),
}
MORE_SETTINGS: tuple[str, ...] = (
    "at a crowded festival", "in a dusty attic", "beside a hospital bed", "at the ferry terminal",
    "in a noisy factory", "on a quiet country road", "at the village square",
    "in the school cafeteria", "at a job interview", "in a cramped dressing room",
    "at the edge of a lake", "in the fitting room", "at a street market in the rain",
    "by the fireplace", "in a hotel lobby", "on a snowy hillside",
    "in the waiting area of a clinic",
    "at the back of a taxi", "in a crowded stadium", "on a park bench", "at the pharmacy counter",
    "in a candle-lit restaurant", "on the rooftop terrace", "at a funeral home",
    "in the principal's office", "at the zoo", "in a greenhouse", "at the gas station",
    "in a recording studio", "on a sailboat", "at the post office", "in a barber shop",
    "at the gym", "in a bookstore", "on the night shift", "in a tent at the campsite",
    "at the town hall", "in the hallway of an old school", "near the harbor", "in the vineyard",
)
#: Body language that goes with each emotion ("{gesture}" slot).
GESTURES: dict[str, tuple[str, ...]] = _word_lists("""
neutral: hands resting in {pos} lap; arms loosely at {pos} sides; sitting upright;
    head slightly tilted; shoulders relaxed; legs crossed casually;
    fingers drumming on the table; a hand propping up {pos} chin; standing still;
    breathing evenly; a pen held idly; weight shifted to one foot
happiness: arms flung wide; clapping {pos} hands; bouncing on {pos} toes; hugging {pos} friend;
    dancing in place; a thumbs-up; waving excitedly; skipping along;
    hands pressed to {pos} heart; leaning in to laugh; spinning around; raising a glass;
    giving a high five
surprise: hands flying to {pos} cheeks; stepping back; freezing mid-step; dropping {pos} keys;
    leaning forward; clutching {pos} chest; a hand over {pos} mouth; jerking upright;
    spilling {pos} coffee; pausing in the doorway; nearly tripping; fumbling with {pos} phone
sadness: shoulders slumped; head in {pos} hands; hugging {pos} knees; staring at the floor;
    wiping away tears; clutching a tissue; curled up on the couch; walking slowly;
    sitting alone; holding an old photograph; leaning against the wall; sighing heavily
anger: fists clenched; arms crossed tightly; slamming the door; pointing an accusing finger;
    pacing back and forth; jabbing at the air; pounding the table; shoving the chair aside;
    stomping away; gripping the steering wheel; shaking {pos} fist; tearing up the letter
disgust: recoiling; pushing the plate away; holding {pos} nose; turning {pos} head aside;
    stepping back in revulsion; waving away the smell; covering {pos} mouth; dropping the spoon;
    shuddering; holding the thing at arm's length; wiping {pos} hands; gagging quietly
fear: trembling hands; backing away; hiding behind the door; clutching {pos} bag;
    frozen in place; hugging {pos} arms; glancing over {pos} shoulder; crouching low;
    gripping the railing; holding {pos} breath; covering {pos} ears; shrinking into the corner
contempt: arms folded; leaning back in {pos} chair; a slow shake of the head; a dismissive wave;
    tapping {pos} foot; turning {pos} back; looking down from a height;
    examining {pos} fingernails; a slow, mocking clap; a shrug; flicking away a crumb;
    checking {pos} watch pointedly
""")
#: Extra facial cues and situations that widen the per-emotion vocabulary.
MORE_CUES: dict[str, tuple[str, ...]] = {
    "happiness": ("a giggle escaping {pos} lips", "eyes creased with joy", "a gleaming smile",
                  "a twinkle in {pos} eye", "a blissful, dreamy look", "a chuckle",
                  "merry eyes", "a jubilant shout", "a smile that reaches {pos} eyes",
                  "flushed, happy cheeks"),
    "contempt": ("a derisive smirk", "a scoff", "eyes rolling upward", "one eyebrow cocked",
                 "a cold, appraising stare", "a tight, superior smile", "a curled lip",
                 "a patronizing nod", "a thin, sardonic smile", "a snort of derision"),
}
MORE_CONTEXTS: dict[str, tuple[str, ...]] = {
    "happiness": ("while opening the acceptance letter", "as the newborn grabs a finger",
                  "while watching the sunrise over the sea", "after the surprise proposal",
                  "when the lottery numbers match", "while baking cookies with grandchildren",
                  "after crossing the marathon finish line", "as the band plays a favorite song"),
    "contempt": ("while the braggart shows off his new car", "at the lazy excuse for homework",
                 "as the rival's plan collapses", "at the tourist's rude demands",
                 "while reading the badly written essay", "at the overpriced souvenir",
                 "when the coworker takes credit again", "at the flimsy counterfeit watch"),
}
