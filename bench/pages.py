"""Realistic news pages, different for every URL, built from a seeded generator.

A page looks like what a fact-checker cites: site header and navigation, an
article with headline, byline, paragraphs, subheadings and a quote, a list of
related articles, a footer, and some inline CSS and JavaScript. Half the pages
are German, half English, and the text differs per URL, so no two payloads
are equal and deduplication never shortcuts a capture.
"""

import random

ARTICLE_BYTES = 100 * 1024

GERMAN = {
    "subjects": [
        "Die Bundesregierung",
        "Der Gesundheitsminister",
        "Eine Sprecherin des Ministeriums",
        "Der Landkreis Vorpommern-Greifswald",
        "Die Opposition im Bundestag",
        "Das Statistische Bundesamt",
        "Ein Gutachten der Universität Göttingen",
        "Die Verbraucherzentrale",
        "Der Bürgermeister von Tübingen",
        "Die Europäische Kommission",
        "Eine Umfrage im Auftrag der Zeitung",
        "Der Rechnungshof",
    ],
    "verbs": [
        "bestätigte am Dienstag",
        "bestreitet weiterhin",
        "veröffentlichte überraschend",
        "kritisierte scharf",
        "prüft derzeit",
        "räumte schließlich ein",
        "wies ausdrücklich zurück",
        "bezifferte zuletzt",
    ],
    "objects": [
        "die Zahl der Neuinfektionen",
        "die Kosten für den Ausbau der Stromnetze",
        "einen Anstieg der Mieten um 4,7 Prozent",
        "die Pläne für ein Tempolimit auf Autobahnen",
        "den Rückgang der Geburtenrate",
        "die Angaben zur Arbeitslosenquote",
        "die Förderung für Wärmepumpen",
        "den Bericht über Lieferengpässe bei Medikamenten",
        "die Prognose für das Wirtschaftswachstum",
        "die Zuständigkeit der Länder",
    ],
    "tails": [
        "wie aus einem internen Papier hervorgeht.",
        "sagte ein Sprecher auf Nachfrage.",
        "heißt es in der Mitteilung vom Freitag.",
        "obwohl Fachleute seit Monaten davor warnen.",
        "– eine Behauptung, die sich so nicht belegen lässt.",
        "berichtete zuerst der „Tagesspiegel“.",
        "was Kritiker als „Zahlenspielerei“ bezeichnen.",
        "nach Angaben des Statistischen Landesamts.",
    ],
    "sections": ["Politik", "Wirtschaft", "Wissen", "Gesundheit", "Faktencheck"],
    "headings": [
        "Was die Zahlen wirklich zeigen",
        "Woher die Behauptung stammt",
        "Was Fachleute sagen",
        "Der Kontext",
        "Fazit",
    ],
    "byline": "Von {name} · {day}. März 2025, {hour}:{minute:02d} Uhr",
    "names": ["Katrin Müller", "Jörg Weißenböck", "Ayşe Demir", "Lukas Brückner"],
    "related": "Mehr zum Thema",
    "lang": "de",
}

ENGLISH = {
    "subjects": [
        "The Department of Health",
        "A government spokesperson",
        "The Office for National Statistics",
        "The opposition leader",
        "A study from the University of Leeds",
        "The city council",
        "The central bank",
        "A cross-party committee",
        "The regulator",
        "Campaigners",
        "A leaked memo",
        "The prime minister's office",
    ],
    "verbs": [
        "confirmed on Tuesday",
        "continues to dispute",
        "unexpectedly published",
        "sharply criticised",
        "is now reviewing",
        "eventually conceded",
        "flatly rejected",
        "most recently put a figure on",
    ],
    "objects": [
        "the number of new infections",
        "the cost of upgrading the power grid",
        "a 4.7 percent rise in rents",
        "plans for a motorway speed limit",
        "the fall in the birth rate",
        "the unemployment figures",
        "subsidies for heat pumps",
        "the report on medicine shortages",
        "the growth forecast",
        "the responsibilities of local authorities",
    ],
    "tails": [
        "according to an internal document.",
        "a spokesman said when asked.",
        "the statement issued on Friday says.",
        "although experts have warned about it for months.",
        "— a claim the available data does not support.",
        "as first reported by the Guardian.",
        "which critics dismiss as 'creative accounting'.",
        "according to the regional statistics office.",
    ],
    "sections": ["Politics", "Business", "Science", "Health", "Fact check"],
    "headings": [
        "What the figures really show",
        "Where the claim comes from",
        "What experts say",
        "The context",
        "Verdict",
    ],
    "byline": "By {name} · {day} March 2025, {hour}:{minute:02d}",
    "names": ["Sarah O'Connor", "James Whitfield", "Priya Raman", "Tom Baker"],
    "related": "More on this story",
    "lang": "en",
}

STYLE = """<style>
body{font-family:Georgia,serif;margin:0;color:#222}
header.site{background:#0b3d5c;color:#fff;padding:12px 24px}
nav a{color:#fff;margin-right:16px;text-decoration:none}
article{max-width:720px;margin:24px auto;line-height:1.6}
aside.related{border-top:1px solid #ccc;margin-top:32px}
footer{font-size:12px;color:#666;padding:24px}
</style>"""

SCRIPT = """<script>
window.dataLayer=window.dataLayer||[];
function track(e){window.dataLayer.push({event:e,ts:Date.now()})}
document.addEventListener('DOMContentLoaded',function(){track('article_view')});
</script>"""


def sentence(rng, words):
    return " ".join(
        rng.choice(words[part]) for part in ("subjects", "verbs", "objects", "tails")
    )


def paragraph(rng, words):
    return " ".join(sentence(rng, words) for _ in range(rng.randint(3, 7)))


def article(seed, size=ARTICLE_BYTES):
    """An HTML page of about `size` bytes (UTF-8), the same for the same seed."""
    rng = random.Random(seed)
    words = GERMAN if rng.random() < 0.5 else ENGLISH
    title = sentence(rng, words).rstrip(".")
    byline = words["byline"].format(
        name=rng.choice(words["names"]),
        day=rng.randint(1, 28),
        hour=rng.randint(6, 22),
        minute=rng.randint(0, 59),
    )
    nav = "".join(
        f'<a href="/{section.lower()}/">{section}</a>' for section in words["sections"]
    )
    head = (
        f'<!DOCTYPE html>\n<html lang="{words["lang"]}"><head>'
        f'<meta charset="utf-8"><title>{title} | Nachrichten</title>'
        f'<meta name="description" content="{sentence(rng, words)}">'
        f"{STYLE}{SCRIPT}</head>\n<body>"
        f'<header class="site"><a href="/">Nachrichten</a><nav>{nav}</nav></header>'
        f"<main><article><h1>{title}</h1>"
        f'<p class="byline">{byline}</p>'
        f'<p class="lead"><strong>{paragraph(rng, words)}</strong></p>\n'
    )
    related = "".join(
        f'<li><a href="/artikel/{rng.randrange(10**6)}">{sentence(rng, words)}</a></li>'
        for _ in range(8)
    )
    tail = (
        f'</article><aside class="related"><h2>{words["related"]}</h2>'
        f"<ul>{related}</ul></aside></main>"
        f"<footer>© 2025 Nachrichten GmbH · Impressum · Datenschutz</footer>"
        f"{SCRIPT}</body></html>\n"
    )
    body = []
    length = len(head.encode()) + len(tail.encode())
    while length < size:
        if rng.random() < 0.12:
            piece = f"<h2>{rng.choice(words['headings'])}</h2>\n"
        elif rng.random() < 0.05:
            piece = f"<blockquote><p>„{sentence(rng, words)}“</p></blockquote>\n"
        else:
            piece = f"<p>{paragraph(rng, words)}</p>\n"
        body.append(piece)
        length += len(piece.encode())
    return (head + "".join(body) + tail).encode()
