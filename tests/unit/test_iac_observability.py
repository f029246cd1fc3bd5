"""iac/observability: Prometheus' config and alerts pass promtool, the Grafana dashboard is
well-formed and names only documented metrics, and Filebeat ingests the nodes' JSON lines.

promtool is Prometheus' own checker (Debian's prometheus package, unpacked by `make install`).
Grafana has no offline validator, so the dashboard is checked structurally, and its PromQL is
parsed by promtool as recording rules.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from emulator.metrics import SUMMARY_ORDER
from shared.observability import Metric
from tests.conftest import REPO_ROOT

OBS = REPO_ROOT / "iac" / "observability"
DOC = (REPO_ROOT / "docs" / "observability.md").read_text()
DASHBOARD: dict[str, Any] = json.loads((OBS / "grafana-dashboard.json").read_text())


@pytest.fixture(scope="module")
def promtool() -> str:
    found = shutil.which("promtool") or str(REPO_ROOT / ".tools/prometheus/usr/bin/promtool")
    assert Path(found).is_file(), "promtool is missing: `make install` unpacks it into .tools/"
    return found


def _run(*args: str, cwd: Path = OBS) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=cwd, capture_output=True, text=True, check=False, timeout=60)


# ---------------------------------------------------------------- Prometheus


def test_promtool_accepts_the_config_and_its_rules(promtool: str) -> None:
    result = _run(promtool, "check", "config", "prometheus.yml")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS: 3 rules found" in result.stdout + result.stderr


def test_the_alerts_fire_when_they_should(promtool: str) -> None:
    result = _run(promtool, "test", "rules", "alerts_test.yml")
    assert result.returncode == 0, result.stdout + result.stderr


def test_promtool_does_reject_a_broken_config(promtool: str, tmp_path: Path) -> None:
    (tmp_path / "alerts.yml").write_text((OBS / "alerts.yml").read_text())
    broken = (OBS / "prometheus.yml").read_text().replace("static_configs", "static_config", 1)
    (tmp_path / "prometheus.yml").write_text(broken)
    assert _run(promtool, "check", "config", "prometheus.yml", cwd=tmp_path).returncode != 0


def test_every_media_node_deployment_is_scraped() -> None:
    config = yaml.safe_load((OBS / "prometheus.yml").read_text())
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    assert set(jobs) == {"parley-media-ec2", "parley-media-k8s", "parley-media-local"}
    (ec2,) = jobs["parley-media-ec2"]["ec2_sd_configs"]
    assert ec2["port"] == 7000
    # The group's name as the media stack sets it: <stack>-media-nodes.
    (group,) = [f for f in ec2["filters"] if f["name"] == "tag:aws:autoscaling:groupName"]
    assert group["values"][0].endswith("-media-nodes")
    assert "${AWS::StackName}-media-nodes" in (REPO_ROOT / "iac/media/media-tier.yaml").read_text()
    (dns,) = jobs["parley-media-k8s"]["dns_sd_configs"]
    assert dns["names"] == ["media-node-metrics.parley.svc.cluster.local"]
    service = yaml.safe_load((REPO_ROOT / "iac/k8s/service.yaml").read_text())
    assert service["metadata"]["name"] == "media-node-metrics"
    assert service["spec"]["clusterIP"] == "None"
    assert jobs["parley-media-local"]["static_configs"][0]["targets"] == ["127.0.0.1:7000"]


# ---------------------------------------------------------------- Grafana


def _panels() -> list[dict[str, Any]]:
    return [p for p in DASHBOARD["panels"] if p["type"] != "row"]


def _targets(kind: str) -> list[dict[str, Any]]:
    return [t for p in _panels() for t in p["targets"] if t["datasource"]["type"] == kind]


def test_the_dashboard_is_well_formed() -> None:
    assert DASHBOARD["uid"] == "parley-overview"
    assert isinstance(DASHBOARD["schemaVersion"], int)
    assert DASHBOARD["schemaVersion"] >= 36
    ids = [p["id"] for p in DASHBOARD["panels"]]
    assert len(ids) == len(set(ids))
    cells: set[tuple[int, int]] = set()
    for panel in DASHBOARD["panels"]:
        grid = panel["gridPos"]
        assert grid["x"] >= 0
        assert grid["w"] > 0
        assert grid["x"] + grid["w"] <= 24
        mine = {
            (x, y)
            for x in range(grid["x"], grid["x"] + grid["w"])
            for y in range(grid["y"], grid["y"] + grid["h"])
        }
        assert not cells & mine, f"panel {panel['id']} overlaps another"
        cells |= mine
    variables = {v["name"]: v for v in DASHBOARD["templating"]["list"]}
    for panel in _panels():
        assert panel["targets"]
        for target in panel["targets"]:
            uid = target["datasource"]["uid"]
            name = uid.removeprefix("${").removesuffix("}")
            assert variables[name]["type"] == "datasource"
            assert variables[name]["query"] == target["datasource"]["type"]
            assert target["refId"]


def test_the_dashboard_shows_what_the_issue_asks_for() -> None:
    titles = {p["title"] for p in _panels()}
    assert {
        "Messages/s",
        "Deliveries/s",
        "Fan-out latency",
        "Errors",
        "Voice rooms",
        "Packet loss",
    } <= titles


def _documented(section_start: str) -> set[str]:
    section = DOC.split(section_start, 1)[1].split("\n## ", 1)[0]
    return set(re.findall(r"^\| `([A-Za-z_]+)` \|", section, flags=re.MULTILINE))


def test_every_cloudwatch_metric_on_the_dashboard_is_documented() -> None:
    emf = _documented("### CloudWatch metrics (EMF)")
    assert "MessagesCreated" in emf
    used = {t["metricName"] for t in _targets("cloudwatch") if "metricName" in t}
    assert used
    assert used <= emf
    for target in _targets("cloudwatch"):
        if "metricName" in target:
            assert target["namespace"] == "Parley"
            assert target["dimensions"] == {"service": "parley"}


def _promql() -> list[str]:
    return [t["expr"] for t in _targets("prometheus")]


def test_every_prometheus_metric_on_the_dashboard_and_in_the_alerts_is_documented() -> None:
    documented = _documented("## Media nodes: Prometheus metrics")
    assert "parley_media_loss_ratio" in documented
    alerts = (OBS / "alerts.yml").read_text()
    used = set(re.findall(r"parley_media_[a-z_]+", " ".join(_promql()) + alerts))
    assert used
    assert used <= documented


def test_the_dashboards_promql_parses(promtool: str, tmp_path: Path) -> None:
    """Each query as a recording rule: promtool parses it with Prometheus' own parser."""
    rules = {
        "groups": [
            {
                "name": "dashboard",
                "rules": [
                    {
                        "record": f"dashboard:query{i}",
                        "expr": expr.replace("$__rate_interval", "5m"),
                    }
                    for i, expr in enumerate(_promql())
                ],
            }
        ]
    }
    path = tmp_path / "dashboard-rules.yml"
    path.write_text(yaml.safe_dump(rules))
    result = _run(promtool, "check", "rules", str(path))
    assert result.returncode == 0, result.stdout + result.stderr
    path.write_text(yaml.safe_dump(rules).replace("sum(", "sum((", 1))
    assert _run(promtool, "check", "rules", str(path)).returncode != 0


# ---------------------------------------------------------------- Filebeat


def _filebeat() -> dict[str, Any]:
    config: dict[str, Any] = yaml.safe_load((OBS / "filebeat.yml").read_text())
    return config


def test_filebeat_reads_the_nodes_json_lines_without_parsing_rules() -> None:
    config = _filebeat()
    (source,) = config["filebeat.inputs"]
    assert source["type"] == "filestream"
    assert source["id"]
    parsers = source["parsers"]
    assert [next(iter(p)) for p in parsers] == ["container", "ndjson"]
    ndjson = parsers[1]["ndjson"]
    assert ndjson["target"] == ""
    assert ndjson["add_error_key"] is True
    assert not any("grok" in json.dumps(p) or "dissect" in json.dumps(p) for p in parsers)
    assert any("media-node" in path for path in source["paths"])
    outputs = [key for key in config if key.startswith("output.")]
    assert outputs == ["output.logstash"]


def test_filebeat_keeps_exactly_the_lines_the_node_writes() -> None:
    """The service the input keeps is the one the image sets, and a documented log line,
    parsed as the ndjson parser parses it, carries it and Filebeat's timestamp layout."""
    (source,) = _filebeat()["filebeat.inputs"]
    (drop,) = source["processors"]
    kept = drop["drop_event"]["when"]["not"]["equals"]["service"]
    dockerfile = (REPO_ROOT / "iac/media/Dockerfile").read_text()
    assert f"POWERTOOLS_SERVICE_NAME={kept}" in dockerfile
    sample = DOC.split("## Media nodes: logs", 1)[1].split("```json", 1)[1].split("```", 1)[0]
    line = json.loads(sample)
    assert line["service"] == kept
    assert {"timestamp", "level", "message", "node_id"} <= set(line)
    (timestamp,) = [p["timestamp"] for p in _filebeat()["processors"] if "timestamp" in p]
    assert timestamp["field"] == "timestamp"
    assert "2006-01-02 15:04:05,999-0700" in timestamp["layouts"]  # Powertools' format


def test_the_dashboard_reads_exactly_the_metrics_the_functions_emit() -> None:
    """One list: shared.observability.Metric, the dashboard, the docs and the exit summary."""
    emitted = {metric.value for metric in Metric}
    used = {t["metricName"] for t in _targets("cloudwatch") if "metricName" in t}
    assert used == emitted
    assert _documented("### CloudWatch metrics (EMF)") == emitted
    assert set(SUMMARY_ORDER) == emitted
