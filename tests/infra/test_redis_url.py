"""Redis URLs: plain ones pass through, Sentinel ones are parsed, passwords never printed."""

from __future__ import annotations

import pytest

from infra.config import ConfigError, parse_config
from infra.redis_url import RedisUrlError, parse_redis_url, redacted, storage_name


def test_given_a_plain_url_then_it_is_kept_as_it_is():
    target = parse_redis_url("redis://127.0.0.1:6379/2")
    assert not target.via_sentinel
    assert target.url == "redis://127.0.0.1:6379/2"


def test_given_a_sentinel_url_then_sentinels_master_db_and_password_are_read():
    target = parse_redis_url("redis+sentinel://:s3cret@127.0.0.1:26379,10.0.0.2:26380/vaxel/3")
    assert target.sentinels == (("127.0.0.1", 26379), ("10.0.0.2", 26380))
    assert (target.master, target.db, target.password) == ("vaxel", 3, "s3cret")
    assert "s3cret" not in repr(target)


def test_given_a_sentinel_url_without_db_then_db_0():
    target = parse_redis_url("redis+sentinel://h1:1,h2:2/main")
    assert (target.master, target.db, target.password) == ("main", 0, None)


@pytest.mark.parametrize("url, part", [
    ("redis+sentinel://h1:1,h2/vaxel/0", "'h2' is not host:port"),
    ("redis+sentinel://h1:99999/vaxel/0", "is not host:port"),
    ("redis+sentinel://h1:1/vaxel/x", "database 'x'"),
    ("redis+sentinel://h1:1", "mastername"),
    ("http://h1:1/0", "expected redis://"),
])
def test_given_a_bad_url_then_the_error_names_the_part(url, part):
    with pytest.raises(RedisUrlError, match=part):
        parse_redis_url(url)


def test_redacted_hides_the_password_in_both_forms():
    assert redacted("redis://:pw@h:1/0") == "redis://:***@h:1/0"
    assert redacted("redis+sentinel://u:pw@h:1,h:2/m/0") == "redis+sentinel://u:***@h:1,h:2/m/0"
    assert redacted("redis://h:1/0") == "redis://h:1/0"


def test_storage_name_has_no_secret_and_names_the_master():
    assert storage_name("redis://:pw@h:7/2") == "h-7-2"
    assert storage_name("redis+sentinel://:pw@h:1,h:2/vaxel/1") == "sentinel-vaxel-1"


def test_given_a_bad_redis_url_in_the_config_then_the_key_and_no_password_are_named():
    with pytest.raises(ConfigError) as err:
        parse_config({}, "vaxel.toml", env={"VAXEL_REDIS_URL": "redis+sentinel://:pw@h/m/0"})
    assert "redis.url" in str(err.value) and "pw" not in str(err.value)
