"""Names of the tables the ``customer_scores`` step publishes (importable without the models)."""

SCORES_TABLE = "customer_scores"
MODELS_TABLE = "customer_score_models"
REPLENISHMENT_TABLE = "customer_replenishment"
