"""Purchase histories shared by the customer models (lifetime value, churn, forecasts):
reading a transaction file of any shape (``transactions``) and the errors of models fitted on
purchase histories (``errors``)."""
