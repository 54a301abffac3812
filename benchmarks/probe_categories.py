"""Development probe: does the difficulty score rank kinds of prompts by how much a strong model helps?

THIS IS A DEVELOPMENT AID, NOT A VALIDATION CLAIM. Every prompt below was written for this script, from
scratch, by the project (none is copied or paraphrased from MT-Bench, Arena-Hard, MMLU, HellaSwag, ARC, MBPP,
HumanEval, GSM8K or any other public benchmark), and the classifier was adjusted while looking at this
output, so its figures are in-sample by construction. The numbers that count are measured on held-out
public benchmarks the project never sees.

What it does: classify ~16 prompts in each of ten categories, print the mean (and range) of `difficulty`
and the task the classifier picked, then compute what a router that sends the highest-difficulty prompts to
the strong model first would recover, under ROUGH PRIORS for the strong-vs-weak gap of each category
(`GAPS` below: public chat benchmarks show big gaps in math, code, reasoning and extraction, small ones in
writing, role-play, STEM explanations and humanities; on mixed benchmarks math and code carry most of the
gap, hard professional multiple choice some, commonsense multiple choice little). Every prompt of a
category gets the same gap, so only the ranking *between* categories is measured, never the ranking within
one. Two mixes are scored, shaped like the two held-out benchmarks:

- chat: writing, roleplay, humanities, stem, extraction, reasoning, math, coding;
- mixed: commonsense_mc, professional_mc, math, coding.

Reported per mix: APGR (area under the performance-gap-recovered curve; random 0.5), the share of strong
calls for 95% of the strong model's score (strong scores 0.9, weak 0.9 - SCALE * gap, so the mean gap is
about the size of a 9.0-vs-8.3 judge score), and the pairwise order accuracy (of the pairs of prompts from
categories with different priors, the share the score puts in the right order; ties count half). The same
figures for a router that knows the categories (the best this probe can show) are printed beside them.

Usage: python benchmarks/probe_categories.py [--yaml FILE] [--json] [--verbose]
"""

from __future__ import annotations

import argparse
import json
import statistics
from collections import Counter
from pathlib import Path
from typing import Any

import yaml

from llm_router.classify import Classifier, compile_classifier
from llm_router.evaluation import metrics

ROOT = Path(__file__).resolve().parents[1]

# Rough priors, not measurements: the strong-minus-weak score gap (0..1 judge scale) of each category.
GAPS = {
    "math": 0.50,
    "coding": 0.45,
    "reasoning": 0.40,
    "extraction": 0.30,
    "professional_mc": 0.20,
    "stem": 0.15,
    "humanities": 0.10,
    "writing": 0.05,
    "roleplay": 0.05,
    "commonsense_mc": 0.05,
}
MIXES = {
    "chat": ("writing", "roleplay", "humanities", "stem", "extraction", "reasoning", "math", "coding"),
    "mixed": ("commonsense_mc", "professional_mc", "math", "coding"),
}
STRONG_SCORE = 0.9
SCALE = 0.3

PROBES: dict[str, list[str]] = {
    "writing": [
        "Write a short blog post about the joys of growing tomatoes on a city balcony.",
        "Draft a friendly email to my team announcing that the office will be closed next Friday for "
        "maintenance.",
        "Compose a wedding toast for my younger sister, warm and a bit funny, under 200 words.",
        "Write a product description for a handmade ceramic mug with a speckled blue glaze.",
        "Write a persuasive essay arguing that public libraries deserve more funding.",
        "Can you write a cover letter for a junior graphic designer position at a small agency?",
        "Write a poem about the last train home on a rainy night.",
        "Create a catchy slogan for a neighborhood bakery that specializes in sourdough.",
        "Rewrite this paragraph to sound more professional: 'hey guys, the report is kinda late, sorry, "
        "will send it soon, things have been crazy'.",
        "Write a short story about a lighthouse keeper who finds a message in a bottle.",
        "Write a travel blog intro about a weekend in Lisbon, focusing on the food and the tiled streets.",
        "Draft a LinkedIn post celebrating my five-year anniversary at the company, humble but proud.",
        "Write a thank-you note to a teacher who helped my son learn to read.",
        "Compose a short speech for the opening of our community garden.",
        "Write a sequence of three haiku about the seasons in a mountain village.",
        "Write an upbeat introduction for our running club's spring newsletter, mentioning the new "
        "Saturday trail runs and the charity 10k in May.",
    ],
    "roleplay": [
        "Pretend you are a pirate captain and greet your new crew on their first day aboard.",
        "You are a medieval innkeeper. A weary traveler walks in asking for a room. Respond in character.",
        "Act as my personal fitness coach and motivate me to go for a run this morning.",
        "Imagine you are a cat who just discovered the Christmas tree. Describe your plans.",
        "Roleplay as a 1920s detective interviewing a nervous butler about a missing necklace.",
        "You are a friendly barista. Chat with me while I wait for my latte.",
        "Act as a tour guide in ancient Rome and show me around the Forum.",
        "Pretend to be a grumpy wizard who has been asked to fix a toaster.",
        "Act as a job interviewer for a barista position and ask me your first question.",
        "You're an alien visiting Earth for the first time. Tell me what confuses you about humans.",
        "Play the role of a sports commentator narrating me making breakfast.",
        "Be my supportive friend for a minute; I just failed my driving test and feel awful.",
        "Imagine you're the onboard computer of a starship on a long voyage. Give the crew the morning "
        "status report, in character.",
        "Take on the persona of a Victorian etiquette teacher and scold me for using my phone at dinner.",
        "Pretend you are a dragon guarding a hoard and I am a knight who wants to negotiate for one coin.",
        "Act as a stand-up comedian and do a short bit about airport security lines.",
    ],
    "humanities": [
        "What were the main causes of the French Revolution?",
        "Discuss how the printing press changed religion and politics in early modern Europe.",
        "Explain the central ideas of Stoic philosophy and how people apply them today.",
        "How did the Silk Road influence cultural exchange between East and West?",
        "What is the significance of the Magna Carta in the history of law?",
        "Describe the main themes of Shakespeare's tragedies.",
        "How did the Harlem Renaissance shape American literature and music?",
        "Compare the political philosophies of Hobbes and Locke.",
        "What role did women play in the workforce during World War II?",
        "Explain utilitarianism and one common criticism of it.",
        "Why did the Western Roman Empire decline?",
        "Discuss the influence of impressionism on modern art.",
        "What does the idea of a social contract mean in political theory?",
        "How has the meaning of the word 'democracy' changed from ancient Athens to today?",
        "Describe the cultural impact of the Beatles in the 1960s.",
        "What are the ethical arguments for and against keeping animals in zoos?",
    ],
    "stem": [
        "Explain how vaccines train the immune system.",
        "Why is the sky blue?",
        "How do black holes form?",
        "What is the difference between weather and climate?",
        "Describe how photosynthesis turns light into chemical energy.",
        "How does a refrigerator keep food cold?",
        "Explain plate tectonics and why earthquakes happen.",
        "What does DNA do in a cell, in simple terms?",
        "How do noise-cancelling headphones work?",
        "Explain the greenhouse effect to a high school student.",
        "What causes the tides?",
        "Why does Earth have seasons?",
        "How does a lithium-ion battery store energy?",
        "Explain what entropy means in thermodynamics, intuitively.",
        "What is CRISPR and why does it matter?",
        "How do airplane wings generate lift?",
    ],
    "extraction": [
        "Extract all the people's names and their job titles from this paragraph: 'Maria Lopez, our CFO, "
        "met with Tom Reed, head of sales, and Priya Nair, a data engineer.'",
        "From the text below, list every date mentioned and what happened on it: 'The contract was signed "
        "on March 3, 2021. Delivery began on April 15, and the first invoice was sent on May 1.'",
        "Pull out the ingredients and quantities from this recipe and return them as a table: 'Mix 2 cups "
        "flour, 1 tsp salt and 3 eggs, then add 250 ml milk.'",
        "Given this email, identify the sender's request, the deadline and any people mentioned. Email: "
        "'Hi Sam, could you send the Q3 slides to Lena by Thursday noon? Thanks, Ora.'",
        "Return a JSON object with the fields name, email and phone from this signature: 'Daniel Kim | "
        "Sales Lead | daniel.kim@example.com | +1 555 0142'",
        "Read the following job ad and extract the required skills, the location and the salary range: "
        "'We are hiring a backend engineer in Berlin. Must know Go and PostgreSQL. Salary 70-85k EUR.'",
        "List the companies and the amounts they raised from this news snippet: 'Acme raised $12M in a "
        "Series A, Birdly closed a $3.5M seed round and Cobalt secured $40M.'",
        "From the following meeting notes, extract the action items with their owners: 'Jen will update "
        "the roadmap. Raj to fix the onboarding email. Everyone reviews the budget by Monday.'",
        "Classify each of these customer messages as complaint, question or praise, and output CSV: "
        "1) 'Where is my order?' 2) 'Love the new app!' 3) 'The charger broke after two days.'",
        "Identify the countries, capitals and population figures in this passage and put them in a table: "
        "'Norway, whose capital is Oslo, has about 5.5 million people; Portugal (Lisbon) has roughly 10.3 "
        "million.'",
        "Extract the tenant, landlord, monthly rent and notice period from this lease clause: 'The Tenant, "
        "J. Park, shall pay the Landlord, R. Osei, $1,450 per month; either party may terminate with 60 "
        "days notice.'",
        "Parse these log lines and give me the timestamp, level and message of each as JSON: "
        "'2024-05-01 12:03:11 ERROR disk full' '2024-05-01 12:04:02 WARN retrying'",
        "From this abstract, extract the sample size, the intervention and the main outcome: 'In a trial "
        "of 240 adults, walking 30 minutes a day lowered systolic blood pressure by 6 mmHg on average.'",
        "Pick out every place name in this paragraph and say which continent each is on: 'We flew from "
        "Nairobi to Lima, took a bus to Cusco, and then went home to Toronto.'",
        "Turn this address into structured fields (street, city, postcode, country): 'flat 3, 22 baker "
        "lane, leeds LS1 4AB, united kingdom'",
        "Here are three reviews. For each, give the product, the star rating and the main complaint if "
        "there is one, as JSON. 1. 'The Nimbus kettle boils fast, 5 stars.' 2. 'Orbit desk lamp flickers, "
        "2/5.' 3. 'Zephyr fan is loud but strong, 3 stars.'",
    ],
    "reasoning": [
        "Alice is taller than Bob, and Bob is taller than Carol. Dana is shorter than Carol. Who is the "
        "second tallest?",
        "I have three boxes labeled apples, pears and mixed, and every label is wrong. If I may take one "
        "fruit from one box, how can I relabel all three correctly?",
        "If all bloops are razzies and some razzies are lazzies, does it follow that some bloops are "
        "lazzies? Explain.",
        "Five friends sit in a row. Max sits at the left end. Kim is not at either end. Lee sits directly "
        "right of Kim. Ned is not next to Max. Where does Ole sit?",
        "If the day before yesterday was two days after Monday, what day will it be three days after "
        "tomorrow?",
        "A guard lies on Tuesdays and Thursdays and tells the truth on every other day. Today he says 'I "
        "lied yesterday.' Which days could today be?",
        "With a 4-liter jug and a 9-liter jug and a tap, how can you measure exactly 6 liters?",
        "Tom says: 'Either I took the car or Sara did, but not both.' Sara says: 'I didn't take the car.' "
        "If exactly one of them is lying, who took the car?",
        "Suppose 'if it rains, the match is cancelled' is true and the match was not cancelled. What can "
        "we conclude about the weather, and why?",
        "What comes next in the sequence 2, 6, 12, 20, 30, and what is the pattern?",
        "Ann, Ben and Cal each own one pet: a dog, a parrot or a fish. Ann is allergic to fur, Ben's pet "
        "cannot fly, and Cal does not own the fish. Who owns which pet?",
        "Is this argument valid: 'No reptiles have fur. Some pets have fur. So some pets are not reptiles.'?",
        "There are two doors, one leads to safety. One guard always lies and one always tells the truth, "
        "and you don't know which is which. What single question gets you out safely?",
        "Four runners finished a race. Pia beat Quin, Quin beat Rae, and Sol finished right after Pia. "
        "Who came third?",
        "A snail climbs 3 meters up a 10 meter wall each day and slips back 2 meters each night. On which "
        "day does it reach the top?",
        "If some managers are engineers and no engineers are lawyers, can a manager be a lawyer? Justify "
        "your answer.",
    ],
    "math": [
        "Solve for x: 3x + 7 = 2x - 5.",
        "Find the derivative of f(x) = x^3 sin(x).",
        "What is the sum of all integers from 1 to 200 that are divisible by 3 or by 7?",
        "A shop sells pens at $1.20 each or a pack of 12 for $11. Maya needs 30 pens. What is the cheapest "
        "way to buy them and how much does she pay?",
        "Prove that the square root of 3 is irrational.",
        "A rectangle is 4 cm longer than it is wide and its area is 96 square cm. Find its perimeter.",
        "Compute the integral of 1/(x^2 + 4) from 0 to 2.",
        "Two fair dice are rolled. What is the probability that the product of the two numbers is even?",
        "Lena saved $45 a week for 12 weeks, then spent a third of her savings on a bike. How much does she "
        "have left?",
        "Find all real solutions of x^4 - 5x^2 + 4 = 0.",
        "Pipe A fills a tank in 6 hours and pipe B in 9 hours. How long does it take with both open?",
        "In how many ways can 5 books be arranged on a shelf if two particular books must stand next to "
        "each other?",
        "What is the remainder when 7^100 is divided by 5?",
        "A car loses 15% of its value each year. If it costs $28,000 new, what is it worth after 3 years?",
        "Find the eigenvalues of the matrix [[2, 1], [1, 2]].",
        "The average of five numbers is 18. After one number is removed the average is 16. Which number "
        "was removed?",
    ],
    "coding": [
        "Write a Python function that returns the longest palindromic substring of a string.",
        "Implement an LRU cache in Java with O(1) get and put.",
        "Write a SQL query that finds the top 3 customers by total order value in each country.",
        "Write a C++ program that reads a list of intervals and merges the overlapping ones.",
        "Write a JavaScript debounce function and explain when you would use it.",
        "Given a binary tree, return its level-order traversal as a list of lists.",
        "Write a bash script that finds all files larger than 100MB under a directory and prints them "
        "sorted by size.",
        "Implement Dijkstra's shortest path algorithm in Go for a graph stored as an adjacency list.",
        "Write a Rust function that parses one CSV line, handling quoted fields that contain commas.",
        "Create a Python class for a bank account that prevents overdrafts and logs every transaction.",
        "Write a regex that validates IPv4 addresses and explain each part of it.",
        "Write a function to check whether a 9x9 Sudoku board is valid.",
        "Implement a trie with insert, search and startsWith in TypeScript.",
        "Write a program that prints the k most frequent words in a text file.",
        "Write a Python generator that yields prime numbers forever.",
        "Rotate an N x N matrix 90 degrees clockwise in place. Give the code and its complexity.",
    ],
    "commonsense_mc": [
        "Where would you most likely keep ice cream at home?\nA. pantry\nB. freezer\nC. oven\nD. mailbox",
        "Sam poured a bucket of water on the campfire. What most likely happened next?\nA. the fire grew "
        "bigger\nB. the fire went out\nC. the water turned to ice\nD. the tent flew away",
        "What do people usually use to cut paper?\nA. a spoon\nB. scissors\nC. a pillow\nD. a towel",
        "It started to rain while Mia was walking to work. What would she most likely do?\nA. open an "
        "umbrella\nB. take off her shoes\nC. start swimming\nD. buy sunglasses",
        "Which of these is most likely to be found in a kitchen?\nA. a kettle\nB. a tractor\nC. a canoe\n"
        "D. a lawnmower",
        "A child drops a glass onto a tile floor. What will most likely happen?\nA. it bounces to the "
        "ceiling\nB. it breaks\nC. it melts\nD. it turns into plastic",
        "Why would someone put on a heavy coat?\nA. it is cold outside\nB. to go swimming\nC. to cook "
        "faster\nD. to sleep better in summer",
        "The baby is crying and rubbing her eyes late at night. She is most likely:\nA. hungry for pizza\n"
        "B. tired\nC. excited about work\nD. reading",
        "Where is the best place to buy fresh vegetables?\nA. a hardware store\nB. a farmers market\nC. a "
        "parking garage\nD. a library",
        "Jake left his lunch at home. By mid-afternoon he will probably feel:\nA. hungry\nB. sunburned\n"
        "C. full\nD. cold",
        "To keep a houseplant alive, you should:\n(A) water it regularly\n(B) keep it in a closed drawer\n"
        "(C) paint its leaves\n(D) freeze it",
        "A man stands at the edge of a lake holding a fishing rod. He is most likely trying to:\nA. catch "
        "fish\nB. fly a kite\nC. fix a car\nD. bake bread",
        "What would you use to see in a dark basement?\nA. a flashlight\nB. a fork\nC. a blanket\nD. a "
        "stapler",
        "An ice cube is left on a table in the sun. An hour later it has:\nA. grown bigger\nB. melted into "
        "water\nC. turned into stone\nD. become a snowman",
        "Nora wants to mail a birthday card. What does she need?\nA. a stamp\nB. a hammer\nC. a ladder\n"
        "D. a microscope",
        "She just finished a long run on a hot day. What does she most want?\nA. a glass of water\nB. a "
        "wool sweater\nC. a bag of salt\nD. a sauna",
    ],
    "professional_mc": [
        "Under U.S. GAAP, which of these costs is capitalized as part of the cost of a newly bought "
        "machine?\nA. freight to deliver it\nB. repairs after an accident in year two\nC. operator "
        "training\nD. annual insurance",
        "A 60-year-old patient on warfarin starts a new antibiotic and his INR rises sharply. Which "
        "mechanism is most likely?\nA. inhibition of CYP2C9\nB. induction of CYP3A4\nC. more dietary "
        "vitamin K\nD. lower renal clearance of warfarin",
        "A promise made without consideration is generally enforceable when:\nA. the promisee relied on it "
        "to their detriment in a foreseeable way\nB. it was made orally\nC. the promisor later regrets it"
        "\nD. it was made between strangers",
        "Which data structure gives O(log n) insertion and O(1) access to the minimum?\nA. binary heap\n"
        "B. hash table\nC. linked list\nD. unsorted array",
        "A bond whose coupon rate is above the market yield will trade:\nA. at a premium\nB. at a discount"
        "\nC. at par\nD. at zero",
        "Which electrolyte disturbance most commonly causes peaked T waves on an ECG?\nA. hyperkalemia\n"
        "B. hypokalemia\nC. hypercalcemia\nD. hyponatremia",
        "In TCP, what is the purpose of slow start?\nA. to probe the available bandwidth by growing the "
        "congestion window quickly\nB. to encrypt the handshake\nC. to retransmit lost ACKs\nD. to "
        "negotiate the MTU",
        "Which statement is most likely admissible despite the hearsay rule?\nA. an excited utterance made "
        "right after a car crash\nB. a neighbor's rumor repeated in court\nC. a written opinion of an "
        "absent expert\nD. a stranger's diary offered for its truth",
        "Which best describes the Fisher effect?\nA. nominal interest rates move one-for-one with expected "
        "inflation\nB. exchange rates equalize prices\nC. the money supply determines output\nD. taxes "
        "reduce savings",
        "An auditor finds that a client's inventory count excluded goods it holds on consignment for "
        "another company. What is the correct treatment?\nA. exclude them, as the client does not own them"
        "\nB. include them at cost\nC. include them at market value\nD. disclose them only",
        "Which enzyme deficiency causes classic phenylketonuria?\nA. phenylalanine hydroxylase\nB. "
        "tyrosinase\nC. homogentisate oxidase\nD. glucose-6-phosphatase",
        "A simply supported beam under a uniformly distributed load has its largest bending moment:\nA. at "
        "midspan\nB. at the supports\nC. at quarter span\nD. nowhere, it is constant",
        "Which transaction isolation level prevents non-repeatable reads but still allows phantom reads?"
        "\nA. repeatable read\nB. read committed\nC. read uncommitted\nD. serializable",
        "A firm's marginal cost is below its average total cost. As output rises, average total cost will:"
        "\nA. fall\nB. rise\nC. stay constant\nD. become negative",
        "Which antibiotic class blocks bacterial cell wall synthesis by binding penicillin-binding "
        "proteins?\nA. beta-lactams\nB. macrolides\nC. aminoglycosides\nD. tetracyclines",
        "Section 404 of the Sarbanes-Oxley Act requires management to:\nA. assess and report on internal "
        "control over financial reporting\nB. rotate audit firms every year\nC. publish every employee's "
        "salary\nD. get SEC approval for each acquisition",
    ],
}

# The lead's spot checks (written by the lead, not from any benchmark): prompt, expected category.
SPOT_CHECKS = [
    ("Write a C++ program to detect a cycle in a directed graph.", "coding"),
    (
        "If a train leaves at 3pm going 60 mph and another leaves at 4pm going 80 mph on the same track, "
        "when does the second catch up?",
        "math",
    ),
    (
        "From the following reviews, extract each product name and its rating as JSON: 'The X200 headphones "
        "are great, 4/5. The K7 keyboard feels cheap, 2/5.'",
        "extraction",
    ),
    ("what is 2+2?", "trivial (< 0.2)"),
    ("design a distributed tracing strategy for 40 services", "hard (> 0.7)"),
]


def load(path: Path) -> Classifier:
    clf, issues = compile_classifier(yaml.safe_load(path.read_text())["classifier"], trusted=lambda _p: True)
    assert not issues, issues
    return clf


def mix_figures(rows: list[tuple[str, float]]) -> dict[str, float | None]:
    """APGR, CPT(50%), share for 95% of strong and pairwise order accuracy for (category, difficulty)."""
    gaps = [GAPS[c] for c, _ in rows]
    pair = metrics.Pair([STRONG_SCORE] * len(rows), [STRONG_SCORE - SCALE * g for g in gaps])
    out: dict[str, float | None] = {}
    for label, score in (("", [d for _, d in rows]), ("oracle_", gaps)):
        s = metrics.summary(pair, metrics.curve(pair, score))
        out[label + "apgr"] = s["apgr"]
        out[label + "cpt50"] = s["cpt50"]
        out[label + "share_for_95pct_strong"] = s["share_for_95pct_strong"]
        out[label + "order_accuracy"] = round(_order_accuracy(gaps, score), 4)
    return out


def _order_accuracy(gaps: list[float], score: list[float]) -> float:
    right = total = 0.0
    for i in range(len(gaps)):
        for j in range(len(gaps)):
            if gaps[i] > gaps[j]:
                total += 1
                right += 1.0 if score[i] > score[j] else 0.5 if score[i] == score[j] else 0.0
    return right / total


def read_prompts(path: Path) -> dict[str, list[str]]:
    """A JSON-lines probe set ({"prompt", "category"} per line, e.g. benchmarks/probe_data/) by category."""
    out: dict[str, list[str]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            row = json.loads(line)
            out.setdefault(row["category"], []).append(row["prompt"])
    return out


def probe(clf: Classifier, probes: dict[str, list[str]] = PROBES) -> dict[str, Any]:
    categories: dict[str, Any] = {}
    scored: dict[str, list[float]] = {}
    for cat, prompts in probes.items():
        feats = [clf.classify(p) for p in prompts]
        scored[cat] = [f.difficulty for f in feats]
        categories[cat] = {
            "gap_prior": GAPS[cat],
            "n": len(prompts),
            "mean": round(statistics.fmean(scored[cat]), 3),
            "min": round(min(scored[cat]), 3),
            "max": round(max(scored[cat]), 3),
            "tasks": dict(Counter(f.task for f in feats).most_common()),
        }
    mixes = {name: mix_figures([(c, d) for c in cats for d in scored[c]]) for name, cats in MIXES.items()}
    spot = []
    for prompt, expected in SPOT_CHECKS:
        f = clf.classify(prompt)
        spot.append(
            {"prompt": prompt, "expected": expected, "difficulty": round(f.difficulty, 3), "task": f.task}
        )
    return {"categories": categories, "mixes": mixes, "spot_checks": spot}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--yaml", type=Path, default=ROOT / "policies" / "classifier.yaml")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--verbose", action="store_true", help="print every prompt's difficulty and task")
    parser.add_argument("--prompts", type=Path, help="a JSON-lines probe set instead of the prompts above")
    args = parser.parse_args()
    clf = load(args.yaml)
    probes = read_prompts(args.prompts) if args.prompts else PROBES
    result = probe(clf, probes)
    if args.json:
        print(json.dumps(result, indent=1))
        return
    print("DEVELOPMENT PROBE on self-written prompts, with assumed gaps: not a validation figure.\n")
    print(f"{'category':<16} {'gap':>5} {'mean':>6} {'min':>6} {'max':>6}  tasks")
    for cat, r in sorted(result["categories"].items(), key=lambda kv: -kv[1]["gap_prior"]):
        tasks = ", ".join(f"{t} {n}" for t, n in r["tasks"].items())
        print(
            f"{cat:<16} {r['gap_prior']:>5.2f} {r['mean']:>6.3f} {r['min']:>6.3f} {r['max']:>6.3f}  {tasks}"
        )
        if args.verbose:
            for p in probes[cat]:
                f = clf.classify(p)
                print(f"    {f.difficulty:.3f} {f.task:<9} {p[:90]!r}")
    print()
    for name, m in result["mixes"].items():
        print(
            f"{name:>6}: APGR {m['apgr']:.3f} (category oracle {m['oracle_apgr']:.3f}), "
            f"CPT(50%) {m['cpt50']:.3f}, share for 95% of strong {m['share_for_95pct_strong']:.3f} "
            f"(oracle {m['oracle_share_for_95pct_strong']:.3f}), pairwise order {m['order_accuracy']:.3f}"
        )
    print("\nspot checks:")
    for s in result["spot_checks"]:
        print(f"  {s['difficulty']:.3f} {s['task']:<9} expected {s['expected']:<16} {s['prompt'][:70]!r}")


if __name__ == "__main__":
    main()
