"""mlops-audit: network-security posture auditor for Azure Machine Learning estates.

The pipeline has one module per stage: ``snapshot`` (read rows) → ``graph`` (typed networkx
graph and the named relations rules use) → ``rules`` (declarative rule files) → ``findings``
→ ``report``.
"""

__version__ = "0.1.0"
