"""The command line never shows a traceback (issue 14, family 7).

Every error is one line on standard error, in the language of ``--lang``, with exit
status 2. The subprocess cases fail while checking their input, before anything is
solved, so each takes about as long as Python needs to import the planner; the export
cases share one plan solved once for the module.
"""

from __future__ import annotations

import errno
import os
import subprocess
import sys
from pathlib import Path

import pytest

from planner import cli
from planner.cli import main

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.usefixtures("planner_home")


def _cli(*args: str, home: Path, lang: str = "en") -> subprocess.CompletedProcess:
    env = {**os.environ, "PLANNER_HOME": str(home), "PYTHONPATH": str(ROOT)}
    env.pop("PLANNER_DEBUG", None)
    return subprocess.run(
        [sys.executable, "-m", "planner", "--lang", lang, *args],
        capture_output=True, text=True, cwd=ROOT, env=env, timeout=300,
    )  # fmt: skip


def _one_error_line(result: subprocess.CompletedProcess) -> str:
    """The single line of standard error of a failed run."""
    assert result.returncode == 2, (result.returncode, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr + result.stdout
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


def _scenario(tmp_path: Path, text: str, name: str = "s.yaml") -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


# --- bad scenario values: the 13 tracebacks of the issue and their kin ------------------------

SCENARIO_CASES = [
    ("count-nan", "stations: {count: .nan}\n",
     "Error: The scenario has invalid parameters: • “stations.count” must be a whole number "
     "(it is nan)"),
    ("count-inf", "centres: {count: .inf}\n",
     "• “centres.count” must be a whole number (it is inf)"),
    ("count-minus-inf", "stations: {count: -.inf}\n", "(it is -inf)"),
    ("county-min-list", "stations: {county_min: [1, 2]}\n",
     "• “stations.county_min” must map county codes to numbers"),
    ("county-min-nan", "stations: {county_min: {'350582': .nan}}\n",
     "• “stations.county_min.350582” must be a whole number (it is nan)"),
    ("required-number", "stations: {required_sites: 5}\n",
     "• “stations.required_sites” must be a list of site ids, e.g. [\"350582001005\"] (it is 5)"),
    ("required-string", "stations: {required_sites: '350582001005'}\n",
     "(it is \"350582001005\")"),
    ("switch-text", "stations: {one_per_township: 'false'}\n",
     "• “stations.one_per_township” must be true or false, without quotes (it is \"false\")"),
    ("unknown-ids", "stations: {required_sites: [nope]}\ncentres: {excluded_sites: [t0]}\n",
     "• Unknown site ids in “stations.required_sites” (1): nope (candidate ids look like "
     "350582001004) • Unknown site ids in “centres.excluded_sites” (1): t0"),
    ("too-many-centres", "centres: {count: 30}\n",
     "• Sorting centres: 30 asked for, but only 22 candidate sites are available"),
    ("grid-1m", "dense_grid_m: 1\n", "• “dense_grid_m” of 1 m is too fine"),
    ("billion-laughs",
     "a: &a [l, l, l, l, l, l, l, l, l]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
     "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
     "e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]\nf: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]\n"
     "name: *f\n",
     "Error: Elements in a scenario file once YAML aliases are expanded: 1,270,482 is over the "
     "limit of 100,000 (set PLANNER_MAX_SCENARIO_NODES to change it)"),
    ("not-a-mapping", "- stations\n- centres\n", "A scenario should be a mapping of parameters"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("text", "expected"),
    [case[1:] for case in SCENARIO_CASES],
    ids=[case[0] for case in SCENARIO_CASES],
)
def test_bad_scenario_is_one_line(tmp_path, planner_home, text, expected) -> None:
    scenario = _scenario(tmp_path, text)
    result = _cli("plan", "--region", "jinjiang", "--scenario", scenario,
                  "--out", str(tmp_path / "out"), home=planner_home)  # fmt: skip
    assert expected in _one_error_line(result)
    assert not (tmp_path / "out").exists()  # refused before the output folder is made


def test_chinese_is_the_default_and_english_is_asked_for(tmp_path, planner_home) -> None:
    scenario = _scenario(tmp_path, "stations: {one_per_township: 'false', count: .nan}\n")
    args = ("plan", "--region", "jinjiang", "--scenario", scenario, "--out", str(tmp_path))
    zh = _one_error_line(_cli(*args, home=planner_home, lang="zh"))
    assert zh == (
        "错误：情景参数有误： • “stations.count”必须是整数（当前为 nan） "
        '• “stations.one_per_township”只能是 true 或 false（不加引号；当前为 "false"）'
    )
    en = _one_error_line(_cli(*args, home=planner_home, lang="en"))
    assert en.startswith("Error: The scenario has invalid parameters: • “stations.count”")


# --- the output folder -------------------------------------------------------------------------


@pytest.fixture
def a_file(tmp_path) -> Path:
    path = tmp_path / "notes.txt"
    path.write_text("not a folder", encoding="utf-8")
    return path


def test_plan_out_is_a_file(a_file, planner_home) -> None:
    result = _cli("plan", "--region", "jinjiang", "--out", str(a_file), home=planner_home)
    assert _one_error_line(result) == (
        f"Error: The output {a_file} is a file, not a folder: give a folder"
    )
    assert a_file.read_text(encoding="utf-8") == "not a folder"


def test_plan_out_under_a_file(a_file, planner_home) -> None:
    out = a_file / "plans" / "2027"
    result = _cli("plan", "--region", "jinjiang", "--out", str(out), home=planner_home,
                  lang="zh")  # fmt: skip
    assert _one_error_line(result) == (
        f"错误：无法创建输出文件夹 {out}：{a_file} 是一个文件，不是文件夹"
    )


def _read_only(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    folder.chmod(0o555)
    probe = folder / "probe"
    try:
        probe.write_text("x", encoding="utf-8")
    except PermissionError:
        return
    probe.unlink()
    folder.chmod(0o755)
    pytest.skip("running as root (or without permission checks): chmod does not block writes")


def test_plan_out_not_writable(tmp_path, planner_home) -> None:
    locked = tmp_path / "locked"
    _read_only(locked)
    try:
        result = _cli("plan", "--region", "jinjiang", "--out", str(locked / "plan"),
                      home=planner_home)  # fmt: skip
    finally:
        locked.chmod(0o755)
    assert _one_error_line(result) == (
        f"Error: No permission to write to the output folder {locked / 'plan'}"
    )


def test_sweep_out_is_a_file(tmp_path, a_file, planner_home) -> None:
    sweep = _scenario(tmp_path, "parameters:\n  stations.count: [40]\n", "sweep.yaml")
    result = _cli("sweep", "--region", "jinjiang", "--sweep", sweep, "--out", str(a_file),
                  "--db", str(tmp_path / "db.sqlite"), home=planner_home)  # fmt: skip
    assert _one_error_line(result) == (
        f"Error: The output {a_file} is a file, not a folder: give a folder"
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("parameters:\n  stations.count: {start: 0, stop: 1.0e+300, step: 1.0e-300}\n",
         "• The parameters make ∞ points, more than the limit of 1,000"),
        ("name: [a]\nparameters:\n  stations.count: [40]\n",
         "• “name” must be text (it is [\"a\"])"),
        ("parameters: &p\n  stations.count: *p\n",
         "Cannot read the sweep file"),
    ],
)  # fmt: skip
def test_bad_sweep_definition_is_one_line(tmp_path, planner_home, text, expected) -> None:
    sweep = _scenario(tmp_path, text, "sweep.yaml")
    result = _cli("sweep", "--region", "jinjiang", "--sweep", sweep, "--out", str(tmp_path / "o"),
                  "--db", str(tmp_path / "db.sqlite"), home=planner_home)  # fmt: skip
    assert expected in _one_error_line(result)


# --- export ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def plan_folder(tmp_path_factory) -> Path:
    """A Jinjiang plan written by ``plan`` (solved once for the module)."""
    from planner.run import run_plan
    from planner.scenario import default_scenario

    folder = tmp_path_factory.mktemp("plan")
    run_plan("jinjiang", default_scenario("jinjiang")).write(folder)
    return folder


def test_export_out_under_a_file(plan_folder, a_file, planner_home) -> None:
    out = a_file / "exports"
    result = _cli("export", "--plan", str(plan_folder), "--out", str(out), "--formats", "csv",
                  home=planner_home)  # fmt: skip
    assert _one_error_line(result) == (
        f"Error: Cannot create the output folder {out}: {a_file} is a file, not a folder"
    )


def test_export_out_is_a_file(plan_folder, a_file, planner_home) -> None:
    result = _cli("export", "--plan", str(plan_folder), "--out", str(a_file), home=planner_home,
                  lang="zh")  # fmt: skip
    assert (
        _one_error_line(result)
        == f"错误：输出位置 {a_file} 是一个文件，不是文件夹：请指定一个文件夹"
    )


def test_export_into_a_read_only_folder(plan_folder, tmp_path, planner_home) -> None:
    locked = tmp_path / "locked"
    _read_only(locked)
    try:
        result = _cli("export", "--plan", str(plan_folder), "--out", str(locked),
                      "--formats", "csv", home=planner_home)  # fmt: skip
    finally:
        locked.chmod(0o755)
    assert _one_error_line(result) == f"Error: No permission to write to the output folder {locked}"


def test_export_over_a_folder_named_like_its_file(plan_folder, tmp_path, planner_home) -> None:
    """A file that cannot be written midway (here a folder in its place; for root the
    stand-in for a read-only file) names the file."""
    out = tmp_path / "out"
    (out / "jinjiang_map.html").mkdir(parents=True)
    result = _cli("export", "--plan", str(plan_folder), "--out", str(out), "--formats", "html",
                  home=planner_home)  # fmt: skip
    assert _one_error_line(result) == (
        f"Error: {out / 'jinjiang_map.html'} is a folder, not a file"
    )


def test_export_a_plan_whose_scenario_was_tampered_with(plan_folder, tmp_path, planner_home):
    import json
    import shutil

    copy = tmp_path / "plan"
    shutil.copytree(plan_folder, copy)
    meta = json.loads((copy / "kpis.json").read_text(encoding="utf-8"))
    meta["scenario"]["stations"]["required_sites"] = "350582001005"
    (copy / "kpis.json").write_text(json.dumps(meta), encoding="utf-8")
    result = _cli("export", "--plan", str(copy), "--out", str(tmp_path / "o"), home=planner_home)
    assert "• “stations.required_sites” must be a list of site ids" in _one_error_line(result)


# --- the command line itself -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "lang", "expected"),
    [
        (["plan", "--region", "jinjiang"], "en",
         "Invalid command line: the following arguments are required: --out "
         "(see python -m planner --help)"),
        (["sweep", "--region", "jinjiang", "--sweep", "s.yaml", "--out", "o", "--workers", "0"],
         "zh", "命令行参数有误：argument --workers: expected a positive integer, got '0'"),
        (["plan", "--region", "jinjiang", "--out", "o", "--paper", "a3"], "en",
         "Invalid command line: unrecognized arguments: --paper a3"),
        (["publish"], "en", "Invalid command line: argument command: invalid choice: 'publish'"),
    ],
)  # fmt: skip
def test_bad_arguments_are_one_line(planner_home, args, lang, expected) -> None:
    assert expected in _one_error_line(_cli(*args, home=planner_home, lang=lang))


def test_an_unknown_region_is_one_line(tmp_path, planner_home) -> None:
    result = _cli("plan", "--region", "atlantis", "--out", str(tmp_path), home=planner_home)
    assert _one_error_line(result).startswith("Error: No region named “atlantis”")


# --- in-process: what cannot be provoked from outside ------------------------------------------


def _fail_with(monkeypatch, error: BaseException) -> None:
    def run_plan(*args, **kwargs):
        raise error

    monkeypatch.setattr(cli, "run_plan", run_plan)


def test_an_unexpected_error_is_one_line_with_a_hint(monkeypatch, tmp_path, capsys) -> None:
    monkeypatch.delenv("PLANNER_DEBUG", raising=False)
    _fail_with(monkeypatch, RuntimeError("boom\n  at the second line"))
    code = main(["--lang", "en", "plan", "--region", "jinjiang", "--out", str(tmp_path)])
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err
    assert err == (
        "Error: Unexpected error (RuntimeError: boom at the second line). This is a bug, "
        "please report it; run with --debug or set PLANNER_DEBUG=1 for the details\n"
    )


@pytest.mark.parametrize("how", ["flag", "environment"])
def test_debug_shows_the_traceback(monkeypatch, tmp_path, how) -> None:
    _fail_with(monkeypatch, RuntimeError("boom"))
    args = ["plan", "--region", "jinjiang", "--out", str(tmp_path)]
    if how == "flag":
        args.insert(0, "--debug")
    else:
        monkeypatch.setenv("PLANNER_DEBUG", "1")
    with pytest.raises(RuntimeError, match="boom"):
        main(args)


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (OSError(errno.ENOSPC, "No space left on device", "/data/plan.gpkg"),
         "错误：写入 /data/plan.gpkg 时磁盘空间不足"),
        (PermissionError(errno.EACCES, "Permission denied", "/data/sites.csv"),
         "错误：没有权限读写 /data/sites.csv"),
        (OSError(errno.EROFS, "Read-only file system", "/mnt/cd/plan"),
         "错误：/mnt/cd/plan 位于只读的文件系统上"),
        (OSError(errno.EIO, "Input/output error", "/data/x"),
         "错误：无法读写 /data/x：Input/output error"),
        (OSError("no file named"), "错误：无法读写 ?：no file named"),
    ],
)  # fmt: skip
def test_file_system_errors_name_the_file(monkeypatch, tmp_path, capsys, error, expected):
    _fail_with(monkeypatch, error)
    code = main(["plan", "--region", "jinjiang", "--out", str(tmp_path)])
    assert code == 2 and capsys.readouterr().err == expected + "\n"


def test_ctrl_c_is_one_line(monkeypatch, tmp_path, capsys) -> None:
    _fail_with(monkeypatch, KeyboardInterrupt())
    code = main(["--lang", "en", "plan", "--region", "jinjiang", "--out", str(tmp_path)])
    assert code == 130 and capsys.readouterr().err == "Interrupted\n"


def test_warnings_are_printed_before_solving(monkeypatch, tmp_path, capsys) -> None:
    _fail_with(monkeypatch, KeyboardInterrupt())  # stop right after the checks
    scenario = _scenario(tmp_path, "stations: {count: 10, radius_urban_m: 500000}\n")
    main(["--lang", "en", "plan", "--region", "jinjiang", "--scenario", scenario,
          "--out", str(tmp_path / "o")])  # fmt: skip
    err = capsys.readouterr().err.splitlines()
    assert err == [
        "Warning: “stations.radius_urban_m” is 500,000 m (500 km), which is very large: check "
        "that it is in metres",
        "Warning: “At least one station in every township” needs 22 stations, but the city "
        "total is 10",
        "Interrupted",
    ]


# --- plan --network: a road file for road-network distances -----------------------------------


def test_network_is_documented_in_the_help(capsys) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["plan", "--help"])
    out = " ".join(capsys.readouterr().out.split())
    assert exit_.value.code == 0
    assert "--network PATH" in out and "distance_mode: network" in out


@pytest.mark.parametrize(
    ("lang", "expected"),
    [("en", "Error: Road network file not found: {path} (--network)"),
     ("zh", "错误：找不到路网文件 {path}（--network）")],
)  # fmt: skip
def test_a_missing_road_file_is_one_line_in_either_language(tmp_path, capsys, lang, expected):
    missing = tmp_path / "roads.osm"
    out = tmp_path / "out"
    code = main(["--lang", lang, "plan", "--region", "jinjiang", "--network", str(missing),
                 "--out", str(out)])  # fmt: skip
    assert code == 2 and capsys.readouterr().err == expected.format(path=missing) + "\n"
    assert not out.exists()  # refused before the output folder is made


def test_a_folder_is_not_a_road_file(tmp_path, capsys) -> None:
    code = main(["--lang", "en", "plan", "--region", "jinjiang", "--network", str(tmp_path),
                 "--out", str(tmp_path / "out")])  # fmt: skip
    err = capsys.readouterr().err
    assert code == 2 and err.startswith(f"Error: The road network {tmp_path} is not a file")


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [("roads.txt", "a road", ("无法作为路网读取", "Cannot read 'roads.txt' as a road network")),
     ("roads.geojson", "{not json", ("已损坏或格式不正确", "is damaged or not in the format"))],
)  # fmt: skip
def test_a_bad_road_file_is_one_line_in_either_language(tmp_path, capsys, name, content, expected):
    roads = tmp_path / name
    roads.write_text(content, encoding="utf-8")
    scenario = _scenario(tmp_path, "distance_mode: network\n")
    for lang, words in zip(("zh", "en"), expected, strict=True):
        code = main(["--lang", lang, "plan", "--region", "jinjiang", "--scenario", scenario,
                     "--network", str(roads), "--out", str(tmp_path / "out")])  # fmt: skip
        err = capsys.readouterr().err
        assert code == 2 and "Traceback" not in err and len(err.splitlines()) == 1, err
        assert words in err and name in err, err


def test_the_road_file_goes_to_the_run(monkeypatch, tmp_path, capsys) -> None:
    roads = tmp_path / "roads.osm"
    roads.write_text("<osm/>", encoding="utf-8")
    seen: dict = {}

    def run_plan(region, scenario, **kwargs):
        seen.update(kwargs, mode=scenario.distance_mode)
        raise KeyboardInterrupt  # stop before solving

    monkeypatch.setattr(cli, "run_plan", run_plan)
    network = _scenario(tmp_path, "distance_mode: network\n", name="network.yaml")
    for scenario in (network, None):
        args = ["--lang", "en", "plan", "--region", "jinjiang", "--network", str(roads),
                "--out", str(tmp_path / "o")]  # fmt: skip
        if scenario is not None:
            args[3:3] = ["--scenario", scenario]
        assert main(args) == 130
        err = capsys.readouterr().err
        assert seen["network"] == roads
        if seen["mode"] == "network":
            assert "is not used" not in err
        else:  # the region's default scenario measures straight lines: said, not silent
            assert (
                f"Warning: The scenario uses straight-line distance × circuity, so the road file "
                f"{roads} is not used" in err
            )
    # Without --network the run looks for the road file stored with the region.
    assert main(["plan", "--region", "jinjiang", "--out", str(tmp_path / "o")]) == 130
    assert seen["network"] is None
