"""Questions answered from the graph: reach (flows) and resolve (DNS)."""
