#!/usr/bin/env python3
"""The coercion attack of issue 19, against a running Mobilise service (PRIVACY.md).

A leader reads everything he may about a campaign (rankings in every metric, the CSV, a country's
drill-down, the timeline, the live counter), one employee signs or not on a coin toss (or, with
--withdraw, withdraws or not), the leader waits for the next published instant, reads everything
again and guesses "acted" when anything changed. Prints the accuracy (a coin toss is 0.5).

The Swift test `PrivacyOverTimeTests` runs the same attack on a service it starts; this script is
for a service you run, e.g. with `MOBILISE_LEADER_PUBLISH_INTERVAL=2s swift run mobilise serve`:

    swift run mobilise token --org acme --sub boss --role leader > leader.txt
    for id in E1 E2 …; do swift run mobilise token --org acme --sub $id --role employee; done > employees.txt
    Tests/privacy/attack.py --url http://127.0.0.1:8080 --campaign heforshe --country NL \
        --leader-token "$(cat leader.txt)" --employee-tokens employees.txt --trials 60 --seed 19

Each employee token is used at most once per run (the trial's person); standard library only.

--adaptive runs the adaptive attack in a quiet group instead (PRIVACY.md, "The adaptive attacker";
the Swift test `AdaptiveAttackTests` runs it on a service it starts): the leader reads only the
country's figure in the rankings, colleagues (the employees whose tokens are given, none of them
signed at the start) sign one per published instant until the figure rises, then one of the
signers withdraws or not on a coin toss and the leader guesses "withdrew" when the figure falls
back; then colleagues withdraw one per instant until the figure falls, one employee who has not
signed signs or not, and the leader guesses "signed" when it rises back. --trials of each.
Tokens are used many times (signing, withdrawing, signing again); give the whole country's.
"""
import argparse
import datetime
import json
import random
import sys
import time
import urllib.error
import urllib.request


def call(base, method, path, token):
    request = urllib.request.Request(base + path, method=method, headers={"Authorization": "Bearer " + token})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def without_clock(text):
    """The answer without what moves with the clock whatever happens (as_of, the pace needed per day)."""
    def strip(value):
        if isinstance(value, dict):
            return {k: strip(v) for k, v in value.items() if k not in ("as_of", "needed_per_day")}
        if isinstance(value, list):
            return [strip(v) for v in value]
        return value
    try:
        return json.dumps(strip(json.loads(text)), sort_keys=True)
    except ValueError:
        return text


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", required=True)
    parser.add_argument("--campaign", required=True)
    parser.add_argument("--country", required=True, help="the country of the employees whose tokens are given")
    parser.add_argument("--leader-token", required=True)
    parser.add_argument("--employee-tokens", required=True, help="a file, one employee token per line")
    parser.add_argument("--trials", type=int, default=60)
    parser.add_argument("--seed", type=int, default=19)
    parser.add_argument("--withdraw", action="store_true", help="the employees have signed; the trial withdraws or not")
    parser.add_argument("--adaptive", action="store_true", help="the adaptive attack in a quiet group (see above)")
    args = parser.parse_args()
    if args.adaptive:
        return adaptive(args)

    people = [line.strip() for line in open(args.employee_tokens) if line.strip()]
    if len(people) < args.trials:
        sys.exit(f"{args.trials} trials need {args.trials} employee tokens, {len(people)} given")
    coin = random.Random(args.seed)
    campaign = "/v1/campaigns/" + args.campaign
    paths = [f"{campaign}/rankings?metric={m}" for m in ("signatures", "participation", "momentum", "goal_progress")]
    paths += [f"{campaign}/rankings.csv", f"{campaign}/countries/{args.country}", f"{campaign}/timeline", f"{campaign}/live"]

    def read():
        view = []
        for path in paths:
            status, text = call(args.url, "GET", path, args.leader_token)
            if status != 200:
                sys.exit(f"GET {path}: {status} {text[:200]}")
            view.append(without_clock(text))
        return view

    def wait_for_publication(after):
        wait_for_next_publication(args, campaign, after)

    right = 0
    for trial in range(args.trials):
        person = people[trial]
        acts = coin.random() < 0.5
        before = read()
        if acts:
            status, text = call(args.url, "DELETE" if args.withdraw else "PUT", f"{campaign}/signature", person)
            if status not in (200, 201, 204):
                sys.exit(f"the trial's action failed: {status} {text[:200]}")
        wait_for_publication(datetime.datetime.now(datetime.timezone.utc))
        guessed = read() != before
        right += guessed == acts
        print(f"trial {trial + 1}: {'acted' if acts else 'did not act'}, guessed {'acted' if guessed else 'did not act'}", file=sys.stderr)
    print(json.dumps({"trials": args.trials, "accuracy": right / args.trials, "withdraw": args.withdraw, "seed": args.seed}))


def wait_for_next_publication(args, campaign, after):
    deadline = time.monotonic() + 3600
    while time.monotonic() < deadline:
        status, text = call(args.url, "GET", f"{campaign}/live", args.leader_token)
        if status == 200:
            published = datetime.datetime.fromisoformat(json.loads(text)["as_of"].replace("Z", "+00:00"))
            if published >= after:
                return
        time.sleep(0.05)  # polling a remote service: there is no condition to wait on but its answer
    sys.exit("no publication within an hour")


def adaptive(args):
    people = [line.strip() for line in open(args.employee_tokens) if line.strip()]
    coin = random.Random(args.seed)
    campaign = "/v1/campaigns/" + args.campaign
    signed, unsigned = [], list(people)

    def figure():
        status, text = call(args.url, "GET", f"{campaign}/rankings", args.leader_token)
        if status != 200:
            sys.exit(f"GET rankings: {status} {text[:200]}")
        rows = [row for row in json.loads(text)["rows"] if row["country"] == args.country]
        if not rows:
            sys.exit(f"{args.country} is not shown on its own")
        return rows[0]["signatures"]

    def act(person, sign):
        status, text = call(args.url, "PUT" if sign else "DELETE", f"{campaign}/signature", person)
        if status not in (200, 201, 204):
            sys.exit(f"{'signing' if sign else 'withdrawing'} failed: {status} {text[:200]}")
        (unsigned if sign else signed).remove(person)
        (signed if sign else unsigned).append(person)

    def next_instant():
        wait_for_next_publication(args, campaign, datetime.datetime.now(datetime.timezone.utc))
        return figure()

    scores = {"withdraw": [0, 0], "sign": [0, 0]}
    rising = True
    moves = 0
    while min(scores["withdraw"][0], scores["sign"][0]) < args.trials:
        before = figure()
        pool = unsigned if rising else signed
        if not pool:
            rising = not rising
            continue
        # A colleague's move, alone in its published instant.
        act(pool[0], rising)
        moves += 1
        crossed = next_instant()
        if crossed == before:
            continue
        if (crossed > before) != rising:
            continue
        kind = "withdraw" if rising else "sign"
        targets = signed if rising else unsigned
        acts = coin.random() < 0.5 and bool(targets)
        if acts:
            act(coin.choice(targets), not rising)
        guessed = next_instant() != crossed
        scores[kind][0] += 1
        scores[kind][1] += guessed == acts
        print(f"{kind} trial {scores[kind][0]}: {'acted' if acts else 'did not act'}, "
              f"guessed {'acted' if guessed else 'did not act'}", file=sys.stderr)
        rising = not rising
    print(json.dumps({"adaptive": True, "trials": args.trials, "seed": args.seed, "colleague_moves": moves,
                      "withdraw_accuracy": scores["withdraw"][1] / scores["withdraw"][0],
                      "sign_accuracy": scores["sign"][1] / scores["sign"][0]}))


if __name__ == "__main__":
    main()
