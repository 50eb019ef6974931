"""Partners: the registry of units and institutions, their reviews, agreements and collaboration history."""
