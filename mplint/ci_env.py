"""What the CI system running mplint tells through its environment: GitHub Actions' repository and commit (for
links in the job summary) and Azure Pipelines' build identity (for SARIF that Azure DevOps Advanced Security
ingests). Read by the command line only; reporters get the values as options."""

from __future__ import annotations

import re
from collections.abc import Mapping

AZURE_PREFIX = "azuredevops/pipeline/build/"
_GUID = re.compile(r"^[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")
_ORG = re.compile(r"^https://(?:vsrm\.)?dev\.azure\.com/([^/]+)|^https://([^./]+)(?:\.vsrm)?\.visualstudio\.com")


def in_github_actions(env: Mapping[str, str]) -> bool:
    return env.get("GITHUB_ACTIONS") == "true"


def github_links(env: Mapping[str, str]) -> dict[str, str] | None:
    """Where a file's line is on GitHub at this run's commit, when the run says."""
    values = {key: env.get(f"GITHUB_{key.upper()}", "") for key in ("server_url", "repository", "sha")}
    if not all(values.values()):
        return None
    return {"server": values["server_url"], "repository": values["repository"], "sha": values["sha"]}


def azure_pipeline(env: Mapping[str, str]) -> dict[str, str] | None:
    """The build's identity in Azure Pipelines (TF_BUILD set), as Azure DevOps Advanced Security wants it in
    `automationDetails`; None outside Azure Pipelines or when a variable is missing or malformed."""
    if env.get("TF_BUILD", "").strip().lower() not in ("true", "1"):
        return None
    org = _ORG.match(env.get("SYSTEM_COLLECTIONURI", "").strip())
    values = {
        "organization": (org.group(1) or org.group(2)) if org else "",
        "project": env.get("SYSTEM_TEAMPROJECTID", "").strip(),
        "definition_id": (env.get("BUILD_DEFINITIONID") or env.get("SYSTEM_DEFINITIONID") or "").strip(),
        "definition_name": env.get("BUILD_DEFINITIONNAME", "").strip(),
        "build_id": env.get("BUILD_BUILDID", "").strip(),
        "phase_id": (env.get("SYSTEM_PHASEID") or env.get("SYSTEM_JOBID") or "").strip(),
        "phase_name": (env.get("SYSTEM_PHASENAME") or env.get("SYSTEM_JOBNAME") or "").strip(),
        "branch": env.get("BUILD_SOURCEBRANCH", "").strip(),
    }
    if not all(values.values()) or not (_GUID.match(values["project"]) and _GUID.match(values["phase_id"])):
        return None
    if not (values["definition_id"].isdigit() and values["build_id"].isdigit()):
        return None
    if not values["branch"].startswith("refs/"):
        values["branch"] = f"refs/heads/{values['branch']}"
    return values


def azure_automation_details(pipeline: Mapping[str, str]) -> dict:
    """`automationDetails` for a run in an Azure pipeline: the id Azure DevOps files the analysis under, and the
    four build properties its ingestion checks."""
    p = pipeline
    parts = (p["organization"], p["project"], p["definition_id"], p["phase_id"], p["branch"], p["build_id"])
    return {
        "id": AZURE_PREFIX + "/".join(parts),
        "properties": {
            f"{AZURE_PREFIX}buildDefinitionId": p["definition_id"],
            f"{AZURE_PREFIX}buildDefinitionName": p["definition_name"],
            f"{AZURE_PREFIX}phaseId": p["phase_id"],
            f"{AZURE_PREFIX}phaseName": p["phase_name"],
        },
    }
