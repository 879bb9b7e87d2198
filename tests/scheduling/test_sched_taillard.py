import json
import pathlib

import pytest

from scheduling.taillard import generate

DATA = pathlib.Path("/work/shared/data/taillard_ta01_ta10.json")


def test_generator_reproduces_the_published_4x4_check_vector():
    instance = generate(4, 4, 1166510396, 164000672)
    rows = [" ".join(f"{m + 1} {d}" for m, d in job) for job in instance.jobs]
    assert " / ".join(rows) == "3 54 1 34 4 61 2 2 / 4 9 1 15 2 89 3 70 / 1 38 2 19 3 28 4 87 / 1 95 3 34 2 7 4 29"


def test_generated_instances_are_permutations_with_durations_in_range():
    instance = generate(15, 15, 840612802, 398197754)
    for job in instance.jobs:
        assert sorted(m for m, _ in job) == list(range(15))
        assert all(1 <= d <= 99 for _, d in job)


@pytest.mark.skipif(not DATA.exists(), reason="shared Taillard seed file not present")
def test_ta01_first_job_is_stable():
    spec = json.loads(DATA.read_text())["instances"]["ta01"]
    first = generate(15, 15, spec["time_seed"], spec["machine_seed"])
    second = generate(15, 15, spec["time_seed"], spec["machine_seed"])
    assert first == second


def test_seed_outside_the_generator_range_is_rejected_with_the_value():
    with pytest.raises(ValueError, match="seed 0"):
        generate(2, 2, 0, 5)
