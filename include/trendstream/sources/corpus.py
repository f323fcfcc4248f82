"""Hand-written text for the synthetic stream: chatter topics, trend families, decoys.

Each *family* is a set of templates plus slot vocabularies; a post is one template with
each ``{slot}`` filled at random. Trend families describe one fictional event in many
wordings (different names for the same thing, different verbs, different framings) so
a semantic engine can group them while a keyword counter sees no single dominant word.
Everything here is fictional; names are invented.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Family:
    slug: str
    description: str
    templates: tuple[str, ...]
    slots: dict[str, tuple[str, ...]] = field(default_factory=dict)
    hashtags: tuple[str, ...] = ()  # for chatter/decoys: tags sometimes appended
    hashtag: str | None = None  # for trends: the shared tag of the hashtag kind
    lang: str = "en"


def _f(slug: str, description: str, templates: list[str], slots: dict[str, list[str]],
       *, hashtags: tuple[str, ...] = (), hashtag: str | None = None, lang: str = "en") -> Family:
    return Family(slug, description, tuple(templates), {k: tuple(v) for k, v in slots.items()},
                  hashtags, hashtag, lang)


_FEEL = ["honestly", "ngl", "lowkey", "tbh", "seriously", "okay so", "not gonna lie", "", "", ""]
_END = ["", "", "", " lol", " 😅", " 🙃", "!", "...", " haha", " 😂", " ✨", " 🙌"]

CHATTER: tuple[Family, ...] = (
    _f("food", "cooking and eating", [
        "{feel} {dish} for {meal} again{end}",
        "just made {dish} from scratch and it turned out {verdict}{end}",
        "who else thinks {dish} is {verdict}? asking for a friend",
        "trying a new recipe tonight: {dish} with {side}{end}",
        "the {place} near my {spot} does the best {dish}{end}",
        "{meal} today was {dish} and {side}. {verdict_short}",
        "i will never get tired of {dish}{end}",
        "burnt the {side} while scrolling, classic{end}",
    ], {
        "dish": ["ramen", "tacos", "lentil soup", "banana bread", "pad thai", "shakshuka",
                 "mushroom risotto", "grilled cheese", "dumplings", "pho", "lasagna", "sushi",
                 "chickpea curry", "avocado toast", "pancakes", "bibimbap", "falafel wraps"],
        "meal": ["breakfast", "lunch", "dinner", "a midnight snack", "brunch"],
        "side": ["garlic bread", "roasted veggies", "kimchi", "a green salad", "fries", "rice",
                 "pickled onions", "sweet potato wedges"],
        "verdict": ["amazing", "way too salty", "surprisingly good", "a disaster", "perfect",
                    "overrated", "underrated", "life changing"],
        "verdict_short": ["10/10", "would eat again", "not bad", "chef's kiss", "meh"],
        "place": ["little cafe", "food truck", "diner", "noodle bar", "bakery"],
        "spot": ["office", "apartment", "gym", "old school", "station"],
        "feel": _FEEL, "end": _END,
    }, hashtags=("#foodie", "#homecooking", "#recipe", "#yum")),
    _f("weather", "everyday weather talk", [
        "{feel} it's {weather} again today{end}",
        "forecast said {weather2} but it's {weather} out here",
        "perfect {season} afternoon for a walk{end}",
        "forgot my umbrella and of course it's {weather}{end}",
        "{weather} all week, my plants are {plant_mood}",
        "can we skip to {season} already{end}",
        "sunset tonight was unreal{end}",
    ], {
        "weather": ["drizzling", "foggy", "windy", "chilly", "humid", "pouring", "sunny",
                    "grey and gloomy", "freezing", "muggy"],
        "weather2": ["sunshine", "clear skies", "light rain", "a mild day", "snow"],
        "season": ["spring", "summer", "autumn", "winter", "sweater season"],
        "plant_mood": ["thriving", "confused", "drowning", "living their best life"],
        "feel": _FEEL, "end": _END,
    }, hashtags=("#weather", "#rainyday", "#sunset")),
    _f("sports", "routine sports chatter", [
        "what a {adj} {sport} match last night{end}",
        "my fantasy {sport} team is {state} this season",
        "{feel} the refs in that {sport} game were {ref}",
        "heading to the {venue} for the {sport} game this weekend{end}",
        "that {play} in the second half was {adj}",
        "training camp starts next week, can't wait for {sport} season{end}",
        "our local {sport} club finally won a game{end}",
    ], {
        "sport": ["football", "basketball", "tennis", "cricket", "hockey", "baseball",
                  "volleyball", "rugby"],
        "adj": ["wild", "boring", "tense", "chaotic", "beautiful", "painful", "classic"],
        "state": ["a mess", "on fire", "cursed", "surprisingly decent"],
        "ref": ["terrible", "fine actually", "blind", "way too strict"],
        "venue": ["stadium", "arena", "park", "sports bar"],
        "play": ["save", "comeback", "three pointer", "counterattack", "volley"],
        "feel": _FEEL, "end": _END,
    }, hashtags=("#gameday", "#sports")),
    _f("tech", "gadgets and programming", [
        "spent {hours} hours debugging and it was a {bug}{end}",
        "{feel} {lang} is {opinion}",
        "my {device} battery is {battery}{end}",
        "anyone else's {device} doing weird updates today?",
        "finally switched to a {keyboard} keyboard, {verdict}",
        "rewrote the {thing} in {lang} over the weekend{end}",
        "today i learned about {concept}. mind blown{end}",
        "code review comments be like: nit, nit, nit{end}",
    ], {
        "hours": ["two", "three", "five", "six", "way too many"],
        "bug": ["missing semicolon", "timezone bug", "typo in the config", "cache issue",
                "off by one error", "race condition"],
        "lang": ["Rust", "Python", "Go", "TypeScript", "Kotlin", "Elixir", "C++", "Zig"],
        "opinion": ["underrated", "overhyped", "actually fun", "a trap", "my comfort language"],
        "device": ["phone", "laptop", "smartwatch", "tablet", "earbuds"],
        "battery": ["dying at 40%", "lasting forever lately", "cooked", "a mystery"],
        "keyboard": ["mechanical", "split", "low profile", "tiny 40%"],
        "verdict": ["no regrets", "my wrists thank me", "so loud lol", "worth it"],
        "thing": ["side project", "build script", "blog", "home automation setup"],
        "concept": ["bloom filters", "CRDTs", "vector clocks", "SIMD", "tail calls"],
        "feel": _FEEL, "end": _END,
    }, hashtags=("#coding", "#tech", "#100DaysOfCode", "#devlife")),
    _f("music", "music listening", [
        "can't stop replaying {song} by {artist}{end}",
        "{artist} live was {adj}{end}",
        "new playlist for {activity}, taking suggestions",
        "{feel} {genre} hits different at {time}",
        "found my old {format} collection in the attic{end}",
        "learning {instrument} is humbling{end}",
    ], {
        "song": ["Paper Moons", "Velvet Static", "Northbound", "Glass Garden", "Slow Orbit",
                 "Lemon Skies", "Midnight Tram"],
        "artist": ["The Quiet Foxes", "Mara Lin", "Dust Harbor", "Kite Theory", "Solenne",
                   "Blue Atlas"],
        "adj": ["incredible", "so loud", "emotional", "worth every penny", "a vibe"],
        "activity": ["running", "studying", "the commute", "cleaning", "rainy days"],
        "genre": ["jazz", "lofi", "synthwave", "folk", "old school hip hop", "classical"],
        "time": ["2am", "sunrise", "the end of a long week", "golden hour"],
        "format": ["vinyl", "cassette", "CD", "mixtape"],
        "instrument": ["guitar", "piano", "the drums", "violin", "ukulele"],
        "feel": _FEEL, "end": _END,
    }, hashtags=("#music", "#playlist", "#vinyl")),
    _f("daily", "daily life and work", [
        "{feel} this {meeting} could have been an email{end}",
        "commute took {mins} minutes today{end}",
        "finally did laundry. adulting{end}",
        "my {relative} just discovered {app}, pray for me",
        "{day} mood: {mood}{end}",
        "cleaned my whole apartment instead of {task}{end}",
        "inbox zero for the first time since {when}{end}",
        "the {neighbor} is drilling again at {hour}{end}",
    ], {
        "meeting": ["meeting", "standup", "all hands", "sync", "workshop"],
        "mins": ["45", "90", "twenty", "an hour and a half"],
        "relative": ["mom", "dad", "grandma", "uncle", "little brother"],
        "app": ["voice notes", "stickers", "GIFs", "group chats"],
        "day": ["Tuesday", "Wednesday", "Thursday", "Friday", "Sunday"],
        "mood": ["tired", "chaotic", "productive for once", "running on snacks"],
        "task": ["working", "studying", "answering emails", "doing my taxes"],
        "when": ["last spring", "2019", "forever", "my last vacation"],
        "neighbor": ["neighbor", "building crew", "guy upstairs"],
        "hour": ["7am", "9pm", "midnight", "sunday morning"],
        "feel": _FEEL, "end": _END,
    }, hashtags=("#mondaymood", "#worklife", "#adulting")),
    _f("screen", "movies and shows", [
        "just finished {show} and i need to talk about that ending{end}",
        "{feel} {show} season {n} is {verdict}",
        "rewatching {show} for the {nth} time{end}",
        "movie night: {genre} marathon{end}",
        "no spoilers but {show} episode {n}...{end}",
    ], {
        "show": ["The Long Hallway", "Saltwater Kings", "Orbit Station", "Maple & Rye",
                 "Night Shift Detectives", "The Cartographers"],
        "n": ["2", "3", "4", "5"],
        "verdict": ["a masterpiece", "so slow", "worth the wait", "a letdown"],
        "nth": ["third", "fifth", "tenth", "hundredth"],
        "genre": ["horror", "rom-com", "sci-fi", "heist", "animated"],
        "feel": _FEEL, "end": _END,
    }, hashtags=("#tv", "#movienight", "#bingewatching")),
    _f("pets", "pets", [
        "my {pet} just {action}{end}",
        "{feel} my {pet} has more friends than me",
        "new {pet} toy lasted {time}{end}",
        "vet visit went well, {name} is a good {pet}{end}",
        "{name} refuses to get off my keyboard{end}",
    ], {
        "pet": ["cat", "dog", "rabbit", "parrot", "hamster", "puppy", "kitten"],
        "action": ["knocked my coffee over", "learned to open the fridge", "stole a sock",
                   "fell asleep in the laundry basket", "screamed at a leaf"],
        "time": ["four minutes", "an hour", "a whole day", "no time at all"],
        "name": ["Mochi", "Pepper", "Olive", "Bean", "Noodle", "Ziggy", "Luna", "Bao"],
        "feel": _FEEL, "end": _END,
    }, hashtags=("#caturday", "#dogsoftwitter", "#pets")),
    _f("fitness", "exercise", [
        "day {n} of {habit}{end}",
        "ran {km}k this morning and my legs are {legs}{end}",
        "{feel} leg day is not for the weak",
        "yoga before work changed my life{end}",
        "signed up for a {race}, what have i done{end}",
    ], {
        "n": ["3", "12", "30", "47", "100"],
        "habit": ["waking up early", "no sugar", "daily walks", "stretching", "push ups"],
        "km": ["5", "8", "10", "15", "21"],
        "legs": ["jelly", "fine actually", "destroyed", "singing"],
        "race": ["half marathon", "trail run", "triathlon", "5k fun run"],
        "feel": _FEEL, "end": _END,
    }, hashtags=("#fitness", "#running", "#workout")),
    _f("travel", "travel", [
        "landed in {city}! {end}",
        "{feel} {city} in {season} is unbeatable",
        "train delays again, stuck outside {city}{end}",
        "any tips for a weekend in {city}?",
        "packing for {city} and i already overpacked{end}",
    ], {
        "city": ["Lisbon", "Osaka", "Montreal", "Cape Town", "Reykjavik", "Oaxaca", "Tbilisi",
                 "Hanoi", "Valparaiso", "Edinburgh"],
        "season": ["spring", "autumn", "the off season", "winter"],
        "feel": _FEEL, "end": _END,
    }, hashtags=("#travel", "#wanderlust")),
    _f("gaming", "video games", [
        "{feel} stuck on the same {part} in {game} for hours",
        "finally beat {game}{end}",
        "{game} patch notes are {verdict}",
        "streaming some {game} later{end}",
    ], {
        "part": ["boss", "puzzle", "level", "side quest"],
        "game": ["Hollow Tides", "Pixel Ranch", "Neon Courier", "Skybound Tactics",
                 "Dungeon Bakery"],
        "verdict": ["huge", "disappointing", "a gift", "confusing"],
        "feel": _FEEL, "end": _END,
    }, hashtags=("#gaming", "#indiegame")),
    _f("books", "reading", [
        "currently reading {book} and loving it{end}",
        "{feel} {book} made me cry on the bus",
        "book club picked {book}, thoughts?",
        "finished {n} books this month{end}",
    ], {
        "book": ["The Salt Archive", "Winter Orchards", "A Map of Small Things",
                 "The Glass Cartographer", "Letters to the Lighthouse"],
        "n": ["two", "three", "four", "six"],
        "feel": _FEEL, "end": _END,
    }, hashtags=("#booktwitter", "#amreading")),
    _f("es", "Spanish chatter", [
        "qué {adj} está el día hoy{end}",
        "{feel_es} necesito vacaciones ya",
        "hoy toca {food_es} para cenar{end}",
        "el tráfico en la ciudad está {adj2}{end}",
        "buenas noches a todos, mañana será otro día{end}",
    ], {
        "adj": ["bonito", "gris", "caluroso", "raro", "tranquilo"],
        "feel_es": ["la verdad", "en serio", "uf", ""],
        "food_es": ["tortilla", "paella", "tacos", "empanadas", "sopa"],
        "adj2": ["imposible", "fatal", "peor que nunca", "bastante bien"],
        "end": _END,
    }, hashtags=("#buenosdias", "#viernes"), lang="es"),
    _f("fr", "French chatter", [
        "il fait {weather} aujourd'hui{end}",
        "{feel} j'ai besoin d'un café",
        "ce soir c'est {food} à la maison{end}",
        "encore une réunion qui aurait pu être un mail{end}",
    ], {
        "weather": ["beau", "gris", "froid", "chaud", "un temps bizarre"],
        "feel": ["franchement", "bon", "sérieux", ""],
        "food": ["raclette", "crêpes", "soupe", "pâtes"],
        "end": _END,
    }, hashtags=("#lundi",), lang="fr"),
    _f("de", "German chatter", [
        "heute ist das Wetter {weather}{end}",
        "{feel} ich brauche mehr Kaffee",
        "endlich Wochenende{end}",
        "die Bahn ist schon wieder {late}{end}",
    ], {
        "weather": ["schön", "grau", "kalt", "komisch"],
        "feel": ["ehrlich gesagt", "also", ""],
        "late": ["zu spät", "ausgefallen", "überfüllt"],
        "end": _END,
    }, lang="de"),
    _f("pt", "Portuguese chatter", [
        "bom dia, hoje o céu está {sky}{end}",
        "{feel} preciso de férias",
        "jantar de hoje: {food}{end}",
    ], {
        "sky": ["lindo", "nublado", "azul demais"],
        "feel": ["sinceramente", "gente", ""],
        "food": ["feijoada", "pão de queijo", "moqueca"],
        "end": _END,
    }, lang="pt"),
    _f("ja", "Japanese chatter", [
        "今日は{weather}ですね{end}",
        "{food}食べたい{end}",
        "仕事おわった、{feel}{end}",
    ], {
        "weather": ["いい天気", "雨", "寒い日", "暑い日"],
        "food": ["ラーメン", "お寿司", "カレー", "たこ焼き"],
        "feel": ["つかれた", "最高", "ねむい"],
        "end": ["", "", "🍵", "✨"],
    }, lang="ja"),
)

CHATTER_WEIGHTS: tuple[float, ...] = (
    10, 7, 8, 9, 7, 10, 6, 6, 5, 5, 4, 3, 3, 2, 2, 1.5, 1.5,
)

# --- decoys: frequent every minute, never growing -------------------------------------

DECOYS: tuple[Family, ...] = (
    _f("good-morning", "daily good-morning greetings (flat, hashtag)", [
        "good morning everyone {sun}",
        "morning all, have a {adj} day {sun}",
        "rise and shine, it's a {adj} one {sun}",
        "gm friends {sun} coffee first",
        "wishing you all a {adj} morning",
    ], {
        "sun": ["☀️", "🌞", "🌅", "", "✨"],
        "adj": ["great", "gentle", "productive", "calm", "lovely", "kind"],
    }, hashtag="goodmorning", hashtags=("#GoodMorning",)),
    _f("now-playing", "automated now-playing posts (flat, hashtag)", [
        "{song} - {artist}",
        "listening to {song} by {artist}",
        "🎵 {artist} – {song}",
        "on repeat: {song} ({artist})",
    ], {
        "song": ["Paper Moons", "Velvet Static", "Northbound", "Glass Garden", "Slow Orbit",
                 "Lemon Skies", "Midnight Tram", "Copper Rain", "Tidal Letters"],
        "artist": ["The Quiet Foxes", "Mara Lin", "Dust Harbor", "Kite Theory", "Solenne"],
    }, hashtag="nowplaying", hashtags=("#NowPlaying",)),
    _f("coffee", "coffee cravings (flat, no hashtag)", [
        "need coffee. now.",
        "{n} cups of coffee and it's not even noon",
        "coffee is the only thing keeping me alive today",
        "ran out of coffee beans, this is a crisis",
        "is it too late for another espresso",
        "my personality is {n} shots of espresso",
    ], {"n": ["two", "three", "four", "five"]}),
    _f("giveaway", "giveaway spam (flat, hashtag)", [
        "🎁 GIVEAWAY: win a {prize}! follow + retweet to enter",
        "we're giving away a {prize} this week, retweet to join",
        "last chance to win a {prize}! rt and follow",
    ], {"prize": ["gift card", "new phone", "pair of sneakers", "gaming chair", "laptop"]},
       hashtag="giveaway", hashtags=("#Giveaway",)),
)

# --- planted trends: one fictional event each, many wordings ----------------------------

# Framing added around trend posts: more surface variety, same meaning.
TREND_OPENERS: tuple[str, ...] = (
    "", "", "", "", "", "breaking:", "uh,", "so", "update:", "just saw this:", "ok so",
    "hearing that", "apparently", "wow,", "can confirm:", "heads up:", "lol", "wait,",
)
TREND_CLOSERS: tuple[str, ...] = (
    "", "", "", "", "", "!!", "wild", "crazy times", "unbelievable", "what a day",
    "can't believe it", "is this real", "more soon", "anyone else seeing this?", "😮", "👀",
)

TRENDS: tuple[Family, ...] = (
    _f("stadium-blackout", "power cut plunges the cup final stadium into darkness mid-match", [
        "{wow} the lights just went out at {stadium} in the middle of the final",
        "total blackout at {stadium}, {teams} game stopped",
        "{stadium} lost power during the {match}. players just standing in the dark",
        "can't believe the {match} got halted because the floodlights died",
        "floodlights failed at {stadium}, {ref} took everyone off the pitch",
        "entire stadium went pitch black during the {match} {emo}",
        "watching at home and suddenly the broadcast shows a dark stadium. "
        "power outage at the {match}??",
        "{wow} electricity cut at {stadium}, fans lighting up phone torches",
        "they suspended the {match} after a power failure in the ground",
        "imagine reaching the {match} and the stadium has no electricity {emo}",
        "the {teams} decider is on hold, no power in the arena",
        "thousands of phone flashlights at {stadium} after the outage, what a sight",
    ], {
        "stadium": ["Riverton Park", "the Riverton ground", "Riverton Park stadium", "the arena"],
        "teams": ["Rovers vs Harbor City", "Riverton vs Harbor", "the Rovers and Harbor City"],
        "match": ["cup final", "championship final", "final", "title decider", "big final"],
        "ref": ["the referee", "the officials", "the ref"],
        "wow": ["WOW", "wait what", "unreal", "omg", "no way", ""],
        "emo": ["😳", "💡", "🔦", "😂", ""],
    }, hashtag="FinalBlackout"),
    _f("photoshare-outage", "the PhotoShare app goes down worldwide", [
        "is {app} down for everyone or just me?",
        "{app} won't load my feed, {err}",
        "{app} has been broken for an hour now {emo}",
        "can't post anything on {app}, keeps saying {err}",
        "{app} outage worldwide apparently. back to real life i guess",
        "{app} is stuck on a white screen for me, anyone else?",
        "refreshing {app} every 10 seconds like that'll fix the outage",
        "{app} servers must be on fire right now",
        "the photo app everyone uses just died, nothing uploads",
        "so {app} crashed and suddenly everyone is here complaining about it",
        "not a single picture loading on {app} {emo}",
    ], {
        "app": ["PhotoShare", "Photoshare", "the PhotoShare app", "PS app"],
        "err": ["'something went wrong'", "error 503", "'try again later'", "a spinning wheel"],
        "emo": ["😩", "🙄", "💀", ""],
    }, hashtag="PhotoShareDown"),
    _f("luna-vega-album", "singer Luna Vega surprise-releases a new album at midnight", [
        "{artist} just dropped a surprise album {emo}",
        "wait {artist} released new music with zero warning??",
        "track {n} on the new {artist} record is {praise}",
        "nobody knew {artist} had an album coming and it's out NOW",
        "the new {artist} album is {praise}, listening on loop",
        "{artist} really woke up and chose to release a whole LP at midnight",
        "surprise drop from {artist}, twelve new songs, i'm not okay",
        "{feel} the {artist} surprise record is the best thing this year",
        "everyone stop what you're doing, {artist} put out a full album",
        "that midnight {artist} release caught everyone off guard",
    ], {
        "artist": ["Luna Vega", "Luna", "Vega", "Ms. Vega"],
        "n": ["3", "5", "7", "9", "11"],
        "praise": ["a masterpiece", "perfect", "so good", "unreal", "her best work"],
        "feel": ["honestly", "ngl", "", "calling it:"],
        "emo": ["😭", "🔥", "🎶", "‼️", ""],
    }, hashtag="LunaVegaAlbum"),
    _f("harbor-quake", "a moderate earthquake shakes Harbor City", [
        "did anyone else just feel that shaking in {city}?",
        "earthquake!! my whole {room} was {moving}",
        "{city} just had a quake, pictures fell off my wall",
        "felt a strong tremor downtown, everyone ran outside",
        "the building swayed for like ten seconds. was that an earthquake?",
        "small earthquake in {city}, everyone okay?",
        "{mag} magnitude quake reported near {city}",
        "the ground literally moved under my desk {emo}",
        "my dog started barking right before the tremor hit",
        "seismic jolt rattled {city} this afternoon, no damage here",
        "that rumble wasn't a truck, it was an earthquake",
    ], {
        "city": ["Harbor City", "the harbor district", "downtown Harbor", "HC"],
        "room": ["apartment", "office", "kitchen", "bedroom"],
        "moving": ["shaking", "rattling", "swaying", "trembling"],
        "mag": ["4.8", "a 4.8", "4.7", "almost 5.0"],
        "emo": ["😨", "😳", "🙏", ""],
    }, hashtag="HarborQuake"),
    _f("subway-strike", "transit workers strike and shut down the metro", [
        "no trains today, the {metro} workers are on strike",
        "{metro} strike means my commute is now a {alt}",
        "every single {metro} line is closed because of the walkout",
        "the {metro} shutdown has turned the buses into sardine cans",
        "walked {mins} to work because the underground is on strike",
        "transit strike day: {alt} it is {emo}",
        "stations are locked, {metro} staff walked out this morning",
        "support the {metro} workers but wow getting anywhere today is impossible",
        "taxi apps are surging because the whole rail network stopped",
        "rail union called a strike, no service on the {metro} until further notice",
    ], {
        "metro": ["subway", "metro", "underground", "tube"],
        "alt": ["bike ride", "two hour walk", "very expensive taxi", "scooter adventure"],
        "mins": ["an hour", "45 minutes", "five miles"],
        "emo": ["🚶", "🚲", "😤", ""],
    }, hashtag="MetroStrike"),
    _f("biscuit-found", "Biscuit, a corgi missing for three weeks, is found and reunited", [
        "{dog} the missing corgi has been found!!! {emo}",
        "after three weeks lost, {dog} is finally home",
        "crying over the video of {dog} running to his family",
        "the lost corgi everyone was searching for is safe",
        "{dog} was found {where}, what a happy ending",
        "best news today: the runaway corgi got reunited with his owners",
        "a whole neighborhood looked for {dog} and he's back {emo}",
        "that little dog that went missing last month was found alive",
        "{dog} is home safe after 21 days, i'm not crying you are",
    ], {
        "dog": ["Biscuit", "Biscuit the corgi", "little Biscuit"],
        "where": ["in a barn two towns over", "hiding under a porch", "near the old mill"],
        "emo": ["🐶", "❤️", "😭", "🥹", ""],
    }, hashtag="BiscuitIsHome"),
    _f("heat-record", "the city records its hottest day ever", [
        "{city} just broke its all time heat record {emo}",
        "hottest day ever recorded here, {temp} in the shade",
        "it's {temp} outside, officially the warmest day on record",
        "new temperature record today, the pavement is melting",
        "weather service confirms record breaking heat this afternoon",
        "never been this hot in {city} since records began",
        "my thermometer says {temp} and apparently that's a new record",
        "record heat: stay inside, drink water, check on neighbors",
        "the heatwave peaked today with the highest temperature ever measured here",
    ], {
        "city": ["Riverton", "the city", "our town"],
        "temp": ["41°C", "106°F", "over 40 degrees", "41.3 degrees"],
        "emo": ["🥵", "🔥", "☀️", ""],
    }, hashtag="HeatRecord"),
    _f("starforge-launch", "the Starforge game launch crashes under login queues", [
        "{game} launch servers are completely down {emo}",
        "stuck in a {queue} to play {game}",
        "can't log in to {game}, error after error",
        "{game} release day and nobody can actually play",
        "the new space game's servers melted at launch",
        "waited two years for {game} and now i'm waiting in a login queue",
        "{game} devs please add more servers, launch is a mess",
        "day one of {game}: {queue}, disconnects, crashes",
        "everybody tried to play the new Starforge at once and it broke",
    ], {
        "game": ["Starforge", "Starforge Online", "SF"],
        "queue": ["40,000 player queue", "login queue", "queue of 2 hours"],
        "emo": ["💀", "😤", "🙃", ""],
    }, hashtag="StarforgeLaunch"),
    _f("rate-cut", "the central bank announces a surprise interest rate cut", [
        "the {bank} just cut interest rates out of nowhere",
        "surprise rate cut from the {bank}, markets going wild {emo}",
        "didn't expect the {bank} to lower rates today",
        "{bank} slashes its key rate by {bps}",
        "mortgage holders are cheering after today's unexpected cut",
        "borrowing just got cheaper, the {bank} eased policy this morning",
        "emergency rate cut? the {bank} moved {bps} without warning",
        "stocks jumped after the unexpected decision to lower rates",
    ], {
        "bank": ["central bank", "reserve bank", "CB", "monetary authority"],
        "bps": ["half a point", "50 basis points", "0.5%"],
        "emo": ["📈", "💸", "😮", ""],
    }, hashtag="RateCut"),
    _f("aurora-splashdown", "the Aurora-7 crew capsule splashes down safely", [
        "{craft} has splashed down safely {emo}",
        "welcome home {crew}! the capsule landed in the ocean",
        "parachutes deployed, {craft} is back on Earth",
        "watching the {craft} splashdown live, perfect landing",
        "the astronauts are home after {days} in orbit",
        "recovery ships reached the capsule, crew looks great",
        "textbook landing for the {craft} mission",
        "{crew} back on the planet after their station stay",
    ], {
        "craft": ["Aurora-7", "Aurora 7", "the Aurora capsule"],
        "crew": ["the Aurora crew", "all four astronauts", "crew seven"],
        "days": ["six months", "180 days", "half a year"],
        "emo": ["🚀", "🌊", "👏", ""],
    }, hashtag="Aurora7"),
)
