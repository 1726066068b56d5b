"""Coders and coded data on top of the shared personas, with data that could leak to a coder:
mothers' names, study ids, timepoints, dates, where recordings are kept, other coders' ratings."""

from __future__ import annotations

import datetime as dt
import random

import pytest

from nurture.accounts.enums import Role
from nurture.capture import domain as capture
from nurture.capture.enums import Timepoint
from nurture.coding import domain as coding

from .. import factories as f

NOW = dt.datetime(2026, 5, 4, 10, 0, tzinfo=dt.UTC)
ALL_FOURS = {"sensitivity": 4, "warmth": 4, "intrusiveness": 2, "structuring": 4, "infant_engagement": 4,
             "infant_affect": 4, "infant_distress": 2, "reciprocity": 4, "shared_enjoyment": 4}


@pytest.fixture
def coders(world):
    ana = f.make_user(Role.CODER, world.site_a, "coder_ana")
    ben = f.make_user(Role.CODER, world.site_a, "coder_ben")
    return ana, ben


def record(world, dyad, timepoint="pre", task="free_play", day=dt.date(2026, 1, 2), **kwargs):
    return coding.register_recording(
        world.coordinator, dyad=dyad, timepoint=timepoint, recorded_on=day, task=task, duration_seconds=400,
        location=kwargs.pop("location", f"//site-a/videos/{dyad.code}_{timepoint}_{day:%Y%m%d}.mp4"), **kwargs)


@pytest.fixture
def recordings(world):
    return [record(world, world.dyad1, "pre"), record(world, world.dyad1, "post", day=dt.date(2026, 4, 1)),
            record(world, world.dyad2, "pre"), record(world, world.dyad2, "post", day=dt.date(2026, 4, 2))]


def assign_all(world, coders, kind="recording", share=1.0, seed=7):
    return coding.assign(world.coordinator, world.study, kind, coders, share=share, rng=random.Random(seed), now=NOW)


def answer_feedback(world, dyad, answers: dict[str, str]):
    post = capture.schedule_assessment(world.coordinator, dyad, Timepoint.POST)
    capture.save_answers(post, "feedback", {**f.all_items("feedback", 4), **answers}, now=NOW)
    capture.submit_assessment(post, now=NOW)
    return post
