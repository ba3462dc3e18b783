"""Microsoft cloud security benchmark (MCSB) v1 controls: what a rule's ``mcsb`` field may
name, and how an initiative groups its policies by control.

The control ids are the groups of the built-in MCSB initiative (policy set
``1f3afdf9-d0c9-4c3d-847f-89da613e70a8``, Azure/azure-policy
``built-in-policies/policySetDefinitions/Security Center/AzureSecurityCenter.json``), which
names each ``Azure_Security_Benchmark_v3.0_<ID>`` with a built-in policy metadata resource:
the portal shows the control's text from it. A typo (``NS-11``, ``NS2``) is refused when the
rule loads, not carried into every report.
"""

from __future__ import annotations

import re

BENCHMARK = "Microsoft cloud security benchmark v1"
METADATA_PREFIX = (
    "/providers/Microsoft.PolicyInsights/policyMetadata/Azure_Security_Benchmark_v3.0_"
)

# The number of controls in each domain of MCSB v1 (the initiative's 85 groups).
_COUNTS = {
    "NS": 10,
    "DP": 8,
    "IM": 9,
    "PA": 8,
    "PV": 7,
    "LT": 7,
    "AM": 5,
    "ES": 3,
    "BR": 4,
    "IR": 7,
    "DS": 7,
    "GS": 10,
}
CONTROLS = frozenset(f"{d}-{n}" for d, count in _COUNTS.items() for n in range(1, count + 1))
# the shape of a control id: a domain and a number (a number out of range is told apart)
CONTROL_ID = re.compile(rf"({'|'.join(_COUNTS)})-\d{{1,2}}")

DOMAINS = {
    "NS": "Network Security",
    "IM": "Identity Management",
    "PA": "Privileged Access",
    "DP": "Data Protection",
    "AM": "Asset Management",
    "LT": "Logging and Threat Detection",
    "IR": "Incident Response",
    "PV": "Posture and Vulnerability Management",
    "ES": "Endpoint Security",
    "BR": "Backup and Recovery",
    "DS": "DevOps Security",
    "GS": "Governance and Strategy",
}

# The titles of the controls the built-in rules name (another control is shown by its id).
TITLES = {
    "NS-1": "Establish network segmentation boundaries",
    "NS-2": "Secure cloud native services with network controls",
    "NS-3": "Deploy firewall at the edge of enterprise network",
    "NS-7": "Simplify network security configuration",
    "NS-9": "Connect on-premises or cloud network privately",
    "NS-10": "Ensure Domain Name System (DNS) security",
    "IM-1": "Use centralized identity and authentication system",
    "IM-6": "Use strong authentication controls",
    "IM-8": "Restrict the exposure of credential and secrets",
    "PA-2": "Avoid standing access for user accounts and permissions",
    "DP-8": "Ensure security of key and certificate repository",
}


def problem(control: str) -> str | None:
    """Why ``control`` is not an MCSB v1 control id, or None when it is one."""
    if not CONTROL_ID.fullmatch(control):
        return f"{control!r} is not an MCSB control id (a domain and a number, e.g. NS-2)"
    if control not in CONTROLS:
        domain = control.split("-")[0]
        last = f"{domain}-{_COUNTS[domain]}"
        return f"{control!r} is not an MCSB v1 control ({domain} runs {domain}-1 to {last})"
    return None


def order(control: str) -> tuple[str, int]:
    """Sort key: by domain, then by number (NS-2 before NS-10)."""
    domain, number = control.split("-")
    return domain, int(number)


def metadata_id(control: str) -> str:
    """The built-in policy metadata resource that holds the control's text."""
    return METADATA_PREFIX + control
