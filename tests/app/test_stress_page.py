"""The Stress page through AppTest: refused to raters; for a lead, a stored sweep and its knee."""

from __future__ import annotations

import streamlit as st
from streamlit.testing.v1 import AppTest

from blindside.config import load_models_toml, load_settings
from blindside.db import create_db_engine
from blindside.demo.server import LoopbackServer
from blindside.raters import add_rater
from blindside.stress.store import SweepPlan
from blindside.stress.sweep import stress_models
from tests.app.conftest import opened_by_link
from tests.conftest import MODELS_TOML


def signed_in(db_url: str, name: str, role: str) -> AppTest:
    token = add_rater(create_db_engine(db_url), name, role).token
    return opened_by_link(token, page="app_pages/stress.py")


def charts(at: AppTest) -> list[object]:
    return list(at.get("vega_lite_chart"))


def test_a_rater_is_refused_the_stress_page(app_env: str, demo_server: LoopbackServer) -> None:
    store_sweep(app_env, demo_server)
    at = signed_in(app_env, "Rita", "rater")
    assert not at.exception
    assert at.title[0].value == "Not available"
    assert any("is for the" in e.value for e in at.error)
    assert not charts(at) and not at.dataframe
    assert "Demo careful" not in str([m.value for m in at.markdown])


def store_sweep(db_url: str, demo_server: LoopbackServer) -> None:
    settings = load_settings(
        models_path=MODELS_TOML, environ={"BLINDSIDE_DEMO_URL": demo_server.base_url}
    )
    model = load_models_toml(MODELS_TOML).model("Demo careful")
    plan = SweepPlan("concurrency", (1.0, 2.0), requests_per_step=4, max_tokens=8)
    stress_models(create_db_engine(db_url), [model], settings, plan)


def test_a_lead_sees_the_stored_sweep_and_the_time_of_day(
    app_env: str, demo_server: LoopbackServer
) -> None:
    at = signed_in(app_env, "Lena", "lead")
    assert not at.exception
    # No sweep yet: said so; the time of day already has the generation runs' answers.
    assert any("No stress sweep is stored yet" in i.value for i in at.info)
    assert len(charts(at)) == 2

    store_sweep(app_env, demo_server)
    st.cache_data.clear()
    at.run()
    assert not at.exception
    assert at.title[0].value == "Stress"
    [picked] = at.multiselect(key="stress_sweeps_concurrency").value
    assert "Demo careful" in picked
    steps = at.dataframe[0].value
    assert steps["Load"].tolist() == [1.0, 2.0]
    assert (steps["Requests"] == 4).all() and (steps["p95 ms"] > 0).all()
    assert len(charts(at)) == 4  # latency and throughput against load; time of day twice
    assert any(picked in m.value for m in at.markdown)
    # The time of day now counts the stress requests too, and can leave them out.
    at.multiselect(key="tod_sources").set_value(["stress"]).run()
    assert at.multiselect(key="tod_models").options == ["Demo careful"]
