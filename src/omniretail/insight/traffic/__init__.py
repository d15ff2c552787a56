"""Store traffic (客流): people counters, visits, traffic KPIs and the sales decomposition."""
