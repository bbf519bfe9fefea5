"""Bots by the maintained crawler-user-agents list: its build-time index answers as the list does, browsers (in-app
ones included) are people, and what our own patterns no longer name is the list's."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path
from typing import Any

import crawleruseragents
import pytest

from chalicelib.sharing.crawlers import crawler_index, is_listed_crawler
from chalicelib.sharing.visitors import agent_kind
from tests.unit.sharing_support import BROWSERS

ROOT = Path(__file__).resolve().parents[2]
LISTED = crawleruseragents.CRAWLER_USER_AGENTS_DATA


def _load_crawlers_script() -> Any:
    spec = importlib.util.spec_from_file_location("proofloop_crawlers", ROOT / "scripts" / "crawlers.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


crawlers = _load_crawlers_script()


PEOPLE = [re.compile(pattern) for pattern in crawlers.PEOPLE]


def _names_only_people(user_agent: str) -> bool:
    """Every pattern of the list that matches it is one we read as a person (scripts/crawlers.py's PEOPLE)."""
    if not any(person.search(user_agent) for person in PEOPLE):
        return False
    matched = {LISTED[number]["pattern"] for number in crawleruseragents.matching_crawlers(user_agent)}
    return matched <= set(crawlers.PEOPLE)


def test_every_example_of_the_list_is_a_crawler_to_the_index_as_to_the_list():
    # Given every User-Agent the list gives as an example of its crawlers (about 2,100)
    examples = [example for entry in LISTED for example in entry.get("instances", [])]
    assert len(examples) > 1500
    # When the index and the list's own check read each
    differing = [ua for ua in examples if is_listed_crawler(ua) != crawleruseragents.is_crawler(ua)]
    # Then they agree on all of them but the people we left out, and every other example is a crawler
    assert differing and all(_names_only_people(ua) for ua in differing)
    assert all(is_listed_crawler(ua) for ua in examples if not _names_only_people(ua))


@pytest.mark.parametrize("name", sorted(BROWSERS))
def test_a_browser_is_a_person_to_the_index_and_to_the_list(name):
    ua = BROWSERS[name]
    assert agent_kind(ua) == "browser"
    assert not is_listed_crawler(ua)
    # The list agrees, but on Meta's in-app browser, which it calls a link-preview fetcher (our documented exception)
    assert crawleruseragents.is_crawler(ua) == (name == "facebook_metaiab")


def test_a_browser_is_checked_without_compiling_any_pattern():
    # Given the index, read once
    index = crawler_index()
    # When the browsers' User-Agents are looked up
    # Then no pattern's literal occurs in any of them: the check is the lookups alone
    assert {name: index.candidates(ua) for name, ua in BROWSERS.items() if index.candidates(ua)} == {}


def test_the_people_we_leave_out_are_still_in_the_list():
    # An upgrade of the list that drops one of them shows here: then the exception goes too
    assert set(crawlers.PEOPLE) <= {entry["pattern"] for entry in LISTED}


@pytest.mark.parametrize(
    "ua",
    [
        "curl/8.5.0",
        "Wget/1.21.4",
        "python-requests/2.32.3",
        "Python-urllib/3.11",
        "Python/3.11 aiohttp/3.9.1",
        "python-httpx/0.27.0",
        "Go-http-client/2.0",
        "okhttp/4.12.0",
        "Apache-HttpClient/4.5.14 (Java/17.0.9)",
        "libwww-perl/6.72",
        "Scrapy/2.11.0 (+https://scrapy.org)",
        "Feedfetcher-Google; (+http://www.google.com/feedfetcher.html; 4 subscribers)",
        "Mozilla/5.0 (compatible; UptimeRobot/2.0; http://www.uptimerobot.com/)",
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/131.0.0.0 Safari/537.36",
        "Mozilla/5.0 (Unknown; Linux x86_64) AppleWebKit/538.1 (KHTML, like Gecko) PhantomJS/2.1.1 Safari/538.1",
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Chrome-Lighthouse",
        "Mozilla/5.0 (compatible; Yahoo! Slurp; http://help.yahoo.com/help/us/ysearch/slurp)",
        "Mozilla/5.0 (Windows NT 6.1; WOW64) AppleWebKit/534+ (KHTML, like Gecko) BingPreview/1.0b",
    ],
)
def test_the_list_names_the_tools_our_own_patterns_no_longer_do(ua):
    assert is_listed_crawler(ua)
    assert agent_kind(ua) == "bot"


@pytest.mark.parametrize(
    "ua",
    [
        "FooBot/1.0 (+https://foo.example/bot)",
        "Mozilla/5.0 (compatible; ExampleCrawler/0.1)",
        "example-spider/2.0",
        "Java/1.8.0_292",
        "Java-http-client/17.0.9",
    ],
)
def test_an_agent_that_says_it_is_a_bot_is_one_before_the_list_knows_it(ua):
    assert not crawleruseragents.is_crawler(ua)
    assert agent_kind(ua) == "bot"


@pytest.mark.parametrize(
    ("pattern", "literals"),
    [
        ("Googlebot\\/", ["Googlebot/"]),
        ("^dcrawl", ["dcrawl"]),
        ("AdsBot-Google([^-]|$)", ["AdsBot-Google"]),
        ("Ahrefs(Bot|SiteAudit)", ["Ahrefs"]),  # the run before the group is longer than the shorter branch
        ("(sistrix|SISTRIX) [cC]rawler", ["SISTRIX", "sistrix"]),  # one of the branches, longer than "rawler"
        ("Chirp|gotosocial", ["Chirp", "gotosocial"]),
        ("Spider[\\s\\S]*spider\\.com", ["spider.com"]),
        ("(?:web)+walker", ["walker"]),
        ("x(ab)+", None),  # nothing of three characters that every match holds
        ("ab|cdef", None),  # one branch has too short a literal
        ("(?i)googlebot", None),  # any case: no literal to look up
        ("x(?i:abcd)y", None),
        ("[a-z]+bot", ["bot"]),
    ],
)
def test_each_pattern_is_keyed_by_literals_one_of_which_every_match_holds(pattern, literals):
    assert crawlers.required_literals(pattern) == literals


def test_a_pattern_that_cannot_be_checked_alone_stops_the_build():
    with pytest.raises(SystemExit):
        crawlers.build_index("0", [{"pattern": "(a)bc\\1"}])


def test_the_index_is_rebuilt_for_another_version_of_the_list(tmp_path):
    # Given an index written from the installed list
    path = tmp_path / "crawlers.json"
    crawlers.write_index(path)
    assert not crawlers.stale(path)
    # When it says another version of the list
    path.write_text(path.read_text().replace(crawlers.PACKAGE + " ", crawlers.PACKAGE + " 0.0.0-"))
    # Then it is stale
    assert crawlers.stale(path)
