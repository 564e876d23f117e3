"""Go's ``url.Parse`` checks of the authority (issue 10): a test path or URL whose host or port Go refuses
gets Go's error, not a silent pass."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chainsaw_py.errors import ChainsawError
from chainsaw_py.golang.urls import parse
from chainsaw_py.loading.discovery import check_folders


@pytest.mark.parametrize(("raw", "message"), [
    ("https://host:abc/x", 'invalid port ":abc" after host'),
    ("https://ho st/x", 'invalid character " " in host name'),
    ("//my dir/tests", 'invalid character " " in host name'),
    ("https://h{o}st/", 'invalid character "{" in host name'),
    ("http://a|b/", 'invalid character "|" in host name'),
    ("http://[::1/x", "missing ']' in host"),
    ("http://[::1]:8x/", 'invalid port ":8x" after host'),
    ("http://[::1]x/", 'invalid port "x" after host'),
    ("http://%41bc/", 'invalid URL escape "%41"'),           # %-encoding only for non-ASCII bytes in a host
    ("http://%zz b/", 'invalid URL escape "%zz"'),           # the first problem, as Go's unescape finds it
    ("http://%%41/", 'invalid URL escape "%%4"'),
    ("http://h%/", 'invalid URL escape "%"'),
    ("http://[fe80::1%25%2F]/", 'invalid URL escape "%2F"'),  # a zone may not escape "/"
    ("http://u s@host/", "net/url: invalid userinfo"),
    ("http://user:p%zz@host/", 'invalid URL escape "%zz"'),
    ("http://ho st:abc/", 'invalid port ":abc" after host'),  # the port is checked first
])
def test_hosts_and_ports_go_refuses(raw: str, message: str) -> None:
    with pytest.raises(ValueError) as caught:
        parse(raw)
    assert str(caught.value) == f'parse "{raw}": {message}'


@pytest.mark.parametrize(("raw", "host"), [
    ("https://host:6443/x", "host:6443"),
    ("http://host:/p", "host:"),                    # an empty port is allowed
    ("//host:99999/x", "host:99999"),               # digits only, no range check in url.Parse
    ("http://[fe80::1%25en0]:80/", "[fe80::1%en0]:80"),
    ("http://%c3%a9/", "é"),
    ("http://héllo/", "héllo"),
    ("http://user:pa%20ss@h/", "h"),
    ("http://a!$&'()*+,;=<>\"b/", "a!$&'()*+,;=<>\"b"),
])
def test_hosts_go_accepts(raw: str, host: str) -> None:
    assert parse(raw).host == host


def test_a_test_path_with_a_bad_host_is_an_error_as_upstream() -> None:
    with pytest.raises(ChainsawError, match=r'^parse "//my dir/tests": invalid character " " in host name$'):
        check_folders(["//my dir/tests"])


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("ab:%[]@/ 25{.é")), max_size=16))
def test_any_authority_parses_or_fails_with_one_line(text: str) -> None:
    try:
        parse("http://" + text)
    except ValueError as error:
        assert str(error).startswith(f'parse "http://{text}": ') and "\n" not in str(error)
