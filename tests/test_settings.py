"""Start-up configuration: bad values stop the bot with one clear line, exit code 2."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def run_cli(env_extra: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"BOT_TOKEN", "DATABASE_PATH", "DATABASE_URL"}
    }
    env.update(env_extra)
    return subprocess.run(
        [sys.executable, "-m", "bot", "run"],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_bad_timezone_stops_startup_with_one_line(tmp_path: Path) -> None:
    result = run_cli({"TIMEZONE": "Mars/Olympus_Mons"}, tmp_path)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "TIMEZONE" in lines[0] and "Asia/Shanghai" in lines[0]
    assert "Traceback" not in result.stderr


def test_database_path_that_is_a_directory_stops_startup_with_one_line(tmp_path: Path) -> None:
    (tmp_path / "adir").mkdir()
    result = run_cli({"DATABASE_PATH": str(tmp_path / "adir")}, tmp_path)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "DATABASE_PATH" in lines[0], result.stderr


def test_database_path_under_a_file_stops_startup_with_one_line(tmp_path: Path) -> None:
    (tmp_path / "afile").write_text("x")
    result = run_cli({"DATABASE_PATH": str(tmp_path / "afile" / "db.sqlite3")}, tmp_path)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "DATABASE_PATH" in lines[0], result.stderr


def test_database_url_selects_the_backend(make_settings) -> None:
    assert make_settings(database_url="sqlite:///data/x.db").database == Path("data/x.db")
    pg = make_settings(database_url="postgresql://bot:pw@db.internal:5432/merchant")
    assert pg.database == "postgresql://bot:pw@db.internal:5432/merchant"
    assert pg.database_label == "postgresql://bot@db.internal:5432/merchant"  # no password
    assert make_settings().database == make_settings().database_path


def test_unreachable_database_url_stops_startup_with_one_line(tmp_path: Path) -> None:
    result = run_cli({"DATABASE_URL": "postgresql://bot:s3cret@127.0.0.1:1/merchant"}, tmp_path)
    assert result.returncode == 2
    last = result.stderr.strip().splitlines()[-1]  # after the new-key warning
    assert last.startswith("merchant-bot: DATABASE_URL: cannot open"), result.stderr
    assert "s3cret" not in result.stderr and "Traceback" not in result.stderr


def test_unknown_database_url_scheme_names_the_variable(tmp_path: Path) -> None:
    result = run_cli({"DATABASE_URL": "mysql://db/merchant"}, tmp_path)
    assert result.returncode == 2
    assert "DATABASE_URL" in result.stderr and "Traceback" not in result.stderr


def test_admin_ids_accept_a_comma_separated_list(make_settings) -> None:
    settings = make_settings(admin_ids="1, 2,3")
    assert settings.admin_ids == [1, 2, 3]


def test_bad_admin_ids_name_the_variable(tmp_path: Path) -> None:
    result = run_cli({"ADMIN_IDS": "alice,bob"}, tmp_path)
    assert result.returncode == 2
    assert "ADMIN_IDS" in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_no_token_means_sandbox(make_settings) -> None:
    assert make_settings().sandbox
    assert not make_settings(bot_token="123456:abc").sandbox


def test_fee_rates_are_read_as_percentages_and_kept_as_basis_points() -> None:
    import pytest

    from bot.settings import ConfigError, load_settings

    settings = load_settings(fee_debit_rate="0.55%", fee_credit_rate="0.6%", fee_scan_rate="0.38%")
    assert (settings.fee_debit_rate, settings.fee_credit_rate, settings.fee_scan_rate) == (
        55,
        60,
        38,
    )
    for bad, says in [
        (
            {"fee_debit_rate": "0.555%", "fee_credit_rate": "1%", "fee_scan_rate": "1%"},
            "two decimals",
        ),
        ({"fee_debit_rate": "55"}, "a percentage such as 0.55%"),
        ({"fee_debit_rate": "0.5%"}, "set together"),
    ]:
        with pytest.raises(ConfigError, match=says):
            load_settings(**bad)


def test_data_dir_alone_moves_the_database_with_it(tmp_path: Path) -> None:
    """An operator who sets only DATA_DIR gets the database there too, not in ./data."""
    from bot.settings import Settings

    settings = Settings(_env_file=None, data_dir=tmp_path / "shop")  # type: ignore[call-arg]
    assert settings.database == tmp_path / "shop" / "merchant-bot.sqlite3"
    explicit = Settings(  # type: ignore[call-arg]
        _env_file=None, data_dir=tmp_path / "shop", database_path=tmp_path / "elsewhere.db"
    )
    assert explicit.database == tmp_path / "elsewhere.db"
