"""The rendered NetworkPolicies allow exactly the flows the design draws: a small evaluator of
podSelector, namespaceSelector, ipBlock and ports (the subset our policies use) decides each."""

from __future__ import annotations

from typing import NamedTuple

import pytest

from tests.deploy.conftest import OVERLAYS

NS_LABEL = "kubernetes.io/metadata.name"


class Pod(NamedTuple):
    app: str | None  # None: an address outside the cluster (Supabase, Redis, Twilio, Groq, Sentry)
    namespace: str | None


def selects(selector: dict, labels: dict[str, str]) -> bool:
    assert set(selector) <= {"matchLabels"}, selector  # matchExpressions are not used here
    return all(labels.get(k) == v for k, v in selector.get("matchLabels", {}).items())


def peer_matches(peer: dict, other: Pod, own_namespace: str) -> bool:
    if "ipBlock" in peer:
        return other.app is None  # only outside addresses; pod IPs are left to the selectors
    if other.app is None:
        return False
    if "namespaceSelector" in peer:
        if not selects(peer["namespaceSelector"], {NS_LABEL: str(other.namespace)}):
            return False
    elif other.namespace != own_namespace:
        return False
    return selects(peer.get("podSelector", {}), {"app.kubernetes.io/name": other.app})


def rule_matches(rule: dict, key: str, other: Pod, port: int, protocol: str, own: str) -> bool:
    peers = rule.get(key)
    if peers and not any(peer_matches(p, other, own) for p in peers):
        return False
    listed = rule.get("ports")
    return not listed or any(
        p["port"] == port and p.get("protocol", "TCP") == protocol for p in listed
    )


def side_allows(
    policies: list[dict], pod: Pod, other: Pod, port: int, protocol: str, kind: str
) -> bool:
    key, rules = ("from", "ingress") if kind == "Ingress" else ("to", "egress")
    chosen = [
        p
        for p in policies
        if p["metadata"]["namespace"] == pod.namespace
        and kind in p["spec"]["policyTypes"]
        and selects(p["spec"]["podSelector"], {"app.kubernetes.io/name": str(pod.app)})
    ]
    if not chosen:
        return True
    return any(
        rule_matches(rule, key, other, port, protocol, str(pod.namespace))
        for p in chosen
        for rule in p["spec"].get(rules, [])
    )


def allowed(policies: list[dict], src: Pod, dst: Pod, port: int, protocol: str = "TCP") -> bool:
    out = src.app is None or side_allows(policies, src, dst, port, protocol, "Egress")
    into = dst.app is None or side_allows(policies, dst, src, port, protocol, "Ingress")
    return out and into


@pytest.fixture(params=OVERLAYS)
def setup(request, manifests):
    docs = manifests[request.param]
    policies = [d for d in docs if d["kind"] == "NetworkPolicy"]
    namespace = next(d for d in docs if d["kind"] == "Deployment")["metadata"]["namespace"]
    return policies, namespace


OUTSIDE = Pod(None, None)
JOBS = ("setup", "purge")


def flows(ns: str) -> tuple[list[tuple[Pod, Pod, int]], list[tuple[Pod, Pod, int]]]:
    def p(app: str) -> Pod:
        return Pod(app, ns)

    ingress_nginx, monitoring, other = (
        Pod("controller", "ingress-nginx"),
        Pod("prometheus", "monitoring"),
        Pod("x", "default"),
    )
    drawn = [
        (OUTSIDE, p("gateway"), 8000),
        (ingress_nginx, p("gateway"), 8000),
        (ingress_nginx, p("dashboard"), 8050),
        (p("gateway"), p("rag"), 50051),
        (p("llm"), p("rag"), 50051),
        (p("gateway"), p("llm"), 50052),
        (p("rag"), p("chroma"), 8000),
        *((p(j), p("chroma"), 8000) for j in JOBS),
        (monitoring, p("gateway"), 8000),
        (monitoring, p("rag"), 9091),
        (monitoring, p("llm"), 9092),
        (monitoring, p("dashboard"), 8050),
        *((p("gateway"), OUTSIDE, port) for port in (5432, 6543, 6379, 443)),
        (p("llm"), OUTSIDE, 443),
        *((p("rag"), OUTSIDE, port) for port in (5432, 6543, 443)),
        *((p("dashboard"), OUTSIDE, port) for port in (5432, 6543, 443)),
        (p("dashboard"), p("rag"), 50051),  # knowledge gaps: Group and Ingest
        *((p(j), OUTSIDE, port) for j in JOBS for port in (5432, 6543)),
    ]
    forbidden = [
        (p("gateway"), p("chroma"), 8000),
        (p("llm"), p("chroma"), 8000),
        (p("dashboard"), p("chroma"), 8000),
        (p("rag"), p("llm"), 50052),
        (p("dashboard"), p("llm"), 50052),
        (OUTSIDE, p("dashboard"), 8050),
        (other, p("dashboard"), 8050),
        (OUTSIDE, p("rag"), 50051),
        (OUTSIDE, p("chroma"), 8000),
        (other, p("llm"), 50052),
        (other, p("rag"), 9091),
        (ingress_nginx, p("rag"), 50051),
        (p("llm"), OUTSIDE, 5432),
        (p("rag"), OUTSIDE, 6379),
        (p("dashboard"), OUTSIDE, 6379),
        (p("setup"), OUTSIDE, 443),
        (p("chroma"), OUTSIDE, 443),
        (p("gateway"), OUTSIDE, 22),
    ]
    return drawn, forbidden


def test_every_pod_is_covered_by_a_default_deny(setup) -> None:
    policies, _ = setup
    deny = [
        p
        for p in policies
        if p["spec"]["podSelector"] == {}
        and set(p["spec"]["policyTypes"]) == {"Ingress", "Egress"}
        and not p["spec"].get("ingress")
        and not p["spec"].get("egress")
    ]
    assert deny, "no default-deny policy"


def test_each_drawn_flow_is_allowed(setup) -> None:
    policies, ns = setup
    drawn, _ = flows(ns)
    refused = [(s, d, port) for s, d, port in drawn if not allowed(policies, s, d, port)]
    assert not refused


def test_flows_the_design_does_not_draw_are_refused(setup) -> None:
    policies, ns = setup
    _, forbidden = flows(ns)
    let_through = [(s, d, port) for s, d, port in forbidden if allowed(policies, s, d, port)]
    assert not let_through


def test_every_pod_resolves_names(setup) -> None:
    policies, ns = setup
    for app in ("gateway", "rag", "llm", "dashboard", "chroma", "setup", "purge"):
        for protocol in ("UDP", "TCP"):
            assert side_allows(policies, Pod(app, ns), OUTSIDE, 53, protocol, "Egress"), app


def test_the_dev_postgres_admits_only_the_store_users(manifests) -> None:
    """k8s/components/dev-postgres composed with these policies (the dev overlay): the store's
    users reach it on 5432, nobody else does, and it reaches nothing outside."""
    docs = manifests["dev"]
    policies = [d for d in docs if d["kind"] == "NetworkPolicy"]
    ns = next(d for d in docs if d["kind"] == "StatefulSet")["metadata"]["namespace"]
    postgres = Pod("postgres", ns)
    for app in ("gateway", "rag", "dashboard", *JOBS):
        assert allowed(policies, Pod(app, ns), postgres, 5432), app
    strangers = [Pod("llm", ns), Pod("chroma", ns), Pod("x", "default"), OUTSIDE]
    strangers.append(Pod("controller", "ingress-nginx"))
    for other in strangers:
        assert not allowed(policies, other, postgres, 5432), other
    assert not allowed(policies, Pod("gateway", ns), postgres, 22)
    assert not allowed(policies, postgres, OUTSIDE, 443)
