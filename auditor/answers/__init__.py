"""Answers: questions asked of the graph from the command line — ``mlops-audit reach``
(flows) and ``mlops-audit resolve`` (DNS).

Each module takes the graph the scan builds and one question, and returns the answer with
the path that decides it, as data; the CLI prints it (text through ``report.safe``, or
JSON). They ask the relations layer's evaluators and never re-derive their semantics.
"""
