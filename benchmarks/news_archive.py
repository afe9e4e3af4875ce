"""A deterministic archive of generated news articles, with the seed articles hidden among them.

Issue 14 asks how qa_bot does on a folder of a thousand articles of realistic length. No
package reachable here ships real news text in quantity under an open licence (trafilatura's
sdist holds 9 HTML fixtures; the news-extraction libraries' fixtures are copyrighted pages;
Debian has word lists and fortunes), so the articles are generated: seeded, so the same
``(articles, seed)`` always gives the same bytes.

What makes them useful as distractors:

- About 60 % are on the seed articles' own subjects and names: the Kremlin and the US
  election, Trump, Putin, Peskov, Zelensky, sanctions, Russian elites and business, peace talks,
  the Valdai club, The Moscow Times, RIA Novosti, analysts quoted on Moscow's view of Washington.
  The rest are ordinary local and world news (floods, councils, hospitals, railways, science,
  sport, culture, farming, technology).
- Sentences are real sentence structure: a topic clause with its slots filled (people,
  institutions, places, figures, dates), often with an opening phrase or a trailing clause, and
  quotes attributed to named (fictional) analysts and officials; paragraphs of 1-4 sentences;
  400-900 words an article.
- Varied layouts: wire copy with a dateline, a Markdown page with front matter, a web export
  with a byline line, "Published …", share and newsletter lines and a "Read more" footer (junk
  the cleaning should drop), some titled only by ``metadata.json``.
- A few wire stories run twice (another outlet, another headline and byline, the last paragraph
  trimmed): the near-duplicates the index should collapse.
- They never state the facts the committed question sets ask about, answerable or not: no
  sentence holds an evidence string of ``tests/data/*.jsonl`` (``leaks`` checks this), and the
  topics stay off what the unanswerable questions ask (Brazil's population, the World Cup
  winner, the UK prime minister, the rouble's rate, the central bank's rate, Ukraine's losses,
  EU LNG sanctions, tariffs on Canada, Trump's picks for his team, a summit's date and place,
  European defence budgets, …), so those questions stay unanswerable in the archive too.

Every person quoted by name is made up; public figures appear only in the third person and
nothing here reports a real event. The text exists to be indexed by the benchmark in a
temporary folder and is not committed.
"""

from __future__ import annotations

import hashlib
import json
import random
import re
import shutil
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

# ---------------------------------------------------------------------------------------------
# People, places and institutions

FIRST = (
    "Anna", "Pavel", "Irina", "Sergei", "Olga", "Dmitri", "Yulia", "Nikolai", "Tatiana",
    "Viktor", "Elena", "Andrei", "Marina", "Grigory", "Svetlana", "Konstantin", "Katherine",
    "Daniel", "Laura", "Michael", "Sarah", "James", "Rachel", "Thomas", "Helen", "Peter",
    "Claire", "Robert", "Emma", "David", "Fiona", "Mark", "Julia", "Henrik", "Sofia", "Lukas",
    "Ines", "Marco", "Aisha", "Tomasz", "Agnieszka", "Jonas", "Priya", "Samuel", "Nadia",
)  # fmt: skip
LAST = (
    "Petrova", "Orlov", "Sokolova", "Belov", "Kuznetsova", "Volkov", "Fedorova", "Zaitsev",
    "Morozova", "Lebedev", "Novikova", "Kozlov", "Pavlova", "Semenov", "Egorova", "Vinogradov",
    "Harrington", "Whitaker", "Brennan", "Caldwell", "Fairbanks", "Lindqvist", "Moreau",
    "Bianchi", "Kowalski", "Novak", "Hendricks", "Osei", "Ramirez", "Tanaka", "Okafor",
    "Schreiber", "Dubois", "Ellison", "Gallagher", "Hartmann", "Ivers", "Jansen", "Keller",
)  # fmt: skip
RUSSIAN_FIRST = FIRST[:16]
RUSSIAN_LAST = LAST[:16]
THINK_TANKS = (
    "the Carnegie Russia Eurasia Center", "the Royal United Services Institute",
    "the European Council on Foreign Relations", "the Kennan Institute",
    "the Atlantic Council", "Chatham House", "the Stockholm Free World Forum",
    "the German Council on Foreign Relations", "the Finnish Institute of International Affairs",
    "the Riddle Russia project", "King's College London", "the Brookings Institution",
)  # fmt: skip
RUSSIAN_BODIES = (
    "the Foreign Ministry", "the State Duma", "the Federation Council", "the Security Council",
    "the Ministry of Economic Development", "the presidential administration",
    "the Russian Union of Industrialists and Entrepreneurs", "the Finance Ministry",
)  # fmt: skip
OUTLETS = (
    "The Baltic Courier", "Eastern Europe Monitor", "The Continental Review", "Wire Press Service",
    "The Morning Ledger", "Northern Gazette", "The Harbour Times", "Atlantic Dispatch",
    "The Valley Herald", "Riverside Chronicle", "Global Affairs Weekly", "The Evening Post",
    "Central European Times", "The Policy Brief", "Coastal Observer", "The Daily Meridian",
)  # fmt: skip
WIRES = ("Wire Press Service", "Continental News Agency", "Meridian Wire")
RU_CITIES = ("MOSCOW", "ST PETERSBURG", "KAZAN", "YEKATERINBURG", "NOVOSIBIRSK", "SOCHI")
WORLD_CITIES = (
    "WASHINGTON", "BRUSSELS", "BERLIN", "WARSAW", "KYIV", "LONDON", "VIENNA", "HELSINKI",
    "GENEVA", "ISTANBUL", "RIGA", "PARIS",
)  # fmt: skip
LOCAL_PLACES = (
    "Ashford", "Millbrook", "Kingsbridge", "Harlow Vale", "Eastwick", "Redmoor", "Calder Falls",
    "Brindle", "Oakhurst", "Westerly", "Pine Hollow", "Marlow Cross", "Stonebridge", "Fenwick",
)  # fmt: skip
MONTHS = (
    "January", "February", "March", "April", "May", "June", "July", "August", "September",
    "October", "November", "December",
)  # fmt: skip
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")

# ---------------------------------------------------------------------------------------------
# Topics: headlines and sentence clauses with {slots}

SLOTS: dict[str, tuple[str, ...]] = {
    "ru_sector": (
        "fertiliser",
        "aluminium",
        "grain exports",
        "shipbuilding",
        "civil aviation",
        "timber",
        "nuclear fuel",
        "steel",
        "coal",
        "pharmaceuticals",
        "banking",
        "car manufacturing",
    ),
    "ru_region": (
        "the Urals",
        "Siberia",
        "the Far East",
        "Tatarstan",
        "the Volga region",
        "Karelia",
        "the Krasnodar region",
        "Bashkortostan",
        "the Murmansk region",
        "Kaliningrad",
    ),
    "us_body": (
        "the State Department",
        "the Treasury",
        "the Pentagon",
        "the Senate Foreign Relations Committee",
        "the House of Representatives",
        "the Commerce Department",
        "the White House",
    ),
    "eu_place": ("Brussels", "Berlin", "Paris", "Warsaw", "Vienna", "Helsinki", "Rome", "Prague"),
    "topic_word": (
        "arms control",
        "grain shipments",
        "prisoner exchanges",
        "embassy staffing",
        "direct flights",
        "the Black Sea",
        "energy transit",
        "frozen assets",
        "cyber security",
        "visa rules",
        "the Arctic Council",
        "nuclear safety",
    ),
    "mood": ("guarded", "sceptical", "hopeful", "uneasy", "restrained", "divided", "impatient"),
    "local_thing": (
        "the bypass",
        "the library extension",
        "the new health centre",
        "the flood wall",
        "the bus depot",
        "the swimming pool",
        "the primary school",
        "the town square",
        "the river footbridge",
        "the recycling plant",
        "the community hall",
    ),
    "sport": ("cricket", "rugby", "rowing", "cycling", "athletics", "hockey", "netball", "tennis"),
    "science": (
        "coral reefs",
        "soil bacteria",
        "migrating geese",
        "glacier melt",
        "bee colonies",
        "deep-sea sediment",
        "wheat genetics",
        "river otters",
        "seaweed farming",
        "peat bogs",
    ),
    "crop": ("barley", "apples", "potatoes", "rapeseed", "sugar beet", "oats", "hops", "pears"),
    "art": (
        "a retrospective of postwar photography",
        "a restored silent film",
        "a new opera",
        "an exhibition of textile art",
        "a festival of folk music",
        "a season of Chekhov plays",
    ),
    "tech": (
        "a battery recycling start-up",
        "a weather-forecasting app",
        "a chip design firm",
        "a satellite imaging company",
        "an online grocery service",
        "a cloud storage provider",
    ),
}

# The clauses of each topic: sentences with slots. {p} a person with a role, {n} a number,
# {q} a quotation, {place}, {month}, {day}, {year}, {body}, {tank}, {outlet} and SLOTS keys.
RUSSIA_TOPICS: dict[str, tuple[str, ...]] = {
    "kremlin_election": (
        "Officials in Moscow have avoided any public comment on hearings in {us_body}, "
        "preferring to let state television carry the story.",
        "The Kremlin has said repeatedly that it judges Washington by its actions rather than by "
        "the tone of campaign speeches.",
        "Russian diplomats in Washington have been told to keep a low profile while the new "
        "administration fills its posts.",
        "State television devoted long segments to the American campaign, mixing mockery with "
        "grudging admiration for its noise and spectacle.",
        "Several regional governors were asked by {body} to avoid remarks about the American vote.",
        "{p} said Moscow was reading the American result as a chance to reopen talks on "
        "{topic_word}.",
        "The mood among officials was described as {mood}, with few willing to predict what the "
        "next four years would bring.",
        "A senior figure in {body} was quoted as saying that personal chemistry between leaders "
        "rarely survives the first real dispute.",
        "Kremlin spokesman Dmitry Peskov declined to say whether a call between the two leaders "
        "had been scheduled.",
        "Peskov told reporters that the Kremlin would not comment on personnel decisions in "
        "another country.",
        "The Russian embassy in Washington posted a short statement about {topic_word} and "
        "nothing about the result itself.",
        "Talk shows on Channel One spent the week debating whether the new mood in Washington "
        "would last.",
        "Vladimir Putin used a meeting with {body} to talk about wages and housing rather than "
        "foreign affairs.",
        "Moscow has watched the changes in Washington closely, {p} wrote in a note to clients.",
        "The Moscow Times reported that officials had been instructed to keep comments on the "
        "United States brief.",
        "RIA Novosti ran a commentary arguing that American politics had become too volatile to "
        "plan around.",
        "Donald Trump's name came up {n} times in a single evening news bulletin, by one count.",
        "In {place}, a small group of students gathered to watch the American coverage late into "
        "the night.",
    ),
    "sanctions_economy": (
        "Russian exporters of {ru_sector} say the restrictions have pushed them toward buyers in "
        "Asia and the Gulf.",
        "Companies in {ru_region} have struggled to replace imported machinery since the "
        "restrictions took effect.",
        "{p} said the {ru_sector} industry had adapted faster than its critics expected.",
        "Output in the {ru_sector} sector fell by {n} percent last year, according to figures "
        "published in {month}.",
        "Banks in Moscow have been rebuilding payment routes through third countries, a slow and "
        "costly process.",
        "Some executives privately hope that the restrictions on {ru_sector} could be eased first, "
        "since they matter least to Western governments.",
        "The {body} has drafted a list of foreign firms that could be allowed back on new terms.",
        "Ordinary shoppers in {place} say the shelves are full but prices have risen sharply.",
        "Analysts doubt that any easing would come quickly, since most restrictions are written "
        "into European law.",
        "Shipping insurers in London and Oslo are watching for any change in the rules on "
        "{ru_sector} cargoes.",
        "A trade fair in {place} drew buyers from {n} countries, organisers said.",
        "Business lobbyists in Moscow have been drafting proposals on {topic_word} in case talks "
        "resume.",
        "Imports of car parts from Asia rose for a {ordinal} month in a row.",
        "The rouble's swings have made long-term contracts in {ru_sector} hard to price.",
        "Regional budgets in {ru_region} depend heavily on a handful of large employers.",
        "Several oligarchs have sold stakes in {ru_sector} companies to smaller partners in "
        "recent months.",
    ),
    "ukraine_talks": (
        "Negotiators met in {world_city} for a {ordinal} round of technical talks on {topic_word}.",
        "Ukrainian officials said any settlement had to be agreed in Kyiv, not over its head.",
        "Volodymyr Zelensky told a conference in {eu_place} that security guarantees mattered more "
        "than a quick ceasefire.",
        "Fighting continued along the front line, with both sides reporting drone attacks "
        "overnight.",
        "{p} said the talks on {topic_word} were the only channel that still worked between the "
        "two capitals.",
        "A proposal to exchange {n} prisoners was discussed but not signed, according to people "
        "briefed on the meeting.",
        "European diplomats fear being left out of any arrangement reached between Washington and "
        "Moscow.",
        "The grain corridor through the Black Sea has become a test of whether smaller deals can "
        "hold.",
        "Humanitarian groups have asked both sides to protect power stations through the winter.",
        "Talks in {world_city} ended without a joint statement after {n} hours.",
        "Kyiv has asked its partners for more air defence systems before the winter.",
        "Mediators from Turkey and the Gulf have offered to host further meetings.",
        "The Kremlin has said that any agreement must address what it calls the root causes of "
        "the conflict.",
        "Observers noted that the language from both sides had softened slightly since {month}.",
    ),
    "elite_politics": (
        "Russia's business elite has grown used to keeping its views to itself in public.",
        "{p} described the mood in Moscow boardrooms as {mood} but pragmatic.",
        "A younger generation of officials in {body} owes its careers to the years of "
        "confrontation with the West.",
        "Governors in {ru_region} have been told to focus on local investment and jobs.",
        "The State Duma passed a bill on {topic_word} in its {ordinal} reading on {weekday}.",
        "Security officials have gained influence since 2022, often at the expense of economic "
        "ministries.",
        "Some tycoons have moved their families back to Moscow from London and the south of "
        "France.",
        "The presidential administration has been preparing for regional elections in {ru_region}.",
        "{p} argued that the hardliners and the technocrats disagree less about goals than about "
        "timing.",
        "Patriotic bloggers have criticised the Defence Ministry for slow supplies to the front.",
        "A new generation of regional managers was appointed after a training programme run by "
        "the Kremlin.",
        "Moscow's mayor opened a new metro line in the {ordinal} week of {month}.",
        "Officials speak of the need for stability, a word that has become a slogan in itself.",
    ),
    "us_russia_analysis": (
        "{p} argued that personal diplomacy between presidents cannot replace working channels "
        "between ministries.",
        "Relations between Washington and Moscow are at their lowest point in decades, most "
        "analysts agree.",
        "The New START treaty, the last arms-control agreement between the two countries, has "
        "left little behind it.",
        "American policy toward Russia has swung between engagement and pressure with almost every "
        "administration since 1991.",
        "{p} warned that expectations in Moscow could turn to disappointment within months.",
        "Russian commentators often describe American politics as a show, {p} noted.",
        "Sanctions passed by Congress are hard for any president to lift alone, lawyers point out.",
        "The two countries still cooperate on {topic_word}, a rare exception to the general chill.",
        "Ambassadors have been absent from both capitals for long stretches in recent years.",
        "Moscow sees the American alliance system as the main obstacle to its plans, {p} said.",
        "A report from {tank} found that most Russians surveyed held {mood} views of the United "
        "States.",
        "Washington's allies in Europe have been comparing notes on how to respond to a thaw.",
        "{p} compared the relationship to a long winter in which every thaw is followed by frost.",
        "Diplomats from both countries met quietly in {world_city} to discuss {topic_word}.",
    ),
}
OTHER_TOPICS: dict[str, tuple[str, ...]] = {
    "local_council": (
        "{place} council approved plans for {local_thing} at a meeting on {weekday} evening.",
        "Residents raised concerns about parking and noise during the consultation on "
        "{local_thing}.",
        "{p} said the project would be paid for from reserves and a government grant.",
        "The council's budget for the coming year includes £{n} million for road repairs.",
        "Work on {local_thing} is expected to begin in {month} and last about a year.",
        "Opposition councillors argued that the money would be better spent on youth services.",
        "A petition against the plan gathered {n}00 signatures in two weeks.",
        "Council tax in {place} will rise by {small} percent from April.",
        "Local businesses welcomed the decision, saying it would bring more visitors to the "
        "centre.",
        "The planning committee voted {small} to {smaller} in favour after a long debate.",
        "Officers said the scheme had been redesigned twice to protect the old oak trees.",
    ),
    "weather_floods": (
        "Heavy rain caused the river to burst its banks near {place} early on {weekday}.",
        "Emergency crews evacuated {n} homes as water levels rose through the night.",
        "{p} said the flood defences had held in most places but failed on the eastern side.",
        "Forecasters expect more rain later in the week, with warnings in place until {weekday}.",
        "Farmers in the valley lost much of their {crop} harvest to standing water.",
        "Volunteers handed out sandbags from the fire station until the early hours.",
        "Insurance claims from the storm are expected to run into the millions.",
        "The railway line between {place} and the coast was closed after a landslip.",
        "Schools in the area stayed closed for a {ordinal} day while roads were cleared.",
        "It was the wettest {month} since records began in the area, the weather service said.",
    ),
    "health": (
        "The new health centre in {place} will open its doors to patients in {month}.",
        "Waiting times for routine operations have fallen for a {ordinal} month in a row.",
        "{p} said the hospital needed {n} more nurses to keep the ward open at night.",
        "A pilot scheme lets pharmacists treat minor infections without a doctor's appointment.",
        "Doctors have warned that the flu season arrived early this year.",
        "The trust said it had cut the time ambulances wait outside the emergency department.",
        "Patients' groups welcomed the change but asked for more evening appointments.",
        "Researchers found that regular walking cut the risk of falls among older adults.",
        "The vaccination clinic in {place} saw {n} visitors on its first weekend.",
    ),
    "transport": (
        "Passengers on the line to {place} face delays while signals are replaced.",
        "{p} said the new timetable would add {small} trains an hour at peak times.",
        "The bus company will run an hourly service to the hospital from {month}.",
        "Cyclists have called for a protected lane along the main road into {place}.",
        "The airport reported its busiest summer, with {n} thousand passengers in August.",
        "Engineers will close the bridge for {small} weekends to repair its joints.",
        "Fares will rise by {small} percent in January, the operator confirmed.",
        "A new electric ferry entered service on the crossing to the island.",
    ),
    "science": (
        "Scientists studying {science} have found changes that surprised them.",
        "{p} said the results of the study on {science} would need to be repeated elsewhere.",
        "The team collected samples over {n} months from sites along the coast.",
        "Funding for the project came from a university grant and a local charity.",
        "The findings were published in a peer-reviewed journal in {month}.",
        "Similar work on {science} is under way in Norway and New Zealand.",
        "Volunteers helped to count and tag animals at dawn each weekend.",
        "The researchers plan to share their data openly with other groups.",
    ),
    "sport": (
        "{place} won their {ordinal} {sport} match of the season on {weekday}.",
        "{p} said the young squad had grown in confidence since the spring.",
        "The club has raised money for new floodlights and changing rooms.",
        "A crowd of {n}00 watched the final at the county ground.",
        "The coach praised the defence but said the team must finish its chances.",
        "The regional {sport} championships will be held in {place} next summer.",
        "Two players from the academy have been called up to the national junior squad.",
    ),
    "culture": (
        "The museum in {place} is showing {art} until the end of {month}.",
        "{p} said the exhibition had taken {small} years to put together.",
        "Tickets for the opening night sold out within an hour.",
        "The theatre company will tour the production to {small} towns in the autumn.",
        "Critics praised the lighting and the young lead actor.",
        "The festival drew {n} thousand visitors over three days, organisers said.",
        "A local choir will perform at the closing concert in the cathedral.",
    ),
    "farming": (
        "Growers of {crop} in the region expect a smaller harvest after the dry spring.",
        "{p} said prices for {crop} had barely covered the cost of fuel and fertiliser.",
        "The agricultural show in {place} attracted a record number of entries.",
        "Farmers are trying new varieties of {crop} that need less water.",
        "The cooperative has invested in a cold store to keep fruit fresh for longer.",
        "Young farmers say the price of land makes it hard to start out.",
        "A local brewery buys most of the {crop} grown on the hillside farms.",
    ),
    "technology": (
        "{tech} based in {place} has raised new funding from private investors.",
        "{p} said the company would hire {n} engineers over the next year.",
        "The firm's founders met at university and started the business in a garage.",
        "Customers can now use the service in {small} more regions.",
        "The company says its software cuts energy use in offices by a fifth.",
        "Regulators are looking at how such services handle personal data.",
        "The start-up plans to open an office in {eu_place} next year.",
    ),
}
RUSSIA_HEADLINES: dict[str, tuple[str, ...]] = {
    "kremlin_election": (
        "Kremlin keeps its counsel as Washington changes hands",
        "Moscow watches the new administration's first weeks",
        "Russian television and the American campaign",
        "Peskov: Moscow will judge Washington by its deeds",
        "Why the Kremlin is saying little about the US vote",
        "Russian officials weigh the new mood in Washington",
    ),
    "sanctions_economy": (
        "Russian {ru_sector} exporters look east as restrictions bite",
        "Sanctions and the slow rebuilding of Russian supply chains",
        "Moscow business lobby drafts its wish list",
        "In {ru_region}, factories adapt to a closed West",
        "Will restrictions on Russian {ru_sector} be eased first?",
    ),
    "ukraine_talks": (
        "Talks in {world_city} end without agreement",
        "Kyiv insists on its say in any settlement",
        "A {ordinal} round of technical talks on {topic_word}",
        "Europe fears being left out of a deal on Ukraine",
        "Prisoner exchange proposal stalls",
    ),
    "elite_politics": (
        "Inside Russia's cautious boardrooms",
        "Hardliners and technocrats: the quiet argument in Moscow",
        "Governors told to focus on jobs in {ru_region}",
        "The new generation of Kremlin managers",
    ),
    "us_russia_analysis": (
        "Can personal diplomacy fix Washington and Moscow?",
        "A long winter in US-Russian relations",
        "What Moscow gets wrong about Washington",
        "Analysis: the limits of a thaw between the United States and Russia",
        "Why expectations in Moscow may turn to disappointment",
    ),
}
OTHER_HEADLINES: dict[str, tuple[str, ...]] = {
    "local_council": ("{place} council backs plans for {local_thing}", "Row over {local_thing}"),
    "weather_floods": ("Floods hit {place} after night of heavy rain", "River bursts banks"),
    "health": ("New health centre for {place}", "Hospital waiting times fall again"),
    "transport": ("Delays on the {place} line", "New timetable for {place} commuters"),
    "science": ("What {science} can tell us", "Study of {science} surprises researchers"),
    "sport": ("{place} {sport} team on a winning run", "Record crowd for {sport} final"),
    "culture": ("{place} museum opens {art}", "Festival breaks attendance record"),
    "farming": ("Dry spring hits {crop} growers", "Farmers try new {crop} varieties"),
    "technology": ("{place} start-up raises funds", "{tech} expands to new regions"),
}
# Background sentences any article of the family may use (each at most once an article).
RUSSIA_GENERIC = (
    "Russia has been under broad Western restrictions since 2014, tightened sharply in 2022.",
    "Few officials in Moscow are willing to speak on the record about relations with the West.",
    "Much of what is known about the Kremlin's thinking comes from leaks and anonymous sources.",
    "State media follow the Kremlin's line closely, though talk shows allow sharper voices.",
    "The war has reshaped Russia's economy around military production.",
    "Moscow has deepened its trade with China, India and Turkey since 2022.",
    "Western embassies in Moscow work with a fraction of their former staff.",
    "Public opinion polls in Russia are hard to read, since many people decline to answer.",
    "{p} said the Kremlin preferred to wait and see rather than commit itself early.",
    "The Kremlin rarely explains its decisions, leaving commentators to fill the silence.",
    "Officials in {body} have been asked to prepare briefings on {topic_word}.",
    "Russian newspapers carried the story on their front pages the next morning.",
    "The Kremlin's press service published only a short readout of the meeting.",
    "Critics of the government, most of them now abroad, see little reason for optimism.",
    "Europe's leaders have said they will not reopen the question of Russian gas.",
    "The debate in Moscow is conducted mostly behind closed doors.",
    "The foreign ministry's weekly briefing touched on {topic_word} but little else.",
    "{p} noted that similar hopes had been raised and dashed several times since 2016.",
    "For many in Moscow, the memory of the last false dawn is still fresh.",
    "Trade between Russia and the United States has fallen to a small share of its old level.",
    "Regional newspapers in {ru_region} covered the story with less enthusiasm than Moscow's.",
    "Russian officials often describe their approach as patient and pragmatic.",
    "The Kremlin has long argued that Western pressure only hardens Russian resolve.",
    "Any change in policy would take months to show up in trade figures, {p} said.",
)  # fmt: skip
LOCAL_GENERIC = (
    "The decision follows months of discussion and two public meetings.",
    "Residents can see the plans at the library until the end of the month.",
    "{p} said people had been patient and deserved a clear timetable.",
    "The town has grown quickly over the past decade, putting pressure on services.",
    "A full report will go to the next meeting of the council's cabinet.",
    "Many of those who spoke at the meeting had lived in {place} all their lives.",
    "The local newspaper first raised the issue in a series of articles last year.",
    "Neighbouring towns have faced similar problems and found different answers.",
    "Costs have risen since the scheme was first proposed, partly because of energy prices.",
    "Volunteers played a large part, giving up their evenings and weekends.",
    "The county's population is expected to grow by a tenth over the next twenty years.",
    "{p} thanked the staff who had worked through the holiday weekend.",
    "A website has been set up to answer questions from the public.",
    "The plans will be reviewed again in the spring.",
    "Some residents said they had only heard about the proposal by chance.",
    "Local radio carried updates throughout the day.",
    "The mayor is expected to visit later in the week.",
    "Similar schemes elsewhere in the region have had mixed results.",
    "The area's member of parliament said she would raise the matter in Westminster.",
    "A spokesperson declined to comment on the cost of the delay.",
    "Independent experts will review the figures before a final decision.",
    "The scheme is part of a wider plan to revive the high street.",
    "Children from the primary school painted a mural for the opening.",
    "Older residents remember a similar debate in the 1980s.",
    "Parking remains the most common complaint at public meetings.",
    "Organisers hope to make it an annual event.",
)  # fmt: skip
OPENERS = (
    "On {weekday}, ", "In a statement, ", "Speaking to reporters, ", "According to officials, ",
    "Earlier this month, ", "For now, ", "By most accounts, ", "In private, ", "Last year, ",
    "At the same time, ", "Even so, ", "Meanwhile, ", "In {month}, ", "Publicly, ",
)  # fmt: skip
TAILS = (
    ", according to people familiar with the matter",
    ", though few expect a quick change",
    ", a point repeated in several interviews",
    ", officials said",
    ", in the view of most observers",
    ", at least for now",
    ", by their own account",
    ", as several local reports noted",
)  # fmt: skip
QUOTES = (
    "We have seen this before, and it rarely ends the way people hope",
    "Nobody here wants to be the first to say what everyone is thinking",
    "It is too early to tell, and anyone who says otherwise is guessing",
    "The numbers are better than last year, but they are not good",
    "People are tired, and they want something they can plan around",
    "This is a long process, not a single announcement",
    "We will judge the result by what happens on the ground",
    "There is a lot of noise, and very little signal",
    "It is a question of trust, and trust takes years to build",
    "Everyone is waiting for someone else to move first",
    "The money is there, the question is how fast it can be spent",
    "I would be careful about reading too much into one week",
    "Nobody should pretend this is simple",
    "We are ready to listen, but we are not naive",
    "The details will matter far more than the headlines",
    "You cannot build a policy on a mood",
    "It will take more than one meeting to change anything",
    "Our members want certainty more than anything else",
)  # fmt: skip
QUOTE_FRAMES = (
    '"{quote}," said {pe}.',
    '"{quote}," {p} told {outlet}.',
    '{p} put it more bluntly: "{quote}."',
    '"{quote}," {p} said in an interview.',
    '"{quote}," {p} said, adding that much depended on the coming months.',
)  # fmt: skip
ROLES_RU = (
    "a political analyst in Moscow", "a former official at {body}",
    "a researcher at {tank}", "an economist who advises Russian companies",
    "a senior fellow at {tank}", "a columnist for a Moscow business daily",
    "a former diplomat who now teaches in {eu_place}", "a consultant to Russian exporters",
)  # fmt: skip
ROLES_LOCAL = (
    "a spokesperson for the council", "the chair of the residents' association",
    "a local shop owner", "the project manager", "a professor at the regional university",
    "the head of the local trust", "a spokesperson for the operator", "the club secretary",
    "a director of the company", "a volunteer coordinator",
)  # fmt: skip
JUNK_LINES = (
    "Share this article", "Sign up for our morning newsletter", "Enter your email",
    "Follow us on social media", "Advertisement", "Privacy Policy | Terms of Use | Contact",
)  # fmt: skip
RUSSIA_SHARE = 0.6
DUPLICATE_SHARE = 0.03
_SLOT_RE = re.compile(r"\{(\w+)\}")


@dataclass
class ArchiveInfo:
    """What was written: file names per kind and the near-duplicate pairs."""

    root: Path
    generated: list[str] = field(default_factory=list)
    seeds: dict[str, str] = field(default_factory=dict)  # original seed name -> name in root
    duplicates: list[tuple[str, str]] = field(default_factory=list)  # (original, copy)
    topics: dict[str, int] = field(default_factory=dict)
    words: list[int] = field(default_factory=list)


class _Writer:
    """Generates articles from one random stream."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def pick(self, options: Sequence[str]) -> str:
        return options[self.rng.randrange(len(options))]

    def person(self, russian: bool) -> str:
        first = self.pick(RUSSIAN_FIRST if russian else FIRST)
        last = self.pick(RUSSIAN_LAST if russian else LAST)
        return f"{first} {last}"

    def fill(self, template: str, russian: bool, named: dict[str, str]) -> str:
        def slot(match: re.Match[str]) -> str:
            name = match.group(1)
            if name in named:
                return named[name]
            return self.value(name, russian)

        # Twice: a role or a quote frame brings slots of its own.
        return _SLOT_RE.sub(slot, _SLOT_RE.sub(slot, template))

    def value(self, name: str, russian: bool) -> str:
        rng = self.rng
        if name in SLOTS:
            return self.pick(SLOTS[name])
        if name in ("p", "pe"):  # a person with a role: mid-sentence, or before the full stop
            role = self.pick(ROLES_RU if russian else ROLES_LOCAL)
            return f"{self.person(russian)}, {role}" + ("," if name == "p" else "")
        simple: dict[str, str] = {
            "n": str(rng.randint(3, 95)),
            "small": str(rng.randint(2, 9)),
            "smaller": str(rng.randint(0, 1)),
            "year": str(rng.randint(2015, 2024)),
            "month": self.pick(MONTHS),
            "weekday": self.pick(WEEKDAYS),
            "ordinal": self.pick(("second", "third", "fourth", "fifth", "sixth")),
            "body": self.pick(RUSSIAN_BODIES),
            "tank": self.pick(THINK_TANKS),
            "outlet": self.pick(OUTLETS),
            "world_city": self.pick(WORLD_CITIES).title(),
            "place": self.pick(LOCAL_PLACES) if not russian else self.pick(RU_CITIES).title(),
        }
        return simple.get(name, name)

    def dress(self, text: str, russian: bool, named: dict[str, str]) -> str:
        """Now and then an opening phrase or a trailing clause, as a reporter varies them."""
        roll = self.rng.random()
        if roll < 0.2 and not text.startswith('"'):
            opener = self.fill(self.pick(OPENERS), russian, named)
            first = text[0] if _starts_with_name(text) else text[0].lower()
            return opener + first + text[1:]
        if roll > 0.85 and text.endswith(".") and '"' not in text and text.count(",") < 2:
            return text[:-1] + self.pick(TAILS) + "."
        return text

    def article(self, topic: str, russian: bool, target_words: int) -> tuple[str, list[str]]:
        """A headline and paragraphs of about ``target_words`` words (fewer when the topic's
        sentences run out: each template is used at most once an article)."""
        rng = self.rng
        family = RUSSIA_TOPICS if russian else OTHER_TOPICS
        headlines = (RUSSIA_HEADLINES if russian else OTHER_HEADLINES)[topic]
        own = list(family[topic])
        rng.shuffle(own)
        extra = list(RUSSIA_GENERIC if russian else LOCAL_GENERIC)
        if russian:  # a second subject lends some sentences, as real stories wander
            extra += list(family[self.pick(sorted(t for t in family if t != topic))])
        rng.shuffle(extra)
        quotes = list(QUOTES)
        rng.shuffle(quotes)
        named = {"place": self.value("place", russian)}
        for key in ("ru_sector", "ru_region", "science", "crop", "sport", "art", "tech",
                    "local_thing", "topic_word"):  # fmt: skip
            named[key] = self.pick(SLOTS[key])
        title = self.fill(self.pick(headlines), russian, named)
        title = title[0].upper() + title[1:]
        paragraphs: list[str] = []
        words = 0
        # The story's own subject first and most; background and quotes woven in.
        while words < target_words and (own or extra):
            sentences: list[str] = []
            for _ in range(rng.choice((1, 2, 2, 3, 3, 4))):
                roll = rng.random()
                if roll < 0.15 and quotes:
                    frame = self.pick(QUOTE_FRAMES).replace("{quote}", quotes.pop())
                    sentences.append(self.fill(frame, russian, named))
                    continue
                source = own if (own and (roll < 0.7 or not extra)) else extra
                if not source:
                    break
                sentences.append(self.dress(self.fill(source.pop(), russian, named), russian,
                                            named))  # fmt: skip
            if sentences:
                paragraph = " ".join(sentences)
                paragraphs.append(paragraph)
                words += len(paragraph.split())
        return title, paragraphs


# First words that are names, kept capitalised after an opening phrase.
_PROPER = frozenset(
    [
        "Kremlin",
        "Russian",
        "Russia's",
        "Russia",
        "Moscow",
        "Moscow's",
        "Peskov",
        "Vladimir",
        "Donald",
        "Volodymyr",
        "Ukrainian",
        "European",
        "Kyiv",
        "Washington",
        "Washington's",
        "RIA",
        "American",
        "Europe",
    ]
    + list(FIRST)
    + [p.split()[0] for p in LOCAL_PLACES]
    + [c.title() for c in RU_CITIES]
    + [c.title() for c in WORLD_CITIES]
)


def _starts_with_name(text: str) -> bool:
    return text.split(" ", 1)[0].rstrip(",") in _PROPER


def _date(rng: random.Random) -> tuple[str, str]:
    year = rng.choice((2024, 2025))
    month = rng.randint(1, 12)
    day = rng.randint(1, 28)
    return f"{MONTHS[month - 1]} {day}, {year}", f"{year}-{month:02d}-{day:02d}"


def _render(
    writer: _Writer,
    layout: str,
    title: str,
    paragraphs: list[str],
    *,
    author: str,
    outlet: str,
    russian: bool,
) -> tuple[str, str, dict[str, str]]:
    """The file's text, its suffix and its sidecar metadata (may be empty)."""
    rng = writer.rng
    shown, iso = _date(rng)
    body = list(paragraphs)
    if layout == "wire":
        city = writer.pick(RU_CITIES if russian else WORLD_CITIES)
        body[0] = f"{city} ({outlet}) — {body[0]}"
        text = "\n\n".join([title, f"By {author}", f"Published {shown}", *body])
        return text + "\n", ".txt", {}
    if layout == "markdown":
        front = f'---\ntitle: "{title}"\nauthor: {author}\noutlet: {outlet}\ndate: {iso}\n---\n'
        return front + f"\n# {title}\n\n" + "\n\n".join(body) + "\n", ".md", {}
    if layout == "web":
        junk = rng.sample(JUNK_LINES, 3)
        family = RUSSIA_HEADLINES if russian else OTHER_HEADLINES
        related = writer.fill(writer.pick(family[writer.pick(sorted(family))]), russian, {})
        more = f"Read more: {related[0].upper() + related[1:]}"
        lines = [outlet, title, title, f"{author}, {outlet}", f"Published {shown}", junk[0],
                 *body, more, junk[1], junk[2]]  # fmt: skip
        return "\n\n".join(lines) + "\n", ".txt", {}
    # "sidecar": bare text, its facts in metadata.json
    text = "\n\n".join(body) + "\n"
    return text, ".txt", {"title": title, "author": author, "outlet": outlet, "date": iso}


def _name(rng: random.Random, used: set[str]) -> str:
    while True:
        name = f"{rng.randrange(16**16):016x}"
        if name not in used:
            used.add(name)
            return name


def generate_archive(
    root: Path,
    articles: int,
    *,
    seed: int = 14,
    seed_corpus: Path | None = None,
    min_words: int = 400,
    max_words: int = 900,
    russia_share: float = RUSSIA_SHARE,
) -> ArchiveInfo:
    """Write ``articles`` generated articles (and the seed corpus, renamed, among them) to root.

    ``russia_share`` of them are on the seed articles' subjects (Russia, the US, Ukraine) and use
    their names; the rest are about unrelated subjects.

    File names are ``NNNN_<hex>`` in a shuffled order, the seed articles' too (their
    ``metadata.json`` entries follow them), so nothing in a name tells them apart.
    """
    rng = random.Random(seed)
    writer = _Writer(rng)
    root.mkdir(parents=True, exist_ok=True)
    info = ArchiveInfo(root=root)
    seeds = sorted(p for p in seed_corpus.iterdir() if p.suffix in (".txt", ".md", ".html")) if (
        seed_corpus is not None
    ) else []  # fmt: skip
    slots = list(range(articles + len(seeds)))
    rng.shuffle(slots)
    names: set[str] = set()
    sidecar: dict[str, dict[str, str]] = {}
    layouts = ("wire", "markdown", "web", "sidecar")
    position = iter(slots)
    duplicates = max(1, round(articles * DUPLICATE_SHARE)) if articles >= 20 else 0
    originals: list[tuple[str, str, list[str], bool]] = []  # (name, title, paragraphs, russian)
    for _ in range(articles - duplicates):
        russian = rng.random() < russia_share
        topic = writer.pick(sorted(RUSSIA_TOPICS if russian else OTHER_TOPICS))
        title, paragraphs = writer.article(topic, russian, rng.randint(min_words, max_words))
        author = writer.person(rng.random() < 0.3)
        outlet = writer.pick(WIRES if rng.random() < 0.3 else OUTLETS)
        layout = writer.pick(layouts)
        text, suffix, meta = _render(
            writer, layout, title, paragraphs, author=author, outlet=outlet, russian=russian
        )
        name = f"{next(position):04d}_{_name(rng, names)}{suffix}"
        (root / name).write_text(text, encoding="utf-8")
        if meta:
            sidecar[name] = meta
        info.generated.append(name)
        info.topics[topic] = info.topics.get(topic, 0) + 1
        info.words.append(sum(len(p.split()) for p in paragraphs))
        if layout == "wire":
            originals.append((name, title, paragraphs, russian))
    for original, title, paragraphs, russian in rng.sample(
        originals, min(duplicates, len(originals))
    ):
        # The same wire story run by another outlet: its own headline and byline, the last
        # paragraph trimmed.
        retitled = f"{title}: what we know"
        outlet = writer.pick(OUTLETS)
        text, suffix, _ = _render(
            writer, "wire", retitled, paragraphs[:-1], author=writer.person(False),
            outlet=outlet, russian=russian,
        )  # fmt: skip
        name = f"{next(position):04d}_{_name(rng, names)}{suffix}"
        (root / name).write_text(text, encoding="utf-8")
        info.generated.append(name)
        info.duplicates.append((original, name))
    if seed_corpus is not None:
        seed_meta = _read_json(seed_corpus / "metadata.json")
        for path in seeds:
            name = f"{next(position):04d}_{_name(rng, names)}{path.suffix}"
            shutil.copyfile(path, root / name)
            info.seeds[path.name] = name
            if path.name in seed_meta:
                sidecar[name] = seed_meta[path.name]
    if sidecar:
        (root / "metadata.json").write_text(
            json.dumps(dict(sorted(sidecar.items())), ensure_ascii=False, indent=1) + "\n",
            encoding="utf-8",
        )
    return info


def _read_json(path: Path) -> dict[str, dict[str, str]]:
    if not path.is_file():
        return {}
    data = json.loads(path.read_text(encoding="utf-8"))
    return {str(k): dict(v) for k, v in data.items()}


def folder_digest(root: Path) -> str:
    """sha256 over every file's name and bytes, in name order (determinism checks)."""
    digest = hashlib.sha256()
    for path in sorted(root.iterdir()):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def leaks(root: Path, names: Iterable[str], evidence: Iterable[str]) -> list[tuple[str, str]]:
    """(file, evidence) pairs where a generated file holds an evidence string (should be none)."""
    from qa_bot.evaluation.question_set import normalise

    wanted = sorted({normalise(e) for e in evidence if e.strip()})
    found = []
    for name in names:
        text = normalise((root / name).read_text(encoding="utf-8"))
        found += [(name, e) for e in wanted if e in text]
    return found
