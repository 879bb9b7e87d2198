"""The benchmark-file CLI: strict parsing, clear errors, exit code 2, JSON out."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from scheduling.cli import main

ROOT = Path(__file__).resolve().parents[2]

MALFORMED = [
    ("jssp", "", "empty file"),
    ("jssp", "2\n0 1 1 2\n", "expected 'jobs machines'"),
    ("jssp", "2 2\n0 3 1 2\n", "expected 2 job lines"),
    ("jssp", "2 2\n0 3 1 2\n1 4 x 1\n", "expected an integer, got 'x'"),
    ("jssp", "2 2\n0 3 1 2\n1 4 0\n", "needs 2 'machine duration' pairs"),
    ("jssp", "2 2\n0 3 2 2\n1 4 0 1\n", "machine 2 not in 0..1"),
    ("jssp", "2 2\n0 3 1 -2\n1 4 0 1\n", "negative duration -2"),
    ("jssp", "# comment\n2 2\n0 3 1 2\n1 4 0 1\n", "expected an integer, got '#'"),
    ("jssp", "0 2\n", "must be >= 1"),
    ("fjsp", "2 2 1.5\n2 1 1 3 1 2 4\n", "expected 2 job lines"),
    ("fjsp", "1 2\n2 1 1 3\n", "line ends where"),
    ("fjsp", "1 2\n1 1 3 4\n", "machine 3 not in 1..2"),
    ("fjsp", "1 2\n1 1 1 4 9\n", "unexpected extra number"),
    ("fjsp", "1 2 abc\n1 1 1 4\n", "average machines per operation must be a number"),
    ("fjsp", "1 2\n0\n", "number of operations 0 must be >= 1"),
    ("fjsp", "1 2\n1 0\n", "number of machines 0 must be >= 1"),
]


@pytest.mark.parametrize("fmt,text,message", MALFORMED)
def test_malformed_file_exits_2_with_a_clear_message(tmp_path, capsys, fmt, text, message):
    path = tmp_path / "bad.txt"
    path.write_text(text)
    code = main(["solve", str(path), "--format", fmt, "--time-limit", "1"])
    err = capsys.readouterr().err
    assert code == 2
    assert message in err
    assert "Traceback" not in err


def test_missing_file_exits_2(tmp_path, capsys):
    assert main(["solve", str(tmp_path / "nope.txt"), "--format", "jssp"]) == 2
    assert "cannot read" in capsys.readouterr().err


def test_bad_arguments_exit_2_without_a_traceback(tmp_path):
    path = tmp_path / "ok.txt"
    path.write_text("1 1\n0 5\n")
    result = subprocess.run([sys.executable, "-m", "scheduling", "solve", str(path), "--format", "xml"],
                            capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 2
    assert "invalid choice" in result.stderr and "Traceback" not in result.stderr


def test_malformed_file_in_a_subprocess_exits_2_with_the_line_number(tmp_path):
    path = tmp_path / "bad.txt"
    path.write_text("2 2\n0 3 1 2\n1 4 0 zz\n")
    result = subprocess.run([sys.executable, "-m", "scheduling", "solve", str(path), "--format", "jssp"],
                            capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 2
    assert "line 3" in result.stderr and "Traceback" not in result.stderr
    assert result.stdout == ""


def test_valid_jssp_file_in_a_subprocess_prints_one_json_object(tmp_path):
    path = tmp_path / "ft06.txt"
    rows = ["6 6", "2 1 0 3 1 6 3 7 5 3 4 6", "1 8 2 5 4 10 5 10 0 10 3 4", "2 5 3 4 5 8 0 9 1 1 4 7",
            "1 5 0 5 2 5 3 3 4 8 5 9", "2 9 1 3 4 5 5 4 0 3 3 1", "1 3 3 3 5 9 0 10 4 4 2 1"]
    path.write_text("\n".join(rows) + "\n")
    result = subprocess.run([sys.executable, "-m", "scheduling", "solve", str(path), "--format", "jssp",
                             "--time-limit", "20", "--workers", "1", "--seed", "3"],
                            capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert out["status"] == "OPTIMAL"
    assert out["makespan"] == 55 and out["lower_bound"] == 55
    assert len(out["schedule"]) == 36 and "solve_time_s" in out


def test_valid_brandimarte_file_gives_a_feasible_schedule(tmp_path, capsys):
    path = tmp_path / "mk.fjs"
    path.write_text("3 3 1.6\n2 2 1 4 2 6 1 3 3\n2 1 2 5 2 1 2 3 4\n1 3 1 2 2 3 3 2\n")
    assert main(["solve", str(path), "--format", "fjsp", "--time-limit", "5"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["status"] == "OPTIMAL"
    assert out["makespan"] == out["lower_bound"]
    machines_used = {(o["job"], o["operation"]): o["machine"] for o in out["schedule"]}
    assert machines_used[(0, 1)] == 2  # 0-based machine 2 is the only option for job 0's second operation
