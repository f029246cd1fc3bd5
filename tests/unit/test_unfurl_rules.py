"""The pure rules of link previews: which addresses may be fetched (ipaddress-based), which
links of a message are previewed, and what a page's tags become."""

from __future__ import annotations

import pytest

from shared.embeds.domain.addresses import AddressPolicy, is_public, parse_address
from shared.embeds.domain.embed import image_embed, oembed_embed, oembed_link, page_embed
from shared.embeds.domain.links import MAX_EMBED_LINKS, find_links

REFUSED = [
    "127.0.0.1",
    "127.255.255.254",
    "10.0.0.1",
    "172.16.0.1",
    "172.31.255.255",
    "192.168.0.1",
    "169.254.169.254",
    "169.254.0.1",
    "100.64.0.1",
    "100.127.255.255",
    "0.0.0.0",
    "224.0.0.1",
    "239.255.255.250",
    "240.0.0.1",
    "255.255.255.255",
    "192.0.2.1",
    "198.18.0.1",
    "::1",
    "::",
    "fc00::1",
    "fd12:3456::1",
    "fe80::1",
    "fe80::1%eth0",
    "fec0::1",
    "ff02::1",
    "::ffff:127.0.0.1",
    "::ffff:10.0.0.1",
    "64:ff9b::a9fe:a9fe",  # NAT64 of 169.254.169.254
    "2001:db8::1",
]
PUBLIC = [
    "93.184.216.34",
    "8.8.8.8",
    "172.32.0.1",
    "100.128.0.1",
    "2606:4700::1111",
    "::ffff:8.8.8.8",
]


@pytest.mark.parametrize("text", REFUSED)
def test_non_public_addresses_are_refused(text: str) -> None:
    address = parse_address(text)
    assert not is_public(address)
    assert not AddressPolicy().permits(address, "https", 443)


@pytest.mark.parametrize("text", PUBLIC)
def test_public_addresses_are_permitted_on_their_schemes_port_only(text: str) -> None:
    address = parse_address(text)
    assert is_public(address)
    policy = AddressPolicy()
    assert policy.permits(address, "http", 80) and policy.permits(address, "https", 443)
    assert not policy.permits(address, "http", 443)
    assert not policy.permits(address, "https", 8443)


def test_the_allow_list_admits_its_networks_on_any_port_and_nothing_more() -> None:
    policy = AddressPolicy.parse(["127.0.0.1/32", "fd00::/8"])
    assert policy.permits(parse_address("127.0.0.1"), "http", 41234)
    assert policy.permits(parse_address("fd00::5"), "https", 8443)
    assert not policy.permits(parse_address("127.0.0.2"), "http", 41234)
    assert not policy.permits(parse_address("::1"), "http", 80)
    assert not policy.permits(parse_address("::ffff:127.0.0.1"), "http", 80)


def test_links_outside_code_and_brackets_in_order_at_most_five() -> None:
    content = (
        "see https://a.example/x, and (https://b.example/y) `https://code.example` "
        "<https://quiet.example> ```\nhttps://block.example\n``` "
        "https://en.wikipedia.org/wiki/Foo_(bar). https://a.example/x again "
        "http://c.example ftp://no.example https://d.example https://e.example https://f.example"
    )
    assert find_links(content) == [
        "https://a.example/x",
        "https://b.example/y",
        "https://en.wikipedia.org/wiki/Foo_(bar)",
        "http://c.example",
        "https://d.example",
    ]
    assert len(find_links(" ".join(f"https://{n}.example" for n in range(9)))) == MAX_EMBED_LINKS


def test_open_graph_wins_over_twitter_and_title_and_relative_images_resolve() -> None:
    html = """<html><head><title> Plain   title </title>
    <meta name="twitter:title" content="Twitter title">
    <meta property="og:title" content="OG title">
    <meta name="description" content="Meta description">
    <meta property="og:image" content="/img/card.png">
    <meta property="og:image:width" content="1200"><meta property="og:image:height" content="630">
    <meta property="og:type" content="article"><meta property="og:site_name" content="Site">
    </head></html>"""
    assert page_embed("https://site.example/post/1", html) == {
        "type": "article",
        "url": "https://site.example/post/1",
        "title": "OG title",
        "description": "Meta description",
        "thumbnail": {"url": "https://site.example/img/card.png", "width": 1200, "height": 630},
        "provider": {"name": "Site"},
    }


def test_a_page_with_only_a_title_and_one_with_nothing() -> None:
    assert page_embed("https://x.example/", "<title>Hello</title>") == {
        "type": "link",
        "url": "https://x.example/",
        "title": "Hello",
    }
    assert page_embed("https://x.example/", "<p>no head at all</p>") is None


def test_long_texts_are_clipped_and_unsafe_image_schemes_dropped() -> None:
    html = (
        f'<meta property="og:title" content="{"t" * 400}">'
        f'<meta property="og:description" content="{"d " * 400}">'
        '<meta property="og:image" content="javascript:alert(1)">'
    )
    embed = page_embed("https://x.example/", html)
    assert embed is not None
    assert len(embed["title"]) == 256 and embed["title"].endswith("…")
    assert len(embed["description"]) <= 350
    assert "thumbnail" not in embed


def test_oembed_discovery_and_answer() -> None:
    html = '<link rel="alternate" type="application/json+oembed" href="/oembed?u=1">'
    assert oembed_link("https://v.example/watch", html) == "https://v.example/oembed?u=1"
    answer = {"title": "A video", "provider_name": "V", "thumbnail_url": "https://v.example/t.jpg"}
    assert oembed_embed("https://v.example/watch", answer) == {
        "type": "link",
        "url": "https://v.example/watch",
        "title": "A video",
        "thumbnail": {"url": "https://v.example/t.jpg"},
        "provider": {"name": "V"},
    }
    assert oembed_embed("https://v.example/watch", ["not", "an", "object"]) is None


def test_an_image_link_is_an_image_embed() -> None:
    assert image_embed("https://i.example/a.png")["type"] == "image"
