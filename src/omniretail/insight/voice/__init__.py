"""omniretail.insight.voice: the voice of the customer — review text normalisation, sentiment,
retail aspects and the monthly experience report."""
