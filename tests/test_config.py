"""The settings file: found where platformdirs says (or LIVEBLOG_CONFIG), applied below the
command line and the environment, and wrong in one clear line (exit 78), on the full and
the quick command paths alike."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import SAMPLES, run_cli
from liveserver import LiveServer, Reply

ENV = {"LIVEBLOG_GUARDIAN_HOSTS": "127.0.0.1"}
PATH = "/uk-news/live/2026/jun/13/port-elstow-tall-ships-festival-live"


def _settings(tmp_path: Path, text: str) -> dict[str, str]:
    path = tmp_path / "settings.toml"
    path.write_text(text)
    return {"LIVEBLOG_CONFIG": str(path), "LIVEBLOG_DB": ""}


def test_settings_apply_below_flags_and_environment(tmp_path: Path) -> None:
    db = tmp_path / "from-settings.db"
    env = _settings(
        tmp_path,
        f'db = "{db}"\ntz = "Asia/Kolkata"\n[fetch]\ndelay = 0\nuser-agent = "from-settings"\n'
        "quiet = true\n",
    )
    with LiveServer() as server:
        server.routes[PATH + ".json"] = Reply(
            200, (SAMPLES / "guardian-tallships.dcr.json").read_bytes()
        )
        done = run_cli("fetch", server.url(PATH), env={**ENV, **env})
        assert done.returncode == 0 and done.stderr == b""  # quiet, from the file
        assert server.requests[-1]["headers"]["user-agent"] == "from-settings"
        assert db.exists()  # the archive the file names
        run_cli("fetch", server.url(PATH), "--user-agent", "flag", env={**ENV, **env})
        assert server.requests[-1]["headers"]["user-agent"] == "flag"
        run_cli("fetch", server.url(PATH), env={**ENV, **env, "LIVEBLOG_USER_AGENT": "env"})
        assert server.requests[-1]["headers"]["user-agent"] == "env"

    # tz from the file, on the quick path (list) and the full one (show); --tz wins.
    listed = run_cli("list", env=env).stdout.decode()
    shown = run_cli("show", "tall", "--no-pager", env=env).stdout.decode()
    assert "IST" in listed and "IST" in shown
    assert "UTC" in run_cli("list", "--tz", "UTC", env=env).stdout.decode()
    # LIVEBLOG_DB and --db win over the file's db.
    other = tmp_path / "other.db"
    assert run_cli("list", env={**env, "LIVEBLOG_DB": str(other)}).returncode == 66
    assert run_cli("list", "--db", str(other), env=env).returncode == 66


def test_a_flag_turned_off_in_settings_and_the_default_place(tmp_path: Path) -> None:
    db = tmp_path / "a.db"
    assert (
        run_cli(
            "parse", str(SAMPLES / "guardian-tallships.dcr.json"), "--save", "--db", str(db)
        ).returncode
        == 0
    )
    # `no-reparse = true` is `--no-reparse`; the file is where platformdirs puts it.
    home = tmp_path / "config"
    (home / "liveblog").mkdir(parents=True)
    (home / "liveblog" / "config.toml").write_text(f'db = "{db}"\n[check]\nno-reparse = true\n')
    done = run_cli("check", "--json", env={"XDG_CONFIG_HOME": str(home), "LIVEBLOG_DB": ""})
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["reparse"] == []
    again = run_cli(
        "check", "--json", "--reparse", env={"XDG_CONFIG_HOME": str(home), "LIVEBLOG_DB": ""}
    )
    assert again.returncode == 0, again.stderr
    assert len(json.loads(again.stdout)["reparse"]) == 1


def test_a_wrong_setting_is_one_line_and_exit_78(tmp_path: Path) -> None:
    db = tmp_path / "a.db"
    assert (
        run_cli(
            "parse", str(SAMPLES / "guardian-tallships.dcr.json"), "--save", "--db", str(db)
        ).returncode
        == 0
    )
    before = db.read_bytes()
    wrong = {
        "[fetch]\ndelai = 3\n": "[fetch] has no option --delai",
        "colour = true\n": "no command has an option --colour",
        "[fecth]\ndelay = 1\n": "no command [fecth]",
        "[fetch]\ndelay = 'fast'\n": "delay = 'fast'",
        "[fetch]\nquiet = 'yes'\n": "quiet takes true or false",
        "db = 3\n": "db must be a path",
        "[fetch]\ndb = 'x.db'\n": "db is a top-level setting",
        "db = [\n": "not a TOML file",
    }
    for text, said in wrong.items():
        env = _settings(tmp_path, text)
        for args in (["show", "tall", "--db", str(db)], ["list", "--db", str(db)]):
            done = run_cli(*args, env=env)
            err = done.stderr.decode()
            assert done.returncode == 78, (text, args, err)
            assert err.count("\n") == 1 and said in err and "settings.toml" in err, err
    missing = {"LIVEBLOG_CONFIG": str(tmp_path / "nowhere.toml")}
    done = run_cli("list", "--db", str(db), env=missing)
    assert done.returncode == 78 and b"no such file" in done.stderr
    assert db.read_bytes() == before


@pytest.mark.parametrize(
    "value", [None, "", "  ", "/x/y", "/x/y ", " /x/y", "rel/path", "~/cfg", "/x/ü y"]
)
def test_the_user_directories_are_where_platformdirs_puts_them(
    value: str | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The quick path reads the plain XDG cases itself; every case gives platformdirs' answer."""
    import platformdirs

    from liveblog_cli.config import user_path

    for variable in ("XDG_CONFIG_HOME", "XDG_DATA_HOME"):
        if value is None:
            monkeypatch.delenv(variable, raising=False)
        else:
            monkeypatch.setenv(variable, value)
    assert user_path("config") == platformdirs.user_config_path("liveblog", appauthor=False)
    assert user_path("data") == platformdirs.user_data_path("liveblog", appauthor=False)
