"""Widget panels: values map to the scenario; saving never overwrites without asking."""

from __future__ import annotations

import pytest

import sim
from sim.settings import Answer
from sim.widgets.plan import PlanPanel
from tests.conftest import ROOT

B2B = ROOT / "playbooks" / "b2b_saas.yaml"
TINY = Answer(seed=0, quick=2, replications=2)


@pytest.fixture(scope="module")
def panel():
    return PlanPanel(sim.load(B2B), policy=TINY, source=B2B)


def test_panel_edits_map_to_the_scenario(panel):
    panel.headcount["solutions"].value = 10
    panel.budget["inbound"].value = 2 * panel.budget["inbound"].value
    panel.target.value = 20_000_000
    edited = panel.edited()
    assert edited.team("solutions").headcount == 10
    inbound = next(c for c in edited.channels if c.name == "inbound")
    assert inbound.leads_per_day * inbound.cost_per_lead * 365 / 12 == pytest.approx(panel.budget["inbound"].value)
    assert edited.targets.annual_revenue == 20_000_000
    assert "Probability of reaching the annual target" in panel.figures.value


def test_save_writes_a_new_file_and_never_overwrites_without_asking(panel, tmp_path):
    assert panel.save_name.value.endswith("b2b_saas_plan.yaml")  # never the original by default
    target = tmp_path / "plan.yaml"
    panel.save_name.value = str(target)
    assert panel.save() == target and sim.load(target) == panel.edited()
    target.write_text("keep me")
    assert panel.save() is None and target.read_text() == "keep me"
    assert "tick 'overwrite'" in panel.save_message.value
    panel.overwrite.value = True
    assert panel.save() == target and sim.load(target) == panel.edited()


def test_saving_keeps_the_split_and_reserve_month_and_loads_them_back(tmp_path):
    panel = PlanPanel(sim.load(B2B), policy=TINY, source=B2B)
    panel.reserve_month.value = 6
    panel.headcount["solutions"].value = 9
    panel.win_rate["proposal"].value = 0.1
    panel.save_name.value = str(tmp_path / "plan.yaml")
    assert panel.save() is not None
    fresh = PlanPanel(sim.load(B2B), policy=TINY, source=B2B)
    fresh.save_name.value = str(tmp_path / "plan.yaml")
    fresh.load()
    assert (fresh.method.value, fresh.reserve_month.value, fresh.headcount["solutions"].value) == ("reserve", 6, 9)
    assert fresh.edited() == panel.edited()
    panel.method.value = "seasonal"
    panel.overwrite.value = True
    panel.save()
    fresh.load()
    assert fresh.method.value == "seasonal" and fresh.reserve_month.disabled


def test_loading_a_plan_of_other_teams_says_so(tmp_path):
    panel = PlanPanel(sim.load(B2B), policy=TINY, source=B2B)
    other = tmp_path / "other.yaml"
    other.write_text((ROOT / "benchmarks" / "w1.yaml").read_text())
    panel.save_name.value = str(other)
    assert panel.load() is None and "other teams, channels or stages" in panel.save_message.value
    panel.save_name.value = str(tmp_path / "missing.yaml")
    assert panel.load() is None and "Cannot load" in panel.save_message.value


def test_every_budget_at_zero_says_why_and_clears_the_figures():
    panel = PlanPanel(sim.load(B2B), policy=TINY, source=B2B)
    assert panel.odds is not None and panel.plan is not None
    for budget in panel.budget.values():
        budget.value = 0
    assert panel.odds is None and panel.plan is None and panel.chart.outputs == ()
    assert "no leads come in" in panel.figures.value and "Traceback" not in panel.figures.value
    panel.budget["inbound"].value = 1000
    assert panel.odds is not None


def test_a_team_without_reps_is_named_and_leaves_its_activities_blank():
    panel = PlanPanel(sim.load(B2B), policy=TINY, source=B2B)
    panel.headcount["solutions"].value = 0
    assert "The solutions team has no reps" in panel.figures.value
    table = panel.activity_targets(panel.edited(), panel.plan)
    assert table["solutions: per rep per week"].isna().all() and table["sdr: per rep per week"].notna().all()
    assert "nan" not in panel.figures.value.lower()


def test_export_writes_the_plan_and_the_odds_to_excel(tmp_path):
    import openpyxl

    panel = PlanPanel(sim.load(B2B), policy=TINY, source=B2B)
    panel.save_name.value = str(tmp_path / "plan.yaml")
    path = panel.export()
    assert path == tmp_path / "plan.xlsx"
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["plan", "odds by month", "activities"]
    assert book["odds by month"].max_row == 13  # a header and twelve months
    assert panel.export() is None and "tick 'overwrite'" in panel.save_message.value


def test_the_page_shows_the_same_answer_as_the_plan_command():
    """The panel's final figure is feasibility's at the policy's seed and count: one answer everywhere."""
    from sim.feasibility import odds
    from sim.targets import plan_table

    policy = Answer(seed=0, quick=2, replications=6)
    panel = PlanPanel(sim.load(B2B), policy=Answer(seed=0, quick=2, replications=6))
    panel.refiner.wait()
    scenario = panel.edited()
    expected = odds(scenario, plan_table(scenario, method="reserve", reserve_month=12), policy.replications,
                    policy.seed)
    assert panel.odds.trials == 6 and panel.odds.p == expected["p_hit_annual"]
    assert [m["p50"] for m in panel.months] == [m["p50"] for m in expected["months"]]
    assert "final" in panel.status.value


def test_incentive_figures_read_with_units_and_the_probability_with_its_interval():
    import re

    from sim.incentives import load_plan
    from sim.widgets.incentives import IncentivePanel

    scenario = sim.load(ROOT / "tests" / "incentives" / "tiny.yaml")
    plan = load_plan(ROOT / "playbooks" / "incentives" / "flat.yaml").model_copy(update={"team": None})
    panel = IncentivePanel(scenario, plan, replications=3)
    panel.top_rate.value = 0.15
    text = panel.summary.value
    assert re.search(r"\d+% \(\d+–\d+%\)", text), text  # the probability and its interval
    assert re.search(r"cost of sales \d+\.\d% → \d+\.\d%", text), text
    assert "0.1" not in re.sub(r"<[^>]+>", " ", text).split()  # no raw shares
    assert panel.widget().left_sidebar is not None


def test_every_panel_lays_its_controls_beside_its_results():
    import ipywidgets as widgets

    from sim.widgets.allocation import AllocationPanel

    plan = PlanPanel(sim.load(B2B), policy=TINY).widget()
    allocation = AllocationPanel(sim.load(B2B), replications=2, steps=1).widget()
    for layout in (plan.children[0], allocation):
        assert isinstance(layout, widgets.AppLayout) and layout.left_sidebar is not None and layout.center is not None


def test_allocation_answers_in_a_sentence_with_its_interval_and_says_when_there_is_no_budget():
    import re

    from sim.widgets.allocation import AllocationPanel

    panel = AllocationPanel(sim.load(B2B), replications=3, steps=1)
    panel.recommend()
    sentence = re.sub(r"<[^>]+>", "", panel.answer.value)
    assert re.search(r"95% interval -?[\d.]+[KM]? to -?[\d.]+[KM]?", sentence), sentence
    assert re.search(r"more profit|less profit", sentence) and "{" not in sentence, sentence
    assert re.search(r"revenue [+-][\d.]+[KM]?, costs [+-][\d.]+[KM]?", sentence), sentence
    assert "first contact within 3 days for 90% of leads" in sentence, sentence
    assert re.search(r"better in \d+% \(\d+–\d+%\) of 3 simulated years", sentence), sentence
    panel.budget.value = 0
    assert panel.result is None and panel.chart.outputs == ()
    assert panel.recommend() is None and "nothing to split" in panel.answer.value


def test_the_plan_command_keeps_a_saved_plans_split_and_prints_odds_with_their_interval(tmp_path, capsys):
    import re

    from sim.cli import main

    panel = PlanPanel(sim.load(B2B), policy=TINY, source=B2B)
    panel.method.value = "seasonal"
    panel.save_name.value = str(tmp_path / "plan.yaml")
    panel.save()
    assert main(["plan", str(tmp_path / "plan.yaml"), "--replications", "3"]) == 0
    out = capsys.readouterr().out
    assert "plan by month (seasonal)" in out
    assert re.search(r"annual target: \d+% \([\d.]+–[\d.]+%\) as it stands, \d+% \([\d.]+–[\d.]+%\) as planned", out), out


def test_a_newer_change_cancels_the_older_refinement():
    """Whatever the threads' timing, nothing of the older run is drawn once the newer one has started,
    and the last drawing is the newer run's full answer."""
    from sim.widgets.refine import Refiner

    scenario = sim.load(ROOT / "benchmarks" / "w1.yaml").model_copy(update={"horizon_days": 30})
    drawn = []
    refiner = Refiner(Answer(seed=0, quick=1, replications=6), batch=1)
    refiner.start(scenario, lambda results, final: drawn.append(("old", len(results.replications), final)))
    older = refiner._thread
    refiner.start(scenario.model_copy(update={"horizon_days": 20}),
                  lambda results, final: drawn.append(("new", len(results.replications), final)))
    older.join()
    refiner.wait()
    first_new = next(i for i, d in enumerate(drawn) if d[0] == "new")
    assert all(d[0] == "new" for d in drawn[first_new:])
    assert drawn[-1] == ("new", 6, True) and not refiner.busy


def test_a_win_rate_lever_moves_its_stage_and_the_answer():
    panel = PlanPanel(sim.load(B2B), policy=Answer(seed=0, quick=3, replications=3))
    before = [m["p50"] for m in panel.months]
    panel.win_rate["negotiation"].value = 0.1
    assert panel.edited().stages[3].conversion == pytest.approx({"A": 0.75, "B": 0.6, "C": 0.45})
    assert panel.edited().stages[2].conversion == 0.5
    assert sum(m["p50"] for m in panel.months) > sum(before)


def test_as_planned_simulates_the_scenario_that_carries_the_plan_out_the_same_as_the_plan_command():
    """The toggle's answer is feasibility's 'planned' odds at the policy's seed and count: the page and ``plan``
    agree on the planned scenario too."""
    from sim.feasibility import feasibility
    from sim.targets import plan_table

    policy = Answer(seed=0, quick=2, replications=6)
    panel = PlanPanel(sim.load(B2B), policy=policy)
    panel.refiner.wait()
    assert "as is" in panel.figures.value
    panel.version.value = "planned"
    panel.refiner.wait()
    scenario = panel.edited()
    report = feasibility(scenario, plan_table(scenario, method="reserve", reserve_month=12), policy.replications,
                         policy.seed, planned=True)
    assert "as planned" in panel.figures.value and panel.odds.p == report["planned"]["p_hit_annual"]
    assert [m["p50"] for m in panel.months] == [m["p50"] for m in report["planned"]["months"]]
