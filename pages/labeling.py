"""Labeling: send documents to Label Studio, follow the annotators, pull the labels back.

"Send to Label Studio" on the Documents and Business rules pages opens this page
with their selection carried over (see `ui.send_to_labeling`).
"""

from __future__ import annotations

import secrets

import pandas as pd
import streamlit as st

from superinsight.services.context import Actor
from superinsight.services.documents.search import SearchQuery
from superinsight.services.labeling import launch as labeling_launch
from superinsight.services.labeling import members as labeling_members
from superinsight.services.labeling import pull as labeling_pull
from superinsight.services.labeling import quality as labeling_quality
from superinsight.services.labeling import views as labeling_views
from superinsight.services.labeling.connection import connection_state
from superinsight.services.labeling.launch import LaunchRequest
from superinsight.services.labeling.members import Annotator
from superinsight.services.labeling.selection import Selection
from superinsight.services.labeling.views import ProjectView
from superinsight.services.rules import views as rule_views
from superinsight.vocabulary import LABEL_TEMPLATE_LABELS
from ui.feedback import header, md, refusals, said_once, section
from ui.jobs import track
from ui.send_to_labeling import SELECTION
from ui.session import guard, resources

JOB = "labeling_job"
FLASH = "labeling_flash"  # what the last action did, said after the rerun that starts following its job
PROJECTS, LAUNCH, BILLING = "Projects", "Launch a project", "Billing"
SEARCH, RULE = "The current Documents search", "A rule's matches"
MANAGE = "labeling.manage"
NOT_A_MEMBER = (
    "You are not an annotator of any labeling project yet: an admin must add you to a project "
    "before it shows here."
)


def annotator_picker(label: str, choices: list[Annotator], chosen: list[Annotator], key: str) -> list[int]:
    """A multiselect of annotators by user id, shown by name and email as plain text."""
    names = {person.id: person.label for person in [*choices, *chosen]}
    picked = st.multiselect(
        label,
        list(names),
        default=[person.id for person in chosen],
        format_func=lambda user_id: names[user_id],
        key=key,
        placeholder="No annotators" if names else "No annotator accounts in this workspace",
    )
    return [int(user_id) for user_id in picked]


def annotators(actor: Actor, project: ProjectView, choices: list[Annotator]) -> None:
    """Who annotates the project (they see it; other annotators do not), for those who manage projects."""
    with st.expander("Annotators"):
        chosen: list[Annotator] = []
        with refusals():
            chosen = labeling_members.project_annotators(resources(), actor, project.id)
        picked = annotator_picker("Annotators", choices, chosen, f"labeling_members_{project.id}")
        if st.button("Save annotators", key=f"labeling_members_save_{project.id}"):
            with refusals("Annotators not saved"):
                added, removed = labeling_members.set_annotators(resources(), actor, project.id, picked)
                st.session_state[FLASH] = (
                    f"Annotators of {project.title} saved: {added} added, {removed} removed."
                )
                st.rerun()


def project_card(actor: Actor, project: ProjectView, connected: bool, choices: list[Annotator]) -> None:
    with st.container(border=True):
        title, link = st.columns([3, 1])
        title.markdown(f"**{md(project.title)}** · {md(LABEL_TEMPLATE_LABELS[project.template])}")
        if project.url:
            link.link_button("Open in Label Studio", project.url)
        st.progress(project.fraction, text=f"{project.done:,} of {project.tasks:,} tasks annotated")
        if project.progress_note:
            st.caption(f"Figures from the last pull: {md(project.progress_note)}")
        if project.per_annotator:
            st.caption(
                "Annotations pulled: "
                + ", ".join(f"{md(who)} {n}" for who, n in project.per_annotator.items())
            )
        agreed = labeling_quality.project_agreement(resources(), actor, project.id)
        if agreed.alpha is not None:
            st.caption(
                f"Agreement between {agreed.annotators} annotators (Krippendorff's alpha): "
                f"{agreed.alpha:.2f} over {agreed.items} task(s) labelled more than once"
            )
        if project.status == "importing":
            st.caption("Documents are being sent to Label Studio…")
        if project.status == "failed":
            st.error(f"Sending stopped: {md(project.error or 'no reason was recorded')}")
        manages = actor.can(MANAGE)
        if manages:
            annotators(actor, project, choices)
        if not connected:
            return
        pull, more = st.columns(2)
        if pull.button("Pull annotations", key=f"labeling_pull_{project.id}"):
            with refusals("Not pulled"):
                st.session_state[JOB] = labeling_pull.start_pull(resources(), actor, project.id)
                st.session_state[FLASH] = f"Pulling the annotations of {project.title}…"
                st.rerun()
        retry = project.status == "failed"
        if manages and more.button(
            "Retry sending" if retry else "Add new matches", key=f"labeling_more_{project.id}"
        ):
            with refusals("Nothing was sent"):
                added, st.session_state[JOB] = labeling_launch.add_to_project(
                    resources(), actor, project.id, new_matches=not retry
                )
                st.session_state[FLASH] = f"{added:,} new document(s) added; sending what is not there yet…"
                st.rerun()


def projects(actor: Actor, connected: bool) -> None:
    listed: list[ProjectView] = []
    with refusals(stop=True):
        listed = labeling_views.list_projects(resources(), actor)
    if not listed and not actor.can(MANAGE):
        st.info(NOT_A_MEMBER)
    elif not listed:
        st.info("No labeling projects yet." + (" Launch one from a search or a rule." if connected else ""))
    choices: list[Annotator] = []
    if listed and actor.can(MANAGE):
        with refusals():
            choices = labeling_members.annotator_choices(resources(), actor)
    for project in listed:
        project_card(actor, project, connected, choices)


def selection_form(actor: Actor) -> Selection:
    carried = st.session_state.get(SELECTION) or {}
    rules = {
        summary.rule.draft.name: summary.rule.id for summary in rule_views.list_rules(resources(), actor)
    }
    kinds = [SEARCH, RULE] if rules else [SEARCH]
    default = 1 if carried.get("kind") == "rule" and rules else 0
    kind = st.radio("Documents", kinds, index=default, horizontal=True, key="labeling_kind")
    if kind == RULE:
        names = list(rules)
        chosen = next((n for n, i in rules.items() if i == carried.get("rule_id")), names[0])
        name = st.selectbox("Rule", names, index=names.index(chosen), key="labeling_rule")
        base = Selection(rule_id=rules[name])
    else:
        query = st.session_state.get("doc_query")
        query = query if isinstance(query, SearchQuery) else SearchQuery()
        st.caption(
            f"Search: {md(query.text) or 'everything'}"
            + (f", {len(query.source_ids)} source(s)" if query.source_ids else "")
            + (f", tags {md(', '.join(query.tags))}" if query.tags else "")
            + " (change it on the Documents page)"
        )
        base = Selection(query=query)
    sample = st.number_input("Random sample of (0 sends them all)", 0, 100_000, 0, key="labeling_sample")
    return Selection(base.query, base.rule_id, int(sample) or None, seed=secrets.randbelow(2**31))


def launch_form(actor: Actor) -> None:
    selection = selection_form(actor)
    title = st.text_input("Project title", max_chars=labeling_launch.TITLE_LENGTH, key="labeling_title")
    template = st.selectbox(
        "Labeling template",
        list(LABEL_TEMPLATE_LABELS),
        format_func=LABEL_TEMPLATE_LABELS.__getitem__,
        key="labeling_tpl",
    )
    classes: tuple[str, ...] = ()
    custom = ""
    if template in ("classification", "entities"):
        typed = st.text_input(
            "Classes" if template == "classification" else "Entity labels", key="labeling_classes"
        )
        classes = tuple(c.strip() for c in typed.split(",") if c.strip())
    if template == "custom":
        custom = st.text_area("Label Studio XML config", height=160, key="labeling_custom")
    team = annotator_picker(
        "Annotators (they see the project; admins and analysts see every project)",
        labeling_members.annotator_choices(resources(), actor),
        [],
        "labeling_annotators",
    )
    if selection.rule_id is not None and template in ("classification", "sentiment"):
        st.caption(
            "The rule's verdict is sent as a pre-annotation (the first class), for annotators to confirm."
        )
    if st.button("Launch", type="primary", key="labeling_launch"):
        with refusals("Not launched"):
            project_id, st.session_state[JOB] = labeling_launch.launch(
                resources(),
                actor,
                LaunchRequest(title, str(template), selection, classes, custom, tuple(team)),
            )
            st.session_state.pop(SELECTION, None)
            st.session_state[FLASH] = (
                f"Project {project_id} created; its documents are being sent to Label Studio."
            )
            st.rerun()


def billing(actor: Actor) -> None:
    rows = labeling_views.billing_summary(resources(), actor)
    if not rows:
        st.info("No annotations pulled yet: billing rows appear after the first pull.")
        return
    st.dataframe(pd.DataFrame([vars(row) for row in rows]), hide_index=True, width="stretch")
    st.download_button(
        "Export billing as CSV",
        data=lambda: "".join(labeling_views.billing_csv(resources(), actor)),
        file_name="billing.csv",
        mime="text/csv",
    )


def show() -> None:
    actor = guard(
        "labeling.launch",
        refusal="Your role does not work with Label Studio projects; ask an admin for access.",
    )
    header(
        "Labeling",
        "Send documents to Label Studio, follow the annotators' progress and pull the labels back.",
    )
    state = connection_state(resources(), actor)
    if not state.connected:
        st.info(md(state.message))
    parts = [PROJECTS, LAUNCH] if state.connected and actor.can(MANAGE) else [PROJECTS]
    parts += [BILLING] if actor.can("audit.view") else []
    carried = st.session_state.get(SELECTION) and LAUNCH in parts
    part = section("Section", parts, key="labeling_part", default=LAUNCH if carried else None)
    said_once(FLASH, escape=True)
    track(JOB, "Done: the project's figures below are up to date.")
    if part == PROJECTS:
        projects(actor, state.connected)
    elif part == LAUNCH:
        launch_form(actor)
    else:
        billing(actor)


show()
